"""Reading what a client sends: query parameters, JSON bodies and ``If-Match``, all bounded.

Whatever arrives, the answer is a problem document that names the parameter or field and says
in Dutch what is expected (400 for a query string or JSON that cannot be read, 422 for JSON
whose content is refused), never a 500: numbers are bounded before they reach a query,
unknown parameters and fields are refused (a typo such as ``pagesize`` would otherwise be
ignored silently), text is cleaned as every form cleans it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import request

from ..core.converters import MAX_DATABASE_ID
from ..core.formatting import TIMEZONE, number
from ..core.forms import FIRST_YEAR, LAST_YEAR
from ..core.text import clean_line, clean_text
from .problems import ApiProblem, InvalidParam

#: Pages: ``page`` from 1, ``pageSize`` at most 100 (NL API Design Rules' names).
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000
PAGING_PARAMETERS = ("page", "pageSize")

_COUNTER = re.compile(r"[1-9][0-9]{0,9}")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_SLUG = re.compile(r"[a-z0-9-]{1,120}")
#: An entity tag as Handvat sends it ("3"), weak (W/"3") or bare (3), which spreadsheet tools
#: find easier to write.
_ETAG = re.compile(r'(?:W/)?"?(0|[1-9][0-9]{0,9})"?')


@dataclass(frozen=True)
class Paging:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class QueryArgs:
    """The query string of one request, read once per parameter; every problem is collected
    and raised together by ``done()`` (one 400 that names them all)."""

    def __init__(self, allowed: tuple[str, ...], repeatable: tuple[str, ...] = ()):
        self.allowed = allowed
        self.repeatable = repeatable
        self.problems: list[InvalidParam] = []
        self.normalised: dict[str, str] = {}
        self.args = args = request.args
        for name in args:
            if name not in allowed:
                shown = clean_line(name)[:60]
                self.problems.append(
                    InvalidParam(
                        shown,
                        "Deze parameter bestaat hier niet. Wel: " + ", ".join(allowed) + ".",
                    )
                )
            elif name not in repeatable and len(args.getlist(name)) > 1:
                self.problems.append(InvalidParam(name, "Geef deze parameter maar één keer."))

    def refuse(self, name: str, reason: str) -> None:
        self.problems.append(InvalidParam(name, reason))

    def text(self, name: str) -> str | None:
        # ``in`` first: ``MultiDict.get`` of a missing name raises (and catches) an exception.
        if name not in self.args:
            return None
        return clean_line(self.args[name]).strip()

    def paging(self) -> Paging:
        page = self._counter("page", 1, MAX_PAGE)
        size = self._counter("pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        return Paging(page, size)

    def _counter(self, name: str, default: int, maximum: int) -> int:
        value = self.text(name)
        if value is None or value == "":
            return default
        if not _COUNTER.fullmatch(value) or int(value) > maximum:
            self.refuse(name, f"Geef een heel getal van 1 tot en met {number(maximum)}.")
            return default
        self.normalised[name] = value
        return int(value)

    def database_id(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not _COUNTER.fullmatch(value) or int(value) > MAX_DATABASE_ID:
            self.refuse(name, "Geef het nummer (id) als heel getal, bijvoorbeeld 12.")
            return None
        self.normalised[name] = value
        return int(value)

    def slug(self, name: str) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        if not _SLUG.fullmatch(value):
            self.refuse(name, "Geef de korte naam (slug) van de regio, bijvoorbeeld twente.")
            return None
        self.normalised[name] = value
        return value

    def choices(self, name: str, allowed: list[str]) -> list[str]:
        """One or more values, repeated (``?status=open&status=bezig``) or comma-separated."""
        values = [
            part.strip()
            for raw in self.args.getlist(name)
            for part in clean_line(raw).split(",")
            if part.strip()
        ]
        wrong = [v for v in values if v not in allowed]
        if wrong:
            self.refuse(name, f"Kies uit: {', '.join(allowed)}.")
            return []
        unique = list(dict.fromkeys(values))
        if unique:
            self.normalised[name] = ",".join(unique)
        return unique

    def date(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        parsed = iso_date(value)
        if parsed is None:
            self.refuse(name, DATE_REASON)
            return None
        self.normalised[name] = value
        return parsed

    def moment(self, name: str) -> datetime | None:
        """A date-time in ISO 8601 (``2026-03-05T14:00:00Z``, with an offset, or a plain date:
        its start in Dutch time)."""
        value = self.text(name)
        if value is None:
            return None
        parsed = iso_moment(value)
        if parsed is None:
            self.refuse(
                name,
                "Geef een datum en tijd in ISO 8601, bijvoorbeeld 2026-03-05T14:00:00Z of "
                "2026-03-05.",
            )
            return None
        self.normalised[name] = value
        return parsed

    def done(self) -> None:
        if self.problems:
            raise ApiProblem(400, invalid_params=self.problems)


DATE_REASON = (
    f"Geef een datum als jjjj-mm-dd, bijvoorbeeld 2026-03-05, tussen {FIRST_YEAR} en {LAST_YEAR}."
)


def iso_date(text: str) -> date | None:
    match = _ISO_DATE.fullmatch(text)
    if not match:
        return None
    try:
        value = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    return value if FIRST_YEAR <= value.year <= LAST_YEAR else None


def iso_moment(text: str) -> datetime | None:
    if len(text) > 40:
        return None
    text = text.upper()  # RFC 3339 allows "t" and "z" too
    day = iso_date(text)
    if day is not None:
        return datetime(day.year, day.month, day.day, tzinfo=TIMEZONE).astimezone(UTC)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?", text):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=TIMEZONE)
    return value.astimezone(UTC)


# --- JSON bodies ---------------------------------------------------------------------------------


class _Refused(ValueError):
    pass


def _parse_int(text: str) -> int:
    # Python reads integers of any length (up to its 4,300-digit guard); nothing here needs
    # more than an id, so a longer one is refused while reading, before anything uses it.
    if len(text.lstrip("-")) > 15:
        raise _Refused("te groot getal")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as infinity
        raise _Refused("te groot getal")
    return value


def _parse_constant(text: str):
    raise _Refused(f"{text} is geen getal in JSON")


class _FieldTwice(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _object_once(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose every name occurs once. JSON allows a name twice, but readers differ
    in which value counts (Python's the last, others the first): refused, not guessed."""
    data: dict = {}
    for name, value in pairs:
        if name in data:
            raise _FieldTwice(name)
        data[name] = value
    return data


def json_body() -> dict:
    """The request's JSON object; 415 for another content type, 400 when it is not JSON, not
    an object, or names a field twice (a UTF-8 byte order mark in front is skipped)."""
    if not request.mimetype or not (
        request.mimetype == "application/json" or request.mimetype.endswith("+json")
    ):
        raise ApiProblem(415)
    raw = request.get_data(cache=True)  # more than MAX_CONTENT_LENGTH: 413
    try:
        data = json.loads(
            # "-sig": without the byte order mark that Notepad and PowerShell 5 write in front.
            raw.decode("utf-8-sig"),
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=_object_once,
        )
    except _FieldTwice as twice:
        name = clean_line(twice.name)[:60]
        raise ApiProblem(
            400,
            f"Het veld ‘{name}’ staat meer dan één keer in het JSON-object. Geef elk veld één "
            "keer. Er is niets opgeslagen.",
            invalid_params=[InvalidParam(name, "Dit veld staat meer dan één keer in de JSON.")],
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiProblem(
            400,
            "De inhoud is geen geldige JSON (UTF-8), of bevat een getal dat te groot is. "
            "Controleer haakjes, aanhalingstekens en komma's.",
        ) from None
    if not isinstance(data, dict):
        raise ApiProblem(400, 'Stuur een JSON-object, bijvoorbeeld {"status": "bezig"}.')
    return data


class BodyFields:
    """The fields of a JSON object, checked one by one; problems collected, raised as one 422
    by ``done()``."""

    def __init__(self, data: dict, allowed: tuple[str, ...], prefix: str = ""):
        self.data = data
        self.prefix = prefix
        self.problems: list[InvalidParam] = []
        for name in data:
            if name not in allowed:
                self.problems.append(
                    InvalidParam(
                        prefix + clean_line(str(name))[:60],
                        "Dit veld bestaat hier niet. Wel: " + ", ".join(allowed) + ".",
                    )
                )

    def has(self, name: str) -> bool:
        return name in self.data

    def refuse(self, name: str, reason: str) -> None:
        self.problems.append(InvalidParam(self.prefix + name, reason))

    def text(self, name: str, maximum: int, *, multiline: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self.refuse(name, "Geef tekst (een JSON-string).")
            return None
        cleaned = (clean_text(value) if multiline else clean_line(value)).strip()
        if len(cleaned) > maximum:
            self.refuse(
                name,
                f"Te lang: {number(len(cleaned))} tekens. Het mag maximaal {number(maximum)} "
                "tekens zijn. Maak de tekst korter.",
            )
            return None
        return cleaned

    def choice(self, name: str, allowed: list[str], *, nullable: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None:
            if name in self.data and not nullable:
                self.refuse(name, f"Kies uit: {', '.join(allowed)}.")
            return None
        if not isinstance(value, str) or value not in allowed:
            self.refuse(name, f"Kies uit: {', '.join(allowed)}.")
            return None
        return value

    def date(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None:
            return None
        parsed = iso_date(value) if isinstance(value, str) else None
        if parsed is None:
            self.refuse(name, DATE_REASON)
        return parsed

    def database_id(self, name: str) -> int | None:
        value = self.data.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= (MAX_DATABASE_ID)
        ):
            self.refuse(name, "Geef het nummer (id) als heel getal, bijvoorbeeld 12.")
            return None
        return value

    def number(self, name: str, limit: float = 1e15) -> float | None:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.refuse(name, "Geef een getal, bijvoorbeeld 12 of 24.5 (met een punt).")
            return None
        if abs(value) >= limit:
            self.refuse(name, "Dit getal is te groot.")
            return None
        return float(value)

    def object(self, name: str) -> dict | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.refuse(name, "Geef een JSON-object.")
            return None
        return value

    def done(self) -> None:
        if self.problems:
            raise ApiProblem(422, invalid_params=self.problems)


def if_match_revision(current: int) -> int:
    """The revision the client's ``If-Match`` names: 428 without it, 400 when it is not an
    entity tag Handvat made. Of several tags, the current revision if it is among them
    (``*`` means the current one, as HTTP defines it)."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise ApiProblem(428)
    header = header.strip()
    if header == "*":
        return current
    revisions = []
    for part in header.split(",")[:20]:
        match = _ETAG.fullmatch(part.strip())
        if match is None or int(match.group(1)) > MAX_DATABASE_ID:
            raise ApiProblem(
                400,
                "If-Match moet de ETag van het actiepunt zijn, zoals GET /api/v1/actions/{id} "
                "die teruggeeft, bijvoorbeeld 'If-Match: \"3\"'.",
                invalid_params=[InvalidParam("If-Match", "Geen ETag van Handvat.")],
            )
        revisions.append(int(match.group(1)))
    return current if current in revisions else revisions[0]


def etag(revision: int) -> str:
    return f'"{revision}"'
