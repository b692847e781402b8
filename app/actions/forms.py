from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from ..core.forms import (
    DutchDateField,
    HandvatForm,
    MaxCharacters,
    SubmissionTokenField,
    select_choices,
)
from ..questionnaires.schema import Questionnaire
from .models import ActionPriority, ActionStatus
from .operations import DESCRIPTION_MAX_CHARACTERS


class ActionForm(HandvatForm):
    description = TextAreaField(
        "Wat gaan we doen?",
        validators=[
            DataRequired("Beschrijf wat er gedaan wordt."),
            MaxCharacters(DESCRIPTION_MAX_CHARACTERS, "De beschrijving"),
        ],
    )
    question_id = SelectField("Hoort bij vraag", default="")
    phase_id = SelectField("Fase (als het actiepunt niet bij een vraag hoort)", default="")
    owner_name = StringField("Trekker: naam", validators=[MaxCharacters(120, "De naam")])
    owner_organisation = StringField(
        "Trekker: organisatie", validators=[MaxCharacters(160, "De organisatie")]
    )
    due_date = DutchDateField("Klaar op (uiterlijk)")
    status = SelectField(
        "Status", choices=select_choices(ActionStatus.choices()), default=ActionStatus.OPEN.value
    )
    priority = SelectField(
        "Prioriteit",
        choices=select_choices(ActionPriority.choices()),
        default=ActionPriority.NORMAL.value,
    )
    revision = HiddenField(default="0")
    creation_token = SubmissionTokenField()

    def set_choices(self, questionnaire: Questionnaire, chosen_question_ids: list[str]) -> None:
        chosen = set(chosen_question_ids)
        self.question_id.choices = select_choices(
            [("", "Geen: los actiepunt")]
            + [
                (question.id, f"{number} {question.text}")
                for number, _, question in questionnaire.numbered_questions
                if question.id in chosen
            ]
        )
        self.phase_id.choices = select_choices(
            [("", "Geen fase")] + [(phase.id, phase.name) for phase in questionnaire.phases]
        )

    def offers_question(self, question_id: str) -> bool:
        return any(choice.value == question_id for choice in self.question_id.choices)


class MoveForm(HandvatForm):
    """Move up or down on the list: a plain button per direction, works without JavaScript.

    ``position`` is where the list showed the action point: if it has moved since, the click
    was meant for another list and is refused.
    """

    direction = HiddenField()
    position = HiddenField()


class StatusForm(HandvatForm):
    """Close or reopen from the list; ``revision`` is the action point's as the list showed it."""

    status = HiddenField()
    revision = HiddenField()


class DeleteForm(HandvatForm):
    revision = HiddenField()
