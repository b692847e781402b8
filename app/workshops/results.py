"""What a workshop gave, after the fact: the results document and the raw, anonymous input.

``WorkshopResultsDocument`` is plain data, like the action list's ``ActionListDocument``: the
results page and its PDF render the same document, so they cannot drift apart, and the PDF can
be cached on its content. Per question it holds the room's spread over the scale, the
contributions ranked by dots (hidden ones left out; merged duplicates under the one they were
merged into) and the action points made of them. No names, whatever the workshop's setting was
during the session or is at its end: even when the workshop showed first names beside the
contributions (the live views follow the setting as it is now), the results do not, so that a
contribution in the results and a participant's number in the raw input never point to a
person.

``input_rows`` is everything the room sent, one row per choice, contribution or dot, with the
participant's number and never a name; ``render_input_csv`` writes it for Dutch Excel.

Both are read with a fixed number of queries, whatever the size of the room.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from ..actions.models import ActionPoint
from ..core.csv_cells import CSV_DELIMITER, neutralise
from ..core.formatting import TIMEZONE, datetime_short, local_now
from ..extensions import db
from ..questionnaires.schema import Source
from .models import Contribution, Dot, RoomAssessment, Workshop, WorkshopParticipant
from .operations import removed_participants
from .queries import ContributionView, contributions
from .spread import RoomSpread, spread_from_counts

__all__ = [
    "INPUT_COLUMNS",
    "InputRow",
    "MergedContribution",
    "ResultAction",
    "ResultContribution",
    "ResultQuestion",
    "WorkshopResultsDocument",
    "input_rows",
    "render_input_csv",
    "results_document",
    "workshop_day",
]


@dataclass(frozen=True)
class MergedContribution:
    """A duplicate the facilitator merged into another contribution."""

    kind: str  #: Dutch label: "Idee", "Obstakel", ...
    text: str
    dots: int  #: the dots it had itself (they count for the one it was merged into)


@dataclass(frozen=True)
class ResultContribution:
    kind: str  #: Dutch label
    text: str
    #: Its dots and those of the duplicates merged into it.
    dots: int
    merged: list[MergedContribution] = field(default_factory=list)
    #: The number on the conversation's action list of the action point made of it, if any.
    action_number: int | None = None


@dataclass(frozen=True)
class ResultAction:
    """An action point made of a contribution, as it stands now."""

    number: int  #: its number on the conversation's action list
    description: str
    owner_name: str
    due_date: date | None
    status: str  #: Dutch label


@dataclass(frozen=True)
class ResultQuestion:
    number: str  #: "1.2"
    question_id: str
    phase: str
    text: str
    spread: RoomSpread
    #: Ranked by dots, then oldest first.
    contributions: list[ResultContribution] = field(default_factory=list)
    actions: list[ResultAction] = field(default_factory=list)


@dataclass(frozen=True)
class WorkshopResultsDocument:
    title: str  #: the conversation's title
    conversation_id: int
    workshop_id: int
    region: str
    held_on: date  #: the day of the workshop
    join_code: str
    #: Everyone who joined.
    participants: int
    questionnaire_title: str
    questionnaire_version: str
    source: Source
    generated_at: datetime
    #: The questions the room worked on (opened, or with any input), in the workshop's order.
    questions: list[ResultQuestion] = field(default_factory=list)
    #: "1.3 Question text" of the workshop's questions that were never opened.
    not_discussed: list[str] = field(default_factory=list)


def workshop_day(workshop: Workshop) -> date:
    """The day the workshop was held, in Dutch time."""
    return workshop.created_dt.astimezone(TIMEZONE).date()


def results_document(workshop: Workshop) -> WorkshopResultsDocument:
    """The workshop's results as the page and the PDF show them."""
    conversation = workshop.conversation
    questionnaire = conversation.questionnaire
    day = workshop_day(workshop)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for question_id, assessment_id, count in db.session.execute(
        select(RoomAssessment.question_id, RoomAssessment.assessment_id, func.count())
        .where(
            RoomAssessment.workshop_id == workshop.id,
            RoomAssessment.participant_id.not_in(removed_participants(workshop.id)),
        )
        .group_by(RoomAssessment.question_id, RoomAssessment.assessment_id)
    ):
        counts[question_id][assessment_id] = int(count)
    ranked = contributions(workshop)
    numbers = _action_numbers(conversation.id)
    made = {
        view.action_id
        for views in ranked.values()
        for top in views
        for view in (top, *top.merged)
        if view.action_id in numbers
    }
    actions = {
        action.id: action
        for action in db.session.scalars(select(ActionPoint).where(ActionPoint.id.in_(made)))
    } if made else {}  # fmt: skip

    questions, not_discussed = [], []
    for wq in workshop.questions:
        question = questionnaire.questions_by_id.get(wq.question_id)
        if question is None:
            continue
        number = questionnaire.question_numbers.get(wq.question_id, "")
        views = ranked.get(wq.question_id, [])
        if wq.opened_dt is None and not views and not counts.get(wq.question_id):
            not_discussed.append(f"{number} {question.text}".strip())
            continue
        phase = questionnaire.phase_of_question.get(wq.question_id)
        questions.append(
            ResultQuestion(
                number=number,
                question_id=wq.question_id,
                phase=phase.name if phase else "",
                text=question.text,
                spread=spread_from_counts(
                    questionnaire.assessment_scale,
                    counts.get(wq.question_id, {}),
                    recorded_on=day,
                    workshop_id=workshop.id,
                ),
                contributions=[_result_contribution(v, numbers) for v in views],
                actions=_question_actions(views, actions, numbers),
            )
        )
    return WorkshopResultsDocument(
        title=conversation.title,
        conversation_id=conversation.id,
        workshop_id=workshop.id,
        region=conversation.region.name,
        held_on=day,
        join_code=workshop.join_code,
        participants=workshop.participant_count,
        questionnaire_title=questionnaire.title,
        questionnaire_version=questionnaire.version,
        source=questionnaire.source,
        generated_at=local_now(),
        questions=questions,
        not_discussed=not_discussed,
    )


def _action_numbers(conversation_id: int) -> dict[int, int]:
    """Action id -> its number on the conversation's action list (1, 2, 3 ...)."""
    ids = db.session.scalars(
        select(ActionPoint.id)
        .where(ActionPoint.conversation_id == conversation_id)
        .order_by(ActionPoint.position, ActionPoint.id)
    )
    return {action_id: number for number, action_id in enumerate(ids, start=1)}


def _result_contribution(view: ContributionView, numbers: dict[int, int]) -> ResultContribution:
    return ResultContribution(
        kind=view.kind.label,
        text=view.text,
        dots=view.dots,
        merged=[
            MergedContribution(m.kind.label, m.text, m.dots)
            for m in sorted(view.merged, key=lambda m: m.id)
        ],
        action_number=numbers.get(view.action_id) if view.action_id else None,
    )


def _question_actions(
    views: list[ContributionView], actions: dict[int, ActionPoint], numbers: dict[int, int]
) -> list[ResultAction]:
    """The action points made of the question's contributions (merged ones included), each
    once, in the order of the contributions' ranking."""
    result, seen = [], set()
    for top in views:
        for view in (top, *top.merged):
            action = actions.get(view.action_id) if view.action_id else None
            if action is None or action.id in seen:
                continue
            seen.add(action.id)
            result.append(
                ResultAction(
                    number=numbers[action.id],
                    description=action.description,
                    owner_name=action.owner_name,
                    due_date=action.due_date,
                    status=action.status.label,
                )
            )
    return result


# --------------------------------------------------------------------------------------------
# The raw input
# --------------------------------------------------------------------------------------------

#: The CSV's header row, in Dutch.
INPUT_COLUMNS = (
    "Soort",
    "Vraagnummer",
    "Vraag",
    "Deelnemer",
    "Keuze / tekst",
    "Verborgen",
    "Samengevoegd met",
    "Stippen",
    "Tijdstip",
)
ASSESSMENT, CONTRIBUTION, DOT = "zelfbeoordeling", "bijdrage", "stip"
#: Who wrote what the facilitator added (a draft action point): not a participant.
FACILITATOR = "gespreksleider"


@dataclass(frozen=True)
class InputRow:
    """One thing the room sent. ``participant`` is the number the participant got on joining
    (1, 2, 3 ...), never a name; None for what the facilitator wrote."""

    kind: str  #: "zelfbeoordeling", "bijdrage" or "stip"
    question_number: str  #: "1.2"
    question: str
    participant: int | None
    #: The step chosen, the contribution's text, or the text of the contribution dotted.
    text: str
    #: Hidden by the facilitator, or sent by a participant the facilitator removed (or a dot
    #: on what such a participant wrote): it counts nowhere else.
    hidden: bool
    #: For a contribution merged into another: that one's text.
    merged_with: str
    #: For a contribution: the dots it got itself; None for the other kinds.
    dots: int | None
    moment: datetime


def input_rows(workshop: Workshop) -> list[InputRow]:
    """Every choice on the scale, contribution and dot, per question in the workshop's order:
    the choices, then the contributions, then the dots, each oldest first."""
    questionnaire = workshop.conversation.questionnaire
    order = {wq.question_id: wq.position for wq in workshop.questions}
    numbers, removed = {}, set()
    for participant_id, number, removed_dt in db.session.execute(
        select(
            WorkshopParticipant.id, WorkshopParticipant.number, WorkshopParticipant.removed_dt
        ).where(WorkshopParticipant.workshop_id == workshop.id)
    ):
        numbers[participant_id] = number
        if removed_dt is not None:
            removed.add(participant_id)
    items = {
        c.id: c
        for c in db.session.scalars(
            select(Contribution)
            .where(Contribution.workshop_id == workshop.id)
            .order_by(Contribution.created_dt, Contribution.id)
        )
    }
    dots = list(
        db.session.execute(
            select(Dot.question_id, Dot.participant_id, Dot.contribution_id, Dot.created_dt)
            .where(Dot.workshop_id == workshop.id)
            .order_by(Dot.created_dt, Dot.id)
        ).all()
    )
    own_dots: dict[int, int] = defaultdict(int)
    for _question_id, _participant_id, contribution_id, _moment in dots:
        own_dots[contribution_id] += 1

    def question(question_id: str) -> tuple[str, str]:
        found = questionnaire.questions_by_id.get(question_id)
        return (
            questionnaire.question_numbers.get(question_id, ""),
            found.text if found else question_id,
        )

    rows: list[tuple[tuple, InputRow]] = []
    for a in db.session.scalars(
        select(RoomAssessment).where(RoomAssessment.workshop_id == workshop.id)
    ):
        step = questionnaire.assessment_by_id.get(a.assessment_id)
        row = InputRow(
            ASSESSMENT,
            *question(a.question_id),
            participant=numbers.get(a.participant_id),
            text=step.label if step else a.assessment_id,
            hidden=a.participant_id in removed,
            merged_with="",
            dots=None,
            moment=a.chosen_dt,
        )
        rows.append(((order.get(a.question_id, 10**6), a.question_id, 0), row))
    for c in items.values():
        target = items.get(c.merged_into_id) if c.merged_into_id else None
        row = InputRow(
            CONTRIBUTION,
            *question(c.question_id),
            participant=numbers.get(c.participant_id) if c.participant_id else None,
            text=c.text,
            hidden=c.hidden or c.participant_id in removed,
            merged_with=target.text if target else "",
            dots=own_dots.get(c.id, 0),
            moment=c.created_dt,
        )
        rows.append(((order.get(c.question_id, 10**6), c.question_id, 1), row))
    for question_id, participant_id, contribution_id, moment in dots:
        dotted = items.get(contribution_id)
        row = InputRow(
            DOT,
            *question(question_id),
            participant=numbers.get(participant_id),
            text=dotted.text if dotted else "",
            hidden=bool(dotted and (dotted.hidden or dotted.participant_id in removed))
            or participant_id in removed,
            merged_with="",
            dots=None,
            moment=moment,
        )
        rows.append(((order.get(question_id, 10**6), question_id, 2), row))
    # Contributions and dots were read oldest first and the sort is stable; the choices come
    # in no particular order, so they are sorted by moment and participant.
    rows.sort(key=lambda pair: (*pair[0], *_choice_order(pair)))
    return [row for _key, row in rows]


def _choice_order(pair: tuple[tuple, InputRow]) -> tuple[datetime, int]:
    key, row = pair
    if key[2] != 0:
        return (_EPOCH, 0)
    return (_utc(row.moment), row.participant or 0)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _participant_cell(number: int | None) -> str:
    return FACILITATOR if number is None else str(number)


def render_input_csv(rows: list[InputRow]) -> bytes:
    """The rows as CSV for Dutch Excel: ``;`` between the fields, UTF-8 with a byte-order
    mark, CRLF line ends, times as dd-mm-jjjj HH:MM in Dutch time, and no cell that Excel would
    run as a formula. The question number is written as "vraag 1.2", which Excel keeps as text
    (a bare "1.2" it would read as a number or a date)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(INPUT_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.kind,
                f"vraag {row.question_number}" if row.question_number else "",
                neutralise(row.question),
                _participant_cell(row.participant),
                neutralise(row.text),
                "ja" if row.hidden else "nee",
                neutralise(row.merged_with),
                "" if row.dots is None else str(row.dots),
                datetime_short(row.moment),
            ]
        )
    return out.getvalue().encode("utf-8-sig")
