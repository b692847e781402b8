"""Writes on action points. Operations flush; the request commits once.

Every write on a conversation's action list first takes that list's lock
(``lock_action_list``) and then reads the rows afresh, so several tabs or people clicking on the
same list at once are handled one after the other: positions stay 1, 2, 3 ... without gaps or
duplicates, and a click that was based on a list that has changed since is refused with an
exception the route turns into a clear message, never applied to the wrong row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select, update

from ..accounts.models import Membership, User
from ..audit.models import AuditAction
from ..audit.operations import change, record
from ..conversations.models import Conversation
from ..conversations.operations import InvalidChoice, lock_conversation
from ..conversations.revisions import raise_revisions
from ..core.forms import Outcome
from ..core.models import utcnow
from ..extensions import db
from .models import ActionPoint, ActionPriority, ActionStatus, EmbeddingPlace

DESCRIPTION_MAX_CHARACTERS = 2_000
#: More than any board agrees on; keeps every export of a list within seconds.
MAX_ACTIONS_PER_CONVERSATION = 1_000


@dataclass(frozen=True)
class ActionData:
    description: str
    question_id: str | None = None
    phase_id: str | None = None
    owner_name: str = ""
    owner_organisation: str = ""
    due_date: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    priority: ActionPriority = ActionPriority.NORMAL
    owner_user_id: int | None = None
    embedded_in: EmbeddingPlace | None = None
    embedded_reference: str = ""


@dataclass(frozen=True)
class AddResult:
    action: ActionPoint
    outcome: Outcome
    #: For ``SAVED_AS_NEW``: the action point the earlier submit of this form made.
    earlier: ActionPoint | None = None


class ActionConflict(Exception):
    """The action point changed since the form or list was shown (another tab, another
    person). ``current`` is the action point as it is stored now."""

    def __init__(self, current: ActionPoint):
        super().__init__(current.id)
        self.current = current


class ActionGone(Exception):
    """The action point was deleted since the form or list was shown."""


class ActionLimitReached(Exception):
    """The conversation has ``MAX_ACTIONS_PER_CONVERSATION`` action points already."""


class EmbeddingMissing(ValueError):
    """ "Verankerd" without saying where: the status means nothing without it."""


class UnknownOwner(ValueError):
    """The trekker's account is not a member of the action's region."""


def lock_action_list(conversation: Conversation) -> None:
    """Handle writes on this conversation's action list one at a time (see module docstring);
    ``ConversationGone`` (a 404) when the conversation was deleted in the meantime."""
    lock_conversation(conversation, "action-list")


def current_action(conversation: Conversation, action_id: int) -> ActionPoint | None:
    """The action point as stored now, also when this session holds an older copy."""
    return db.session.scalar(
        select(ActionPoint)
        .where(ActionPoint.id == action_id, ActionPoint.conversation_id == conversation.id)
        .execution_options(populate_existing=True)
    )


def _locked_action(conversation: Conversation, action_id: int) -> ActionPoint:
    lock_action_list(conversation)
    action = current_action(conversation, action_id)
    if action is None:
        raise ActionGone()
    return action


def _resolved_phase(conversation: Conversation, data: ActionData) -> tuple[str | None, str | None]:
    """The (question, phase) pair to store: a question decides the phase."""
    questionnaire = conversation.questionnaire
    if data.question_id:
        if data.question_id not in questionnaire.questions_by_id:
            raise InvalidChoice(f"unknown question {data.question_id!r}")
        return data.question_id, questionnaire.phase_of_question[data.question_id].id
    if data.phase_id and data.phase_id not in questionnaire.phases_by_id:
        raise InvalidChoice(f"unknown phase {data.phase_id!r}")
    return None, data.phase_id or None


#: What an action point holds, as the forms send it; compared to tell a double submit or a
#: stale form from a real change.
_CONTENT_FIELDS = (
    "question_id",
    "phase_id",
    "description",
    "owner_name",
    "owner_organisation",
    "due_date",
    "status",
    "priority",
    "owner_user_id",
    "embedded_in",
    "embedded_reference",
)

EMBEDDED_REFERENCE_MAX_CHARACTERS = 500


def _content(conversation: Conversation, data: ActionData) -> dict:
    """What an action point would hold after saving ``data``, to compare with a stored one."""
    if len(data.description) > DESCRIPTION_MAX_CHARACTERS:
        raise ValueError("description too long")
    question_id, phase_id = _resolved_phase(conversation, data)
    if data.status is ActionStatus.EMBEDDED and data.embedded_in is None:
        raise EmbeddingMissing()
    if len(data.embedded_reference) > EMBEDDED_REFERENCE_MAX_CHARACTERS:
        raise ValueError("reference too long")
    if data.owner_user_id is not None and not _is_member(data.owner_user_id, conversation):
        raise UnknownOwner()
    return {
        "question_id": question_id,
        "phase_id": phase_id,
        "description": data.description.replace("\r\n", "\n").strip(),
        "owner_name": data.owner_name.strip(),
        "owner_organisation": data.owner_organisation.strip(),
        "due_date": data.due_date,
        "status": data.status,
        "priority": data.priority,
        "owner_user_id": data.owner_user_id,
        "embedded_in": data.embedded_in,
        "embedded_reference": data.embedded_reference.strip(),
    }


def _is_member(user_id: int, conversation: Conversation) -> bool:
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == user_id, Membership.region_id == conversation.region_id
            )
        )
        is not None
    )


def _stored_content(action: ActionPoint) -> dict:
    return {name: getattr(action, name) for name in _CONTENT_FIELDS}


#: The content fields as the audit trail names them, in the order it shows them.
_AUDIT_FIELDS = (
    ("description", "Omschrijving"),
    ("owner_name", "Trekker"),
    ("owner_organisation", "Organisatie"),
    ("due_date", "Deadline"),
    ("status", "Status"),
    ("embedded_in", "Verankerd in"),
    ("embedded_reference", "Vindplaats"),
    ("owner_user_id", "Account van de trekker"),
    ("priority", "Prioriteit"),
    ("phase_id", "Fase"),
    ("question_id", "Vraag"),
)


def _audit_label(position: int, description: str) -> str:
    """How people call an action point: its number and the start of its description."""
    text = " ".join(description.split())
    return f"Actiepunt {position}: {text[:60]}{'…' if len(text) > 60 else ''}"


def _record(
    action_type: AuditAction,
    conversation: Conversation,
    action: ActionPoint,
    changes: list[dict[str, str]],
    position: int | None = None,
) -> None:
    record(
        action_type,
        "action_point",
        object_id=action.id,
        object_label=_audit_label(position or action.position, action.description),
        region_id=action.region_id,
        conversation_id=conversation.id,
        changes=changes,
    )


def _content_changes(
    conversation: Conversation, before: dict | None, after: dict | None
) -> list[dict[str, str]]:
    """From-to per field of two contents (``_content``); None for "there was none"."""
    questionnaire = conversation.questionnaire

    def shown(content: dict | None, name: str):
        value = None if content is None else content[name]
        if value and name == "phase_id":
            phase = questionnaire.phases_by_id.get(value)
            return phase.name if phase else value
        if value and name == "question_id":
            return questionnaire.question_numbers.get(value, value)
        if value and name == "owner_user_id":
            return db.session.scalar(select(User.name).where(User.id == value)) or value
        return value

    return [change(label, shown(before, name), shown(after, name)) for name, label in _AUDIT_FIELDS]


def _apply(action: ActionPoint, content: dict) -> None:
    for name in _CONTENT_FIELDS:
        if name != "status":
            setattr(action, name, content[name])
    _set_status(action, content["status"])


def _set_status(action: ActionPoint, status: ActionStatus) -> None:
    if status.is_closed and not (action.status and action.status.is_closed):
        action.closed_dt = utcnow()
    elif not status.is_closed:
        action.closed_dt = None
    action.status = status


def add_action(
    conversation: Conversation, data: ActionData, creation_token: str | None = None
) -> AddResult:
    """Add an action point at the end of the list.

    The same form (``creation_token``) sent twice with the same content adds it once; sent
    again with other content, the new content becomes a separate action point.
    """
    content = _content(conversation, data)
    lock_action_list(conversation)
    earlier = None
    if creation_token:
        earlier = db.session.scalar(
            select(ActionPoint)
            .where(
                ActionPoint.conversation_id == conversation.id,
                ActionPoint.creation_token == creation_token,
            )
            .execution_options(populate_existing=True)
        )
        if earlier is not None:
            if _stored_content(earlier) == content:
                return AddResult(earlier, Outcome.ALREADY_SAVED)
            creation_token = None
    count, last = db.session.execute(
        select(func.count(), func.max(ActionPoint.position)).where(
            ActionPoint.conversation_id == conversation.id
        )
    ).one()
    if count >= MAX_ACTIONS_PER_CONVERSATION:
        raise ActionLimitReached()
    action = ActionPoint(
        conversation=conversation,
        region_id=conversation.region_id,
        position=(last or 0) + 1,
        creation_token=creation_token,
    )
    _apply(action, content)
    db.session.add(action)
    db.session.flush()
    changes = _content_changes(conversation, None, content)
    _record(AuditAction.CREATED, conversation, action, changes)
    if earlier is not None:
        return AddResult(action, Outcome.SAVED_AS_NEW, earlier)
    return AddResult(action, Outcome.SAVED)


def update_action(
    conversation: Conversation, action_id: int, data: ActionData, based_on_revision: int
) -> Outcome:
    """Change an action point that was shown at ``based_on_revision``.

    Raises ``ActionConflict`` when it changed since (unless it now holds exactly what was
    sent: a double submit) and ``ActionGone`` when it was deleted.
    """
    content = _content(conversation, data)
    return _change(conversation, action_id, based_on_revision, lambda _stored: content)


def set_status(
    conversation: Conversation, action_id: int, status: ActionStatus, based_on_revision: int
) -> Outcome:
    """Close, reopen or otherwise change the status of an action point shown at
    ``based_on_revision``; a status that is already set counts as done. "Verankerd" needs a
    place (``EmbeddingMissing``) unless the action point says where already."""

    def with_status(stored: dict) -> dict:
        if status is ActionStatus.EMBEDDED and stored["embedded_in"] is None:
            raise EmbeddingMissing()
        return {**stored, "status": status}

    return _change(conversation, action_id, based_on_revision, with_status)


def _change(conversation, action_id: int, based_on_revision: int, new_content) -> Outcome:
    """Store ``new_content(stored content)`` on the action point, under the list's lock."""
    action = _locked_action(conversation, action_id)
    stored = _stored_content(action)
    content = new_content(stored)
    if stored == content:
        return Outcome.ALREADY_SAVED
    if action.revision != based_on_revision:
        raise ActionConflict(action)
    _apply(action, content)
    db.session.flush()
    _record(
        AuditAction.CHANGED, conversation, action, _content_changes(conversation, stored, content)
    )
    return Outcome.SAVED


def move_action(
    conversation: Conversation, action_id: int, direction: str, from_position: int
) -> ActionPoint:
    """Swap the action point at ``from_position`` with its neighbour above ("up") or below
    ("down"). Refused with ``ActionConflict`` when it is no longer at that position."""
    if direction not in ("up", "down"):
        raise InvalidChoice(f"unknown direction {direction!r}")
    action = _locked_action(conversation, action_id)
    if action.position != from_position:
        raise ActionConflict(action)
    order = _list_order(conversation)
    index = order.index(action.id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    _renumber(conversation, order)
    new_position = order.index(action.id) + 1
    _record(
        AuditAction.CHANGED,
        conversation,
        action,
        [change("Positie", from_position, new_position)],
        position=new_position,
    )
    return action


def delete_action(conversation: Conversation, action_id: int, based_on_revision: int) -> None:
    """Delete an action point shown at ``based_on_revision``; the ones below move up."""
    action = _locked_action(conversation, action_id)
    if action.revision != based_on_revision:
        raise ActionConflict(action)
    _record(
        AuditAction.DELETED,
        conversation,
        action,
        _content_changes(conversation, _stored_content(action), None),
    )
    db.session.delete(action)
    db.session.flush()
    _renumber(conversation, _list_order(conversation))


def _list_order(conversation: Conversation) -> list[int]:
    return [action_id for action_id, _ in _stored_positions(conversation)]


def _stored_positions(conversation: Conversation) -> list[tuple[int, int]]:
    """(id, position) of the conversation's action points, in list order."""
    return [
        (row.id, row.position)
        for row in db.session.execute(
            select(ActionPoint.id, ActionPoint.position)
            .where(ActionPoint.conversation_id == conversation.id)
            .order_by(ActionPoint.position, ActionPoint.id)
        )
    ]


_SET_POSITION = (
    update(ActionPoint.__table__)
    .where(ActionPoint.__table__.c.id == bindparam("action_id"))
    .values(position=bindparam("new_position"))
)


def _renumber(conversation: Conversation, ordered_ids: list[int]) -> None:
    """Store positions 1, 2, 3 ... in the given order.

    Written past the ORM on purpose: a move is not a change of the action point's content, so
    it must not raise its ``revision`` and turn a colleague's open edit form into a conflict.
    """
    stored = dict(_stored_positions(conversation))
    rows = [
        {"action_id": action_id, "new_position": position}
        for position, action_id in enumerate(ordered_ids, start=1)
        if stored.get(action_id) != position
    ]
    if not rows:
        return
    db.session.connection().execute(_SET_POSITION, rows)
    for loaded in [o for o in db.session.identity_map.values() if isinstance(o, ActionPoint)]:
        if loaded.conversation_id == conversation.id:
            db.session.expire(loaded, ["position"])
    raise_revisions(db.session, {conversation.id})
