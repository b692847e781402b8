"""The filters of the region-wide action list, as they live in the URL.

``parse_filter`` reads them from a query string (the list page, its exports, a stored calendar
feed); ``ActionFilter.url_args`` and ``ActionFilter.query_string`` write them back, so a view
can be bookmarked, shared and kept in a feed. Values that cannot be used are left out, each
with a Dutch notice that says so: a typo in a URL gives a message, never an error page.

Parsing checks only what can be checked without the database (a status, a date, a phase or a
question of the plate, the regions the user works in); what the user may see is decided by
the query (``queries.py``), never by the filter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from ..actions.deadlines import DUE_SOON_DAYS
from ..actions.models import ActionStatus
from ..core.converters import MAX_DATABASE_ID
from ..core.formatting import date_short
from ..core.forms import parse_dutch_date
from ..core.paging import page_number
from ..core.text import clean_line
from ..questionnaires.schema import Questionnaire

#: "Binnenkort": due within this many days from today.
#: The pseudo-status "every status that is not closed" (open and bezig).
OPEN_ALL = "open-alle"
OVERDUE, DUE_SOON = "te-laat", "binnenkort"
PERIODS = {OVERDUE: "Te laat", DUE_SOON: f"Binnenkort (binnen {DUE_SOON_DAYS} dagen)"}
#: The phase filter's value for actions without a phase.
NO_PHASE = "geen"

SORTS = {
    "deadline": "Deadline",
    "status": "Status",
    "trekker": "Trekker",
    "gesprek": "Gesprek",
    "laatst-bijgewerkt": "Laatst bijgewerkt",
}
DEFAULT_SORT = "deadline"
ASCENDING, DESCENDING = "oplopend", "aflopend"
#: Newest first is what "laatst bijgewerkt" is for; everything else reads from the top.
DESCENDING_BY_DEFAULT = {"laatst-bijgewerkt"}

MAX_TEXT = 200
#: More values of one parameter than anyone ticks: the rest is left out.
MAX_VALUES = 100
_SLUG = re.compile(r"[a-z0-9-]{1,120}")
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,80}")
_ID = re.compile(r"[1-9][0-9]{0,9}")
_STATUSES = {status.value: status for status in ActionStatus}


@dataclass(frozen=True)
class ActionFilter:
    """What the list shows. Empty values mean "no filter"."""

    regions: tuple[str, ...] = ()  #: region slugs
    statuses: tuple[str, ...] = ()  #: ``ActionStatus`` values and/or ``OPEN_ALL``
    mine: bool = False  #: only actions whose trekker is the user's account
    owner: str = ""  #: part of the trekker's name
    organisation: str = ""  #: part of the trekker's organisation
    phase: str = ""  #: a phase id, or ``NO_PHASE``
    question: str = ""  #: a question id
    conversation_id: int | None = None
    indicator: str = ""  #: an indicator key
    due_from: date | None = None
    due_until: date | None = None
    period: str = ""  #: ``OVERDUE``, ``DUE_SOON`` or ""
    text: str = ""  #: words in the description
    sort: str = DEFAULT_SORT
    descending: bool = False
    page: int = 1

    @property
    def status_set(self) -> frozenset[ActionStatus]:
        """The statuses asked for, with ``OPEN_ALL`` spelled out; empty: every status."""
        chosen = {_STATUSES[s] for s in self.statuses if s in _STATUSES}
        if OPEN_ALL in self.statuses:
            chosen |= set(ActionStatus.open_statuses())
        return frozenset(chosen)

    @property
    def is_filtered(self) -> bool:
        """True when anything but the order and the page is chosen."""
        return replace(self, sort=DEFAULT_SORT, descending=False, page=1) != ActionFilter()

    def url_args(self, **changes) -> dict[str, list[str] | str]:
        """The filter as ``url_for`` arguments (lists for repeated parameters); ``changes``
        replace fields first, e.g. ``url_args(page=2)`` or ``url_args(period="te-laat")``."""
        f = replace(self, **changes) if changes else self
        args: dict[str, list[str] | str] = {}
        if f.regions:
            args["regio"] = list(f.regions)
        if f.statuses:
            args["status"] = list(f.statuses)
        owners = (["mijn"] if f.mine else []) + ([f.owner] if f.owner else [])
        if owners:
            args["trekker"] = owners
        for name, value in (
            ("organisatie", f.organisation),
            ("fase", f.phase),
            ("vraag", f.question),
            ("gesprek", str(f.conversation_id) if f.conversation_id else ""),
            ("indicator", f.indicator),
            ("van", date_short(f.due_from)),
            ("tot", date_short(f.due_until)),
            ("termijn", f.period),
            ("q", f.text),
        ):
            if value:
                args[name] = value
        if f.sort != DEFAULT_SORT or f.descending != (f.sort in DESCENDING_BY_DEFAULT):
            args["sorteer"] = f.sort
            args["volgorde"] = DESCENDING if f.descending else ASCENDING
        if f.page > 1:
            args["page"] = str(f.page)
        return args

    def query_string(self) -> str:
        """The filter (without the page) as a query string, e.g. for a calendar feed."""
        return urlencode(self.url_args(page=1), doseq=True)


@dataclass
class ParsedFilter:
    filter: ActionFilter
    #: What could not be used, in Dutch, for the page to show.
    notices: list[str] = field(default_factory=list)


def _shown(value: str) -> str:
    value = value.strip()
    return value if len(value) <= 40 else value[:40] + "…"


class _Reader:
    """Reads one query string, collecting a notice for every value it leaves out."""

    def __init__(self, args: MultiDict, regions: Mapping[str, str], questionnaire: Questionnaire):
        self.args = args
        self.regions = regions
        self.questionnaire = questionnaire
        self.notices: list[str] = []

    def values(self, name: str) -> list[str]:
        values = [clean_line(v).strip() for v in self.args.getlist(name)[:MAX_VALUES]]
        return [v for v in values if v]

    def value(self, name: str) -> str:
        values = self.values(name)
        return values[0] if values else ""

    def refuse(self, message: str) -> None:
        self.notices.append(f"{message} Dit filter is niet gebruikt.")

    def region_slugs(self) -> tuple[str, ...]:
        slugs = []
        for slug in dict.fromkeys(self.values("regio")):
            if _SLUG.fullmatch(slug) and slug in self.regions:
                slugs.append(slug)
            else:
                self.refuse(f"Regio '{_shown(slug)}' kennen we niet, of u werkt daar niet.")
        return tuple(slugs)

    def statuses(self) -> tuple[str, ...]:
        chosen = []
        for value in dict.fromkeys(self.values("status")):
            if value in _STATUSES or value == OPEN_ALL:
                chosen.append(value)
            else:
                self.refuse(f"Status '{_shown(value)}' bestaat niet.")
        return tuple(chosen)

    def owners(self) -> tuple[bool, str]:
        mine, names = False, []
        for value in self.values("trekker"):
            if value.casefold() == "mijn":
                mine = True
            else:
                names.append(value[:MAX_TEXT])
        return mine, names[0] if names else ""

    def phase(self) -> str:
        phase = self.value("fase")
        if phase and phase != NO_PHASE and phase not in self.questionnaire.phases_by_id:
            self.refuse(f"Fase '{_shown(phase)}' bestaat niet.")
            return ""
        return phase

    def question(self) -> str:
        question = self.value("vraag")
        if question and question not in self.questionnaire.questions_by_id:
            self.refuse(f"Vraag '{_shown(question)}' bestaat niet.")
            return ""
        return question

    def conversation_id(self) -> int | None:
        value = self.value("gesprek")
        if not value:
            return None
        if not _ID.fullmatch(value) or int(value) > MAX_DATABASE_ID:
            self.refuse(f"'{_shown(value)}' is geen nummer van een gesprek.")
            return None
        return int(value)

    def indicator(self) -> str:
        key = self.value("indicator")
        if key and not _KEY.fullmatch(key):
            self.refuse(f"Indicator '{_shown(key)}' bestaat niet.")
            return ""
        return key

    def day(self, name: str, label: str) -> date | None:
        value = self.value(name)
        if not value:
            return None
        try:
            return parse_dutch_date(value)
        except ValueError as error:
            self.refuse(f"{label}: {error}")
            return None

    def period(self) -> str:
        period = self.value("termijn")
        if period and period not in PERIODS:
            self.refuse(f"Termijn '{_shown(period)}' kennen we niet.")
            return ""
        return period

    def text(self) -> str:
        text = " ".join(self.value("q").split())
        if len(text) > MAX_TEXT:
            self.notices.append(
                f"De zoektekst was te lang. We zoeken op de eerste {MAX_TEXT} tekens."
            )
            text = text[:MAX_TEXT]
        return text

    def sort(self) -> tuple[str, bool]:
        sort = self.value("sorteer") or DEFAULT_SORT
        if sort not in SORTS:
            self.notices.append(
                f"Sorteren op '{_shown(sort)}' kan niet. De lijst staat op volgorde van deadline."
            )
            sort = DEFAULT_SORT
        order = self.value("volgorde")
        if order not in ("", ASCENDING, DESCENDING):
            self.notices.append(f"Volgorde '{_shown(order)}' kennen we niet.")
            order = ""
        descending = order == DESCENDING if order else sort in DESCENDING_BY_DEFAULT
        return sort, descending


def parse_filter(
    args: MultiDict, regions: Mapping[str, str], questionnaire: Questionnaire
) -> ParsedFilter:
    """The filter a query string asks for.

    ``regions`` maps the slugs of the regions the user works in to their names; another slug
    is left out with the same notice whether the region exists or not. ``questionnaire``
    names the phases and questions there are.
    """
    reader = _Reader(args, regions, questionnaire)
    mine, owner = reader.owners()
    sort, descending = reader.sort()
    parsed = ActionFilter(
        regions=reader.region_slugs(),
        statuses=reader.statuses(),
        mine=mine,
        owner=owner,
        organisation=reader.value("organisatie")[:MAX_TEXT],
        phase=reader.phase(),
        question=reader.question(),
        conversation_id=reader.conversation_id(),
        indicator=reader.indicator(),
        due_from=reader.day("van", "Klaar op of na"),
        due_until=reader.day("tot", "Klaar op of voor"),
        period=reader.period(),
        text=reader.text(),
        sort=sort,
        descending=descending,
        page=page_number(reader.value("page") or None),
    )
    return ParsedFilter(parsed, reader.notices)


def describe(
    f: ActionFilter,
    regions: Mapping[str, str],
    questionnaire: Questionnaire,
    conversation_title: str | None = None,
    indicator_name: str | None = None,
) -> str:
    """The filter in a Dutch sentence fragment, for a title or a feed's name:
    "regio Twente; status open en bezig; te laat". "" when nothing is filtered."""
    parts = []
    if f.regions:
        parts.append("regio " + _and([regions.get(s, s) for s in f.regions]))
    if f.statuses:
        labels = [
            "alle open" if s == OPEN_ALL else _STATUSES[s].label.lower()
            for s in f.statuses
            if s == OPEN_ALL or s in _STATUSES
        ]
        parts.append("status " + _and(labels))
    if f.mine:
        parts.append("mijn acties")
    if f.owner:
        parts.append(f"trekker '{f.owner}'")
    if f.organisation:
        parts.append(f"organisatie '{f.organisation}'")
    if f.phase:
        phase = questionnaire.phases_by_id.get(f.phase)
        parts.append(f"fase {phase.name}" if phase else "zonder fase")
    if f.question:
        parts.append(f"vraag {questionnaire.question_numbers.get(f.question, f.question)}")
    if f.conversation_id:
        parts.append(f"gesprek '{conversation_title}'" if conversation_title else "één gesprek")
    if f.indicator:
        parts.append(f"indicator '{indicator_name or f.indicator}'")
    if f.due_from or f.due_until:
        parts.append(_due_range(f.due_from, f.due_until))
    if f.period:
        parts.append(PERIODS[f.period].lower())
    if f.text:
        parts.append(f"met '{f.text}'")
    return "; ".join(parts)


def _due_range(start: date | None, end: date | None) -> str:
    if start and end:
        return f"klaar van {date_short(start)} tot en met {date_short(end)}"
    if start:
        return f"klaar vanaf {date_short(start)}"
    return f"klaar uiterlijk {date_short(end)}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]
