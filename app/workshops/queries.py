"""What the phone, the projector, the control page and the results page show.

Each view is read with a fixed number of queries, whatever the size of the room.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from flask import abort
from sqlalchemy import bindparam, func, select

from ..accounts.roles import Permission
from ..conversations.queries import check_permission
from ..core.database import read_rows
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.schema import AssessmentStep, Question
from .models import (
    Contribution,
    ContributionKind,
    Dot,
    RoomAssessment,
    Workshop,
    WorkshopParticipant,
)
from .operations import CONNECTED_WITHIN, Spread, removed_participants, room_spread


def get_workshop_or_404(workshop_id: int, permission: Permission = Permission.VIEW) -> Workshop:
    """The workshop, if the user may do ``permission`` in its region (404 when they have no
    role there at all)."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        abort(404)
    check_permission(workshop.conversation.region_id, permission)
    return workshop


class WorkshopListing(NamedTuple):
    """A workshop as the conversation page lists it."""

    id: int
    join_code: str
    created_dt: datetime
    expires_dt: datetime
    closed_dt: datetime | None


#: The conversation page lists its newest workshops on every view: plain rows of a statement
#: built once (``read_rows``), not ORM objects.
_WORKSHOP_LISTING = (
    select(*(Workshop.__table__.c[name] for name in WorkshopListing._fields))
    .where(Workshop.__table__.c.conversation_id == bindparam("conversation_id"))
    .order_by(Workshop.__table__.c.created_dt.desc(), Workshop.__table__.c.id.desc())
    .limit(20)
)


def workshops_of_conversation(conversation_id: int) -> list[WorkshopListing]:
    """The conversation's 20 newest workshops, newest first."""
    return [
        WorkshopListing._make(row)
        for row in read_rows(_WORKSHOP_LISTING, conversation_id=conversation_id)
    ]


@dataclass(slots=True)
class ContributionView:
    id: int
    question_id: str
    kind: ContributionKind
    text: str
    #: The writer's first name while the workshop shows names (its setting now), else "".
    author_name: str
    hidden: bool
    merged_into_id: int | None
    action_id: int | None
    #: Who wrote it (None: the facilitator).
    participant_id: int | None = None
    #: The writer's number in the workshop (None: the facilitator).
    participant_number: int | None = None
    #: The facilitator removed the writer: hidden, whatever ``hidden`` said.
    removed: bool = False
    #: Dots on it and on the duplicates merged into it.
    dots: int = 0
    #: Dots the viewing participant spent on it and on the duplicates merged into it (phones
    #: only): the dots that count for it, and the ones "Stip eraf" takes back.
    my_dots: int = 0
    merged: list[ContributionView] = field(default_factory=list)


def contributions(
    workshop: Workshop,
    question_ids: list[str] | None = None,
    *,
    include_hidden: bool = False,
    participant_id: int | None = None,
) -> dict[str, list[ContributionView]]:
    """Per question: the contributions ranked by dots (then oldest first), each with the
    duplicates merged into it. Hidden ones only when ``include_hidden``."""
    # Plain rows, not ORM objects: a room of 300 writes 300 contributions, and every phone
    # reads them.
    query = (
        select(
            Contribution.id,
            Contribution.question_id,
            Contribution.kind,
            Contribution.text,
            WorkshopParticipant.first_name,
            Contribution.hidden,
            Contribution.merged_into_id,
            Contribution.action_id,
            Contribution.participant_id,
            WorkshopParticipant.number,
            WorkshopParticipant.removed_dt,
        )
        .outerjoin(WorkshopParticipant, WorkshopParticipant.id == Contribution.participant_id)
        .where(Contribution.workshop_id == workshop.id)
    )
    if question_ids is not None:
        query = query.where(Contribution.question_id.in_(question_ids))
    rows = db.session.execute(query.order_by(Contribution.id)).all()
    # Dots of a removed participant no longer count.
    dot_query = (
        select(Dot.contribution_id, func.count())
        .where(
            Dot.workshop_id == workshop.id,
            Dot.participant_id.not_in(removed_participants(workshop.id)),
        )
        .group_by(Dot.contribution_id)
    )
    dots = dict(db.session.execute(dot_query).all())
    mine: dict[int, int] = {}
    if participant_id is not None:
        mine = dict(
            db.session.execute(
                select(Dot.contribution_id, func.count())
                .where(Dot.participant_id == participant_id)
                .group_by(Dot.contribution_id)
            ).all()
        )
    # The setting as it is now decides whether names show, on every contribution: switching
    # to anonymous halfway hides the names of what was written before too (and switching back
    # shows them again). A name is there only when the participant gave one, which the join
    # form asks only while names are on.
    named = not workshop.anonymous
    # Positional, in the order of the select: a room's worth of rows, read on every phone.
    views = {
        id_: ContributionView(
            id_,
            qid,
            kind,
            text,
            (author or "") if named else "",
            hidden or gone is not None,
            merged_into,
            action,
            writer,
            number,
            gone is not None,
            dots.get(id_, 0),
            mine.get(id_, 0),
            [],
        )  # fmt: skip
        for id_, qid, kind, text, author, hidden, merged_into, action, writer, number, gone in rows
        if include_hidden or not (hidden or gone is not None)
    }
    for view in list(views.values()):
        target = views.get(view.merged_into_id) if view.merged_into_id else None
        if target is not None:
            target.merged.append(view)
            target.dots += view.dots
            target.my_dots += view.my_dots
    ranked: dict[str, list[ContributionView]] = defaultdict(list)
    for view in views.values():
        if view.merged_into_id is None or view.merged_into_id not in views:
            ranked[view.question_id].append(view)
    for question_list in ranked.values():
        # Ids follow the order of writing (and never mix aware and naive datetimes).
        question_list.sort(key=lambda v: (-v.dots, v.id))
    return ranked


def connected_count(workshop: Workshop, now: datetime | None = None) -> int:
    since = (now or utcnow()) - CONNECTED_WITHIN
    return db.session.scalar(
        select(func.count()).where(
            WorkshopParticipant.workshop_id == workshop.id,
            WorkshopParticipant.last_seen_dt >= since,
            WorkshopParticipant.removed_dt.is_(None),
        )
    )


def answered_counts(workshop: Workshop) -> dict[str, int]:
    """Per question: how many participants placed it on the scale."""
    return dict(
        db.session.execute(
            select(RoomAssessment.question_id, func.count())
            .where(
                RoomAssessment.workshop_id == workshop.id,
                RoomAssessment.participant_id.not_in(removed_participants(workshop.id)),
            )
            .group_by(RoomAssessment.question_id)
        ).all()
    )


@dataclass
class QuestionState:
    question: Question
    number: str
    phase_name: str
    is_open: bool
    is_current: bool


def question_states(workshop: Workshop) -> list[QuestionState]:
    questionnaire = workshop.conversation.questionnaire
    states = []
    for wq in workshop.questions:
        question = questionnaire.questions_by_id.get(wq.question_id)
        if question is None:
            continue
        states.append(
            QuestionState(
                question=question,
                number=questionnaire.question_numbers.get(wq.question_id, ""),
                phase_name=_phase_name(questionnaire, wq.question_id),
                is_open=wq.is_open,
                is_current=wq.question_id == workshop.current_question_id,
            )
        )
    return states


def _phase_name(questionnaire, question_id: str) -> str:
    for phase in questionnaire.phases:
        if any(q.id == question_id for q in phase.questions):
            return phase.name
    return ""


#: A phone lists at most this many contributions per question: in a room of 300, a list of 300
#: is neither readable on a phone nor cheap to send to every phone every few seconds.
PHONE_LIST_SIZE = 30


@dataclass
class PhoneQuestion:
    state: QuestionState
    my_assessment: str | None
    contributions: list[ContributionView]
    dots_left: int
    #: How many contributions the question has in all (the phone may show a selection).
    total: int = 0

    @property
    def is_selection(self) -> bool:
        return len(self.contributions) < self.total


def phone_selection(
    ranked: list[ContributionView], participant_id: int, size: int = PHONE_LIST_SIZE
) -> list[ContributionView]:
    """What one phone lists when there are more than ``size``: the participant's own, the
    ones they put a dot on and the facilitator's drafts, then a share of the rest that differs
    per participant but stays put for them, so every contribution reaches some phones and
    nothing jumps around. In the order of writing."""
    if len(ranked) <= size:
        return sorted(ranked, key=lambda c: c.id)

    def mine(c: ContributionView) -> bool:
        return (
            c.participant_id == participant_id
            or c.participant_id is None
            or c.my_dots > 0
            or any(m.my_dots for m in c.merged)
        )

    chosen = [c for c in ranked if mine(c)]
    rest = sorted(
        (c for c in ranked if not mine(c)),
        key=lambda c: (c.id * 2654435761 + participant_id * 40503) % 4294967296,
    )
    chosen += rest[: max(0, size - len(chosen))]
    return sorted(chosen, key=lambda c: c.id)


@dataclass
class PhoneView:
    workshop: Workshop
    scale: list[AssessmentStep]
    questions: list[PhoneQuestion]


def phone_view(
    workshop: Workshop, participant: WorkshopParticipant, *, show_all: bool = False
) -> PhoneView:
    """The open questions, the current one first, with this participant's own choices; of a
    long list of contributions a selection (``phone_selection``) unless ``show_all``."""
    states = [s for s in question_states(workshop) if s.is_open]
    states.sort(key=lambda s: not s.is_current)
    ids = [s.question.id for s in states]
    mine = dict(
        db.session.execute(
            select(RoomAssessment.question_id, RoomAssessment.assessment_id).where(
                RoomAssessment.participant_id == participant.id
            )
        ).all()
    )
    spent = dict(
        db.session.execute(
            select(Dot.question_id, func.count())
            .where(Dot.participant_id == participant.id)
            .group_by(Dot.question_id)
        ).all()
    )
    ranked = contributions(workshop, ids, participant_id=participant.id) if ids else {}
    return PhoneView(
        workshop=workshop,
        scale=list(workshop.conversation.questionnaire.assessment_scale),
        questions=[
            PhoneQuestion(
                state=s,
                my_assessment=mine.get(s.question.id),
                contributions=(
                    sorted(ranked.get(s.question.id, []), key=lambda c: c.id)
                    if show_all
                    else phone_selection(ranked.get(s.question.id, []), participant.id)
                ),
                total=len(ranked.get(s.question.id, [])),
                dots_left=max(0, workshop.dots_per_participant - spent.get(s.question.id, 0)),
            )
            for s in states
        ],
    )


@dataclass
class RoomView:
    """What the projector and the control page show of the current question."""

    workshop: Workshop
    current: QuestionState | None
    spread: Spread | None
    scale: list[AssessmentStep]
    contributions: list[ContributionView]
    connected: int
    answered: int


def room_view(workshop: Workshop, *, include_hidden: bool = False) -> RoomView:
    states = question_states(workshop)
    current = next((s for s in states if s.is_current), None)
    scale = list(workshop.conversation.questionnaire.assessment_scale)
    if current is None:
        return RoomView(workshop, None, None, scale, [], connected_count(workshop), 0)
    qid = current.question.id
    spread = room_spread(workshop, qid)
    ranked = contributions(workshop, [qid], include_hidden=include_hidden).get(qid, [])
    return RoomView(
        workshop, current, spread, scale, ranked, connected_count(workshop), spread.participants
    )


@dataclass(frozen=True)
class ParticipantCounts:
    """What one participant sent, for the facilitator deciding whether to remove them."""

    contributions: int
    dots: int
    choices: int


def participant_counts(participant: WorkshopParticipant) -> ParticipantCounts:
    def count(model) -> int:
        return db.session.scalar(
            select(func.count()).select_from(model).where(model.participant_id == participant.id)
        )

    return ParticipantCounts(count(Contribution), count(Dot), count(RoomAssessment))
