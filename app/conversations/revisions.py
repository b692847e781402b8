"""Keeping ``Conversation.revision`` up to date, whatever code changes a conversation.

Every flush that adds, changes or deletes a conversation's own row or one of the rows that
belong to it raises that conversation's revision by one, in the same transaction. Pages use it
to reuse what they rendered before; a live view can poll it.

Each region keeps a ``conversations_revision`` that goes up with the revisions of its
conversations, and when a conversation is added to it, deleted or moved away: the pages that
list a region's conversations or action points are keyed on it, so checking that nothing
changed is one small read per region, however many conversations it holds. It is raised once
per transaction, just before the commit, in region order: the region's row is then locked only
for the commit itself, and two transactions never wait for each other's regions crosswise.

A conversation's page also names its rounds (``app/rounds/``): the one it was started from and
the next one. So a flush that adds, renames, moves, re-dates or deletes a conversation raises
the revisions of those neighbours too.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import bindparam, event, inspect, or_, select, update
from sqlalchemy.orm import Session

from ..regions.models import Region
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


_RAISE_REGION_REVISION = (
    update(Region)
    .where(Region.id == bindparam("region_id"))
    .values(conversations_revision=Region.conversations_revision + 1)
    .execution_options(synchronize_session=False)
)
_RAISE_REGION_OF_CONVERSATION = (
    update(Region)
    .where(
        Region.id
        == select(Conversation.region_id)
        .where(Conversation.id == bindparam("conversation_id"))
        .scalar_subquery()
    )
    .values(conversations_revision=Region.conversations_revision + 1)
    .execution_options(synchronize_session=False)
)
#: ``session.info`` keys: what this transaction changed, for the regions' revisions.
_PENDING_CONVERSATIONS = "handvat_pending_region_conversations"
_PENDING_REGIONS = "handvat_pending_regions"

#: What a neighbouring round's page shows of a conversation, or how it finds it.
_SHOWN_TO_NEIGHBOURS = ("title", "held_on", "region", "region_id", "previous_conversation_id")

_RAISE_NEIGHBOUR_REVISIONS = (
    update(Conversation)
    .where(
        or_(
            Conversation.id.in_(bindparam("previous_ids", expanding=True)),
            Conversation.previous_conversation_id.in_(bindparam("ids", expanding=True)),
        )
    )
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


def _regions_of_added_deleted_or_moved(session: Session) -> set[int]:
    """The regions a conversation of this flush is added to, deleted from or moved between
    (read from the objects: a deleted one's row is gone after the flush)."""
    region_ids = set()
    for instance in chain(session.new, session.dirty, session.deleted):
        if isinstance(instance, Conversation):
            history = inspect(instance).attrs.region_id.history
            if instance in session.dirty and not history.has_changes():
                continue
            region_ids.update(i for i in chain(*history) if i is not None)
    return region_ids


def raise_revisions(session: Session, conversation_ids: set[int]) -> None:
    """Raise the revisions; for writes that bypass the ORM's flush (see ``save_answer``)."""
    session.connection().execute(_RAISE_REVISIONS, {"ids": sorted(conversation_ids)})
    session.info.setdefault(_PENDING_CONVERSATIONS, set()).update(conversation_ids)
    _expire_revisions(session, conversation_ids)


def _raise_revisions_after_flush(session: Session, _context) -> None:
    ids = _changed_conversation_ids(session)
    if ids:
        session.connection().execute(_RAISE_REVISIONS, {"ids": sorted(ids)})
        # Objects may not be expired while the flush is still going on.
        session.info.setdefault("handvat_changed_conversations", set()).update(ids)
        session.info.setdefault(_PENDING_CONVERSATIONS, set()).update(ids)
    region_ids = _regions_of_added_deleted_or_moved(session)
    if region_ids:
        session.info.setdefault(_PENDING_REGIONS, set()).update(region_ids)


def _raise_region_revisions_before_commit(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this event: its changes count too
    conversation_ids = session.info.pop(_PENDING_CONVERSATIONS, set())
    region_ids = session.info.pop(_PENDING_REGIONS, set())
    if not conversation_ids and not region_ids:
        return
    if len(conversation_ids) == 1 and not region_ids:  # the usual case: one statement
        session.connection().execute(
            _RAISE_REGION_OF_CONVERSATION, {"conversation_id": next(iter(conversation_ids))}
        )
        return
    if conversation_ids:
        # The regions of the changed conversations, then every region in id order.
        region_ids |= set(
            session.connection().scalars(
                select(Conversation.region_id).where(Conversation.id.in_(sorted(conversation_ids)))
            )
        )
    for region_id in sorted(region_ids):
        session.connection().execute(_RAISE_REGION_REVISION, {"region_id": region_id})


def _forget_pending_after_rollback_event(session: Session, previous_transaction) -> None:
    """After the transaction is rolled back; a savepoint's rollback leaves the rest pending
    (raising a region's revision once too often costs a page rendered again, nothing more)."""
    if previous_transaction.nested:
        return
    session.info.pop(_PENDING_CONVERSATIONS, None)
    session.info.pop(_PENDING_REGIONS, None)


def _expire_raised_revisions_after_flush(session: Session, _context) -> None:
    _expire_revisions(session, session.info.pop("handvat_changed_conversations", ()))


def _expire_revisions(session: Session, conversation_ids) -> None:
    """The objects in memory still hold the old revision; make the next read fetch it."""
    for conversation_id in conversation_ids:
        conversation = session.identity_map.get(session.identity_key(Conversation, conversation_id))
        if conversation is not None:
            session.expire(conversation, ["revision"])


def _raise_neighbour_revisions_before_flush(session: Session, _context, _instances) -> None:
    """Before the flush, while a deleted conversation's next round still points at it."""
    ids, previous_ids = set(), set()
    for instance in chain(session.new, session.dirty, session.deleted):
        if not isinstance(instance, Conversation):
            continue
        state = inspect(instance)
        if instance in session.dirty and not any(
            state.attrs[name].history.has_changes() for name in _SHOWN_TO_NEIGHBOURS
        ):
            continue
        if instance.id is not None:
            ids.add(instance.id)
        history = state.attrs.previous_conversation_id.history
        previous_ids.update(i for i in chain(*history) if i is not None)
    if ids or previous_ids:
        session.connection().execute(
            _RAISE_NEIGHBOUR_REVISIONS, {"ids": sorted(ids), "previous_ids": sorted(previous_ids)}
        )
        for instance in list(session.identity_map.values()):
            # Loaded values only: an expired attribute is read afresh anyway.
            loaded = instance.__dict__
            if (
                isinstance(instance, Conversation)
                and instance not in session.dirty
                and (
                    loaded.get("id") in previous_ids
                    or loaded.get("previous_conversation_id") in ids
                )
            ):
                session.expire(instance, ["revision"])


def track_conversation_revisions() -> None:
    if not event.contains(Session, "before_commit", _raise_region_revisions_before_commit):
        event.listen(Session, "before_commit", _raise_region_revisions_before_commit)
        event.listen(Session, "after_soft_rollback", _forget_pending_after_rollback_event)
    if not event.contains(Session, "before_flush", _raise_neighbour_revisions_before_flush):
        event.listen(Session, "before_flush", _raise_neighbour_revisions_before_flush)
    if not event.contains(Session, "after_flush", _raise_revisions_after_flush):
        event.listen(Session, "after_flush", _raise_revisions_after_flush)
        event.listen(Session, "after_flush_postexec", _expire_raised_revisions_after_flush)
