"""Dutch formats: dates and numbers as Dutch public-sector users expect them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.core.formatting import date_long, date_short, datetime_long, number, percent
from app.core.forms import parse_dutch_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05-03-2026", date(2026, 3, 5)),
        ("5-3-2026", date(2026, 3, 5)),
        (" 5/3/2026 ", date(2026, 3, 5)),
        ("05.03.2026", date(2026, 3, 5)),
        ("2026-03-05", date(2026, 3, 5)),
    ],
)
def test_parse_dutch_date(text, expected):
    assert parse_dutch_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("morgen", "'morgen' is geen datum. Schrijf de datum als dd-mm-jjjj"),
        ("03-05-26", "is geen datum"),
        ("31-02-2026", "'31-02-2026' bestaat niet als datum"),
        ("2026-13-01", "bestaat niet als datum"),
    ],
)
def test_parse_dutch_date_explains_in_dutch(text, message):
    with pytest.raises(ValueError, match=message):
        parse_dutch_date(text)


def test_dutch_formats():
    assert date_short(date(2026, 3, 5)) == "05-03-2026"
    assert date_long(date(2026, 3, 5)) == "5 maart 2026"
    assert datetime_long(datetime(2026, 7, 1, 12, 5, tzinfo=UTC)) == "1 juli 2026 om 14:05"
    assert number(1234.5, 1) == "1.234,5"
    assert percent(0.256) == "25,6%"
    assert date_short(None) == "" and date_long(None) == ""


def test_today_is_the_dutch_day_whatever_the_servers_clock_zone(monkeypatch):
    """At 00:30 in the Netherlands a server on UTC is still on the day before. "Te laat" on the
    list, on the conversation's action page, in the API and in the reminders, and the date of a
    progress update, all follow the Dutch day."""
    from app.actions.models import ActionPoint, ActionStatus
    from app.actions.progress import latest_update_date
    from app.core import formatting

    half_past_midnight = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 March, CET

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return half_past_midnight.astimezone(tz) if tz else half_past_midnight

    monkeypatch.setattr(formatting, "datetime", Clock)
    assert formatting.local_today() == date(2026, 3, 2)
    due_yesterday = ActionPoint(due_date=date(2026, 3, 1), status=ActionStatus.OPEN)
    assert due_yesterday.is_overdue
    assert not ActionPoint(due_date=date(2026, 3, 2), status=ActionStatus.OPEN).is_overdue
    assert latest_update_date() == date(2026, 3, 9)
