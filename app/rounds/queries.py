"""Reads for rounds: the chain of rounds, their comparison, the agenda of the next meeting.

The routes check access first (``get_conversation_or_404``, ``get_region_or_404``); everything
here then reads by that one conversation or region. Every function runs a fixed number of
queries, whatever the number of rounds, questions or action points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam, case, func, literal, or_, select

from ..accounts.access import current_access
from ..accounts.roles import Permission
from ..actions.models import ActionPoint, ActionStatus
from ..actions.progress import latest_updates
from ..conversations.models import Answer, Conversation, SelectedQuestion
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.models import parsed_snapshot
from ..questionnaires.registry import current_questionnaire
from ..questionnaires.schema import Questionnaire
from ..regions.models import Region
from .document import (
    BETTER,
    NO_OWNER,
    NO_PHASE,
    NOT_ANSWERED,
    NOT_CHOSEN,
    SAME,
    WORSE,
    AgendaAction,
    AgendaDocument,
    AgendaOwner,
    AgendaPhase,
    ComparisonDocument,
    PhaseComparison,
    PhaseSummary,
    QuestionComparison,
    RoundColumn,
    StepCell,
)
from .operations import MAX_ROUNDS

#: Descendants read at most: far more than a region starts from one conversation.
_MAX_DESCENDANTS = 200

_C = Conversation.__table__


# --- the chain of rounds --------------------------------------------------------------------------


def _ancestors(conversation: Conversation) -> list[Conversation]:
    """The rounds before ``conversation``, newest first (one recursive query)."""
    chain = (
        select(_C.c.id, _C.c.previous_conversation_id.label("parent_id"), literal(0).label("depth"))
        .where(_C.c.id == conversation.id)
        .cte("earlier_rounds", recursive=True)
    )
    chain = chain.union_all(
        select(_C.c.id, _C.c.previous_conversation_id, chain.c.depth + 1)
        .join(chain, _C.c.id == chain.c.parent_id)
        .where(chain.c.depth < MAX_ROUNDS - 1, _C.c.region_id == conversation.region_id)
    )
    return list(
        db.session.scalars(
            select(Conversation)
            .join(chain, chain.c.id == Conversation.id)
            .where(chain.c.depth > 0)
            .order_by(chain.c.depth)
        )
    )


def _later_rounds(conversation: Conversation) -> list[Conversation]:
    """The rounds started from ``conversation`` and from those, on (one recursive query); when
    a round was started twice from the same one, the latest of them is followed."""
    chain = (
        select(_C.c.id, literal(0).label("depth"))
        .where(_C.c.id == conversation.id)
        .cte("later_rounds", recursive=True)
    )
    chain = chain.union_all(
        select(_C.c.id, chain.c.depth + 1)
        .join(chain, _C.c.previous_conversation_id == chain.c.id)
        .where(chain.c.depth < MAX_ROUNDS - 1, _C.c.region_id == conversation.region_id)
    )
    later = list(
        db.session.scalars(
            select(Conversation)
            .join(chain, chain.c.id == Conversation.id)
            .where(chain.c.depth > 0)
            .order_by(chain.c.depth, Conversation.held_on, Conversation.id)
            .limit(_MAX_DESCENDANTS)
        )
    )
    path, current = [], conversation
    while True:
        children = [c for c in later if c.previous_conversation_id == current.id]
        if not children:
            return path
        current = max(children, key=lambda c: (c.held_on, c.id))
        path.append(current)


def round_chain(conversation: Conversation) -> list[Conversation]:
    """The rounds ``conversation`` belongs to, oldest first: the ones it was started from and
    the ones started from it, in its region, at most ``MAX_ROUNDS`` (the newest ones, always
    with ``conversation`` itself)."""
    chain = [*reversed(_ancestors(conversation)), conversation, *_later_rounds(conversation)]
    if len(chain) > MAX_ROUNDS:
        index = chain.index(conversation)
        start = min(index, len(chain) - MAX_ROUNDS)
        chain = chain[start : start + MAX_ROUNDS]
    return chain


@dataclass(frozen=True)
class RoundRef:
    id: int
    title: str
    held_on: date


@dataclass(frozen=True)
class RoundLinks:
    """What a conversation's page says about its rounds."""

    previous: RoundRef | None
    next: RoundRef | None
    can_start: bool

    @property
    def can_compare(self) -> bool:
        return self.previous is not None or self.next is not None


#: The round before a conversation and the rounds after it (in its region), in one query: the
#: conversation page runs it on every uncached render. The previous one comes first.
_NEIGHBOURS = (
    select(_C.c.id, _C.c.title, _C.c.held_on, _C.c.region_id, _C.c.previous_conversation_id)
    .where(
        or_(
            _C.c.id == bindparam("previous_id"),
            and_(
                _C.c.previous_conversation_id == bindparam("conversation_id"),
                _C.c.region_id == bindparam("region_id"),
            ),
        )
    )
    .order_by(
        case((_C.c.id == bindparam("previous_id"), 0), else_=1),
        _C.c.held_on.desc(),
        _C.c.id.desc(),
    )
    .limit(2)
)


def round_links(conversation: Conversation) -> RoundLinks:
    """The round before ``conversation`` (if the user may see it) and the latest round after
    it."""
    access = current_access()
    previous = following = None
    for row in db.session.execute(
        _NEIGHBOURS,
        {
            "previous_id": conversation.previous_conversation_id or 0,
            "conversation_id": conversation.id,
            "region_id": conversation.region_id,
        },
    ):
        ref = RoundRef(row.id, row.title, row.held_on)
        if row.id == conversation.previous_conversation_id:
            if access.can_see(row.region_id):
                previous = ref
        elif following is None:
            following = ref
    return RoundLinks(
        previous, following, access.allows(Permission.START_ROUND, conversation.region_id)
    )


# --- comparing rounds -----------------------------------------------------------------------------


def _scale(questionnaire: Questionnaire) -> list[str]:
    """The ids of the steps on the scale, lowest first."""
    return [s.id for s in questionnaire.assessment_scale if s.counts_on_scale]


def _trend(before: float | None, after: float | None) -> str | None:
    if before is None or after is None:
        return None
    if abs(after - before) < 1e-9:
        return SAME
    return BETTER if after > before else WORSE


def _relative(position: float | None, size: int) -> float | None:
    """A step as a fraction of its scale: rounds held with scales of another length compare."""
    if position is None or size < 2:
        return None
    return (position - 1) / (size - 1)


def _cell(questionnaire: Questionnaire, chosen: bool, assessment_id: str | None) -> StepCell:
    if not chosen:
        return StepCell(NOT_CHOSEN)
    step = questionnaire.assessment_by_id.get(assessment_id) if assessment_id else None
    if step is None:
        return StepCell(NOT_ANSWERED)
    if not step.counts_on_scale:
        return StepCell(step.label)
    scale = _scale(questionnaire)
    return StepCell(step.label, scale.index(step.id) + 1, len(scale))


def _with_trends(cells: list[StepCell]) -> tuple[StepCell, ...]:
    result = []
    for index, cell in enumerate(cells):
        if index and cell.on_scale:
            before = cells[index - 1]
            trend = _trend(
                _relative(before.position, before.scale_size),
                _relative(cell.position, cell.scale_size),
            )
            cell = StepCell(cell.text, cell.position, cell.scale_size, trend)
        result.append(cell)
    return tuple(result)


def _summary(questionnaire: Questionnaire, cells: list[StepCell]) -> PhaseSummary:
    counted = [c for c in cells if c.text != NOT_CHOSEN]
    positions = [c.position for c in counted if c.on_scale]
    scale = [s for s in questionnaire.assessment_scale if s.counts_on_scale]
    distribution = [
        (step.label, sum(c.text == step.label and c.on_scale for c in counted)) for step in scale
    ]
    for step in questionnaire.assessment_scale:
        if not step.counts_on_scale:
            count = sum(c.text == step.label and not c.on_scale for c in counted)
            if count:
                distribution.append((step.label, count))
    unanswered = sum(c.text == NOT_ANSWERED for c in counted)
    if unanswered:
        distribution.append((NOT_ANSWERED, unanswered))
    average = sum(positions) / len(positions) if positions else None
    return PhaseSummary(average, len(scale), tuple(distribution))


def _summaries_with_trends(summaries: list[PhaseSummary]) -> tuple[PhaseSummary, ...]:
    result = []
    for index, summary in enumerate(summaries):
        if index:
            before = summaries[index - 1]
            trend = _trend(
                _relative(before.average, before.scale_size),
                _relative(summary.average, summary.scale_size),
            )
            summary = PhaseSummary(summary.average, summary.scale_size, summary.distribution, trend)
        result.append(summary)
    return tuple(result)


def comparison_document(conversation: Conversation) -> ComparisonDocument:
    """Per question (matched by id, numbered as in the newest round) and per phase, the
    self-assessment of each round of ``conversation``'s chain."""
    chain = round_chain(conversation)
    ids = [c.id for c in chain]  # at most MAX_ROUNDS
    assessments = {
        (row.conversation_id, row.question_id): row.assessment_id
        for row in db.session.execute(
            select(Answer.conversation_id, Answer.question_id, Answer.assessment_id).where(
                Answer.conversation_id.in_(ids)
            )
        )
    }
    chosen: dict[int, set[str]] = {c.id: set() for c in chain}
    for row in db.session.execute(
        select(SelectedQuestion.conversation_id, SelectedQuestion.question_id).where(
            SelectedQuestion.conversation_id.in_(ids)
        )
    ):
        chosen[row.conversation_id].add(row.question_id)
    questionnaires = [c.questionnaire for c in chain]
    asked = set().union(*chosen.values())

    # Rows in the newest round's order; questions only older versions have follow in theirs.
    rows: dict[str, tuple[str, str, str, bool]] = {}  # id -> (phase id, number, text, in newest)
    phase_names: dict[str, str] = {}
    for age, questionnaire in enumerate(reversed(questionnaires)):
        for number, phase, question in questionnaire.numbered_questions:
            phase_names.setdefault(phase.id, phase.name)
            if question.id in asked and question.id not in rows:
                rows[question.id] = (phase.id, number, question.text, age == 0)

    phases = []
    for phase_id, name in phase_names.items():
        questions = []
        columns: list[list[StepCell]] = [[] for _ in chain]
        for question_id, (row_phase, number, text, in_newest) in rows.items():
            if row_phase != phase_id:
                continue
            cells = [
                _cell(q, question_id in chosen[c.id], assessments.get((c.id, question_id)))
                for c, q in zip(chain, questionnaires, strict=True)
            ]
            for column, cell in zip(columns, cells, strict=True):
                column.append(cell)
            questions.append(
                QuestionComparison(question_id, number, text, in_newest, _with_trends(cells))
            )
        if questions:
            summaries = [
                _summary(q, column) for q, column in zip(questionnaires, columns, strict=True)
            ]
            phases.append(
                PhaseComparison(phase_id, name, tuple(questions), _summaries_with_trends(summaries))
            )

    newest = questionnaires[-1]
    return ComparisonDocument(
        region=conversation.region.name,
        title=conversation.title,
        rounds=tuple(
            RoundColumn(
                c.id,
                c.title,
                c.held_on,
                q.version,
                c.id == conversation.id,
            )
            for c, q in zip(chain, questionnaires, strict=True)
        ),
        phases=tuple(phases),
        scale=tuple(s.label for s in newest.assessment_scale if s.counts_on_scale),
        questionnaire_title=newest.title,
        source=newest.source,
        generated_at=utcnow(),
    )


# --- the agenda of the next meeting -----------------------------------------------------------

#: Action points per page of the agenda, and in its PDF at most.
AGENDA_PAGE_SIZE = 100
AGENDA_PDF_LIMIT = 500


def _open_in_region(region_id: int):
    return (
        ActionPoint.region_id == region_id,
        ActionPoint.status.in_(ActionStatus.open_statuses()),
    )


def _overdue(today: date):
    return and_(ActionPoint.due_date.is_not(None), ActionPoint.due_date < today)


def _agenda_order(phase_ids: list[str], today: date) -> list:
    """By trekker (none last), phase (in the questionnaire's order, none last), overdue first,
    then by due date (none last)."""
    phase_rank = (
        case(
            {phase_id: rank for rank, phase_id in enumerate(phase_ids)},
            value=ActionPoint.phase_id,
            else_=len(phase_ids),
        )
        if phase_ids
        else literal(0)
    )
    return [
        case((ActionPoint.owner_name == "", 1), else_=0),
        func.lower(ActionPoint.owner_name),
        ActionPoint.owner_name,
        phase_rank,
        ActionPoint.phase_id,
        case((_overdue(today), 0), else_=1),
        case((ActionPoint.due_date.is_(None), 1), else_=0),
        ActionPoint.due_date,
        ActionPoint.id,
    ]


def agenda_counts(region: Region, today: date) -> tuple[int, int]:
    """(open action points, of which overdue) of the region."""
    total, overdue = db.session.execute(
        select(func.count(), func.sum(case((_overdue(today), 1), else_=0))).where(
            *_open_in_region(region.id)
        )
    ).one()
    return total, int(overdue or 0)


def agenda_document(region: Region, today: date, *, limit: int, offset: int = 0) -> AgendaDocument:
    """The region's open action points from ``offset`` on (at most ``limit``), grouped by
    trekker and phase, overdue first, each with its latest progress update. Four queries."""
    questionnaire = current_questionnaire().questionnaire
    phase_ids = [p.id for p in questionnaire.phases]
    total, overdue_total = agenda_counts(region, today)
    order = _agenda_order(phase_ids, today)
    window = select(ActionPoint.id).where(*_open_in_region(region.id)).order_by(*order)
    window = window.limit(limit).offset(offset)
    updates = latest_updates(window)
    rows = db.session.execute(
        select(
            ActionPoint,
            Conversation.title,
            Conversation.held_on,
            Conversation.questionnaire_snapshot_id,
        )
        .join(Conversation, Conversation.id == ActionPoint.conversation_id)
        .where(*_open_in_region(region.id))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    ).all()

    owners: list[AgendaOwner] = []
    current_owner, current_phase = None, None
    phases: list[AgendaPhase] = []
    actions: list[AgendaAction] = []

    def close_phase():
        if actions:
            phases.append(AgendaPhase(current_phase, tuple(actions)))
            actions.clear()

    def close_owner():
        close_phase()
        if phases:
            owners.append(AgendaOwner(current_owner, tuple(phases)))
            phases.clear()

    for action, title, held_on, snapshot_id in rows:
        own = parsed_snapshot(snapshot_id)
        owner = action.owner_name or NO_OWNER
        phase = (
            questionnaire.phases_by_id.get(action.phase_id) or own.phases_by_id.get(action.phase_id)
            if action.phase_id
            else None
        )
        phase_name = phase.name if phase else (action.phase_id or NO_PHASE)
        if owner != current_owner:
            close_owner()
            current_owner, current_phase = owner, phase_name
        elif phase_name != current_phase:
            close_phase()
            current_phase = phase_name
        question = ""
        if action.question_id and action.question_id in own.questions_by_id:
            question = (
                f"{own.question_numbers[action.question_id]} "
                f"{own.questions_by_id[action.question_id].text}"
            )
        update = updates.get(action.id)
        update_text = ""
        if update is not None:
            update_text = update.text or (
                f"Status {update.status_after.label.lower()}" if update.status_after else ""
            )
        actions.append(
            AgendaAction(
                action_id=action.id,
                conversation_id=action.conversation_id,
                revision=action.revision,
                position=action.position,
                description=action.description,
                conversation_title=title,
                conversation_held_on=held_on,
                question=question,
                owner_organisation=action.owner_organisation,
                due_date=action.due_date,
                is_overdue=action.due_date is not None and action.due_date < today,
                status=action.status.value,
                status_label=action.status.label,
                priority_label=action.priority.label,
                update_on=update.written_on if update else None,
                update_text=update_text,
            )
        )
    close_owner()
    return AgendaDocument(
        region=region.name,
        on=today,
        total=total,
        overdue_total=overdue_total,
        shown=len(rows),
        owners=tuple(owners),
        source=questionnaire.source,
        generated_at=utcnow(),
    )
