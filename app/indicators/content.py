"""Standard indicators and their links to questions: content beside the questionnaires.

Read and validated at start-up, like the questionnaires: a link to a question id that no
version of the questionnaire has stops the app with a message naming the file.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

import yaml
from flask import Flask, current_app
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from ..questionnaires.loader import QuestionnaireFileError, QuestionnaireRegistry
from ..questionnaires.schema import Slug
from .models import Direction

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: The parts of a region's students the plate's rule of thumb speaks of.
SHARE_PARTS = {
    "vestigingsplaats": "Uit de plaats van vestiging",
    "regio": "Uit de rest van de regio",
    "buiten-regio": "Van buiten de regio",
}


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StandardIndicator(_Content):
    key: Slug
    name: Text
    definition: Text
    unit: str = ""
    direction: Direction = Direction.NEUTRAL
    questions: list[Slug] = Field(default_factory=list)


class RuleOfThumb(_Content):
    """A rule the plate gives for the share of students from where they live."""

    question: Slug
    indicators: list[Slug] = Field(min_length=1)
    text: Text
    shares: dict[str, float]

    @model_validator(mode="after")
    def _names_every_part(self) -> RuleOfThumb:
        if set(self.shares) != set(SHARE_PARTS):
            raise ValueError(f"shares must name exactly {', '.join(SHARE_PARTS)}")
        return self


class IndicatorContent(_Content):
    questionnaire: Slug
    indicators: list[StandardIndicator] = Field(default_factory=list)
    rules_of_thumb: list[RuleOfThumb] = Field(default_factory=list)

    @cached_property
    def by_key(self) -> dict[str, StandardIndicator]:
        return {i.key: i for i in self.indicators}

    def keys_for_question(self, question_id: str) -> list[str]:
        return [i.key for i in self.indicators if question_id in i.questions]

    def rules_for_question(self, question_id: str) -> list[RuleOfThumb]:
        return [r for r in self.rules_of_thumb if r.question == question_id]

    def find(self, name_or_key: str) -> StandardIndicator | None:
        wanted = name_or_key.strip().casefold()
        for indicator in self.indicators:
            if wanted in (indicator.key, indicator.name.casefold()):
                return indicator
        return None


EMPTY = IndicatorContent(questionnaire="geen")


def load_indicator_content(path: Path, questionnaires: QuestionnaireRegistry) -> IndicatorContent:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        content = IndicatorContent.model_validate(raw)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
        raise QuestionnaireFileError(f"{path}: {exc}") from exc
    known = questionnaires.question_ids(content.questionnaire)
    if not known:
        raise QuestionnaireFileError(f"{path}: no questionnaire {content.questionnaire!r}")
    keys = set(content.by_key)
    for indicator in content.indicators:
        for question_id in indicator.questions:
            if question_id not in known:
                raise QuestionnaireFileError(
                    f"{path}: indicator {indicator.key!r} names question {question_id!r}, "
                    f"which no version of {content.questionnaire!r} has"
                )
    for rule in content.rules_of_thumb:
        if rule.question not in known:
            raise QuestionnaireFileError(f"{path}: rule of thumb for unknown {rule.question!r}")
        if unknown := set(rule.indicators) - keys:
            raise QuestionnaireFileError(f"{path}: rule of thumb names {sorted(unknown)}")
    return content


def init_indicator_content(app: Flask) -> None:
    folder = Path(app.config["QUESTIONNAIRE_FOLDER"]) / "indicators"
    questionnaires = app.extensions["handvat_questionnaires"]
    by_questionnaire = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        content = load_indicator_content(path, questionnaires)
        by_questionnaire[content.questionnaire] = content
    app.extensions["handvat_indicator_content"] = by_questionnaire


def indicator_content(questionnaire_key: str | None = None) -> IndicatorContent:
    """The standard indicators of a questionnaire (the current one when not given)."""
    key = questionnaire_key or current_app.config["QUESTIONNAIRE_KEY"]
    return current_app.extensions["handvat_indicator_content"].get(key, EMPTY)
