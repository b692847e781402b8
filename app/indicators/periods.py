"""Periods of a region's figures: years, half years, quarters, months and school years.

Regions write the same period in many ways ("2021", "jaar 2021", CBS's "2021JJ00"; "Q2 2023",
"2e kwartaal 2023", "2023KW02"; "mrt 2023", "2023-03"; "2021/2022", "2021/'22" …).
``parse_period`` reads them all into one :class:`Period` with a canonical ``code`` that is
stored, and a Dutch ``label`` that is shown.

Rules worth knowing:

* Years 1900–2100 only; anything else is not a period.
* The whole text must be a period: "Vorig jaar (2020)" is a category, not a period.
* "2021-12" is December 2021 (ISO order), while "2021/12" is *not* read as a month: with a slash
  two years are a school year ("2011/12" = schooljaar 2011/2012), so "2021/12" is refused.
  "2021-22" and "2021/22" are school years (the second year must follow the first).
* A school year runs from 1 August to 31 July.
* A trailing "*" (CBS: provisional figure) is not part of the period: strip it first with
  :func:`split_provisional`, which also knows "(voorlopig)".
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

MIN_YEAR = 1900
MAX_YEAR = 2100

MONTH_NAMES = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

#: Every way a month is written, Dutch first; English names and abbreviations too, because
#: exports from English-language tools end up in Dutch regions as well.
_MONTH_WORDS: dict[str, int] = {}
for _number, _words in enumerate(
    (
        ("januari", "jan", "january"),
        ("februari", "feb", "febr", "february"),
        ("maart", "mrt", "mar", "maa", "march"),
        ("april", "apr"),
        ("mei", "may"),
        ("juni", "jun", "june"),
        ("juli", "jul", "july"),
        ("augustus", "aug", "august"),
        ("september", "sep", "sept"),
        ("oktober", "okt", "oct", "october"),
        ("november", "nov"),
        ("december", "dec"),
    ),
    start=1,
):
    for _word in _words:
        _MONTH_WORDS[_word] = _number

_ORDINALS = {
    "1": 1,
    "1e": 1,
    "1ste": 1,
    "eerste": 1,
    "2": 2,
    "2e": 2,
    "2de": 2,
    "tweede": 2,
    "3": 3,
    "3e": 3,
    "3de": 3,
    "derde": 3,
    "4": 4,
    "4e": 4,
    "4de": 4,
    "vierde": 4,
}

_ORDINAL_LABEL = {1: "1e", 2: "2e", 3: "3e", 4: "4e"}


@dataclass(frozen=True, order=True)
class Period:
    """One period. Sorting follows ``start`` (then ``code``)."""

    start: date
    code: str
    label: str
    end: date

    @property
    def kind(self) -> str:
        """ "year", "half", "quarter", "month" or "school_year"."""
        if "/" in self.code:
            return "school_year"
        if "-H" in self.code:
            return "half"
        if "-Q" in self.code:
            return "quarter"
        if "-" in self.code:
            return "month"
        return "year"


def _year_ok(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), f"{year:04d}", f"{year}", date(year, 12, 31))


def half_year_period(year: int, half: int) -> Period:
    first = 1 + 6 * (half - 1)
    return Period(
        date(year, first, 1),
        f"{year:04d}-H{half}",
        f"{_ORDINAL_LABEL[half]} halfjaar {year}",
        _month_end(year, first + 5),
    )


def quarter_period(year: int, quarter: int) -> Period:
    first = 1 + 3 * (quarter - 1)
    return Period(
        date(year, first, 1),
        f"{year:04d}-Q{quarter}",
        f"{_ORDINAL_LABEL[quarter]} kwartaal {year}",
        _month_end(year, first + 2),
    )


def month_period(year: int, month: int) -> Period:
    return Period(
        date(year, month, 1),
        f"{year:04d}-{month:02d}",
        f"{MONTH_NAMES[month - 1]} {year}",
        _month_end(year, month),
    )


def school_year_period(first_year: int) -> Period:
    return Period(
        date(first_year, 8, 1),
        f"{first_year:04d}/{first_year + 1:04d}",
        f"schooljaar {first_year}/{first_year + 1}",
        date(first_year + 1, 7, 31),
    )


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

_Y = r"(?P<y>\d{4})"
_ORD = r"(?P<n>1e|2e|3e|4e|1ste|2de|3de|4de|eerste|tweede|derde|vierde|[1-4])"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("year", re.compile(rf"(?:(?:kalender)?jaar\s*)?{_Y}(?:\s*jj\s*00)?")),
    ("cbs", re.compile(rf"{_Y}\s*(?P<kind>hj|kw|mm)\s*(?P<n>\d{{2}})")),
    ("half", re.compile(rf"{_ORD}\s*(?:halfjaar|helft|hj)\s*{_Y}")),
    ("half", re.compile(rf"(?:halfjaar|hj)\s*(?P<n>[12])\s*{_Y}")),
    ("half", re.compile(rf"{_Y}\s*[-/ ]?\s*(?:h|hj)\s*(?P<n>[12])")),
    ("half", re.compile(rf"(?:h|hj)\s*(?P<n>[12])\s*[-/ ]?\s*{_Y}")),
    ("half", re.compile(rf"{_Y}\s*[-/ ]?\s*{_ORD}\s*(?:halfjaar|helft)")),
    ("quarter", re.compile(rf"{_ORD}\s*(?:kwartaal|kw)\s*{_Y}")),
    ("quarter", re.compile(rf"(?:kwartaal|kw|q)\s*(?P<n>[1-4])\s*[-/ ]?\s*{_Y}")),
    ("quarter", re.compile(rf"{_Y}\s*[-/ ]?\s*(?:kwartaal|kw|q)\s*(?P<n>[1-4])")),
    ("quarter", re.compile(rf"{_Y}\s*[-/ ]?\s*{_ORD}\s*kwartaal")),
    ("month_iso", re.compile(rf"{_Y}\s*-\s*(?P<m>\d{{1,2}})")),
    ("month_dmy", re.compile(rf"(?P<m>\d{{1,2}})\s*[-/]\s*{_Y}")),
    ("month_name", re.compile(rf"(?P<name>[a-z]+)\.?\s*[-/ ]?\s*'?{_Y}")),
    ("month_name", re.compile(rf"{_Y}\s*[-/ ]?\s*(?P<name>[a-z]+)\.?")),
    ("month_name_short_year", re.compile(r"(?P<name>[a-z]+)\.?\s*(?:[-/ ]\s*'?|')(?P<yy>\d{2})")),
    (
        "school",
        re.compile(r"(?:schooljaar\s*|sj\s*)?(?P<y>\d{4})\s*[/\-–]\s*'?(?P<y2>\d{4}|\d{2})"),
    ),
]

_PROVISIONAL = re.compile(r"\s*(?:\*+|\(\s*voorlopig\s*\)|voorlopig)\s*$", re.IGNORECASE)


def split_provisional(text: str) -> tuple[str, bool]:
    """ "2023*" -> ("2023", True); "2023 (voorlopig)" -> ("2023", True); "2023" -> ("2023", False).

    CBS marks provisional figures with "*" (and "**" for revised provisional ones) after the
    period; the mark belongs to the figures, not to the period.
    """
    stripped = _PROVISIONAL.sub("", text)
    if stripped != text and stripped.strip():
        return stripped.strip(), True
    return text.strip(), False


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-")
    text = text.replace("\u2014", "-")
    return " ".join(text.split())


def parse_period(text: str) -> Period | None:
    """The period that ``text`` is, or None when it is no period (or a year outside 1900–2100).

    See the module docstring for what is accepted. Text with a provisional mark ("2023*") is
    not a period: use :func:`split_provisional` first.
    """
    if not isinstance(text, str):
        return None
    return _parse_normalised(_normalise(text))


@lru_cache(maxsize=4096)
def _parse_normalised(text: str) -> Period | None:
    if not text or len(text) > 40 or not any(ch.isdigit() for ch in text):
        return None
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        period = _build(kind, match)
        if period is not None:
            return period
    return None


def _build(kind: str, match: re.Match[str]) -> Period | None:
    groups = match.groupdict()
    year = 2000 + int(groups["yy"]) if kind == "month_name_short_year" else int(groups["y"])
    if not _year_ok(year):
        return None
    if kind == "year":
        return year_period(year)
    if kind == "cbs":
        n = int(groups["n"])
        sub = groups["kind"]
        if sub == "hj" and 1 <= n <= 2:
            return half_year_period(year, n)
        if sub == "kw" and 1 <= n <= 4:
            return quarter_period(year, n)
        if sub == "mm" and 1 <= n <= 12:
            return month_period(year, n)
        return None
    if kind == "half":
        n = _ORDINALS.get(groups["n"], 0)
        return half_year_period(year, n) if n in (1, 2) else None
    if kind == "quarter":
        n = _ORDINALS.get(groups["n"], 0)
        return quarter_period(year, n) if 1 <= n <= 4 else None
    if kind in ("month_iso", "month_dmy"):
        month = int(groups["m"])
        return month_period(year, month) if 1 <= month <= 12 else None
    if kind in ("month_name", "month_name_short_year"):
        month = _MONTH_WORDS.get(groups["name"])
        return month_period(year, month) if month else None
    if kind == "school":
        second = groups["y2"]
        follows = int(second) == year + 1 if len(second) == 4 else int(second) == (year + 1) % 100
        if follows and _year_ok(year + 1):
            return school_year_period(year)
        return None
    return None  # pragma: no cover


_CODE = re.compile(
    r"(?P<y>\d{4})(?:-H(?P<h>[12])|-Q(?P<q>[1-4])|-(?P<m>0[1-9]|1[0-2])|/(?P<y2>\d{4}))?"
)


def period_from_code(code: str) -> Period:
    """The period of a canonical code ("2021", "2021-H1", "2021-Q2", "2021-03",
    "2021/2022"); ValueError for anything else."""
    match = _CODE.fullmatch(code) if isinstance(code, str) else None
    if match is None:
        raise ValueError(f"not a canonical period code: {code!r}")
    year = int(match["y"])
    if not _year_ok(year):
        raise ValueError(f"year out of range: {code!r}")
    if match["h"]:
        return half_year_period(year, int(match["h"]))
    if match["q"]:
        return quarter_period(year, int(match["q"]))
    if match["m"]:
        return month_period(year, int(match["m"]))
    if match["y2"]:
        if int(match["y2"]) != year + 1 or not _year_ok(year + 1):
            raise ValueError(f"not a school year: {code!r}")
        return school_year_period(year)
    return year_period(year)


# --------------------------------------------------------------------------------------------
# A period inside running text (a title line, a file name)
# --------------------------------------------------------------------------------------------

_MONTH_ALTERNATIVES = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))

_IN_TEXT = re.compile(
    r"(?<![\w/])(?:"
    r"(?:schooljaar\s+)?\d{4}\s*[/\-–]\s*'?(?:\d{4}|\d{2})"  # school years
    r"|\d{4}(?:hj|kw|mm|jj)\d{2}"  # CBS codes
    r"|(?:1e|2e|3e|4e|eerste|tweede|derde|vierde)\s+(?:kwartaal|halfjaar)\s+\d{4}"
    r"|(?:q[1-4]|h[12])\s+\d{4}|\d{4}[\s-]?(?:q[1-4]|h[12])"
    rf"|(?:{_MONTH_ALTERNATIVES})\.?\s+\d{{4}}"
    r"|(?:jaar\s+)?\d{4}"
    r")(?![\w/])",
    re.IGNORECASE,
)


def find_period_in_text(text: str) -> tuple[Period, str] | None:
    """The one period named in ``text`` and the text without it.

    "Woongemeente studenten 2021" -> (2021, "Woongemeente studenten"). None when the text names
    no period, or several different ones ("2020 en 2021": which one?).
    """
    if not text:
        return None
    found: list[tuple[Period, re.Match[str]]] = []
    for match in _IN_TEXT.finditer(text):
        period = parse_period(match.group(0))
        if period is not None:
            found.append((period, match))
    if len({period for period, _ in found}) != 1:
        return None
    rest = text
    for _, match in reversed(found):
        rest = rest[: match.start()] + " " + rest[match.end() :]
    rest = re.sub(r"\(\s*\)|\[\s*\]", " ", rest)
    rest = " ".join(rest.split()).strip(" -–,:;/")
    return found[0][0], rest
