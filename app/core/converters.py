"""URL converters that never let an impossible number reach the database.

Flask's ``int`` converter accepts ``007`` (a second address for the same page) and numbers of
any size, which PostgreSQL refuses for its 32-bit ``integer`` columns and SQLite for anything
over 64 bits: a 500 instead of a 404. ``<id:...>`` accepts only what can be a row id.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter, ValidationError

#: The largest value of a PostgreSQL ``integer`` (``serial``) column, which our ids are.
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(BaseConverter):
    """A positive row id without leading zeros that fits the database's integer column."""

    regex = r"[1-9][0-9]{0,9}"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_DATABASE_ID:
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def register_url_converters(app: Flask) -> None:
    app.url_map.converters["id"] = DatabaseIdConverter
