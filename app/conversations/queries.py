"""Reads of conversations, always scoped to the regions the user may see.

Who may see what is decided per request (``current_access()``), never in a statement built at
import time: the prebuilt statements below only fetch by id (of a conversation, or of a region
for its lists), and every function that returns a conversation checks its region against the
user's roles before it does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask import abort
from sqlalchemy import bindparam, func, select, true

from ..accounts.access import current_access
from ..accounts.models import Membership
from ..accounts.roles import Permission
from ..core.database import json_rows, read_rows
from ..core.paging import page_count
from ..extensions import db
from ..questionnaires.models import parsed_snapshot
from ..questionnaires.schema import Phase, Question, Questionnaire
from ..regions.models import Region
from .models import Answer, Conversation, OrganisationType, Participant, SelectedQuestion

# The statements every conversation page runs are built once: building a statement costs
# SQLAlchemy about as much as running it. Values go in as bound parameters.
_CONVERSATION = select(Conversation).where(Conversation.id == bindparam("conversation_id"))
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


@cache
def _conversation_with_chosen(dialect: str):
    """The conversation (as an ORM object) and its chosen questions as one JSON text of
    ``[position, question id]`` pairs, in one statement."""
    selected = SelectedQuestion.__table__.c
    chosen = (
        select(json_rows(dialect, selected.position, selected.question_id))
        .where(selected.conversation_id == Conversation.id)
        .scalar_subquery()
    )
    return select(Conversation, chosen).where(Conversation.id == bindparam("conversation_id"))


def conversation_with_chosen_or_404(
    conversation_id: int, permission: Permission
) -> tuple[Conversation, list[str]]:
    """``get_conversation_or_404`` and ``chosen_question_ids`` in one statement, for saving an
    answer (which needs both, and is what a table does most)."""
    dialect = db.session.get_bind().dialect.name
    row = db.session.execute(
        _conversation_with_chosen(dialect), {"conversation_id": conversation_id}
    ).first()
    if row is None:
        abort(404)
    conversation, chosen = row
    check_permission(conversation.region_id, permission)
    return conversation, [question_id for _, question_id in sorted(json.loads(chosen))]


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


# --- what the conversation page and the question page read ---------------------------------------
#
# These two pages are read far more often than anything is written, and both are rendered anew
# after every change (the question page always). They read plain values with prebuilt Core
# statements on the session's connection (``read_rows``): no ORM objects to build, and none of the
# ORM's per-statement work, which cost more than the statements themselves. Writes and every
# other page keep using the ORM objects above.


@dataclass(slots=True)
class RegionView:
    """The region of a conversation, as its pages name and link it."""

    id: int
    name: str
    slug: str
    #: ``Region.indicator_revision``: the revision of the region's figures.
    indicator_revision: int


@dataclass(slots=True)
class ConversationView:
    """A conversation as its pages show it: its own columns (but its timestamps and creation
    token) and its region, read in one statement, without an ORM object. For reading only;
    writes load the ``Conversation``.

    It has the attribute names of ``Conversation``, so templates and template globals that
    read a conversation (``round_links``, ``question_figures``) take either.
    """

    id: int
    region_id: int
    questionnaire_snapshot_id: int
    title: str
    held_on: date
    current_phase_id: str
    revision: int
    details_revision: int
    previous_conversation_id: int | None
    region: RegionView

    @property
    def questionnaire(self) -> Questionnaire:
        return parsed_snapshot(self.questionnaire_snapshot_id)

    @property
    def current_phase_name(self) -> str:
        phase = self.questionnaire.phases_by_id.get(self.current_phase_id)
        return phase.name if phase else self.current_phase_id


_conversation = Conversation.__table__.c
_region = Region.__table__.c
#: The columns of a ``ConversationView``, in the order of its fields ...
_VIEW_COLUMNS = (
    _conversation.id,
    _conversation.region_id,
    _conversation.questionnaire_snapshot_id,
    _conversation.title,
    _conversation.held_on,
    _conversation.current_phase_id,
    _conversation.revision,
    _conversation.details_revision,
    _conversation.previous_conversation_id,
)
#: ... and of its region.
_REGION_COLUMNS = (_region.name, _region.slug, _region.indicator_revision)
_CONVERSATION_VIEW = (
    select(*_VIEW_COLUMNS, *_REGION_COLUMNS)
    .join(Region.__table__, _region.id == _conversation.region_id)
    .where(_conversation.id == bindparam("conversation_id"))
)


def _view_of(row) -> ConversationView:
    """A ``ConversationView`` from a row that starts with ``_VIEW_COLUMNS`` and
    ``_REGION_COLUMNS``."""
    own = row[: len(_VIEW_COLUMNS)]
    name, slug, indicator_revision = row[len(_VIEW_COLUMNS) : len(_VIEW_COLUMNS) + 3]
    return ConversationView(*own, RegionView(row.region_id, name, slug, indicator_revision))


def conversation_view_or_404(
    conversation_id: int, permission: Permission = Permission.VIEW
) -> ConversationView:
    """The conversation with its region, if the user may see it and do ``permission`` with
    it (404 / 403 as ``get_conversation_or_404``); one statement."""
    row = read_rows(_CONVERSATION_VIEW, conversation_id=conversation_id).first()
    if row is None:
        abort(404)
    check_permission(row.region_id, permission)
    return _view_of(row)


# --- lists of conversations: the home page and the region's page --------------------------------


@dataclass(frozen=True)
class ConversationSummary:
    conversation: ConversationView
    question_count: int
    answered_count: int
    action_count: int
    open_action_count: int


#: The home page shows this many of each region's newest conversations; the region's page
#: pages through all of them.
LATEST_PER_REGION = 5
CONVERSATIONS_PER_PAGE = 25


@dataclass(frozen=True)
class RegionConversations:
    """A region's newest conversations on the home page, and how many it has in all."""

    latest: list[ConversationSummary]
    total: int


def _with_counts(listed):
    """The conversations of the subquery ``listed`` (``_VIEW_COLUMNS``) with their region and,
    each by a correlated count on the conversation's indexed id, the chosen questions, the
    answered ones, the action points and the open ones: one statement for a whole list,
    whatever its length, and no parameter per row."""
    from ..actions.models import ActionPoint, ActionStatus

    action = ActionPoint.__table__.c
    selected, answer = SelectedQuestion.__table__.c, Answer.__table__.c
    questions = select(func.count()).where(selected.conversation_id == listed.c.id)
    answered = (
        select(func.count())
        .select_from(Answer.__table__)
        .join(
            SelectedQuestion.__table__,
            (selected.conversation_id == answer.conversation_id)
            & (selected.question_id == answer.question_id),
        )
        .where(answer.conversation_id == listed.c.id)
        .where((func.length(func.trim(answer.text)) > 0) | answer.assessment_id.is_not(None))
    )
    actions = select(func.count()).where(action.conversation_id == listed.c.id)
    # The statuses are written into the statement: bound parameters only for what varies.
    open_statuses = bindparam(
        "open_statuses", list(ActionStatus.open_statuses()), expanding=True, literal_execute=True
    )
    open_actions = actions.where(action.status.in_(open_statuses))
    return select(
        *(listed.c[column.key] for column in _VIEW_COLUMNS),
        *_REGION_COLUMNS,
        questions.scalar_subquery(),
        answered.scalar_subquery(),
        actions.scalar_subquery(),
        open_actions.scalar_subquery(),
    ).join(Region.__table__, _region.id == listed.c.region_id)


def _summaries(rows) -> list[ConversationSummary]:
    counts = len(_VIEW_COLUMNS) + len(_REGION_COLUMNS)
    return [ConversationSummary(_view_of(row), *row[counts : counts + 4]) for row in rows]


#: The regions of the signed-in user: the same memberships ``current_access()`` read with the
#: session, as a subquery, so that no statement carries a parameter per region.
_USER_REGIONS = select(Membership.__table__.c.region_id).where(
    Membership.__table__.c.user_id == bindparam("user_id")
)


@cache
def _newest_per_region(dialect: str, per_region: int):
    """The newest ``per_region`` conversations of each of the user's regions, with their
    counts; built once per database dialect."""
    listed = _newest_listed(dialect, per_region)
    return _with_counts(listed).order_by(
        listed.c.region_id, listed.c.held_on.desc(), listed.c.id.desc()
    )


def _newest_listed(dialect: str, per_region: int):
    """The newest ``per_region`` conversations of each of the user's regions, as a subquery.

    Per region, ``ORDER BY date, id DESC LIMIT`` on the index on (region, date, id) reads just
    those rows, so the cost does not grow with the number of conversations (a window function
    over all of them ranked every conversation of every region). PostgreSQL takes that per
    region as a ``LATERAL`` join; SQLite has no ``LATERAL`` but runs the same correlated
    subquery per region when it is written as ``id IN (...)``, which PostgreSQL in turn would
    evaluate for every conversation.
    """
    newest = Conversation.__table__.alias("newest")
    ordered = (newest.c.held_on.desc(), newest.c.id.desc())
    region = Region.__table__
    if dialect == "postgresql":
        top = (
            select(*(newest.c[column.key] for column in _VIEW_COLUMNS))
            .where(newest.c.region_id == region.c.id)
            .order_by(*ordered)
            .limit(per_region)
            .lateral()
        )
        listed = select(top).select_from(region).join(top, true())
    else:
        top_ids = (
            select(newest.c.id)
            .where(newest.c.region_id == region.c.id)
            .order_by(*ordered)
            .limit(per_region)
            .scalar_subquery()
        )
        listed = (
            select(*_VIEW_COLUMNS)
            .select_from(region)
            .join(Conversation.__table__, _conversation.id.in_(top_ids))
        )
    return listed.where(region.c.id.in_(_USER_REGIONS)).subquery()


_TOTALS_BY_REGION = (
    select(_conversation.region_id, func.count())
    .where(_conversation.region_id.in_(_USER_REGIONS))
    .group_by(_conversation.region_id)
    .order_by(_conversation.region_id)
)


def region_totals() -> tuple[tuple[int, int], ...]:
    """(region id, number of conversations) for every region of the user that has any. One
    statement, answered from the index on the region."""
    person = current_access().person
    if person is None:
        return ()
    return tuple(tuple(row) for row in read_rows(_TOTALS_BY_REGION, user_id=person.id))


def latest_conversations_by_region(
    per_region: int = LATEST_PER_REGION,
    totals: tuple[tuple[int, int], ...] | None = None,
) -> dict[int, RegionConversations]:
    """region id -> its newest conversations, for every region the user sees. Two
    statements, however many conversations and regions there are: how many each region has
    (``region_totals``, unless given), and the newest of each with their counts."""
    person = current_access().person
    if person is None:
        return {}
    if totals is None:
        totals = region_totals()
    totals = dict(totals)
    dialect = db.session.connection().dialect.name
    newest = read_rows(_newest_per_region(dialect, per_region), user_id=person.id)
    result: dict[int, list[ConversationSummary]] = {}
    for summary in _summaries(newest):
        result.setdefault(summary.conversation.region_id, []).append(summary)
    return {
        region_id: RegionConversations(result.get(region_id, []), total)
        for region_id, total in totals.items()
    }


_REGION_TOTAL = select(func.count()).where(_conversation.region_id == bindparam("region_id"))


@cache
def _region_page():
    """One page of a region's conversations with their counts (built on first use: the
    counts need the actions feature's model, which builds on this one)."""
    listed = (
        select(*_VIEW_COLUMNS)
        .where(_conversation.region_id == bindparam("region_id"))
        .order_by(_conversation.held_on.desc(), _conversation.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    return _with_counts(listed).order_by(listed.c.held_on.desc(), listed.c.id.desc())


def region_conversations_page(
    region_id: int, page: int, per_page: int = CONVERSATIONS_PER_PAGE
) -> tuple[list[ConversationSummary], int, int]:
    """One page of a (visible) region's conversations, newest first; the total and the page
    actually shown (the last one when ``page`` is beyond it). Two statements."""
    if not current_access().can_see(region_id):
        return [], 0, min(page, page_count(0, per_page))
    total = read_rows(_REGION_TOTAL, region_id=region_id).scalar()
    page = min(page, page_count(total, per_page))
    rows = read_rows(
        _region_page(), region_id=region_id, limit=per_page, offset=(page - 1) * per_page
    )
    return _summaries(rows), total, page


@dataclass(frozen=True)
class QuestionStep:
    """A chosen question as a step of the conversation, with its place and answer state."""

    number: str  #: "1.2": phase number in the questionnaire, question number in that phase
    phase: Phase
    question: Question
    #: The stored answer: an ``Answer`` from ``question_steps``, an ``AnswerView`` from
    #: ``page_steps``; None when the question has no answer yet.
    answer: Answer | AnswerView | None

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


@dataclass(slots=True)
class AnswerView:
    """A stored answer as the pages show it (``Answer`` without the ORM object)."""

    text: str
    assessment_id: str | None
    revision: int
    #: The room's spread from a workshop, as stored (``Answer.room_spread``).
    room_spread: dict | None

    @property
    def is_answered(self) -> bool:
        return bool(self.text.strip()) or self.assessment_id is not None


_selected = SelectedQuestion.__table__.c
_answer = Answer.__table__.c
_STEP_ROWS = (
    select(
        _selected.question_id,
        _answer.id,
        _answer.text,
        _answer.assessment_id,
        _answer.revision,
        _answer.room_spread,
    )
    .select_from(SelectedQuestion.__table__)
    .outerjoin(
        Answer.__table__,
        (_answer.conversation_id == _selected.conversation_id)
        & (_answer.question_id == _selected.question_id),
    )
    .where(_selected.conversation_id == bindparam("conversation_id"))
)


def page_steps(conversation: ConversationView | Conversation) -> list[QuestionStep]:
    """``question_steps`` for the pages: the chosen questions in order, each with its answer
    as an ``AnswerView``; one statement."""
    return _steps_of(conversation, read_rows(_STEP_ROWS, conversation_id=conversation.id))


def _steps_of(conversation, rows) -> list[QuestionStep]:
    """The steps from rows that end with the columns of ``_STEP_ROWS``."""
    width = len(_STEP_ROWS.selected_columns)
    answers = {
        question_id: None if answer_id is None else AnswerView(*answer)
        for question_id, answer_id, *answer in (row[-width:] for row in rows)
    }
    answers.pop(None, None)  # the row of a conversation without chosen questions
    return [
        QuestionStep(number, phase, question, answers[question.id])
        for number, phase, question in conversation.questionnaire.numbered_questions
        if question.id in answers
    ]


#: The conversation with its region, and its chosen questions with their answers: one row
#: per chosen question (one without, when none are chosen).
_CONVERSATION_WITH_STEPS = (
    select(*_VIEW_COLUMNS, *_REGION_COLUMNS, *_STEP_ROWS.selected_columns)
    .join(Region.__table__, _region.id == _conversation.region_id)
    .outerjoin(SelectedQuestion.__table__, _selected.conversation_id == _conversation.id)
    .outerjoin(
        Answer.__table__,
        (_answer.conversation_id == _selected.conversation_id)
        & (_answer.question_id == _selected.question_id),
    )
    .where(_conversation.id == bindparam("conversation_id"))
)


def conversation_with_steps_or_404(
    conversation_id: int, permission: Permission = Permission.VIEW
) -> tuple[ConversationView, list[QuestionStep]]:
    """``conversation_view_or_404`` and ``page_steps`` in one statement, for the question page
    (which is rendered on every view)."""
    rows = read_rows(_CONVERSATION_WITH_STEPS, conversation_id=conversation_id).all()
    if not rows:
        abort(404)
    check_permission(rows[0].region_id, permission)
    conversation = _view_of(rows[0])
    return conversation, _steps_of(conversation, rows)


@dataclass(slots=True)
class ParticipantView:
    name: str
    organisation: str
    organisation_type: OrganisationType
    role: str


_participant = Participant.__table__.c
_PARTICIPANT_ROWS = (
    select(_participant.name, _participant.organisation, _participant.organisation_type,
           _participant.role)
    .where(_participant.conversation_id == bindparam("conversation_id"))
    .order_by(_participant.position)
)  # fmt: skip


def page_participants(conversation: ConversationView) -> list[ParticipantView]:
    """The people at the table, in their order (``Conversation.participants``)."""
    return [
        ParticipantView(*row)
        for row in read_rows(_PARTICIPANT_ROWS, conversation_id=conversation.id)
    ]


@dataclass(slots=True)
class ActionView:
    """An action point as the conversation and question pages list it."""

    id: int
    conversation_id: int
    position: int
    description: str
    question_id: str | None
    owner_name: str
    status: object  #: ``ActionStatus`` (the actions feature builds on this one)


@cache
def _action_rows_statements():
    """The action points of a conversation, and of one of its questions, in list order.

    Built on first use: the actions feature builds on conversations, so its model cannot be
    imported when this module is."""
    from ..actions.models import ActionPoint

    a = ActionPoint.__table__.c
    of_conversation = (
        select(a.id, a.conversation_id, a.position, a.description, a.question_id,
               a.owner_name, a.status)
        .where(a.conversation_id == bindparam("conversation_id"))
        .order_by(a.position, a.id)
    )  # fmt: skip
    return of_conversation, of_conversation.where(a.question_id == bindparam("question_id"))


def page_actions(
    conversation: ConversationView, question_id: str | None = None
) -> list[ActionView]:
    """``actions_of`` for the pages: the action points in list order, only those of one
    question if given, as ``ActionView``; one statement."""
    of_conversation, of_question = _action_rows_statements()
    if question_id is None:
        rows = read_rows(of_conversation, conversation_id=conversation.id)
    else:
        rows = read_rows(of_question, conversation_id=conversation.id, question_id=question_id)
    return [ActionView(*row) for row in rows]
