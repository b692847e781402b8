"""Shared helpers for the benchmarks: the machine, a scratch database, result tables."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

#: A fixed key, so every gunicorn worker accepts the session and CSRF token of the others.
BENCH_SECRET_KEY = "handvat-bench-not-a-secret"
#: The environment variable through which ``handvat_wsgi.py`` learns the scratch database.
DB_ENV = "BENCH_HANDVAT_DB"
#: "0" makes ``handvat_wsgi.py`` turn the page cache off (``PAGE_CACHE_ENABLED``). The app's own
#: ``HANDVAT_PAGE_CACHE_ENABLED`` would not work here: ``create_app`` reads ``HANDVAT_*`` only
#: when it gets no ``test_config``, and the benchmark always passes one.
PAGE_CACHE_ENV = "BENCH_HANDVAT_PAGE_CACHE"
#: The account every benchmark signs in with: coordinator of the demo region (Twente), so it may
#: read, save and export the demo conversation. It exists only in the scratch database.
BENCH_EMAIL = "bench@handvat.test"
BENCH_NAME = "Benchmark"
#: Only for the throwaway database of a benchmark run; long enough for the password rules.
BENCH_PASSWORD = "alleen-voor-de-benchmark-niet-geheim"
#: The environment variable through which ``handvat_wsgi.py`` learns the scratch database as a
#: SQLAlchemy URL (SQLite or PostgreSQL); it wins over ``DB_ENV``.
DB_URL_ENV = "BENCH_HANDVAT_DB_URL"
#: The PostgreSQL server the benchmarks create their scratch databases on (``postgres`` and
#: trust authentication, as the tests use). ``BENCH_POSTGRES_URL`` overrides it.
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: What ``--database`` accepts: the embedded default and the production database.
DATABASES = ("sqlite", "postgresql")


def bench_config(db_path: Path, *, page_cache: bool = True) -> dict:
    """The app configuration for a benchmark: the embedded SQLite default, on a scratch file.

    CSRF stays on, as in production; the database is prepared once before the measurement, so
    no worker migrates at start. ``page_cache=False`` renders every page (to measure rendering).
    """
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "AUTO_UPGRADE_EMBEDDED_DB": False,
        "PAGE_CACHE_ENABLED": page_cache,
    }


def database_config(url: str, *, page_cache: bool = True) -> dict:
    """``bench_config`` for any database URL (SQLite or PostgreSQL).

    On PostgreSQL the app would ask the benchmark account, a coordinator, to set up a second
    factor first (``REQUIRE_TWO_FACTOR``); the benchmarks measure pages, not that step.
    """
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": BENCH_SECRET_KEY,
        "AUTO_UPGRADE_EMBEDDED_DB": False,
        "PAGE_CACHE_ENABLED": page_cache,
        "REQUIRE_TWO_FACTOR": False,
    }


def databases_of(choice: str) -> list[str]:
    """``--database sqlite|postgresql|both`` as the list of databases to run on."""
    return list(DATABASES) if choice == "both" else [choice]


@contextmanager
def scratch_database(kind: str) -> Iterator[str]:
    """A new, empty database for one benchmark run; yields its SQLAlchemy URL.

    ``sqlite``: a file in a temporary directory. ``postgresql``: a database
    ``handvat_bench_<random>`` on ``POSTGRES_SERVER`` (or ``BENCH_POSTGRES_URL``), created here
    and dropped at the end, also after an error; never the ``test`` database or any other.
    """
    if kind == "sqlite":
        with scratch_dir() as folder:
            yield f"sqlite:///{folder / 'handvat.sqlite'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database {kind!r}")
    import sqlalchemy as sa

    server = sa.make_url(os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_SERVER)
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    name = f"handvat_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def prepare_database_url(url: str, *, page_cache: bool = True):
    """``prepare_database`` for any database URL: the committed migrations, the demo and the
    benchmark account. Returns the app, configured with ``database_config(url)``."""
    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.operations import ensure_user, set_password, set_role
    from app.accounts.roles import Role
    from app.demo.commands import load_demo
    from app.extensions import db

    app = create_app(database_config(url, page_cache=page_cache))
    with app.app_context():
        upgrade()
        demo = load_demo()
        user, _ = ensure_user(BENCH_EMAIL, BENCH_NAME)
        set_role(user, demo.region, Role.COORDINATOR)
        set_password(user, BENCH_PASSWORD)
        db.session.commit()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def statement_counter(app) -> list[str]:
    """A list that collects every SQL statement the app's engine runs from now on (a
    ``before_cursor_execute`` listener); clear it before the request to count."""
    from sqlalchemy import event

    from app.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    return statements


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary directory for the benchmark database, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="handvat-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def prepare_database(db_path: Path):
    """Create the scratch database with the committed migrations, load the demo and add the
    benchmark account (``BENCH_EMAIL`` / ``BENCH_PASSWORD``, coordinator of the demo region).

    Returns the app (configured for ``db_path``) for callers that want to add more data.
    """
    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.operations import ensure_user, set_password, set_role
    from app.accounts.roles import Role
    from app.demo.commands import load_demo
    from app.extensions import db

    app = create_app(bench_config(db_path))
    with app.app_context():
        upgrade()
        demo = load_demo()
        user, _ = ensure_user(BENCH_EMAIL, BENCH_NAME)
        set_role(user, demo.region, Role.COORDINATOR)
        set_password(user, BENCH_PASSWORD)
        db.session.commit()
    # Alembic switches on INFO logging for its own loggers; keep the benchmark output quiet.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def signed_in_cookie(app) -> str:
    """A ``Cookie`` header value with a live session of the benchmark account, for the test
    client and for clients outside Flask; the same as signing in through ``/inloggen``, without
    the password hashing (which the benchmark does not measure).

    A session row (``UserSession``) holds the hash of a random key; the signed session cookie
    carries the key, exactly as ``app.accounts.operations.start_session`` sets it.
    """
    import secrets

    from sqlalchemy import select

    from app.accounts.access import session_key_hash
    from app.accounts.models import User, UserSession
    from app.extensions import db

    key = secrets.token_urlsafe(32)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
        if user_id is None:
            raise RuntimeError("no benchmark account; was prepare_database() run?")
        db.session.add(UserSession(key_hash=session_key_hash(key), user_id=user_id))
        db.session.commit()
        db.session.remove()
    value = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": key, "_fresh": True}
    )
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def signed_in_client(app, cookie: str):
    """A Flask test client that sends ``cookie`` (from ``signed_in_cookie``) with every request.

    The test client builds the ``Cookie`` header from its own cookie jar and drops one passed
    in ``headers``, so the cookie goes into the jar.
    """
    client = app.test_client()
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value)
    return client


def journal_mode(db_path: Path) -> str:
    """The journal mode stored in the database file ("wal" once the app has opened it)."""
    with sqlite3.connect(db_path) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def machine_summary(packages: tuple[str, ...] = ()) -> str:
    parts = [
        f"{os.cpu_count()} CPU ({_cpu_model()})",
        f"Python {platform.python_version()}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    parts += [f"{p} {_version(p)}" for p in packages]
    return ", ".join(parts)


def load_average() -> str:
    """The 1-minute load average against the CPU count: other work on the machine skews both
    figures of a run, and the ratio less than the absolute numbers."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


@dataclass(frozen=True)
class Row:
    metric: str
    handvat: float
    baseline: float
    unit: str
    #: "min_ratio": Handvat/baseline must be at least ``limit`` (throughput);
    #: "max_ratio": Handvat/baseline must be at most ``limit`` (time);
    #: "max_value": Handvat's own figure must be below ``limit`` (latency); None: no target.
    target_kind: str | None = None
    limit: float | None = None

    @property
    def ratio(self) -> float:
        return self.handvat / self.baseline if self.baseline else float("nan")

    @property
    def target(self) -> str:
        if self.target_kind == "min_ratio":
            return f"ratio >= {self.limit:.2f}"
        if self.target_kind == "max_ratio":
            return f"ratio <= {self.limit:.2f}"
        if self.target_kind == "max_value":
            return f"< {self.limit:g} {self.unit}"
        return ""

    @property
    def passed(self) -> bool | None:
        if self.target_kind == "min_ratio":
            return self.ratio >= self.limit
        if self.target_kind == "max_ratio":
            return self.ratio <= self.limit
        if self.target_kind == "max_value":
            return self.handvat < self.limit
        return None


def _fmt(value: float, unit: str) -> str:
    if unit == "req/s":
        return f"{value:,.0f} {unit}"
    if unit == "ms":
        return f"{value:.1f} {unit}"
    return f"{value:.3f} {unit}"


def print_table(title: str, rows: list[Row]) -> bool:
    """Print the results; returns True when every target passed."""
    header = ("metric", "Handvat", "baseline", "ratio", "target", "result")
    lines = [
        (
            r.metric,
            _fmt(r.handvat, r.unit),
            _fmt(r.baseline, r.unit),
            f"{r.ratio:.3f}",
            r.target,
            {True: "pass", False: "FAIL", None: ""}[r.passed],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print()
    print(title)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return all(r.passed is not False for r in rows)
