from __future__ import annotations

import re

from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, ValidationError

from ..core.converters import MAX_DATABASE_ID
from ..core.forms import HandvatForm, MaxCharacters, SubmissionTokenField
from .operations import FEED_NAME_MAX

#: A stored filter is a query string of the list page; anything longer is not one.
FILTERS_MAX = 2_000
_ID = re.compile(r"[1-9][0-9]{0,9}")


class FeedForm(HandvatForm):
    """A new calendar feed of the list as it is filtered now."""

    name = StringField(
        "Naam van het abonnement",
        validators=[
            InputRequired("Geef het abonnement een naam, zodat u het in uw agenda herkent."),
            MaxCharacters(FEED_NAME_MAX, "De naam"),
        ],
    )
    #: The list's filters as a query string (``ActionFilter.query_string``).
    filters = HiddenField()
    creation_token = SubmissionTokenField()

    def validate_name(self, field) -> None:
        field.data = " ".join((field.data or "").split())
        if not field.data:
            raise ValidationError("Geef het abonnement een naam, zodat u het in uw agenda herkent.")

    @property
    def filter_query(self) -> str:
        text = self.filters.data or ""
        return text if len(text) <= FILTERS_MAX else ""


class RevokeFeedForm(HandvatForm):
    feed = HiddenField()

    @property
    def feed_id(self) -> int | None:
        """The feed's id, or None for anything that cannot be one."""
        text = (self.feed.data or "").strip()
        if not _ID.fullmatch(text) or int(text) > MAX_DATABASE_ID:
            return None
        return int(text)
