from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import LabelledEnum, TimestampMixin, enum_column
from ..extensions import db
from ..questionnaires.models import QuestionnaireSnapshot, parsed_snapshot
from ..questionnaires.schema import Question, Questionnaire
from ..regions.models import Region


class OrganisationType(LabelledEnum):
    MUNICIPALITY = ("gemeente", "Gemeente")
    MBO_INSTITUTION = ("mbo-instelling", "Mbo-instelling")
    CARE_PROVIDER = ("zorgaanbieder", "Zorgaanbieder")
    HEALTH_INSURER = ("zorgverzekeraar", "Zorgverzekeraar")
    REGIONAL_PURCHASING = ("regionale-inkooporganisatie", "Regionale inkooporganisatie")
    OTHER = ("anders", "Anders")


class Conversation(TimestampMixin, db.Model):
    #: Ids are never reused, on SQLite too (see ``ActionPoint``). Lists page by date.
    __table_args__ = (
        Index("ix_conversation_region_held_on", "region_id", "held_on", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    questionnaire_snapshot_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_snapshot.id"))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    #: The phase the collaboration is in now, as the table judged it (a questionnaire phase id).
    current_phase_id: Mapped[str] = mapped_column(String(80))
    #: Random token of the start form; a double submit finds the conversation it already made.
    creation_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Goes up with every change to the conversation or to its chosen questions, participants,
    #: answers or actions (see ``revisions.py``): a cheap way to know whether anything changed.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: Goes up with every saved change to the details (title, region, date, phase) or the
    #: participants: the edit form is refused as a conflict when it was based on an older one.
    details_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: The round before this one, when it was started from it (``app/rounds/``): a region
    #: holds the conversation again a year later and compares.
    previous_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"), index=True
    )

    region: Mapped[Region] = relationship()
    questionnaire_snapshot: Mapped[QuestionnaireSnapshot] = relationship()
    participants: Mapped[list[Participant]] = relationship(
        back_populates="conversation",
        order_by="Participant.position",
        cascade="all, delete-orphan",
    )
    selected_questions: Mapped[list[SelectedQuestion]] = relationship(
        back_populates="conversation",
        order_by="SelectedQuestion.position",
        cascade="all, delete-orphan",
    )
    answers: Mapped[list[Answer]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan"
    )

    @property
    def questionnaire(self) -> Questionnaire:
        return parsed_snapshot(self.questionnaire_snapshot_id)

    @property
    def current_phase_name(self) -> str:
        phase = self.questionnaire.phases_by_id.get(self.current_phase_id)
        return phase.name if phase else self.current_phase_id


class Participant(db.Model):
    """Someone at the table. Only what the action list needs: name, organisation, role."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(160))
    organisation_type: Mapped[OrganisationType] = mapped_column(enum_column(OrganisationType))
    role: Mapped[str] = mapped_column(String(120), default="")

    conversation: Mapped[Conversation] = relationship(back_populates="participants")


class SelectedQuestion(db.Model):
    """A question the table chose to discuss, in the order of the questionnaire."""

    __tablename__ = "selected_question"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    conversation: Mapped[Conversation] = relationship(back_populates="selected_questions")


class Answer(TimestampMixin, db.Model):
    """The table's answer to one question: free text plus a self-assessment step."""

    __table_args__ = (UniqueConstraint("conversation_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")
    #: An id from the snapshot's assessment scale, or None when not chosen.
    assessment_id: Mapped[str | None] = mapped_column(String(80))
    #: Increases with every save; a form based on an older revision is a concurrent edit.
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    #: How a workshop's room placed the collaboration on the scale, stored when the table's
    #: answer was written from the workshop (``app/workshops``): ``{"participants": 12,
    #: "counts": {step id: count, ...}, "workshop": id, "recorded_on": "2026-11-23"}``.
    room_spread: Mapped[dict | None] = mapped_column(JSON)

    conversation: Mapped[Conversation] = relationship(back_populates="answers")

    __mapper_args__ = {"version_id_col": revision}

    @property
    def is_answered(self) -> bool:
        return bool(self.text.strip()) or self.assessment_id is not None

    def question(self) -> Question:
        return self.conversation.questionnaire.questions_by_id[self.question_id]
