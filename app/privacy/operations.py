"""Wiping a region's conversations. Operations flush; the route commits once."""

from __future__ import annotations

from ..conversations.models import Conversation
from ..conversations.operations import ConversationGone, delete_conversation
from ..extensions import db
from ..regions.models import Region
from .queries import region_conversation_ids


def delete_region_conversations(region: Region) -> int:
    """Delete every conversation of ``region`` with its participants, answers and action points;
    how many were deleted.

    Each goes through ``delete_conversation``, so each is written to the audit trail. The audit
    trail itself stays. A conversation another request deleted meanwhile is skipped.
    """
    deleted = 0
    for conversation_id in region_conversation_ids(region):
        conversation = db.session.get(Conversation, conversation_id)
        if conversation is None or conversation.region_id != region.id:
            continue
        try:
            delete_conversation(conversation)
        except ConversationGone:
            continue
        deleted += 1
    return deleted
