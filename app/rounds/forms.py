"""The form that starts the next round of a conversation."""

from __future__ import annotations

from wtforms import FieldList, FormField, HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from ..conversations.forms import MAX_PARTICIPANTS, ParticipantForm
from ..core.forms import (
    DutchDateField,
    HandvatForm,
    MaxCharacters,
    MultiCheckboxField,
    SubmissionTokenField,
    select_choices,
)

#: Empty rows for people who were not at the previous round's table.
MIN_ADDED_ROWS = 2
SAME, NEWEST = "zelfde", "nieuwste"


class NewRoundForm(HandvatForm):
    title = StringField(
        "Titel van het nieuwe gesprek",
        validators=[DataRequired("Geef het gesprek een titel."), MaxCharacters(200, "De titel")],
    )
    held_on = DutchDateField(
        "Datum van het gesprek",
        validators=[InputRequired("Vul de datum van het gesprek in (dd-mm-jjjj).")],
    )
    current_phase_id = RadioField(
        "In welke fase is de samenwerking nu?",
        validators=[InputRequired("Kies de fase waarin de samenwerking nu is.")],
    )
    #: Only shown when the newest version differs from the previous round's.
    questionnaire_version = RadioField("Welke versie van de vragenlijst?", validators=[Optional()])
    #: Indexes of the previous round's participants (in list order) who come again.
    kept_participants = MultiCheckboxField("Deelnemers van de vorige ronde")
    #: The title as suggested for the date in the form: while the title is left as suggested,
    #: it follows a changed date (``follow_date_with_title``).
    suggested_title = HiddenField()
    #: The previous round's ``details_revision`` the participant list was shown at.
    participants_revision = HiddenField(default="0")
    #: As on the start form: "Nog een deelnemer" adds a row by a round trip (no JavaScript).
    participants = FieldList(FormField(ParticipantForm), min_entries=MIN_ADDED_ROWS)
    creation_token = SubmissionTokenField()
    max_participants = MAX_PARTICIPANTS

    @staticmethod
    def participant_choices(previous_participants) -> list:
        return select_choices(
            (str(index), _participant_label(p)) for index, p in enumerate(previous_participants)
        )

    def set_choices(self, previous_participants, phases, version_labels) -> None:
        self.kept_participants.choices = self.participant_choices(previous_participants)
        self.current_phase_id.choices = select_choices((p.id, p.name) for p in phases)
        self.questionnaire_version.choices = select_choices(version_labels)

    def kept_indexes(self) -> list[int]:
        return sorted({int(value) for value in self.kept_participants.data or []})

    def added_rows(self) -> list:
        return [row.form for row in self.participants if not row.form.is_empty()]

    def validate_participants(self, field):
        filled = len(self.kept_participants.data or []) + len(self.added_rows())
        if filled > MAX_PARTICIPANTS:
            raise ValidationError(
                f"Er staan nu {filled} deelnemers in het formulier. Er kunnen er maximaal "
                f"{MAX_PARTICIPANTS} in één gesprek. Er is niets opgeslagen. Zet vinkjes uit of "
                "maak regels leeg."
            )

    def can_add_participant_row(self) -> bool:
        return len(self.participants) + len(self.kept_participants.choices or []) < (
            MAX_PARTICIPANTS
        )


def _participant_label(p) -> str:
    details = ", ".join(part for part in (p.organisation, p.role) if part)
    return f"{p.name} ({details})" if details else p.name
