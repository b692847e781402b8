"""The confirmation form for wiping a region's conversations."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..core.forms import HandvatForm


def same_name(typed: str, name: str) -> bool:
    """Typed the region's name? Case and spaces around it do not matter."""
    return typed.strip().casefold() == name.strip().casefold()


class ConfirmRegionNameForm(HandvatForm):
    """Typing the region's name, so no one wipes a region with one slip of the mouse."""

    region_name = StringField(
        "Naam van de regio",
        validators=[
            DataRequired("Typ de naam van de regio om te bevestigen."),
            Length(max=200, message="Deze naam is te lang. Typ de naam van de regio."),
        ],
    )

    def __init__(self, expected_name: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_name = expected_name

    def validate_region_name(self, field):
        if not same_name(field.data or "", self.expected_name):
            raise ValidationError(
                f"De naam klopt niet. Typ de naam van de regio: {self.expected_name}. "
                "Er is niets gewist."
            )
