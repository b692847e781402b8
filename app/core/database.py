"""Database engine setup and schema upgrades."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, request
from sqlalchemy import ColumnElement, String, Text, cast, event, func, literal_column, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

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
    if not event.contains(Session, "before_flush", _no_writes_in_autocommit):
        event.listen(Session, "before_flush", _no_writes_in_autocommit)
    app.teardown_request(_end_autocommit_after_request)


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


def json_rows(dialect: str, *columns: ColumnElement) -> ColumnElement:
    """An aggregate of ``columns`` over the rows of a (sub)query as one JSON text,
    ``[[a, b, ...], ...]``; ``[]`` for no rows. One row to convert instead of one per row.
    Enum columns go in as their text. In no particular order, but the same while nothing
    changes: sorting would be work on every request, and callers key on the text."""
    columns = tuple(
        cast(column, String) if getattr(column.type, "enum_class", None) else column
        for column in columns
    )
    if dialect == "postgresql":
        listed = cast(func.json_agg(func.json_build_array(*columns)), Text)
        return func.coalesce(listed, literal_column("'[]'"))
    return func.json_group_array(func.json_array(*columns))


def read_rows(statement, **params):
    """Run a prebuilt read-only Core statement on the session's connection, in its transaction.

    ``db.session.execute`` routes even a Core statement through the ORM's execution path,
    about 0.1 ms per statement; the session's connection runs it directly, with the same
    transaction, the same compiled-statement cache and the same result types. Pending ORM
    changes are flushed first, as the ORM's own queries do (a no-op on read-only pages). For
    the reads that every view of a busy page makes; everything else may keep the ORM.
    """
    db.session.flush()
    return db.session.connection().execute(statement, params)


def read_connection() -> Connection:
    """The request's connection, for its first statement.

    On PostgreSQL a read (GET, HEAD) that has no transaction yet runs it on its own
    (autocommit): that spares the ``BEGIN`` before it and the ``ROLLBACK`` when the connection
    goes back to the pool, two round trips of three for a page served from the page cache.
    The statement sees what was committed when it started, as in a transaction at
    PostgreSQL's READ COMMITTED. Not on SQLite: it sends no ``BEGIN`` for a read anyway, and
    switching back runs a ``PRAGMA`` that makes SQLite prepare every statement again.
    Whoever asks decides how long the autocommit lasts (``end_autocommit``).
    """
    session = db.session()
    if (
        request.method in ("GET", "HEAD")
        and not session.in_transaction()
        and session.get_bind().dialect.name == "postgresql"
    ):
        return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session.connection()


F = TypeVar("F", bound=Callable)


def reads_only(view: F) -> F:
    """Mark a view that only reads on a GET: on PostgreSQL all its statements run in
    autocommit (``read_connection``), not only the session's, so a page served from the page
    cache, or rendered, spares the ``BEGIN`` and ``ROLLBACK`` of its transaction. Reads see
    the same as in a transaction at READ COMMITTED (each statement what was committed when it
    started). A view that writes must not carry this: a write there would not be atomic, so
    ``_no_writes_in_autocommit`` refuses it."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def _no_writes_in_autocommit(session: Session, _context, _instances) -> None:
    if session.in_transaction() and _in_autocommit(session):
        raise RuntimeError("an ORM write on a connection in autocommit (a @reads_only view?)")


def _in_autocommit(session: Session) -> bool:
    options = session.connection().get_execution_options()
    return options.get("isolation_level") == "AUTOCOMMIT"


def _end_autocommit_after_request(_error: BaseException | None) -> None:
    """A session outlives the request when the app context was pushed before it (a test, a
    script): what it does next must not run in the request's autocommit."""
    session = db.session()
    if session.in_transaction() and _in_autocommit(session):
        if session.new or session.dirty or session.deleted:  # refused by the flush: drop
            session.rollback()
        else:
            session.commit()


def end_autocommit() -> None:
    """Give back a connection that ``read_connection`` switched to autocommit, so that the
    view's own statements run in a transaction of their own, as they would without it."""
    session = db.session()
    if session.in_transaction() and _in_autocommit(session):
        session.commit()
