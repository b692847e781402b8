"""Progress updates: the dated history of an action point after the meeting.

An update says what happened (a short text), and may change the status (also to "verankerd",
with where) and record a new value of one of the indicators the action is linked to. Adding
one raises the action point's ``revision``: two people updating the same action at once are
handled one after the other under the list's lock, and the second is told (``ActionConflict``)
instead of silently overwriting the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..audit.models import AuditAction
from ..audit.operations import change
from ..conversations.models import Conversation
from ..core.formatting import local_today
from ..core.forms import Outcome
from ..core.models import utcnow
from ..extensions import db
from ..indicators.models import ActionIndicatorLink
from ..indicators.operations import record_value
from ..indicators.periods import period_from_code
from . import operations
from .models import ActionPoint, ActionStatus, ActionUpdate, EmbeddingPlace
from .operations import ActionConflict, EmbeddingMissing

UPDATE_MAX_CHARACTERS = 2_000
#: An update may be dated back (a meeting last week), not far into the future.
LATEST_FUTURE_DAYS = 7


def latest_update_date() -> date:
    return local_today() + timedelta(days=LATEST_FUTURE_DAYS)


class EmptyUpdate(ValueError):
    """No text, no new status and no new value: nothing to record."""


class UnknownLink(ValueError):
    """The indicator link is not one of this action point's."""


@dataclass(frozen=True)
class FigureData:
    """A new value of an indicator the action point is linked to."""

    link_id: int
    period_code: str
    value: float


@dataclass(frozen=True)
class ProgressData:
    text: str = ""
    written_on: date | None = None
    new_status: ActionStatus | None = None
    embedded_in: EmbeddingPlace | None = None
    embedded_reference: str = ""
    figure: FigureData | None = None


@dataclass(frozen=True)
class ProgressResult:
    update: ActionUpdate
    action: ActionPoint
    outcome: Outcome


def add_update(
    conversation: Conversation,
    action_id: int,
    data: ProgressData,
    based_on_revision: int,
    author: User | None,
) -> ProgressResult:
    """Add a progress update to an action point shown at ``based_on_revision``.

    The same update sent twice (a double click, a reload) is recorded once. Raises
    ``ActionConflict`` when the action point changed since, ``ActionGone`` when it was deleted,
    ``EmptyUpdate``, ``EmbeddingMissing`` or ``UnknownLink`` for what cannot be recorded.
    """
    text = data.text.replace("\r\n", "\n").strip()
    if len(text) > UPDATE_MAX_CHARACTERS:
        raise ValueError("update too long")
    written_on = data.written_on or local_today()
    if written_on > latest_update_date():
        raise ValueError("update dated too far ahead")
    action = operations._locked_action(conversation, action_id)
    new_status = data.new_status if data.new_status is not action.status else None
    if (
        not text
        and new_status is None
        and data.figure is None
        and not _embedding_changes(action, data)
    ):
        raise EmptyUpdate()
    latest = latest_update(action.id)
    if action.revision != based_on_revision:
        if latest is not None and _same(latest, text, written_on, data, author):
            return ProgressResult(latest, action, Outcome.ALREADY_SAVED)
        raise ActionConflict(action)
    link = _link_of(action, data.figure.link_id) if data.figure else None
    embedded_in = data.embedded_in or action.embedded_in
    if (new_status or action.status) is ActionStatus.EMBEDDED and embedded_in is None:
        raise EmbeddingMissing()

    stored = operations._stored_content(action)
    update = ActionUpdate(
        action_id=action.id,
        region_id=action.region_id,
        written_on=written_on,
        text=text,
        status_before=action.status,
        status_after=new_status,
        author_user_id=author.id if author else None,
        author_name=author.name if author else "",
    )
    if new_status is not None:
        operations._set_status(action, new_status)
    if data.embedded_in is not None:
        action.embedded_in = data.embedded_in
        action.embedded_reference = data.embedded_reference.strip()
    if link is not None:
        update.indicator_id = link.indicator_id
        update.indicator_period = data.figure.period_code
        update.indicator_category = link.category
        update.indicator_value = data.figure.value
        record_value(link.indicator, data.figure.period_code, link.category, data.figure.value)
    action.last_update_dt = utcnow()
    db.session.add(update)
    db.session.flush()
    changes = [change("Voortgang", "", _summary(update, link))]
    changes += operations._content_changes(conversation, stored, operations._stored_content(action))
    operations._record(AuditAction.CHANGED, conversation, action, changes)
    return ProgressResult(update, action, Outcome.SAVED)


def _embedding_changes(action: ActionPoint, data: ProgressData) -> bool:
    return data.embedded_in is not None and (
        data.embedded_in is not action.embedded_in
        or data.embedded_reference.strip() != action.embedded_reference
    )


def _same(latest: ActionUpdate, text, written_on, data: ProgressData, author) -> bool:
    figure = data.figure
    return (
        latest.text == text
        and latest.written_on == written_on
        and latest.author_user_id == (author.id if author else None)
        and (data.new_status is None or latest.status_after in (data.new_status, None))
        and (figure is None or latest.indicator_value == figure.value)
    )


def _link_of(action: ActionPoint, link_id: int) -> ActionIndicatorLink:
    link = db.session.scalar(
        select(ActionIndicatorLink).where(
            ActionIndicatorLink.id == link_id, ActionIndicatorLink.action_point_id == action.id
        )
    )
    if link is None:
        raise UnknownLink()
    return link


def _summary(update: ActionUpdate, link: ActionIndicatorLink | None) -> str:
    parts = [update.text] if update.text else []
    if update.status_after is not None:
        parts.append(f"status {update.status_after.label.lower()}")
    if link is not None:
        period = period_from_code(update.indicator_period).label
        parts.append(f"{link.indicator.name} {period}: {update.indicator_value:g}")
    return " · ".join(parts)[:500]


def latest_update(action_id: int) -> ActionUpdate | None:
    return db.session.scalar(
        select(ActionUpdate)
        .where(ActionUpdate.action_id == action_id)
        .order_by(ActionUpdate.id.desc())
        .limit(1)
    )


def history(action_id: int) -> list[ActionUpdate]:
    """The action point's updates, newest first."""
    return list(
        db.session.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id == action_id)
            .order_by(ActionUpdate.written_on.desc(), ActionUpdate.id.desc())
        )
    )


def latest_updates(action_ids_select) -> dict[int, ActionUpdate]:
    """The latest update of each action point that ``action_ids_select`` (a SELECT of ids,
    not a list: one statement whatever the number of rows) yields."""
    newest = (
        select(ActionUpdate.action_id, db.func.max(ActionUpdate.id).label("id"))
        .where(ActionUpdate.action_id.in_(action_ids_select))
        .group_by(ActionUpdate.action_id)
        .subquery()
    )
    rows = db.session.scalars(select(ActionUpdate).join(newest, newest.c.id == ActionUpdate.id))
    return {update.action_id: update for update in rows}
