"""Form fields that speak Dutch formats."""

from __future__ import annotations

import re
import secrets
from datetime import date

from flask_wtf import FlaskForm
from wtforms import Field, Form, HiddenField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from .formatting import number

#: WTForms' own built-in messages ("Ongeldige keuze.") in Dutch, loaded once per process.
DUTCH_TRANSLATIONS = get_translations(["nl"])


class _DutchMeta:
    """Built-in WTForms messages in Dutch, without Flask-Babel."""

    locales = ("nl",)

    def get_translations(self, form):
        return DUTCH_TRANSLATIONS


class HandvatForm(FlaskForm):
    """Base for every page form: CSRF from Flask-WTF, built-in messages in Dutch."""

    class Meta(_DutchMeta):
        pass


class HandvatSubform(Form):
    """Base for rows inside a page form (no CSRF token of their own)."""

    class Meta(_DutchMeta):
        pass


_DUTCH_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")

DATE_HINT = "Schrijf de datum als dd-mm-jjjj, bijvoorbeeld 05-03-2026."


def parse_dutch_date(text: str) -> date:
    """Parse 05-03-2026, 5-3-2026, 5/3/2026 or 2026-03-05; ValueError with a Dutch message."""
    match = _DUTCH_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE.match(text)
        if not match:
            raise ValueError(f"'{text.strip()}' is geen datum. {DATE_HINT}")
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text.strip()}' bestaat niet als datum. {DATE_HINT}") from None


class DutchDateField(Field):
    """A date typed as dd-mm-jjjj. Keeps what was typed when it is not a date."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d-%m-%Y") if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            self.data = parse_dutch_date(valuelist[0])
        except ValueError as exc:
            raise ValueError(str(exc)) from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SubmissionTokenField(HiddenField):
    """A random token per rendered form, so a double submit can be recognised."""

    def _value(self) -> str:
        if not self.data:
            self.data = secrets.token_urlsafe(24)
        return self.data


class MaxCharacters:
    """Length check with a Dutch message that says how long the text is and what to do."""

    def __init__(self, limit: int, what: str = "Deze tekst"):
        self.limit = limit
        self.what = what

    def __call__(self, form, field):
        text = field.data or ""
        if len(text) > self.limit:
            raise ValidationError(
                f"{self.what} is te lang: {number(len(text))} tekens. Het mag maximaal "
                f"{number(self.limit)} tekens zijn. Maak de tekst korter; niets is weggegooid."
            )


def revision_of(field: Field) -> int:
    """The revision a form was based on; -1 for a tampered value, so it counts as stale."""
    try:
        return int(field.data or 0)
    except (TypeError, ValueError):
        return -1


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms expects."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]
