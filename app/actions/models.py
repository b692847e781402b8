from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..conversations.models import Conversation
from ..core.formatting import local_today
from ..core.models import LabelledEnum, TimestampMixin, UtcDateTime, enum_column, utcnow
from ..extensions import db


class ActionStatus(LabelledEnum):
    OPEN = ("open", "Open")
    IN_PROGRESS = ("bezig", "Bezig")
    DONE = ("afgerond", "Afgerond")
    CANCELLED = ("vervallen", "Vervallen")
    #: Beyond done: what worked is embedded in a budget, contract, covenant or plan (the plate's
    #: last phase, Verankeren). Says where in ``ActionPoint.embedded_in``.
    EMBEDDED = ("verankerd", "Verankerd")

    @property
    def is_closed(self) -> bool:
        return self in (ActionStatus.DONE, ActionStatus.CANCELLED, ActionStatus.EMBEDDED)

    @classmethod
    def open_statuses(cls) -> tuple[ActionStatus, ...]:
        return tuple(status for status in cls if not status.is_closed)


class EmbeddingPlace(LabelledEnum):
    """Where a result is embedded, so that it lasts beyond the project (Verankeren)."""

    BUDGET = ("begroting", "Begroting")
    PROCUREMENT = ("inkoopcontract", "Inkoopcontract")
    COVENANT = ("convenant", "Convenant")
    POLICY_PLAN = ("beleidsplan", "Beleidsplan")
    QUALITY_AGENDA = ("kwaliteitsagenda", "Kwaliteitsagenda van de mbo-instelling")
    REGIONAL_AGREEMENT = ("regionale-afspraak", "Regionale afspraak")
    OTHER = ("anders", "Anders")


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
        # The region-wide list filters on these (app/tracking/queries.py).
        Index("ix_action_point_region_status_due", "region_id", "status", "due_date"),
        Index("ix_action_point_owner_user", "owner_user_id", "status"),
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
    closed_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: The trekker's account, when the trekker has one ("Mijn acties", reminders, calendar).
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: For ``ActionStatus.EMBEDDED``: where, and a reference or link (a budget line, a contract
    #: number, the URL of a covenant).
    embedded_in: Mapped[EmbeddingPlace | None] = mapped_column(enum_column(EmbeddingPlace))
    embedded_reference: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: The conversation where the action was first agreed, when it was carried over to a
    #: later round (``app/rounds/``); None while it is still in that conversation.
    origin_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL")
    )
    #: When the latest progress update was added; setting it raises ``revision``, so two
    #: people updating the same action at once cannot both succeed.
    last_update_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: Random token of the add form; a double submit finds the action it already made.
    creation_token: Mapped[str | None] = mapped_column(String(64))
    #: Goes up with every change of content or status (not with a move on the list).
    revision: Mapped[int] = mapped_column(Integer, nullable=False)

    conversation: Mapped[Conversation] = relationship(foreign_keys=[conversation_id])

    __mapper_args__ = {"version_id_col": revision}

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_date is not None
            and not self.status.is_closed
            and self.due_date < local_today()
        )


class ActionUpdate(db.Model):
    """A dated progress update on an action point: what happened, and optionally a new status
    and a new value of one of the action's indicators. Never edited: the action's history."""

    __tablename__ = "action_update"
    __table_args__ = (Index("ix_action_update_action", "action_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action_point.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    #: The day the update is about (today unless the author says otherwise).
    written_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    status_before: Mapped[ActionStatus | None] = mapped_column(enum_column(ActionStatus))
    #: None: the status stayed as it was.
    status_after: Mapped[ActionStatus | None] = mapped_column(enum_column(ActionStatus))
    #: A new value of a linked indicator, also stored as an observation of that indicator.
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator.id", ondelete="SET NULL")
    )
    indicator_period: Mapped[str | None] = mapped_column(String(20))
    indicator_category: Mapped[str] = mapped_column(String(200), default="", server_default="")
    indicator_value: Mapped[float | None] = mapped_column(Float)
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: Kept as written, so the history still says who when the account is gone.
    author_name: Mapped[str] = mapped_column(String(120), default="")
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    action: Mapped[ActionPoint] = relationship()
