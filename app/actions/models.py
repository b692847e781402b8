from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..conversations.models import Conversation
from ..core.models import LabelledEnum, TimestampMixin, enum_column
from ..extensions import db


class ActionStatus(LabelledEnum):
    OPEN = ("open", "Open")
    IN_PROGRESS = ("bezig", "Bezig")
    DONE = ("afgerond", "Afgerond")
    CANCELLED = ("vervallen", "Vervallen")

    @property
    def is_closed(self) -> bool:
        return self in (ActionStatus.DONE, ActionStatus.CANCELLED)


class ActionPriority(LabelledEnum):
    HIGH = ("hoog", "Hoog")
    NORMAL = ("normaal", "Normaal")
    LOW = ("laag", "Laag")


class ActionPoint(TimestampMixin, db.Model):
    __tablename__ = "action_point"
    #: A form token counts within its conversation only: a token copied into another
    #: conversation's form can never collide with this one.
    #: ``sqlite_autoincrement``: SQLite would otherwise give a deleted action point's id to the
    #: next one, and a form left open in an older tab would change the newer action point.
    __table_args__ = (
        UniqueConstraint("conversation_id", "creation_token"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    #: Order on the action list, 1, 2, 3 ... without gaps; the list shows it as the number.
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    #: The question the action came from (a questionnaire question id), if any.
    question_id: Mapped[str | None] = mapped_column(String(80))
    #: The phase the action belongs to; taken from the question, or chosen for a free action.
    phase_id: Mapped[str | None] = mapped_column(String(80))
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    owner_organisation: Mapped[str] = mapped_column(String(160), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus), default=ActionStatus.OPEN
    )
    priority: Mapped[ActionPriority] = mapped_column(
        enum_column(ActionPriority), default=ActionPriority.NORMAL
    )
    closed_dt: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Random token of the add form; a double submit finds the action it already made.
    creation_token: Mapped[str | None] = mapped_column(String(64))
    #: Goes up with every change of content or status (not with a move on the list).
    revision: Mapped[int] = mapped_column(Integer, nullable=False)

    conversation: Mapped[Conversation] = relationship()

    __mapper_args__ = {"version_id_col": revision}
