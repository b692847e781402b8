from __future__ import annotations

from datetime import date

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from ..core.forms import (
    DutchDateField,
    HandvatForm,
    MaxCharacters,
    SubmissionTokenField,
    select_choices,
)
from ..indicators.forms import DutchNumberField, PeriodField
from ..questionnaires.schema import Questionnaire
from .models import ActionPriority, ActionStatus, EmbeddingPlace
from .operations import DESCRIPTION_MAX_CHARACTERS, EMBEDDED_REFERENCE_MAX_CHARACTERS
from .progress import UPDATE_MAX_CHARACTERS, latest_update_date

EARLIEST_UPDATE = date(2000, 1, 1)

EMBEDDING_HINT = (
    "Bij ‘Verankerd’: waar is het vastgelegd? Bijvoorbeeld in de begroting, een inkoopcontract "
    "of een convenant."
)


def _embedding_fields():
    return (
        SelectField(
            "Verankerd in",
            choices=select_choices([("", "Kies waar")] + EmbeddingPlace.choices()),
            default="",
        ),
        StringField(
            "Vindplaats: kenmerk of link",
            validators=[MaxCharacters(EMBEDDED_REFERENCE_MAX_CHARACTERS, "De vindplaats")],
        ),
    )


def _check_embedding(form) -> bool:
    """ "Verankerd" needs a place; the message sits at the place field."""
    if form.status.data == ActionStatus.EMBEDDED.value and not form.embedded_in.data:
        form.embedded_in.errors = [*form.embedded_in.errors, EMBEDDING_HINT]
        return False
    return True


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
    owner_user_id = SelectField("Account van de trekker", default="")
    embedded_in, embedded_reference = _embedding_fields()
    revision = HiddenField(default="0")
    creation_token = SubmissionTokenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return _check_embedding(self) and valid

    def set_members(self, members: list[tuple[int, str]]) -> None:
        """The region's members a trekker can be linked to: "Mijn acties", reminders."""
        self.owner_user_id.choices = select_choices(
            [("", "Geen account")] + [(str(user_id), name) for user_id, name in members]
        )

    @property
    def owner_user_id_value(self) -> int | None:
        return int(self.owner_user_id.data) if self.owner_user_id.data else None

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


def _link_label(link) -> str:
    return link.indicator.name + (f" – {link.category}" if link.category else "")


class ProgressForm(HandvatForm):
    """A progress update: what happened, and optionally a new status or a new figure."""

    text = TextAreaField(
        "Wat is er gebeurd?",
        validators=[MaxCharacters(UPDATE_MAX_CHARACTERS, "De tekst")],
    )
    written_on = DutchDateField("Datum")
    status = SelectField("Nieuwe status", default="")
    embedded_in, embedded_reference = _embedding_fields()
    figure_link = SelectField("Nieuwe waarde van het cijfer", default="")
    figure_period = PeriodField("Periode van de waarde")
    figure_value = DutchNumberField("Waarde")
    revision = HiddenField()

    def set_choices(self, links) -> None:
        self.status.choices = select_choices([("", "Blijft zoals hij is")] + ActionStatus.choices())
        self.figure_link.choices = select_choices(
            [("", "Geen nieuwe waarde")] + [(str(link.id), _link_label(link)) for link in links]
        )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        written_on = self.written_on.data
        if written_on and not (EARLIEST_UPDATE <= written_on <= latest_update_date()):
            self.written_on.errors = [
                "Kies een datum tussen 2000 en een week na vandaag. Leeg is vandaag."
            ]
            valid = False
        if self.figure_link.data:
            if not self.figure_period.data and not self.figure_period.errors:
                self.figure_period.errors = ["Vul de periode van de nieuwe waarde in."]
                valid = False
            if self.figure_value.data is None and not self.figure_value.errors:
                self.figure_value.errors = ["Vul de nieuwe waarde in."]
                valid = False
        elif self.figure_value.data is not None:
            self.figure_link.errors = ["Kies bij welk cijfer de waarde hoort."]
            valid = False
        return _check_embedding(self) and valid

    @property
    def new_status(self) -> ActionStatus | None:
        return ActionStatus(self.status.data) if self.status.data else None


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
