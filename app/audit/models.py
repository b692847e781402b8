from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import LabelledEnum, UtcDateTime, enum_column, utcnow
from ..extensions import db


class AuditAction(LabelledEnum):
    CREATED = ("created", "aangemaakt")
    CHANGED = ("changed", "gewijzigd")
    DELETED = ("deleted", "verwijderd")


class AuditEvent(db.Model):
    """One change, written in the same transaction as the change itself.

    Kept when its object changes or is deleted: the conversation and region are plain numbers,
    not foreign keys, and the actor's name is copied, so the trail outlives them all. Never
    updated or deleted by the application (see ``refuse_changes`` below).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_conversation", "conversation_id", "id"),
        Index("ix_audit_event_region", "region_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    #: Who it was, as shown then: "Anna de Vries" or "opdrachtregel" for a command.
    actor_name: Mapped[str] = mapped_column(String(120))
    region_id: Mapped[int | None] = mapped_column(Integer)
    conversation_id: Mapped[int | None] = mapped_column(Integer)
    #: conversation, participants, questions, answer, action_point, membership
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    #: How the object is called for people: "vraag 1.2", "actiepunt 3", "Anna (Lid)".
    object_label: Mapped[str] = mapped_column(String(300), default="")
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    #: [{"field": "Status", "before": "Open", "after": "Afgerond"}, ...]
    changes: Mapped[list] = mapped_column(JSON, default=list)


class AuditTrailIsReadOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def refuse_changes(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditTrailIsReadOnly(f"Audit event {target.id} cannot be changed or deleted.")
