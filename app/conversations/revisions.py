"""Keeping ``Conversation.revision`` up to date, whatever code changes a conversation.

Every flush that adds, changes or deletes a conversation's own row or one of the rows that
belong to it raises that conversation's revision by one, in the same transaction. Pages use it
to reuse what they rendered before; a live view can poll it.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import bindparam, event, update
from sqlalchemy.orm import Session

from .models import Conversation

#: Row types that belong to a conversation, besides the conversation itself: anything with a
#: ``conversation_id``. Listing them keeps the rule visible.
_BELONGS_TO_CONVERSATION = frozenset({"Answer", "ActionPoint", "Participant", "SelectedQuestion"})

_RAISE_REVISIONS = (
    update(Conversation)
    .where(Conversation.id.in_(bindparam("ids", expanding=True)))
    .values(revision=Conversation.revision + 1)
    .execution_options(synchronize_session=False)
)


def _changed_conversation_ids(session: Session) -> set[int]:
    ids, new_ids = set(), set()
    for instance in chain(session.new, session.dirty, session.deleted):
        if isinstance(instance, Conversation):
            (new_ids if instance in session.new else ids).add(instance.id)
        elif type(instance).__name__ in _BELONGS_TO_CONVERSATION:
            ids.add(instance.conversation_id)
    # A conversation made in this flush starts at revision 1, whatever came with it.
    return ids - new_ids - {None}


def raise_revisions(session: Session, conversation_ids: set[int]) -> None:
    """Raise the revisions; for writes that bypass the ORM's flush (see ``save_answer``)."""
    session.connection().execute(_RAISE_REVISIONS, {"ids": sorted(conversation_ids)})
    _expire_revisions(session, conversation_ids)


def _raise_revisions_after_flush(session: Session, _context) -> None:
    ids = _changed_conversation_ids(session)
    if ids:
        session.connection().execute(_RAISE_REVISIONS, {"ids": sorted(ids)})
        # Objects may not be expired while the flush is still going on.
        session.info.setdefault("handvat_changed_conversations", set()).update(ids)


def _expire_raised_revisions_after_flush(session: Session, _context) -> None:
    _expire_revisions(session, session.info.pop("handvat_changed_conversations", ()))


def _expire_revisions(session: Session, conversation_ids) -> None:
    """The objects in memory still hold the old revision; make the next read fetch it."""
    for conversation_id in conversation_ids:
        conversation = session.identity_map.get(session.identity_key(Conversation, conversation_id))
        if conversation is not None:
            session.expire(conversation, ["revision"])


def track_conversation_revisions() -> None:
    if not event.contains(Session, "after_flush", _raise_revisions_after_flush):
        event.listen(Session, "after_flush", _raise_revisions_after_flush)
        event.listen(Session, "after_flush_postexec", _expire_raised_revisions_after_flush)
