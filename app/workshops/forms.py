"""The facilitator's forms: opening a workshop, its settings, and the commands of the control page.

Commands are small POST forms (CSRF and nothing else, or a hidden id). Ids arrive as text and
are read with ``submitted_id``: anything that cannot be a row id is a bad request, never a query.
"""

from __future__ import annotations

import re

from flask import abort
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from ..conversations.operations import ANSWER_MAX_CHARACTERS
from ..core.converters import MAX_DATABASE_ID
from ..core.forms import HandvatForm, MaxCharacters, SubmissionTokenField, select_choices
from .models import CONTRIBUTION_MAX_CHARACTERS
from .operations import MAX_DOTS_PER_PARTICIPANT, MAX_TIMER_MINUTES, WorkshopSettings

_ID = re.compile(r"^[1-9][0-9]{0,9}$")

YES, NO = "ja", "nee"


def submitted_id(value: str | None) -> int:
    """A row id from a form field; 400 for anything else (empty, negative, padded, huge)."""
    text = (value or "").strip()
    if not _ID.match(text) or int(text) > MAX_DATABASE_ID:
        abort(400)
    return int(text)


class SettingsForm(HandvatForm):
    """How the room takes part: names or not, dots, how many people."""

    anonymous = RadioField(
        "Wie schreef wat?",
        choices=select_choices(
            [
                (YES, "Anoniem: bij een bijdrage staat geen naam"),
                (NO, "Met voornaam: wie een voornaam invult, ziet die bij de eigen bijdragen"),
            ]
        ),
        default=YES,
        validators=[InputRequired("Kies of de bijdragen anoniem zijn.")],
    )
    dots_per_participant = IntegerField(
        "Stippen per deelnemer, per vraag",
        default=3,
        validators=[
            InputRequired(f"Vul een getal in van 1 tot en met {MAX_DOTS_PER_PARTICIPANT}."),
            NumberRange(
                1,
                MAX_DOTS_PER_PARTICIPANT,
                f"Kies 1 tot en met {MAX_DOTS_PER_PARTICIPANT} stippen per deelnemer.",
            ),
        ],
    )
    dots_per_item = IntegerField(
        "Stippen die iemand op één bijdrage mag zetten",
        default=1,
        validators=[
            InputRequired("Vul een getal in, bijvoorbeeld 1."),
            NumberRange(1, MAX_DOTS_PER_PARTICIPANT, "Kies minstens 1 stip per bijdrage."),
        ],
    )
    participant_cap = IntegerField("Hoeveel mensen mogen er hoogstens meedoen?")

    def set_cap(self, cap: int) -> None:
        """The installation's cap (``WORKSHOP_PARTICIPANT_CAP``) is the default and the most."""
        self.cap = cap
        self.participant_cap.validators = [
            InputRequired(f"Vul een getal in van 1 tot en met {cap}."),
            NumberRange(1, cap, f"Kies 1 tot en met {cap} deelnemers."),
        ]
        if not self.is_submitted() and self.participant_cap.data is None:
            self.participant_cap.data = cap

    def validate_dots_per_item(self, field):
        total = self.dots_per_participant.data
        if field.data and total and field.data > total:
            raise ValidationError(
                f"Op één bijdrage kunnen niet meer stippen dan iemand in totaal heeft ({total})."
            )

    def fill_from(self, workshop) -> None:
        self.anonymous.data = YES if workshop.anonymous else NO
        self.dots_per_participant.data = workshop.dots_per_participant
        self.dots_per_item.data = workshop.dots_per_item
        self.participant_cap.data = workshop.participant_cap

    def settings(self) -> WorkshopSettings:
        return WorkshopSettings(
            anonymous=self.anonymous.data == YES,
            dots_per_participant=self.dots_per_participant.data,
            dots_per_item=self.dots_per_item.data,
            participant_cap=self.participant_cap.data,
        )


class OpenWorkshopForm(SettingsForm):
    #: The same form sent twice opens one workshop.
    creation_token = SubmissionTokenField()


class CommandForm(HandvatForm):
    """A button without fields of its own (close the workshop, stop the timer)."""


class QuestionCommandForm(HandvatForm):
    """Open, close or show one question (``question_id``) or a whole phase (``phase_id``)."""

    question_id = HiddenField()
    phase_id = HiddenField()


class SwitchForm(HandvatForm):
    """On or off: results on the projector, joining."""

    state = HiddenField()

    @property
    def on(self) -> bool:
        if self.state.data not in (YES, NO):
            abort(400)
        return self.state.data == YES


class TimerForm(HandvatForm):
    minutes = IntegerField(
        "Minuten",
        default=5,
        validators=[
            InputRequired(f"Vul het aantal minuten in (1 tot en met {MAX_TIMER_MINUTES})."),
            NumberRange(1, MAX_TIMER_MINUTES, f"Kies 1 tot en met {MAX_TIMER_MINUTES} minuten."),
        ],
    )


class ContributionForm(HandvatForm):
    contribution_id = HiddenField()
    #: hide / show again: "ja" hides.
    state = HiddenField()


class ParticipantForm(HandvatForm):
    """Remove a participant (``confirm`` must be ticked) or let them back in. The contribution
    the facilitator came from is where the answer goes back to."""

    participant_id = HiddenField()
    contribution_id = HiddenField()
    confirm = HiddenField()


class MergeForm(HandvatForm):
    contribution_id = HiddenField()
    into_id = HiddenField()


class DraftActionForm(HandvatForm):
    """A draft action point of the facilitator, for the room to put dots on."""

    question_id = HiddenField()
    text = StringField(
        "Voorstel voor een actiepunt",
        validators=[
            DataRequired("Schrijf eerst het voorstel op."),
            MaxCharacters(CONTRIBUTION_MAX_CHARACTERS, "Het voorstel"),
        ],
    )
    creation_token = SubmissionTokenField()


class TableAnswerForm(HandvatForm):
    """The table's answer to a question, written on the control page beside the room's input."""

    question_id = HiddenField()
    text = TextAreaField(
        "Het antwoord",
        validators=[MaxCharacters(ANSWER_MAX_CHARACTERS, "Het antwoord")],
    )
    assessment_id = RadioField("Hoe staat de samenwerking hier ervoor?", validators=[Optional()])
    #: The stored answer's revision the form was based on (0 when there was none).
    revision = HiddenField(default="0")
    with_contributions = BooleanField(
        "Zet de bijdragen van de zaal onder het antwoord", default=True
    )

    def set_choices(self, questionnaire) -> None:
        self.assessment_id.choices = select_choices(
            (s.id, s.label) for s in questionnaire.assessment_scale
        )
