from __future__ import annotations

from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from ..core.forms import (
    DutchDateField,
    HandvatForm,
    HandvatSubform,
    MaxCharacters,
    MultiCheckboxField,
    SubmissionTokenField,
    select_choices,
)
from .models import OrganisationType
from .operations import ANSWER_MAX_CHARACTERS

MIN_PARTICIPANT_ROWS = 4
#: More people than sit at any board table; a form with more filled rows is refused whole,
#: never cut short.
MAX_PARTICIPANTS = 60


class ParticipantForm(HandvatSubform):
    """One row of the table of participants; an empty row is simply not saved."""

    name = StringField("Naam", validators=[MaxCharacters(120, "De naam")])
    organisation = StringField("Organisatie", validators=[MaxCharacters(160, "De organisatie")])
    organisation_type = SelectField(
        "Soort organisatie",
        choices=select_choices(OrganisationType.choices()),
        default=OrganisationType.MUNICIPALITY.value,
    )
    role = StringField("Rol", validators=[MaxCharacters(120, "De rol")])

    def is_empty(self) -> bool:
        return not any(
            (self.name.data or "").strip() or (f.data or "").strip()
            for f in (self.organisation, self.role)
        )

    def validate_name(self, field):
        if not (field.data or "").strip() and not self.is_empty():
            raise ValidationError("Vul de naam in, of maak de hele regel leeg.")

    def validate_organisation(self, field):
        if not (field.data or "").strip() and (self.name.data or "").strip():
            raise ValidationError("Vul de organisatie in.")


class ConversationForm(HandvatForm):
    title = StringField(
        "Titel van het gesprek",
        validators=[DataRequired("Geef het gesprek een titel."), MaxCharacters(200, "De titel")],
    )
    region_id = SelectField("Regio", coerce=int, validators=[InputRequired("Kies een regio.")])
    held_on = DutchDateField(
        "Datum van het gesprek",
        validators=[InputRequired("Vul de datum van het gesprek in (dd-mm-jjjj).")],
    )
    current_phase_id = RadioField(
        "In welke fase is de samenwerking nu?",
        validators=[InputRequired("Kies de fase waarin de samenwerking nu is.")],
    )
    #: "Nog een deelnemer" adds a row by a round trip, so it works without JavaScript. No
    #: ``max_entries``: WTForms would silently drop the rows past it; ``validate_participants``
    #: refuses them with a message instead.
    participants = FieldList(FormField(ParticipantForm), min_entries=MIN_PARTICIPANT_ROWS)
    creation_token = SubmissionTokenField()
    max_participants = MAX_PARTICIPANTS
    #: The conversation's ``details_revision`` the edit form was based on.
    details_revision = HiddenField(default="0")

    def validate_participants(self, field):
        filled = sum(not row.form.is_empty() for row in field)
        if filled > MAX_PARTICIPANTS:
            raise ValidationError(
                f"U vulde {filled} deelnemers in. Er kunnen er maximaal {MAX_PARTICIPANTS} in "
                "één gesprek. Er is niets opgeslagen en alle regels staan nog in het formulier. "
                "Maak regels leeg tot er niet meer dan "
                f"{MAX_PARTICIPANTS} over zijn."
            )

    def can_add_participant_row(self) -> bool:
        return len(self.participants) < MAX_PARTICIPANTS

    def set_choices(self, regions, questionnaire) -> None:
        self.region_id.choices = select_choices((r.id, r.name) for r in regions)
        self.current_phase_id.choices = select_choices((p.id, p.name) for p in questionnaire.phases)


class QuestionSelectionForm(HandvatForm):
    question_ids = MultiCheckboxField("Vragen")
    #: The chosen questions as the page showed them (ids, space-separated): if they changed
    #: since, the save is a conflict instead of silently undoing someone else's choice.
    shown_selection = HiddenField()

    def shown_question_ids(self) -> list[str]:
        return (self.shown_selection.data or "").split()

    def set_choices(self, questionnaire) -> None:
        self.question_ids.choices = select_choices(
            (q.id, q.text) for p in questionnaire.phases for q in p.questions
        )

    def validate_question_ids(self, field):
        if not field.data:
            raise ValidationError("Kies minstens één vraag om te bespreken.")


class AnswerForm(HandvatForm):
    text = TextAreaField(
        "Uw antwoord", validators=[MaxCharacters(ANSWER_MAX_CHARACTERS, "Het antwoord")]
    )
    assessment_id = RadioField("Hoe staat de samenwerking hier ervoor?", validators=[Optional()])
    #: The answer revision this form was based on (0 when there was no answer yet).
    revision = HiddenField(default="0")

    def set_choices(self, questionnaire) -> None:
        self.assessment_id.choices = select_choices(
            (s.id, s.label) for s in questionnaire.assessment_scale
        )
