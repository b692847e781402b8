"""The participants' forms: joining, the scale, a contribution, a dot.

The phone page writes these forms out itself, once per open question (the ids must differ per
question); the classes here read and check what comes back.
"""

from __future__ import annotations

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from ..core.formatting import number
from ..core.forms import HandvatForm, MaxCharacters, SubmissionTokenField, revision_of
from .models import CONTRIBUTION_MAX_CHARACTERS, FIRST_NAME_MAX_CHARACTERS, ContributionKind

DOT_CHANGES = ("erbij", "eraf")


class JoinForm(HandvatForm):
    code = StringField(
        "Code", validators=[DataRequired("Vul de code in. U ziet hem op het grote scherm.")]
    )
    first_name = StringField(
        "Uw voornaam", validators=[MaxCharacters(FIRST_NAME_MAX_CHARACTERS, "Uw voornaam")]
    )


class AssessmentForm(HandvatForm):
    question_id = HiddenField()
    assessment_id = StringField(
        validators=[
            DataRequired("Kies eerst een van de antwoorden. Daarna kunt u uw keuze opslaan.")
        ]
    )


def _short_enough(form, field) -> None:
    """At most 280 characters as stored: line breaks and runs of spaces count as one space."""
    text = " ".join((field.data or "").split())
    if len(text) > CONTRIBUTION_MAX_CHARACTERS:
        raise ValidationError(
            f"Uw bijdrage is te lang: {number(len(text))} tekens. Het mogen er hoogstens "
            f"{CONTRIBUTION_MAX_CHARACTERS} zijn. Maak de tekst korter en verstuur hem "
            "opnieuw; er is niets opgeslagen."
        )


class ContributionForm(HandvatForm):
    question_id = HiddenField()
    kind = StringField(default=ContributionKind.IDEA.value)
    text = TextAreaField(
        "Uw tekst",
        validators=[
            DataRequired("Schrijf eerst iets op. Er is niets opgeslagen."),
            _short_enough,
        ],
    )
    creation_token = SubmissionTokenField()

    def validate_kind(self, field) -> None:
        if self.chosen_kind is None:
            raise ValidationError("Kies of het een idee, een obstakel of een voorstel is.")

    @property
    def chosen_kind(self) -> ContributionKind | None:
        """What the participant chose; a missing choice is an idea (the form's default)."""
        value = self.kind.data or ContributionKind.IDEA.value
        return next((k for k in ContributionKind.for_participants() if k.value == value), None)

    @property
    def stored_text(self) -> str:
        return " ".join((self.text.data or "").split())


class DotForm(HandvatForm):
    contribution_id = HiddenField()
    #: How many of the participant's dots the phone showed on the contribution.
    had = HiddenField()
    change = HiddenField()

    @property
    def parsed(self) -> tuple[int, int, str] | None:
        """(contribution id, had, change), or None when a value was tampered with."""
        contribution_id, had = revision_of(self.contribution_id), revision_of(self.had)
        if (
            contribution_id <= 0
            or not (self.had.data or "").strip()
            or had < 0
            or self.change.data not in DOT_CHANGES
        ):
            return None
        return contribution_id, had, self.change.data
