"""What the tests watch of the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent to the app's database inside the block."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
