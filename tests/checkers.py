"""Checkers that nobody here wrote, for the tests that let them judge our output."""

from __future__ import annotations

import glob
import os
import shutil
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


def require_vnu() -> list[str]:
    """The checker's command; the test is skipped without it, except on CI, where it fails."""
    command = vnu_command()
    if command is None:
        if os.environ.get("CI") == "true":
            pytest.fail("vnu.jar is missing: .ci/run installs it into .ci/tools")
        pytest.skip("the W3C Nu HTML checker (vnu.jar) is not installed")
    return command
