"""Database engine setup and schema upgrades."""

from __future__ import annotations

import hashlib

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from ..extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at the same time; busy_timeout waits for the lock
    # instead of failing at once when two requests write together.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_database(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            engine: Engine = db.engine
            event.listen(engine, "connect", _sqlite_pragmas)


def upgrade_to_head(app: Flask) -> None:
    """Apply the committed migrations (the embedded default does this by itself at start)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def serialize_writes(key: str) -> None:
    """Wait until no other transaction holds ``key``, then hold it until this one ends.

    Used before read-then-write work that must not interleave with the same work in another
    request: renumbering an action list, checking a form token before inserting. On PostgreSQL
    this is a transaction-level advisory lock on ``key``; on SQLite, which has one writer at a
    time anyway, it takes the database's write lock at once (an UPDATE that matches nothing
    still starts the write transaction), where SQLite would otherwise take it only at the first
    real write, after the reads it depends on. Reads after this call see every committed change.
    """
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_number(key)})
    else:
        session.execute(text("UPDATE region SET id = id WHERE 0 = 1"))


def _lock_number(key: str) -> int:
    """A stable signed 64-bit number for ``key``, as PostgreSQL's advisory locks take."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
