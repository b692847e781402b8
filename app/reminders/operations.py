"""Reminders: a digest per trekker of their actions that are overdue or due soon.

``flask --app app reminders send`` runs from cron (daily, say). Each person with an account
who leads open actions in a region where they still hold a role, and who has not switched
reminders off, gets one mail listing them; at most one a day, so running cron twice sends
nothing twice. Without SMTP the command prints what it would send and marks nothing sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, update

from ..accounts.models import Membership, User
from ..actions.deadlines import DUE_SOON_DAYS, due_soon_horizon
from ..actions.models import ActionPoint, ActionStatus
from ..conversations.models import Conversation
from ..core.formatting import date_long, date_short
from ..extensions import db
from ..regions.models import Region

#: A description in the mail is at most this many characters (the action's page has all of it).
DESCRIPTION_MAX_CHARACTERS = 150


@dataclass(frozen=True)
class DigestLine:
    action_id: int
    conversation_id: int
    conversation_title: str
    region_name: str
    position: int
    description: str
    due_date: date


@dataclass
class Digest:
    user_id: int
    email: str
    name: str
    overdue: list[DigestLine] = field(default_factory=list)
    due_soon: list[DigestLine] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due_soon)


def digests(today: date, include_sent_today: bool = False) -> list[Digest]:
    """Everyone who should get a digest today, with their lines; one query."""
    horizon = due_soon_horizon(today)  # ``--today`` takes any date, 31-12-9999 too
    query = (
        select(
            User.id,
            User.email,
            User.name,
            ActionPoint.id,
            ActionPoint.conversation_id,
            Conversation.title,
            Region.name,
            ActionPoint.position,
            ActionPoint.description,
            ActionPoint.due_date,
        )
        .join(ActionPoint, ActionPoint.owner_user_id == User.id)
        .join(Conversation, Conversation.id == ActionPoint.conversation_id)
        .join(Region, Region.id == ActionPoint.region_id)
        .join(
            Membership,
            (Membership.user_id == User.id) & (Membership.region_id == ActionPoint.region_id),
        )
        .where(
            User.reminders_enabled.is_(True),
            User.password_hash.is_not(None),
            ActionPoint.status.in_(ActionStatus.open_statuses()),
            ActionPoint.due_date.is_not(None),
            ActionPoint.due_date <= horizon,
        )
        .order_by(User.id, ActionPoint.due_date, Region.name, ActionPoint.position)
    )
    if not include_sent_today:
        query = query.where((User.reminder_sent_on.is_(None)) | (User.reminder_sent_on < today))
    result: dict[int, Digest] = {}
    for row in db.session.execute(query):
        digest = result.setdefault(row[0], Digest(row[0], row[1], row[2]))
        line = DigestLine(*row[3:])
        (digest.overdue if line.due_date < today else digest.due_soon).append(line)
    return list(result.values())


def digest_mail(digest: Digest, today: date, link: Callable[[DigestLine], str]) -> tuple[str, str]:
    """(subject, plain-text body) in Dutch."""
    parts = []
    if digest.overdue:
        parts.append(f"{len(digest.overdue)} te laat")
    if digest.due_soon:
        parts.append(f"{len(digest.due_soon)} binnenkort klaar")
    subject = f"Handvat: uw actiepunten ({', '.join(parts)})"
    lines = [
        f"Beste {digest.name},",
        "",
        f"Dit is uw overzicht van {date_long(today)}. U bent trekker van deze actiepunten.",
    ]
    for title, group in (
        ("Te laat", digest.overdue),
        (f"Klaar binnen {DUE_SOON_DAYS} dagen", digest.due_soon),
    ):
        if not group:
            continue
        lines += ["", f"{title}:"]
        for item in group:
            lines += [
                f"- {date_short(item.due_date)}  {shorten(item.description)}",
                f"  {item.region_name}, {item.conversation_title}, actiepunt {item.position}",
                f"  Voortgang bijwerken: {link(item)}",
            ]
    lines += [
        "",
        "Is een actiepunt klaar of loopt het anders? Werk het bij via de link.",
        "Geen herinneringen meer? Zet ze uit bij ‘Mijn account’ in Handvat.",
    ]
    return subject, "\n".join(lines) + "\n"


def shorten(text: str, limit: int = DESCRIPTION_MAX_CHARACTERS) -> str:
    """``text`` on one line, at most ``limit`` characters: cut between words, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–") + "…"


def mark_sent(user_id: int, today: date) -> None:
    db.session.execute(update(User).where(User.id == user_id).values(reminder_sent_on=today))


def set_reminders(user: User, enabled: bool) -> bool:
    """Switch the person's reminders on or off; False when they already were."""
    if user.reminders_enabled == enabled:
        return False
    user.reminders_enabled = enabled
    db.session.flush()
    return True
