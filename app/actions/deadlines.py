"""When an action point is "te laat" or "binnenkort": one rule for the region-wide list, the
conversation's exports and the reminders."""

from __future__ import annotations

from datetime import date, timedelta

from .models import ActionStatus

#: "Binnenkort": due within this many days from today (today included).
DUE_SOON_DAYS = 14


def due_soon_horizon(today: date) -> date:
    """The last day that is "binnenkort" seen from ``today``; 31-12-9999 at the latest (a
    later day does not exist, and adding to ``date.max`` raises OverflowError)."""
    return min(today, date.max - timedelta(days=DUE_SOON_DAYS)) + timedelta(days=DUE_SOON_DAYS)


def is_overdue(due_date: date | None, status: ActionStatus, today: date) -> bool:
    return due_date is not None and not status.is_closed and due_date < today


def is_due_soon(due_date: date | None, status: ActionStatus, today: date) -> bool:
    return (
        due_date is not None
        and not status.is_closed
        and today <= due_date <= due_soon_horizon(today)
    )
