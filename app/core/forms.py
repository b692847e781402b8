"""Form fields that speak Dutch formats."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import date

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, Form, HiddenField, PasswordField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from .converters import MAX_DATABASE_ID
from .formatting import number
from .text import clean_line, clean_text, is_visible

#: WTForms' own built-in messages ("Ongeldige keuze.") in Dutch, loaded once per process.
DUTCH_TRANSLATIONS = get_translations(["nl"])


class _DutchMeta:
    """Built-in WTForms messages in Dutch, without Flask-Babel; every submitted value cleaned.

    Every value a form reads goes through ``clean_text`` (the form's text areas) or
    ``clean_line`` (everything else: names, titles, hidden fields, choices, dates; passwords
    keep their combining marks, see ``clean_line``), so no form
    can store a NUL byte or a line break in a name, no error message can repeat one, and a new
    form gets that without asking. A value of only invisible characters (zero-width spaces) is
    empty, so a required title cannot be one that shows nothing.
    """

    locales = ("nl",)

    def get_translations(self, form):
        return DUTCH_TRANSLATIONS

    def wrap_formdata(self, form, formdata):
        formdata = super().wrap_formdata(form, formdata)
        if formdata is None:
            return None
        multiline = {f.name for f in form if isinstance(f, TextAreaField)}
        secret = {f.name for f in form if isinstance(f, PasswordField)}
        cleaned = MultiDict()
        for key, value in formdata.items(multi=True):
            if isinstance(value, str):
                if key in multiline:
                    value = clean_text(value)
                else:
                    value = clean_line(value, cap_marks=key not in secret)
                if value.strip() and not is_visible(value):
                    value = ""  # only zero-width characters: as empty as it looks
            cleaned.add(key, value)
        return cleaned


class HandvatForm(FlaskForm):
    """Base for every page form: CSRF from Flask-WTF, built-in messages in Dutch."""

    class Meta(_DutchMeta):
        pass


class HandvatSubform(Form):
    """Base for rows inside a page form (no CSRF token of their own)."""

    class Meta(_DutchMeta):
        pass


_DUTCH_DATE = re.compile(r"^\s*([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})\s*$")
_ISO_DATE = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})\s*$")

DATE_HINT = "Schrijf de datum als dd-mm-jjjj, bijvoorbeeld 05-03-2026."
#: The years a date may have: what Excel can hold (1900-9999), so every date reads back the
#: same from the form, the PDF and the spreadsheet.
FIRST_YEAR, LAST_YEAR = 1900, 9999


def parse_dutch_date(text: str) -> date:
    """Parse 05-03-2026, 5-3-2026, 5/3/2026 or 2026-03-05; ValueError with a Dutch message."""
    text = clean_line(text)
    match = _DUTCH_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE.match(text)
        if not match:
            raise ValueError(f"'{text.strip()}' is geen datum. {DATE_HINT}")
        year, month, day = (int(g) for g in match.groups())
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text.strip()}' bestaat niet als datum. {DATE_HINT}") from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValueError(
            f"'{text.strip()}' ligt te ver in het verleden. Kies een datum vanaf 1 januari "
            f"{FIRST_YEAR}."
        )
    return parsed


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


class Outcome(enum.Enum):
    """What happened to a submitted form, so the page can say it truthfully."""

    SAVED = "saved"
    #: The very same form was sent twice (a double click, a reload): it counts once.
    ALREADY_SAVED = "already-saved"
    #: The form had been sent before, but with other content: saved as a separate item, so
    #: nothing typed is lost; the page says so.
    SAVED_AS_NEW = "saved-as-new"


_SUBMISSION_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SubmissionTokenField(HiddenField):
    """A random token per rendered form, so a double submit can be recognised.

    ``token`` is the submitted token when it looks like one we made, else None: an empty,
    overlong or tampered token only switches the double-submit check off, it is never stored.
    """

    def _value(self) -> str:
        if not self.token:
            self.data = secrets.token_urlsafe(24)
        return self.data

    @property
    def token(self) -> str | None:
        data = self.data or ""
        return data if _SUBMISSION_TOKEN.match(data) else None


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


_COUNTER = re.compile(r"^(0|[1-9][0-9]{0,9})$")


def revision_of(field: Field) -> int:
    """The revision a form was based on; -1 for a tampered value, so it counts as stale.

    Only plain decimal numbers that fit the database's integer column count: a negative, a
    huge or a zero-padded number would otherwise reach a query and fail there.
    """
    text = (field.data or "0").strip()
    if not _COUNTER.match(text) or int(text) > MAX_DATABASE_ID:
        return -1
    return int(text)


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms expects."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]
