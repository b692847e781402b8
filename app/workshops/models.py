"""A live workshop on a conversation: a room joins on their phones with a short code.

Participants have no account. Each holds a signed, per-workshop token in a cookie; only a hash
of it is stored, with an optional first name and nothing else (no address, no user agent).
Everything a participant sends is keyed on their row here, so a reload or a double tap never
counts twice, and all of it belongs to the conversation's region and follows its access rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..conversations.models import Conversation
from ..core.models import LabelledEnum, UtcDateTime, enum_column, utcnow
from ..extensions import db

#: Join codes use no characters that look alike (0/O, 1/I/l, 2/Z, 5/S, 8/B).
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6
CONTRIBUTION_MAX_CHARACTERS = 280
FIRST_NAME_MAX_CHARACTERS = 40


class ContributionKind(LabelledEnum):
    IDEA = ("idee", "Idee")
    OBSTACLE = ("obstakel", "Obstakel")
    PROPOSAL = ("voorstel", "Voorstel")
    #: Written by the facilitator on the control page: a draft action point the room votes on.
    DRAFT_ACTION = ("actievoorstel", "Voorstel voor een actiepunt")

    @classmethod
    def for_participants(cls) -> list[ContributionKind]:
        return [cls.IDEA, cls.OBSTACLE, cls.PROPOSAL]


class Workshop(db.Model):
    """Belongs to its conversation and, through it, to the conversation's region: when the
    conversation moves to another region, its workshops go with it."""

    __table_args__ = (Index("ix_workshop_conversation", "conversation_id", "created_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    join_code: Mapped[str] = mapped_column(String(JOIN_CODE_LENGTH), unique=True)
    #: Contributions carry the participant's first name only when this is off.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Dots each participant may spend per question, and at most per contribution.
    dots_per_participant: Mapped[int] = mapped_column(Integer, default=3)
    dots_per_item: Mapped[int] = mapped_column(Integer, default=1)
    participant_cap: Mapped[int] = mapped_column(Integer, default=300)
    #: Participants now: a seat is taken on joining and given back when the facilitator
    #: removes the participant.
    participant_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Everyone who ever joined (removed ones included): the next participant's number.
    joined_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    joining_open: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The question the projector shows and phones show first.
    current_question_id: Mapped[str | None] = mapped_column(String(80))
    results_visible: Mapped[bool] = mapped_column(Boolean, default=False)
    timer_ends_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: Goes up with every change, a vote included: what the projector and control page poll.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: Goes up only with what phones show (questions, contributions, settings), so a room
    #: voting does not make every phone reload.
    room_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: Goes up with every contribution of a participant. Phones fetch those at most every 15
    #: seconds, so a room writing at once does not make 300 phones reload every 2 seconds.
    contribution_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    opened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: Random token of the opening form; a double submit finds the workshop it already made.
    creation_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())

    conversation: Mapped[Conversation] = relationship()
    questions: Mapped[list[WorkshopQuestion]] = relationship(
        order_by="WorkshopQuestion.position", cascade="all, delete-orphan"
    )

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.closed_dt is None and self.expires_dt > now

    def admits(self, now: datetime | None = None) -> bool:
        return self.joining_open and self.is_open(now)


class WorkshopQuestion(db.Model):
    """A chosen question of the conversation as the workshop handles it: open or not."""

    __tablename__ = "workshop_question"

    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WorkshopParticipant(db.Model):
    __tablename__ = "workshop_participant"
    __table_args__ = (
        UniqueConstraint("workshop_id", "number", name="uq_workshop_participant_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, 3 … in the order of joining: how the raw export tells participants apart.
    number: Mapped[int] = mapped_column(Integer)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(FIRST_NAME_MAX_CHARACTERS), default="")
    joined_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    #: When the phone last asked for news, written at most every half minute.
    last_seen_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    #: Set when the facilitator removed the participant: their token no longer works (not even
    #: to join again), their contributions are hidden and their dots and choices no longer
    #: count. Nothing is deleted, so letting them back in restores it all.
    removed_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def is_removed(self) -> bool:
        return self.removed_dt is not None


class RoomAssessment(db.Model):
    """Where one participant places the collaboration on the plate's scale for a question."""

    __tablename__ = "room_assessment"
    __table_args__ = (Index("ix_room_assessment_question", "workshop_id", "question_id"),)

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_participant.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    assessment_id: Mapped[str] = mapped_column(String(80))
    chosen_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Contribution(db.Model):
    """An idea, obstacle or proposal from the room, or a draft action point of the facilitator."""

    __table_args__ = (
        Index("ix_contribution_question", "workshop_id", "question_id"),
        UniqueConstraint("workshop_id", "creation_token", name="uq_contribution_creation_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(80))
    #: None for what the facilitator wrote.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_participant.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ContributionKind] = mapped_column(enum_column(ContributionKind))
    text: Mapped[str] = mapped_column(String(CONTRIBUTION_MAX_CHARACTERS))
    #: The participant's first name when the workshop was not anonymous at the time of
    #: writing, else "". Kept as written; what views show follows the workshop's setting now
    #: (``queries.contributions``).
    author_name: Mapped[str] = mapped_column(String(FIRST_NAME_MAX_CHARACTERS), default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set when the facilitator merged this duplicate into another contribution.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL")
    )
    #: The action point the facilitator made of it.
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_point.id", ondelete="SET NULL")
    )
    creation_token: Mapped[str | None] = mapped_column(String(64))
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Dot(db.Model):
    """One dot a participant spent on a contribution.

    ``slot`` (1 … dots per participant, per question) and ``item_slot`` (1 … dots per item)
    are unique per participant, so the database itself refuses a dot too many, even when two
    taps arrive at the same moment.
    """

    __table_args__ = (
        UniqueConstraint("participant_id", "question_id", "slot", name="uq_dot_slot"),
        UniqueConstraint("participant_id", "contribution_id", "item_slot", name="uq_dot_item_slot"),
        Index("ix_dot_contribution", "contribution_id"),
        Index("ix_dot_workshop_question", "workshop_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(80))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_participant.id", ondelete="CASCADE")
    )
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contribution.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    item_slot: Mapped[int] = mapped_column(Integer)
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
