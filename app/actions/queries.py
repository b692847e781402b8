from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ..conversations.models import Conversation
from ..extensions import db
from .models import ActionPoint


def actions_of(conversation: Conversation, question_id: str | None = None) -> list[ActionPoint]:
    """The conversation's action points in list order; only those of one question if given."""
    query = select(ActionPoint).where(ActionPoint.conversation_id == conversation.id)
    if question_id is not None:
        query = query.where(ActionPoint.question_id == question_id)
    return list(db.session.scalars(query.order_by(ActionPoint.position, ActionPoint.id)))


def get_action_or_404(conversation: Conversation, action_id: int) -> ActionPoint:
    """The action, only if it belongs to this (already access-checked) conversation."""
    action = db.session.scalar(
        select(ActionPoint).where(
            ActionPoint.id == action_id, ActionPoint.conversation_id == conversation.id
        )
    )
    if action is None:
        abort(404)
    return action
