"""Reading the audit trail: a conversation's or a region's history, newest first.

The routes check who may see the conversation or region before calling these; the events are
then chosen by that one conversation or region id, so another region's rows never come along.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..accounts.access import current_access
from ..conversations.models import Conversation
from ..extensions import db
from .models import AuditEvent

PAGE_SIZE = 100
#: Far beyond any real trail; keeps the OFFSET within every database's integer range.
MAX_PAGE = 100_000


def page_number(value: str | None) -> int:
    """The page asked for in ``?pagina=``: 1 for anything that is not a sensible number."""
    if not value or not value.isdigit() or len(value) > 6:
        return 1
    return min(max(int(value), 1), MAX_PAGE)


@dataclass(frozen=True)
class ConversationRef:
    """The conversation an event is about, as the region's history names it."""

    title: str
    #: The user may open it now (it exists and is in a region where they have a role).
    can_open: bool
    deleted: bool


@dataclass(frozen=True)
class HistoryPage:
    events: list[AuditEvent]
    number: int
    has_older: bool
    #: Per conversation id of the events on this page; filled for the region's history only.
    conversations: dict[int, ConversationRef]

    @property
    def has_newer(self) -> bool:
        return self.number > 1


def _page(statement, number: int) -> tuple[list[AuditEvent], bool]:
    rows = list(
        db.session.scalars(
            statement.order_by(AuditEvent.id.desc())
            .limit(PAGE_SIZE + 1)
            .offset((number - 1) * PAGE_SIZE)
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def conversation_history(conversation_id: int, number: int = 1) -> HistoryPage:
    """Everything recorded about one conversation and what belongs to it."""
    events, has_older = _page(
        select(AuditEvent).where(AuditEvent.conversation_id == conversation_id), number
    )
    return HistoryPage(events, number, has_older, {})


def region_history(region_id: int, number: int = 1) -> HistoryPage:
    """Everything recorded in a region: its conversations (deleted ones too) and members."""
    events, has_older = _page(select(AuditEvent).where(AuditEvent.region_id == region_id), number)
    return HistoryPage(events, number, has_older, _conversation_refs(events))


def _conversation_refs(events: list[AuditEvent]) -> dict[int, ConversationRef]:
    ids = {e.conversation_id for e in events if e.conversation_id is not None}
    if not ids:
        return {}
    access = current_access()
    refs = {
        row.id: ConversationRef(row.title, access.can_see(row.region_id), deleted=False)
        for row in db.session.execute(
            select(Conversation.id, Conversation.title, Conversation.region_id).where(
                Conversation.id.in_(ids)
            )
        )
    }
    gone = ids - refs.keys()
    if gone:
        # A deleted conversation is known by the title its last own event recorded.
        for row in db.session.execute(
            select(AuditEvent.conversation_id, AuditEvent.object_label)
            .where(AuditEvent.conversation_id.in_(gone), AuditEvent.object_type == "conversation")
            .order_by(AuditEvent.id)
        ):
            refs[row.conversation_id] = ConversationRef(row.object_label, False, deleted=True)
        for conversation_id in gone - refs.keys():
            refs[conversation_id] = ConversationRef(f"Gesprek {conversation_id}", False, True)
    return refs


def object_history(
    conversation_id: int, object_type: str, object_id: int, limit: int = 10
) -> tuple[list[AuditEvent], bool]:
    """The latest ``limit`` events of one object of a conversation, and whether there are more."""
    rows = list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.conversation_id == conversation_id,
                AuditEvent.object_type == object_type,
                AuditEvent.object_id == object_id,
            )
            .order_by(AuditEvent.id.desc())
            .limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit
