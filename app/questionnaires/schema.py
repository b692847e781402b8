"""The typed shape of a questionnaire file.

A questionnaire is content, not code: these models only say what a valid file looks like.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Content):
    """The publication the questionnaire is taken from, for the attribution it asks for."""

    publisher: Text
    year: int
    title: Text
    subtitle: Text | None = None
    section: Text | None = None
    url: Text | None = None
    rights: Text

    @property
    def citation(self) -> str:
        parts = [f"{self.publisher} ({self.year}). {self.title}."]
        if self.section:
            parts.append(f"Onderdeel: {self.section}.")
        return " ".join(parts)


class AssessmentStep(_Content):
    """One step of the self-assessment scale ('hoe staat de samenwerking hier ervoor?')."""

    id: Slug
    label: Text
    description: Text | None = None
    #: False for "weet niet / n.v.t.": a choice, but not a position on the scale.
    counts_on_scale: bool = True


class Question(_Content):
    id: Slug
    text: Text
    follow_ups: list[Text] = Field(default_factory=list)
    #: The "handvat": guidance paragraphs printed beside the question.
    guidance: list[Text] = Field(default_factory=list)


class Phase(_Content):
    id: Slug
    name: Text
    questions: list[Question] = Field(min_length=1)


class Questionnaire(_Content):
    key: Slug
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.\-]+$", max_length=20)]
    title: Text
    subtitle: Text | None = None
    introduction: Text
    source: Source
    assessment_scale: list[AssessmentStep] = Field(min_length=2)
    phases: list[Phase] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Questionnaire:
        for kind, ids in (
            ("phase", [p.id for p in self.phases]),
            ("question", [q.id for p in self.phases for q in p.questions]),
            ("assessment step", [s.id for s in self.assessment_scale]),
        ):
            seen: set[str] = set()
            for item_id in ids:
                if item_id in seen:
                    raise ValueError(f"{kind} id {item_id!r} is used more than once")
                seen.add(item_id)
        return self

    @cached_property
    def questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for p in self.phases for q in p.questions}

    @cached_property
    def phase_of_question(self) -> dict[str, Phase]:
        return {q.id: p for p in self.phases for q in p.questions}

    @cached_property
    def phases_by_id(self) -> dict[str, Phase]:
        return {p.id: p for p in self.phases}

    @cached_property
    def assessment_by_id(self) -> dict[str, AssessmentStep]:
        return {s.id: s for s in self.assessment_scale}

    @cached_property
    def assessment_descriptions(self) -> dict[str, str]:
        return {s.id: s.description for s in self.assessment_scale if s.description}

    @cached_property
    def numbered_questions(self) -> list[tuple[str, Phase, Question]]:
        """Every question with its printed number: "2.1" is the first question of phase 2."""
        return [
            (f"{phase_index}.{question_index}", phase, question)
            for phase_index, phase in enumerate(self.phases, start=1)
            for question_index, question in enumerate(phase.questions, start=1)
        ]

    @cached_property
    def question_numbers(self) -> dict[str, str]:
        return {question.id: number for number, _, question in self.numbered_questions}

    def question_ids_in_order(self) -> list[str]:
        return [q.id for p in self.phases for q in p.questions]
