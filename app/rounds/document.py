"""The comparison of rounds and the agenda of the next meeting as plain data.

The web page and the PDF render from the same dataclasses (as ``exports/document.py`` does for
the action list), so they show the same thing, and the PDF cache can key on the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..core.formatting import date_long, date_short, number
from ..questionnaires.schema import Source

# --- comparing rounds ---------------------------------------------------------------------------

BETTER, WORSE, SAME = "beter", "slechter", "gelijk"
#: What a cell says when a round has no step for the question.
NOT_ANSWERED = "niet beantwoord"
NOT_CHOSEN = "niet gekozen"


@dataclass(frozen=True)
class RoundColumn:
    """One round (conversation) of the chain, oldest first."""

    conversation_id: int
    title: str
    held_on: date
    questionnaire_version: str
    #: The round the comparison was opened from.
    is_current: bool = False

    @property
    def label(self) -> str:
        """How the chart's legend and the table's header tell rounds apart."""
        return date_short(self.held_on)


@dataclass(frozen=True)
class StepCell:
    """A round's self-assessment of one question."""

    #: The step's label, "Weet niet / n.v.t.", "niet beantwoord" or "niet gekozen".
    text: str
    #: 1 … ``scale_size`` for a step on the scale; None otherwise.
    position: int | None = None
    scale_size: int = 0
    #: Compared with the round before: ``BETTER``, ``WORSE``, ``SAME``; None when either round
    #: has no step on the scale (or for the first round).
    trend: str | None = None

    @property
    def on_scale(self) -> bool:
        return self.position is not None

    @property
    def is_missing(self) -> bool:
        return self.text in (NOT_ANSWERED, NOT_CHOSEN)


@dataclass(frozen=True)
class QuestionComparison:
    question_id: str
    #: The question's number in the newest round's version (else in the newest that has it).
    number: str
    text: str
    #: False for a question the newest round's version no longer has.
    in_newest: bool
    cells: tuple[StepCell, ...]


@dataclass(frozen=True)
class PhaseSummary:
    """One round's self-assessment of a phase, over the questions chosen in that round."""

    #: The average step (1 … scale size) of the answers on the scale; None without any.
    average: float | None
    scale_size: int
    #: (label, count) per step of the scale, then "Weet niet / n.v.t." and "niet beantwoord".
    distribution: tuple[tuple[str, int], ...]
    trend: str | None = None

    @property
    def average_text(self) -> str:
        if self.average is None:
            return "geen antwoorden"
        return f"{number(self.average, 1)} van {self.scale_size}"


@dataclass(frozen=True)
class PhaseComparison:
    phase_id: str
    name: str
    questions: tuple[QuestionComparison, ...]
    summaries: tuple[PhaseSummary, ...]


@dataclass(frozen=True)
class ComparisonDocument:
    region: str
    #: The title of the round the comparison was opened from.
    title: str
    rounds: tuple[RoundColumn, ...]
    phases: tuple[PhaseComparison, ...]
    #: The labels of the newest round's scale, lowest step first (steps on the scale only).
    scale: tuple[str, ...]
    questionnaire_title: str
    source: Source
    generated_at: datetime

    @property
    def question_count(self) -> int:
        return sum(len(p.questions) for p in self.phases)


# --- the agenda of the next meeting ---------------------------------------------------------------

NO_OWNER = "Nog geen trekker"
NO_PHASE = "Zonder fase"


@dataclass(frozen=True)
class AgendaAction:
    action_id: int
    conversation_id: int
    #: The action point's revision, for the update form on the agenda page.
    revision: int
    #: Its number on its conversation's action list.
    position: int
    description: str
    conversation_title: str
    conversation_held_on: date
    #: "1.2 Question text", or "" for an action point without a question.
    question: str
    owner_organisation: str
    due_date: date | None
    is_overdue: bool
    status: str
    status_label: str
    priority_label: str
    #: The latest progress update: its date and text ("" when there is none).
    update_on: date | None = None
    update_text: str = ""


@dataclass(frozen=True)
class AgendaPhase:
    name: str
    actions: tuple[AgendaAction, ...]


@dataclass(frozen=True)
class AgendaOwner:
    #: The trekker's name, or ``NO_OWNER``.
    name: str
    phases: tuple[AgendaPhase, ...]

    @property
    def count(self) -> int:
        return sum(len(p.actions) for p in self.phases)

    @property
    def overdue(self) -> int:
        return sum(a.is_overdue for p in self.phases for a in p.actions)


@dataclass(frozen=True)
class AgendaDocument:
    region: str
    #: The day the agenda is for (the day it is made): "te laat" is counted against it.
    on: date
    #: Every open action point of the region, and how many of them are overdue.
    total: int
    overdue_total: int
    #: The action points shown (in the PDF at most ``AGENDA_PDF_LIMIT``).
    shown: int
    owners: tuple[AgendaOwner, ...]
    source: Source
    generated_at: datetime

    @property
    def title(self) -> str:
        return f"Agenda volgende overleg — Regio {self.region}, {date_long(self.on)}"
