"""Reads of conversations, always scoped to the regions the user may see.

Who may see what is decided per request (``current_access()``), never in a statement built at
import time: the prebuilt statements below only fetch by id, and every function that returns a
conversation checks its region against the user's roles before it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from ..accounts.access import current_access
from ..accounts.roles import Permission
from ..extensions import db
from ..questionnaires.schema import Phase, Question
from ..regions.models import Region
from ..regions.queries import visible_regions_select
from .models import Answer, Conversation, SelectedQuestion

# The statements every conversation page runs are built once: building a statement costs
# SQLAlchemy about as much as running it. Values go in as bound parameters.
_CONVERSATION = select(Conversation).where(Conversation.id == bindparam("conversation_id"))
#: The conversation's revision and its region's figures' revision: the conversation page shows
#: both (answers and actions; the figures its action points are linked to).
_REVISION = (
    select(
        Conversation.__table__.c.revision,
        Conversation.__table__.c.region_id,
        Region.__table__.c.indicator_revision,
    )
    .join(Region.__table__, Region.__table__.c.id == Conversation.__table__.c.region_id)
    .where(Conversation.id == bindparam("conversation_id"))
)
_CHOSEN_QUESTION_IDS = (
    select(SelectedQuestion.__table__.c.question_id)
    .where(SelectedQuestion.__table__.c.conversation_id == bindparam("conversation_id"))
    .order_by(SelectedQuestion.__table__.c.position)
)
_ANSWERS = select(Answer).where(Answer.conversation_id == bindparam("conversation_id"))
_CHOSEN_WITH_ANSWERS = (
    select(SelectedQuestion.question_id, Answer)
    .outerjoin(
        Answer,
        (Answer.conversation_id == SelectedQuestion.conversation_id)
        & (Answer.question_id == SelectedQuestion.question_id),
    )
    .where(SelectedQuestion.conversation_id == bindparam("conversation_id"))
)


def check_permission(region_id: int, permission: Permission) -> None:
    """404 when the user has no role in the region (they never learn it exists), 403 when
    their role there does not allow ``permission``."""
    access = current_access()
    if not access.can_see(region_id):
        abort(404)
    if not access.allows(permission, region_id):
        abort(403)


def get_conversation_or_404(
    conversation_id: int, permission: Permission = Permission.VIEW
) -> Conversation:
    """The conversation, if the user may see it and do ``permission`` with it.

    Its chosen questions and answers are read with ``chosen_question_ids`` and
    ``question_steps``: a few plain queries cost less than eager-loading collections, and
    every page is read far more often than written.
    """
    conversation = db.session.scalar(_CONVERSATION, {"conversation_id": conversation_id})
    if conversation is None:
        abort(404)
    check_permission(conversation.region_id, permission)
    return conversation


def conversation_revision_or_404(conversation_id: int) -> tuple[int, int]:
    """The conversation's revision and its region's figures' revision, if the user may see
    it: one cheap query."""
    row = db.session.execute(_REVISION, {"conversation_id": conversation_id}).first()
    if row is None:
        abort(404)
    check_permission(row.region_id, Permission.VIEW)
    return row.revision, row.indicator_revision


def chosen_question_ids(conversation: Conversation) -> list[str]:
    """The questions the table chose, in questionnaire order."""
    return list(db.session.scalars(_CHOSEN_QUESTION_IDS, {"conversation_id": conversation.id}))


def answers_by_question(conversation: Conversation) -> dict[str, Answer]:
    answers = db.session.scalars(_ANSWERS, {"conversation_id": conversation.id})
    return {answer.question_id: answer for answer in answers}


def stored_answer(conversation_id: int, question_id: str) -> Answer | None:
    """The answer as it is in the database now, also when this session holds an older copy."""
    return db.session.scalar(
        select(Answer)
        .where(Answer.conversation_id == conversation_id, Answer.question_id == question_id)
        .execution_options(populate_existing=True)
    )


@dataclass(frozen=True)
class ConversationSummary:
    conversation: Conversation
    question_count: int
    answered_count: int
    action_count: int
    open_action_count: int


def conversations_overview(region_id: int | None = None) -> list[ConversationSummary]:
    """The conversations of every region the user sees, or of one of them, newest first."""
    from ..actions.models import ActionPoint, ActionStatus

    query = (
        select(Conversation)
        .where(Conversation.region_id.in_(visible_regions_select()))
        .options(selectinload(Conversation.region))
        .order_by(Conversation.held_on.desc(), Conversation.id.desc())
    )
    if region_id is not None:
        query = query.where(Conversation.region_id == region_id)
    conversations = list(db.session.scalars(query))
    ids = [c.id for c in conversations]
    if not ids:
        return []
    questions = dict(
        db.session.execute(
            select(SelectedQuestion.conversation_id, func.count())
            .where(SelectedQuestion.conversation_id.in_(ids))
            .group_by(SelectedQuestion.conversation_id)
        ).all()
    )
    answered = dict(
        db.session.execute(
            select(Answer.conversation_id, func.count())
            .join(
                SelectedQuestion,
                (SelectedQuestion.conversation_id == Answer.conversation_id)
                & (SelectedQuestion.question_id == Answer.question_id),
            )
            .where(Answer.conversation_id.in_(ids))
            .where((func.length(func.trim(Answer.text)) > 0) | Answer.assessment_id.is_not(None))
            .group_by(Answer.conversation_id)
        ).all()
    )
    actions = {
        row[0]: (row[1], row[2])
        for row in db.session.execute(
            select(
                ActionPoint.conversation_id,
                func.count(),
                func.sum(
                    ActionPoint.status.in_([ActionStatus.OPEN, ActionStatus.IN_PROGRESS]).cast(
                        db.Integer
                    )
                ),
            )
            .where(ActionPoint.conversation_id.in_(ids))
            .group_by(ActionPoint.conversation_id)
        ).all()
    }
    return [
        ConversationSummary(
            c,
            questions.get(c.id, 0),
            answered.get(c.id, 0),
            actions.get(c.id, (0, 0))[0],
            int(actions.get(c.id, (0, 0))[1] or 0),
        )
        for c in conversations
    ]


@dataclass(frozen=True)
class QuestionStep:
    """A chosen question as a step of the conversation, with its place and answer state."""

    number: str  #: "1.2": phase number in the questionnaire, question number in that phase
    phase: Phase
    question: Question
    answer: Answer | None

    @property
    def is_answered(self) -> bool:
        return self.answer is not None and self.answer.is_answered


def question_steps(conversation: Conversation) -> list[QuestionStep]:
    """The chosen questions in order, each with its answer (one query for both)."""
    answers = dict(
        db.session.execute(_CHOSEN_WITH_ANSWERS, {"conversation_id": conversation.id}).all()
    )
    return [
        QuestionStep(number, phase, question, answers[question.id])
        for number, phase, question in conversation.questionnaire.numbered_questions
        if question.id in answers
    ]


@dataclass(frozen=True)
class PhaseProgress:
    """The chosen questions of one phase, and how many of them are answered."""

    phase: Phase
    steps: list[QuestionStep]

    @property
    def chosen(self) -> int:
        return len(self.steps)

    @property
    def answered(self) -> int:
        return sum(step.is_answered for step in self.steps)


def phase_progress(steps: list[QuestionStep]) -> list[PhaseProgress]:
    by_phase: dict[str, PhaseProgress] = {}
    for step in steps:
        by_phase.setdefault(step.phase.id, PhaseProgress(step.phase, [])).steps.append(step)
    return list(by_phase.values())


def first_open_step(steps: list[QuestionStep]) -> QuestionStep | None:
    """Where to resume: the first chosen question without an answer, else the first question."""
    return next((s for s in steps if not s.is_answered), steps[0] if steps else None)
