"""The README's production section, followed step by step, so that it cannot drift from the code.

Every ``sh`` block of "## Production" in README.md runs, in order, with ``bash`` (``set -euo
pipefail``) in a fresh copy of the repository (``git ls-files -co --exclude-standard``, so
uncommitted work is included). Nothing of the commands is copied here. The operator's choices
come in as the environment variables the README's commands use: the settings of
``/etc/handvat/handvat.env`` (``DATABASE_URL`` of a fresh database, ``SECRET_KEY``,
``HANDVAT_*``: ``conftest.app_settings``), ``SITE`` and ``PORTS`` (the test's site name and
free loopback ports) and ``REQUEST_ID`` (the id a user quotes from an error page).

A block whose first line is ``# (not run by the test: <reason>)`` cannot run on a test machine
(apt-get, systemd, /etc). ``STAND_INS`` lists each such reason, in the README's order, with what
the test does instead; the test fails when the README skips a block the list does not know or
the list names one the README no longer has. ``journalctl`` is a script that prints the app
servers' output, which is what the journal holds on a server.

Besides each block's exit status the test checks what the blocks are for: the servers answer
through nginx; the log search finds the failed request by the id its error page showed; the
restored database holds what the backed-up one held; a reload (HUP) after the upgrade refuses
no request.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from ..conftest import create_postgres_database, drop_postgres_database
from .conftest import (
    PROJECT_ROOT,
    REQUEST_TIMEOUT,
    SITE,
    SYSTEMD_UNIT,
    AppServer,
    Cluster,
    need,
    production_cluster,
    server_error_page,
    wait_until,
)

pytestmark = pytest.mark.production

README = PROJECT_ROOT / "README.md"
SKIPPED = re.compile(r"\A# \(not run by the test: (?P<reason>.+?)\)\n")
#: Seconds one block may take: pip installs everything into a new virtual environment.
BLOCK_TIMEOUT = {"pip install": 300}
DEFAULT_BLOCK_TIMEOUT = 120


def production_blocks() -> list[str]:
    """The ``sh`` blocks of the README's "## Production" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M)


def fresh_copy(destination: Path) -> Path:
    """The repository's files as they are now (tracked and new, not ignored) in a new folder."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT, capture_output=True, check=False, timeout=60,
    )  # fmt: skip
    need(listed.returncode == 0, f"not a git checkout: {listed.stderr.decode()}")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is left out
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def unit_command(clone: Path, port: int) -> list[str]:
    """What ``deploy/systemd/handvat@.service`` runs for ``handvat@<port>``, with the clone
    where the unit says /srv/handvat."""
    settings: dict[str, list[str]] = {}
    for line in (clone / SYSTEMD_UNIT).read_text().splitlines():
        if re.match(r"^[A-Z]\w*=", line):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    assert settings["WorkingDirectory"] == ["/srv/handvat"]
    # AppServer.start sets HANDVAT_BIND to 127.0.0.1:<port> in the same way.
    assert settings["Environment"] == ["HANDVAT_BIND=127.0.0.1:%i"]
    assert settings["EnvironmentFile"] == ["/etc/handvat/handvat.env"]
    (command,) = settings["ExecStart"]
    return shlex.split(command.replace("/srv/handvat", str(clone)).replace("%i", str(port)))


@dataclass
class Operator:
    """What the person following the README has at hand: the shell's environment, the site."""

    cluster: Cluster
    clone: Path
    env: dict[str, str]
    #: Databases the test made besides the cluster's, dropped at the end.
    databases: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    def run(self, block: str) -> subprocess.CompletedProcess:
        timeout = next(
            (seconds for marker, seconds in BLOCK_TIMEOUT.items() if marker in block),
            DEFAULT_BLOCK_TIMEOUT,
        )
        started = time.monotonic()
        result = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + block],
            cwd=self.clone, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        self.timings.append((block.splitlines()[0][:60], time.monotonic() - started))
        assert result.returncode == 0, (
            f"README block failed ({result.returncode}):\n{block}\n--- stdout\n{result.stdout}"
            f"\n--- stderr\n{result.stderr}\n{self.cluster.logs()}"
        )
        return result


# --- what the test does for a block it cannot run ------------------------------------------------


def own_database(operator: Operator) -> None:
    """The cluster made an empty database; the settings name it (next stand-in)."""
    assert operator.cluster.database_url


def load_settings(operator: Operator) -> None:
    operator.env.update(operator.cluster.settings)
    operator.env["SITE"] = SITE
    operator.env["PORTS"] = " ".join(str(server.port) for server in operator.cluster.servers)


def start_units(operator: Operator) -> None:
    for server in operator.cluster.servers:
        server.start()
    for server in operator.cluster.servers:
        server.wait_ready(SITE)


def nginx_site(operator: Operator) -> None:
    """nginx runs the shipped site file, its placeholders filled in (conftest)."""
    response = operator.cluster.session().get(
        operator.cluster.url("/health/ready"), timeout=REQUEST_TIMEOUT
    )
    assert response.status_code == 200, operator.cluster.logs()


def new_empty_database(operator: Operator) -> None:
    name = f"handvat_restored_{uuid.uuid4().hex[:12]}"
    operator.databases.append(name)
    url = create_postgres_database(name).replace("postgresql+psycopg://", "postgresql://")
    operator.env["DATABASE_URL"] = url


def restart_units(operator: Operator) -> None:
    for server in operator.cluster.servers:
        assert server.stop_gracefully() == 0
        server.env["DATABASE_URL"] = operator.env["DATABASE_URL"]
        server.start()
    for server in operator.cluster.servers:
        server.wait_ready(SITE)


#: What ``new_version`` changes, so that the reload can show the new code is served.
UPGRADE_MARK = "<!-- the new version -->"


def new_version(operator: Operator) -> None:
    """The copy is the version under test; as if ``git pull`` brought a change, every page
    gets a mark (in the copy only)."""
    base = operator.clone / "app/templates/base.html"
    page = base.read_text()
    assert page.count("</main>") == 1
    base.write_text(page.replace("</main>", UPGRADE_MARK + "</main>"))


def reload_units(operator: Operator) -> None:
    """HUP to each gunicorn: new workers start with the code on disk while the old ones
    finish; requests through nginx meanwhile must all be answered."""
    servers = operator.cluster.servers
    booted = {server.port: boots(server) for server in servers}
    for server in servers:
        server.process.send_signal(signal.SIGHUP)
    session = operator.cluster.session()
    statuses = []

    def reloaded() -> bool:
        statuses.append(session.get(operator.cluster.url("/inloggen"), timeout=10).status_code)
        return all(boots(s) >= booted[s.port] + workers(operator) for s in servers)

    wait_until(reloaded, 60, "new workers after HUP", pause=0.05)
    assert set(statuses) == {200}, statuses
    for server in servers:
        assert server.running  # the same master, the same port
        server.wait_ready(SITE)

    # The old workers are gone once they finished: from then on, every page is the new code's.
    def new_code_everywhere() -> bool:
        pages = [session.get(operator.cluster.url("/inloggen"), timeout=10) for _ in range(6)]
        assert {page.status_code for page in pages} == {200}
        return all(UPGRADE_MARK in page.text for page in pages)

    wait_until(new_code_everywhere, 30, "the new code on every worker")


def boots(server: AppServer) -> int:
    return server.log.read_text().count("Booting worker with pid")


def workers(operator: Operator) -> int:
    return int(operator.cluster.env["HANDVAT_WORKERS"])


#: Every block the README marks as not run, in its order, and what the test does instead.
STAND_INS: list[tuple[str, Callable[[Operator], None]]] = [
    ("system packages, a user, the database; it makes its own database", own_database),
    ("it sets these variables to its own values", load_settings),
    ("systemd; the test starts the unit's ExecStart itself", start_units),
    ("writes into /etc/nginx; the test fills in its own copy", nginx_site),
    ("it makes its own empty database and points DATABASE_URL at it", new_empty_database),
    ("systemd; the test restarts its servers on the restored database", restart_units),
    ("the copy it runs in is the new version already", new_version),
    ("systemd; the test sends HUP to its servers", reload_units),
]  # fmt: skip


# --- checks on what a block is for ------------------------------------------------------------


def rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


def database_contents(url: str) -> dict[str, object]:
    """Rows per table, and every row of a few tables the README's commands filled."""
    tables = [
        name for (name,) in rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    contents: dict[str, object] = {
        f"count {table}": rows(url, f'SELECT count(*) FROM "{table}"') for table in tables
    }
    for table in ("user_account", "region", "municipality", "account_link", "alembic_version"):
        contents[table] = rows(url, f'SELECT * FROM "{table}" ORDER BY 1')
    return contents


def test_the_production_section_of_the_readme_works_as_written():
    blocks = production_blocks()
    skipped = [m.group("reason") for b in blocks if (m := SKIPPED.match(b))]
    assert skipped == [reason for reason, _ in STAND_INS], (
        "The README's production section skips other blocks than STAND_INS knows; give each "
        "new '# (not run by the test: ...)' block a stand-in here."
    )
    stand_ins = dict(STAND_INS)
    work = Path(tempfile.mkdtemp(prefix="handvat-readme-"))
    try:
        clone = fresh_copy(work / "handvat")
        with production_cluster(
            clone=clone,
            python=str(clone / ".venv/bin/python"),
            server_command=unit_command,
            start_servers=False,
        ) as cluster:
            operator = Operator(cluster, clone, shell_environment(work, clone, cluster))
            try:
                follow(operator, blocks, stand_ins)
            finally:
                for name in operator.databases:
                    drop_postgres_database(name)
                print("\n".join(f"{seconds:6.1f}s  {what}" for what, seconds in operator.timings))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def shell_environment(work: Path, clone: Path, cluster: Cluster) -> dict[str, str]:
    """A login shell's environment before step 2: no Handvat settings, no virtual environment
    of the test's own; ``.venv/bin`` of the clone first (as after ``. .venv/bin/activate``),
    and ``journalctl`` as a script that prints the app servers' output."""
    bin_dir = work / "bin"
    bin_dir.mkdir()
    journalctl = bin_dir / "journalctl"
    logs = " ".join(shlex.quote(str(server.log)) for server in cluster.servers)
    journalctl.write_text(
        "#!/bin/sh\n# Stand-in on a test machine: what the app servers wrote (the journal).\n"
        f"cat {logs}\n"
    )
    journalctl.chmod(0o755)
    own_venv = os.environ.get("VIRTUAL_ENV")
    path = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if not (own_venv and entry.startswith(own_venv))
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if not re.match(r"^(HANDVAT_|DATABASE_URL$|SECRET_KEY$|FLASK_|VIRTUAL_ENV$|PYTHON)", key)
    }
    env["PATH"] = os.pathsep.join([str(bin_dir), str(clone / ".venv/bin"), *path])
    env["VIRTUAL_ENV"] = str(clone / ".venv")
    return env


def follow(operator: Operator, blocks: list[str], stand_ins: dict) -> None:
    cluster = operator.cluster
    backed_up: dict[str, object] | None = None
    for block in blocks:
        skipped = SKIPPED.match(block)
        if skipped:
            stand_ins[skipped.group("reason")](operator)
            continue
        if "$REQUEST_ID" in block:
            # A user quotes the id on an error page: a request that failed with a 500.
            _response, operator.env["REQUEST_ID"] = server_error_page(cluster)
        if "restore" in block:
            assert backed_up is not None, "the README restores before it backs up"
        result = operator.run(block)
        if "$REQUEST_ID" in block:
            found = [json.loads(line) for line in result.stdout.splitlines()]
            assert {entry["request_id"] for entry in found} == {operator.env["REQUEST_ID"]}
            by_logger = {entry["logger"]: entry for entry in found}
            assert by_logger["handvat.request"]["status"] == 500
            assert "Traceback" in by_logger["handvat.error"]["exc_info"]
        if re.search(r"^flask --app app backup handvat\.dump$", block, re.M):
            backup = operator.clone / "handvat.dump"
            assert backup.stat().st_mode & 0o077 == 0, "a backup must be private"
            backed_up = database_contents(operator.env["DATABASE_URL"])
            original_url = operator.env["DATABASE_URL"]
        if "restore" in block:
            assert operator.env["DATABASE_URL"] != original_url
            restored = database_contents(operator.env["DATABASE_URL"])
            assert restored == backed_up
            # The README's commands made an administrator and a region.
            assert restored["region"] and restored["user_account"]
    assert backed_up is not None, "the README never backs up"
    # The site works on the restored, upgraded database after the reload.
    response = cluster.session().get(cluster.url("/health/ready"), timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200
