"""Checkers that nobody here wrote, for the tests that let them judge our output."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT


def vnu_command() -> list[str] | None:
    """How to run the W3C Nu HTML checker: ``.ci/run`` installs it into ``.ci/tools``; else
    ``VNU_JAR`` or npx's cache. None without it or without Java."""
    java = shutil.which("java")
    jars = [
        os.environ.get("VNU_JAR", ""),
        str(PROJECT_ROOT / ".ci/tools/node_modules/vnu-jar/build/dist/vnu.jar"),
        *glob.glob(os.path.expanduser("~/.npm/_npx/*/node_modules/vnu-jar/build/dist/vnu.jar")),
    ]
    jar = next((j for j in jars if j and Path(j).is_file()), None)
    return [java, "-jar", jar] if java and jar else None


def lighthouse_command() -> list[str] | None:
    """How to run Lighthouse: ``.ci/run`` installs it into ``.ci/tools``; else ``LIGHTHOUSE``
    (the path of its command). None without it, without Node.js or without Chromium."""
    node, chromium = shutil.which("node"), Path("/usr/bin/chromium")
    commands = [
        os.environ.get("LIGHTHOUSE", ""),
        str(PROJECT_ROOT / ".ci/tools/node_modules/.bin/lighthouse"),
    ]
    command = next((c for c in commands if c and Path(c).is_file()), None)
    return [command] if node and command and chromium.exists() else None


def require_vnu() -> list[str]:
    """The W3C checker's command; the test is skipped without it, except on CI, where it fails."""
    return _required(vnu_command(), "the W3C Nu HTML checker (vnu.jar)")


def assert_valid_html(pages: Mapping[str, str], folder: Path) -> None:
    """The W3C checker reports no errors on any of ``pages`` (name: HTML), written to
    ``folder`` first; its report is the failure message."""
    command = require_vnu()
    for name, page in pages.items():
        (folder / f"{name}.html").write_text(page, encoding="utf-8")
    paths = sorted(str(folder / f"{name}.html") for name in pages)
    result = subprocess.run(
        [*command, "--errors-only", *paths], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr


def require_lighthouse() -> list[str]:
    """Lighthouse's command; the test is skipped without it, except on CI, where it fails."""
    return _required(lighthouse_command(), "Lighthouse")


def _required(command: list[str] | None, checker: str) -> list[str]:
    if command is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{checker} is missing: .ci/run installs it into .ci/tools")
        pytest.skip(f"{checker} is not installed")
    return command
