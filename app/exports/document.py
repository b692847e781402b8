"""What an action-list export shows, as plain data.

The PDF and the accessible HTML page render the same ``ActionListDocument``, so they cannot
drift apart, and the renderers can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..questionnaires.schema import Questionnaire, Source


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


@dataclass(frozen=True)
class PhaseSection:
    phase_id: str
    name: str
    questions: list[AnsweredQuestion]


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


@dataclass(frozen=True)
class BlankPlateDocument:
    questionnaire: Questionnaire
    generated_at: datetime
    #: How many empty rows the printed action table gets.
    empty_action_rows: int = 12
