"""Due dates of open action points as an iCalendar feed (RFC 5545), for Outlook and Google.

Each action is an all-day event on its due date. Its UID (``actie-<id>@handvat``) stays the same
for as long as the action exists, so a calendar app updates the event when the date or text
changes and removes it when the action is closed (it then no longer is in the feed).

An all-day event ends the day after its due date (DTEND is exclusive), which Outlook and Google
both read as one whole day. An action due 31-12-9999, the last day the forms accept, has no
next day: that event has no DTEND, which RFC 5545 (3.6.1) defines as lasting that one day, so
the one odd row never makes the whole feed fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, vDuration, vText

from ..actions.models import ActionPoint
from ..core.formatting import date_short

#: How often calendar apps that honour it should read the feed again.
REFRESH = timedelta(hours=1)
SUMMARY_MAX = 120


@dataclass(frozen=True)
class FeedEvent:
    action: ActionPoint
    conversation: str
    region: str
    url: str


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _summary(action: ActionPoint) -> str:
    lines = action.description.strip().splitlines()
    first_line = " ".join(lines[0].split()) if lines else ""
    if len(first_line) > SUMMARY_MAX:
        first_line = first_line[: SUMMARY_MAX - 1].rstrip() + "…"
    return f"Actie: {first_line}" if first_line else "Actiepunt"


def _description(event: FeedEvent) -> str:
    action = event.action
    owner = action.owner_name or "nog niemand"
    if action.owner_organisation:
        owner += f" ({action.owner_organisation})"
    lines = [
        action.description.strip(),
        "",
        f"Trekker: {owner}",
        f"Status: {action.status.label}",
        f"Klaar op: {date_short(action.due_date)}",
        f"Gesprek: {event.conversation} (regio {event.region})",
        "",
        event.url,
    ]
    return "\n".join(lines)


def _event(item: FeedEvent) -> Event:
    action = item.action
    changed = _utc(action.last_update_dt or action.updated_dt)
    event = Event()
    event.add("uid", f"actie-{action.id}@handvat")
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("dtstart", action.due_date)
    if action.due_date < date.max:
        event.add("dtend", action.due_date + timedelta(days=1))
    event.add("summary", _summary(action))
    event.add("description", _description(item))
    event.add("url", item.url)
    # A due date is a reminder, not an appointment: it does not make anyone busy.
    event.add("transp", "TRANSPARENT")
    return event


def render_feed(name: str, events: Iterable[FeedEvent]) -> bytes:
    """The calendar ``name`` with one all-day event per action."""
    calendar = Calendar()
    calendar.add("prodid", "-//Handvat//Actiepunten//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # icalendar writes unknown (X-) properties as they are; as vText they are escaped as TEXT,
    # so a name with ";", "," or "\\" reads back as typed.
    calendar.add("x-wr-calname", vText(name))
    calendar.add("x-wr-caldesc", vText("Deadlines van actiepunten uit Handvat"))
    calendar.add("x-published-ttl", vDuration(REFRESH))
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    for item in events:
        calendar.add_component(_event(item))
    return calendar.to_ical()


def feed_events(
    rows: Iterable[tuple[ActionPoint, str, str]], url_of: Callable[[ActionPoint], str]
) -> list[FeedEvent]:
    """``queries.feed_rows`` with the web address of each action."""
    return [
        FeedEvent(action, conversation, region, url_of(action))
        for action, conversation, region in rows
        if isinstance(action.due_date, date)
    ]
