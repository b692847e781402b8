"""Writes on action points. Operations flush; the request commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from ..conversations.models import Conversation
from ..conversations.operations import InvalidChoice
from ..core.models import utcnow
from ..extensions import db
from .models import ActionPoint, ActionPriority, ActionStatus

DESCRIPTION_MAX_CHARACTERS = 2_000


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


class ActionConflict(Exception):
    """The action point changed since the form was opened; roll the session back."""


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


def _apply(action: ActionPoint, conversation: Conversation, data: ActionData) -> None:
    if len(data.description) > DESCRIPTION_MAX_CHARACTERS:
        raise ValueError("description too long")
    action.question_id, action.phase_id = _resolved_phase(conversation, data)
    action.description = data.description.replace("\r\n", "\n").strip()
    action.owner_name = data.owner_name.strip()
    action.owner_organisation = data.owner_organisation.strip()
    action.due_date = data.due_date
    _set_status(action, data.status)
    action.priority = data.priority


def _set_status(action: ActionPoint, status: ActionStatus) -> None:
    if status.is_closed and not (action.status and action.status.is_closed):
        action.closed_dt = utcnow()
    elif not status.is_closed:
        action.closed_dt = None
    action.status = status


def add_action(
    conversation: Conversation, data: ActionData, creation_token: str | None = None
) -> ActionPoint:
    """Add an action at the end of the list. The same form token twice adds it once."""
    if creation_token:
        existing = db.session.scalar(
            select(ActionPoint).where(
                ActionPoint.creation_token == creation_token,
                ActionPoint.conversation_id == conversation.id,
            )
        )
        if existing is not None:
            return existing
    last = db.session.scalar(
        select(func.max(ActionPoint.position)).where(ActionPoint.conversation_id == conversation.id)
    )
    action = ActionPoint(
        conversation=conversation,
        region_id=conversation.region_id,
        position=(last or 0) + 1,
        creation_token=creation_token,
    )
    _apply(action, conversation, data)
    db.session.add(action)
    db.session.flush()
    return action


def update_action(action: ActionPoint, data: ActionData, based_on_revision: int) -> ActionPoint:
    """Change an action point, refused with ``ActionConflict`` if it changed since the form
    showed ``based_on_revision`` (another tab, another person)."""
    if action.revision != based_on_revision:
        raise ActionConflict()
    _apply(action, action.conversation, data)
    try:
        db.session.flush()
    except StaleDataError:
        raise ActionConflict() from None
    return action


def set_status(action: ActionPoint, status: ActionStatus) -> None:
    _set_status(action, status)
    db.session.flush()


def move_action(action: ActionPoint, direction: str) -> None:
    """Swap the action with its neighbour above ("up") or below ("down")."""
    if direction not in ("up", "down"):
        raise InvalidChoice(f"unknown direction {direction!r}")
    siblings = list(
        db.session.scalars(
            select(ActionPoint)
            .where(ActionPoint.conversation_id == action.conversation_id)
            .order_by(ActionPoint.position, ActionPoint.id)
        )
    )
    index = siblings.index(action)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
    db.session.flush()


def delete_action(action: ActionPoint) -> None:
    db.session.delete(action)
    db.session.flush()
