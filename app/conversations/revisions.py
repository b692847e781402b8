"""Keeping ``Conversation.revision`` up to date, whatever code changes a conversation.

Every flush that adds, changes or deletes a conversation's own row or one of the rows that
belong to it raises that conversation's revision by one, in the same transaction. Pages use it
to reuse what they rendered before; a live view can poll it.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

from .models import Conversation

#: Row types that belong to a conversation, besides the conversation itself. Anything with a
#: ``conversation_id`` column counts; listing them keeps the rule visible.
_BELONGS_TO_CONVERSATION = ("Answer", "ActionPoint", "Participant", "SelectedQuestion")


def _conversation_of(session: Session, instance) -> Conversation | None:
    if isinstance(instance, Conversation):
        return instance
    if type(instance).__name__ not in _BELONGS_TO_CONVERSATION:
        return None
    conversation = instance.__dict__.get("conversation")
    if conversation is None and instance.conversation_id is not None:
        conversation = session.get(Conversation, instance.conversation_id)
    return conversation


def _bump_revisions(session: Session, _context, _instances) -> None:
    touched: dict[int, Conversation] = {}
    for instance in chain(session.new, session.dirty, session.deleted):
        if instance in session.dirty and not session.is_modified(instance):
            continue
        conversation = _conversation_of(session, instance)
        if conversation is None or conversation in session.new:
            continue  # a new conversation starts at revision 1
        touched[id(conversation)] = conversation
    for conversation in touched.values():
        # An SQL expression, so two requests that change one conversation both count.
        conversation.revision = Conversation.revision + 1


def track_conversation_revisions() -> None:
    if not event.contains(Session, "before_flush", _bump_revisions):
        event.listen(Session, "before_flush", _bump_revisions)
