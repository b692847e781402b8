"""What an action-list export shows, as plain data.

The PDF and the accessible HTML page render the same ``ActionListDocument``, so they cannot
drift apart, and the renderers can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from reportlab.graphics.shapes import Drawing

from ..actions.deadlines import DUE_SOON_DAYS
from ..indicators.charts import sparkline
from ..questionnaires.schema import Questionnaire, Source
from ..workshops.spread import RoomSpread


@dataclass(frozen=True)
class ParticipantRow:
    name: str
    organisation: str
    organisation_type: str  #: Dutch label, e.g. "Gemeente"
    role: str


@dataclass(frozen=True)
class AnsweredQuestion:
    number: str  #: "1.2": phase number and question number within the phase
    question_id: str
    text: str
    follow_ups: list[str]
    answer: str  #: empty when not answered
    assessment: str  #: Dutch label of the self-assessment step, empty when none
    #: How a workshop's room placed this question on the scale, when the answer was written
    #: from a workshop (``app/workshops/spread.py``).
    room_spread: RoomSpread | None = None


@dataclass(frozen=True)
class PhaseSection:
    phase_id: str
    name: str
    questions: list[AnsweredQuestion]


@dataclass(frozen=True)
class FigureRow:
    """An indicator linked to an action point: where it started, where it stands, where it
    should go. Values as numbers (the renderers format them the Dutch way), periods as Dutch
    labels ("2021", "1e kwartaal 2023"), empty when unknown."""

    indicator: str  #: the indicator's name
    category: str  #: the category followed, "" for the indicator's total
    unit: str  #: "studenten", "%", or ""
    baseline: float | None
    baseline_period: str
    latest: float | None
    latest_period: str
    target: float | None
    target_period: str
    status: str  #: Dutch: "Op koers", "Doel gehaald", "Nog geen nieuwe meting", ...
    on_track: bool | None  #: True good, False bad, None neither
    story: str  #: "het verhaal achter het cijfer", may be empty
    #: Every period's value, oldest first (None where missing): the small chart.
    series: list[float | None] = field(default_factory=list)
    series_periods: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.indicator} – {self.category}" if self.category else self.indicator

    def sparkline(self, width: float = 140, height: float = 36) -> Drawing:
        """The small chart of ``indicators.presentation.action_sparkline``: the values, the
        baseline as a thin grey line, the target dashed; at the size the renderer needs."""
        return sparkline(
            self.series, baseline=self.baseline, target=self.target, width=width, height=height
        )


@dataclass(frozen=True)
class ProgressNote:
    """The latest progress update of an action point, as the exports show it."""

    written_on: date
    #: The update's text; when it has none, what it changed ("Status: Afgerond").
    text: str


@dataclass(frozen=True)
class ActionRow:
    number: int
    description: str
    phase: str  #: phase name, empty for an action without phase
    question: str  #: "1.2 Wie voert de regie?" or empty
    owner_name: str
    owner_organisation: str
    due_date: date | None
    status: str  #: Dutch label
    priority: str  #: Dutch label
    #: The indicators the action is meant to move (part of the export's cache key).
    figures: list[FigureRow] = field(default_factory=list)
    #: The latest progress update, if any (part of the cache key too).
    latest_update: ProgressNote | None = None
    #: "Te laat" and "Binnenkort" on ``ActionListDocument.as_of``, by the rule of the
    #: region-wide list (``tracking.queries.ListRow``).
    is_overdue: bool = False
    is_due_soon: bool = False


@dataclass(frozen=True)
class ActionListDocument:
    title: str
    region: str
    held_on: date
    current_phase: str
    questionnaire_title: str
    questionnaire_subtitle: str | None
    questionnaire_version: str
    source: Source
    generated_at: datetime
    participants: list[ParticipantRow] = field(default_factory=list)
    sections: list[PhaseSection] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    #: The day "te laat" and "binnenkort" were read (None: not shown). Unlike ``generated_at``
    #: part of the cache key, so a list exported again the next day is made again.
    as_of: date | None = None

    #: "Binnenkort": due within this many days.
    due_soon_days = DUE_SOON_DAYS

    @property
    def has_due_marks(self) -> bool:
        """Whether an action is marked "te laat" or "binnenkort"."""
        return self.as_of is not None and any(a.is_overdue or a.is_due_soon for a in self.actions)


@dataclass(frozen=True)
class OverviewRow:
    """One action point on a filtered list across conversations (``app/tracking/``)."""

    number: int  #: 1, 2, 3 ... on this list
    action_id: int
    description: str
    conversation: str  #: the conversation's title
    held_on: date  #: the day of the conversation
    position: int  #: the action's number on its conversation's list
    region: str
    phase: str  #: phase name, empty for an action without phase
    question: str  #: "1.2 Wie voert de regie?" or empty
    owner_name: str
    owner_organisation: str
    due_date: date | None
    status: str  #: Dutch label
    #: Where a "verankerd" action is embedded: "Begroting (post 4.2)", else empty.
    embedded: str
    is_overdue: bool
    is_due_soon: bool = False
    latest_update: ProgressNote | None = None
    indicators: list[str] = field(default_factory=list)  #: names of linked indicators


@dataclass(frozen=True)
class ActionOverviewDocument:
    """A filtered list of action points across conversations and regions."""

    title: str
    #: The filters in words ("regio Twente; te laat"); empty for the whole list.
    description: str
    #: The regions the list covers, by name.
    regions: list[str]
    #: The day the list was read ("te laat" depends on it); unlike ``generated_at`` part of
    #: the cache key, so a list exported again the next day says the new day.
    as_of: date
    source: Source
    generated_at: datetime
    rows: list[OverviewRow] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.rows if row.is_overdue)

    @property
    def due_soon(self) -> int:
        return sum(1 for row in self.rows if row.is_due_soon)


@dataclass(frozen=True)
class BlankPlateDocument:
    questionnaire: Questionnaire
    generated_at: datetime
    #: How many empty rows the printed action table gets.
    empty_action_rows: int = 12
