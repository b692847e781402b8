"""Dutch formats for dates and numbers, in Python and as Jinja filters."""

from __future__ import annotations

import decimal
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from flask import Flask

LOCALE = "nl_NL"
TIMEZONE = ZoneInfo("Europe/Amsterdam")


def date_short(value: date | None) -> str:
    """05-03-2026, for tables."""
    return value.strftime("%d-%m-%Y") if value else ""


@lru_cache(maxsize=4096)
def date_long(value: date | None) -> str:
    """5 maart 2026, for running text."""
    return format_date(value, "d MMMM y", locale=LOCALE) if value else ""


def datetime_long(value: datetime | None) -> str:
    """5 maart 2026 om 14:05, in Dutch local time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value, "d MMMM y 'om' HH:mm", tzinfo=TIMEZONE, locale=LOCALE)


def datetime_short(value: datetime | None) -> str:
    """05-03-2026 14:05, in Dutch local time, for tables."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TIMEZONE).strftime("%d-%m-%Y %H:%M")


#: Babel rounds in the current decimal context, whose default precision (28 digits) cannot hold
#: 1e28 and more (decimal.InvalidOperation). Every finite float has at most 309 digits before
#: the decimal point: formatting runs with room for those and the decimals.
_WIDE = decimal.Context(prec=400, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


@lru_cache(maxsize=4096)  # Babel takes about 25 µs a call; pages call it per row
def number(value: float | int | None, digits: int = 0) -> str:
    """1234.5 -> 1.235 (digits=0) or 1.234,5 (digits=1); never raises for a finite number."""
    if value is None:
        return ""
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    with decimal.localcontext(_WIDE):
        return format_decimal(value, format=fmt, locale=LOCALE)


@lru_cache(maxsize=4096)
def percent(fraction: float | None) -> str:
    """0.256 -> 25,6%."""
    if fraction is None:
        return ""
    with decimal.localcontext(_WIDE):
        return format_percent(fraction, "#,##0.#%", locale=LOCALE)


def local_now() -> datetime:
    return datetime.now(TIMEZONE)


def local_today() -> date:
    """Today in the Netherlands, whatever zone the server's clock is set to (often UTC): what
    "te laat" means, and the day an update is dated, between midnight and 01:00 or 02:00 too."""
    return datetime.now(TIMEZONE).date()


def register_filters(app: Flask) -> None:
    from .page_cache import path_for

    app.jinja_env.globals["path_for"] = path_for
    app.jinja_env.filters.update(
        date_short=date_short,
        date_long=date_long,
        datetime_long=datetime_long,
        datetime_short=datetime_short,
        number=number,
        percent=percent,
    )
