from __future__ import annotations

from dataclasses import dataclass

from flask import abort, redirect, request, url_for
from sqlalchemy import func, select

from ..accounts.models import Membership, User
from ..conversations.models import Conversation
from ..core.paging import page_count
from ..extensions import db
from .models import ActionPoint


def actions_of(conversation: Conversation, question_id: str | None = None) -> list[ActionPoint]:
    """The conversation's action points in list order; only those of one question if given."""
    query = select(ActionPoint).where(ActionPoint.conversation_id == conversation.id)
    if question_id is not None:
        query = query.where(ActionPoint.question_id == question_id)
    return list(db.session.scalars(query.order_by(ActionPoint.position, ActionPoint.id)))


def actions_page(
    conversation: Conversation, page: int, per_page: int
) -> tuple[list[ActionPoint], int, int]:
    """One page of the conversation's action points in list order, the total, and the page
    actually shown (the last one when ``page`` is beyond it)."""
    total = db.session.scalar(
        select(func.count()).where(ActionPoint.conversation_id == conversation.id)
    )
    page = min(page, page_count(total, per_page))
    actions = db.session.scalars(
        select(ActionPoint)
        .where(ActionPoint.conversation_id == conversation.id)
        .order_by(ActionPoint.position, ActionPoint.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(actions), total, page


def get_action_or_404(conversation: Conversation, action_id: int) -> ActionPoint:
    """The action, only if it belongs to this (already access-checked) conversation."""
    action = db.session.scalar(
        select(ActionPoint).where(
            ActionPoint.id == action_id, ActionPoint.conversation_id == conversation.id
        )
    )
    if action is None:
        _follow_to_later_round(conversation, action_id)
        abort(404)
    return action


def _follow_to_later_round(conversation: Conversation, action_id: int) -> None:
    """A bookmarked link to an action point that moved to a later round of the same region
    leads to it there (a GET only: a form sent to the old place is not applied elsewhere)."""
    if request.method != "GET" or request.endpoint is None:
        return
    moved_to = db.session.scalar(
        select(ActionPoint.conversation_id).where(
            ActionPoint.id == action_id,
            ActionPoint.region_id == conversation.region_id,
            ActionPoint.origin_conversation_id.is_not(None),
        )
    )
    if moved_to is not None:
        arguments = {**request.view_args, "conversation_id": moved_to, **request.args}
        abort(redirect(url_for(request.endpoint, **arguments)))


def carried_on_count(conversation: Conversation) -> int:
    """How many action points agreed in this conversation now live in a later round (moved
    there when it started, open at the time)."""
    return db.session.scalar(
        select(func.count())
        .select_from(ActionPoint)
        .where(
            ActionPoint.region_id == conversation.region_id,
            ActionPoint.origin_conversation_id == conversation.id,
            ActionPoint.conversation_id != conversation.id,
        )
    )


def region_members(region_id: int) -> list[tuple[int, str]]:
    """(user id, name) of the region's members: the accounts a trekker can be linked to."""
    return [
        (row.id, row.name)
        for row in db.session.execute(
            select(User.id, User.name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.region_id == region_id)
            .order_by(User.name, User.id)
        )
    ]


@dataclass(frozen=True)
class ActionCounts:
    total: int
    #: Taken over from an earlier round (``origin_conversation_id`` set).
    carried_over: int


def action_counts(conversation_id: int) -> ActionCounts:
    total, carried = db.session.execute(
        select(
            func.count(),
            func.count(ActionPoint.origin_conversation_id),
        ).where(ActionPoint.conversation_id == conversation_id)
    ).one()
    return ActionCounts(total, carried)
