"""A real gunicorn for the tests that need one: on a free loopback port, always stopped."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

START_SECONDS = 30


@contextmanager
def running_gunicorn(options: list[str], app: str, log: Path, **popen) -> Iterator[int]:
    """Start ``gunicorn OPTIONS APP`` on 127.0.0.1 and yield its port; stop it afterwards.

    Port 0: the arbiter binds once, before forking, and logs the port it got.
    ``--no-control-socket``: gunicorn 24+ opens a control socket at one fixed path per user,
    so two servers at once (another test, another run) would fight over it.
    """
    command = [
        sys.executable, "-m", "gunicorn",
        "--bind", "127.0.0.1:0",
        "--no-control-socket",
        *options,
        app,
    ]  # fmt: skip
    with log.open("wb") as log_file:
        server = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, **popen)
        try:
            yield _listening_port(server, log)
        finally:
            server.terminate()
            try:
                server.wait(timeout=START_SECONDS)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=START_SECONDS)


def _listening_port(server: subprocess.Popen, log: Path) -> int:
    """The port, once gunicorn's socket is open; a request then waits in its backlog."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
        if listening:
            return int(listening.group(1))
        if server.poll() is not None:
            pytest.fail(f"gunicorn stopped:\n{text}")
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not start within {START_SECONDS}s:\n{log.read_text()}")
