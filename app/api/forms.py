"""The forms of the tokens page: make a token, revoke one."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired

from ..core.forms import HandvatForm, MaxCharacters, select_choices
from .models import TokenScope
from .operations import NAME_MAX_CHARACTERS

SCOPE_DESCRIPTIONS = {
    TokenScope.READ.value: "Voor een dashboard of rapport: de sleutel kan alleen gegevens ophalen.",
    TokenScope.WRITE.value: (
        "Voor een script dat ook de status of voortgang van actiepunten bijwerkt, voor zover uw "
        "rol dat mag."
    ),
}


class NewTokenForm(HandvatForm):
    name = StringField(
        "Naam van de sleutel",
        validators=[
            DataRequired("Geef de sleutel een naam, bijvoorbeeld ‘Power BI dashboard’."),
            MaxCharacters(NAME_MAX_CHARACTERS, "De naam"),
        ],
    )
    scope = RadioField(
        "Wat mag de sleutel?",
        choices=select_choices(TokenScope.choices()),
        default=TokenScope.READ.value,
        validators=[DataRequired("Kies wat de sleutel mag.")],
    )


class RevokeTokenForm(HandvatForm):
    token_id = HiddenField()
