"""Cell values as regions write them: Dutch numbers, percentages, and the marks for missing,
suppressed and provisional figures.

Rules (``parse_cell``; ``parse_cells`` gives the very same answers for many cells at once):

* **Numbers.** With ``decimal=","`` (Dutch, the default): "1234", "1.234" (= 1234; the point
  only groups thousands, in groups of three), "1.234,5", "12,5", "1 234" (space or no-break
  space grouping). With ``decimal="."``: "1234.5", "1,234.5", "1,234". The first group of
  grouped digits does not start with 0: "0.125" is no number with a decimal comma (and
  "0,125" none with a decimal point), so it tells which mark a file uses. A leading "-", "+" or the
  Unicode minus "−" directly before the digits ("−3"); "- 3" is no number. An exponent as Excel
  writes large numbers ("1,2E+05") is allowed. "€" before or after the number is dropped.
  Anything else ("1.5" with a decimal comma, "12,", "abc", "3 kinderen") is no number: None.
* **Percentages.** "24%", "24,5 %": ``value`` is the number as written (24.0, 24.5) and
  ``is_percentage`` is True.
* **Provisional.** A trailing "*" ("1.234*", CBS's mark for provisional figures):
  ``provisional`` is True, the number is kept.
* **Suppressed.** "x"/"X" (CBS: secret), "geheim", "<5", "< 5", "<10" (small counts hidden,
  as DUO does), and a lone "*" or "**" (regional tables mark a hidden figure so; after a
  number the mark means provisional, above): ``value`` None, ``suppressed`` True.
* **Missing.** An empty cell, ".", "..", "...", a lone "-" (or "–", "—"), "n.v.t.", "nvt", "n.b.",
  "onbekend", "geen gegevens", "#N/B", "#N/A": ``value`` None, ``missing`` True. Missing is
  never zero.

  **A lone "-" means missing**, also in CBS tables, where it means "nil" (0). A dash in a
  region's spreadsheet usually stands for "no figure", and storing 0 for a figure nobody gave
  would be worse than leaving it open; a CBS nil can be typed as 0 where it matters.
* **Excel numbers** (int, float) are taken as they are; NaN is missing; True/False, dates and
  infinities are no number.
* **Too large.** A number of ``MAX_MAGNITUDE`` (10^15) or more, either sign, written or an
  Excel number, is no number either: no monitoring figure is that large (the world has 8·10^9
  people, the Dutch state spends under 10^12 euro a year), so it is a mistake, and it would
  not even show (Babel cannot format 10^28 and over). ``too_large`` tells it apart from text
  that is no number, for the reason the user sees.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from numbers import Real

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CellValue:
    value: float | None  # None: missing or suppressed (missing is not zero)
    is_percentage: bool = False  # written "24%" / "24,5 %"
    provisional: bool = False  # a "*" mark, e.g. "1.234*"
    suppressed: bool = False  # "<5", "< 5", CBS "x" (geheim)
    missing: bool = False  # "", ".", "-", "n.v.t.", "onbekend"


#: Numbers this large or larger (either sign) are refused: see the module docstring.
MAX_MAGNITUDE = 1e15

MISSING = CellValue(None, missing=True)
SUPPRESSED = CellValue(None, suppressed=True)

_MISSING_WORDS = frozenset(
    {
        "",
        ".",
        "..",
        "...",
        "-",
        "–",
        "—",
        "n.v.t.",
        "n.v.t",
        "nvt",
        "n.b.",
        "n.b",
        "nb",
        "onbekend",
        "niet bekend",
        "geen gegevens",
        "#n/b",
        "#n/a",
        "n/a",
        "na",
        "nan",
    }
)
_SUPPRESSED_WORDS = frozenset({"x", "geheim", "afgeschermd"})
_SUPPRESSED = re.compile(r"(?:<|<=|≤)\s*\d+(?:[.,]\d+)?")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})

_EXPONENT = r"(?:[eE][+-]?\d+)?"
#: The first group of a number with thousands separators: 1 to 3 digits, not starting with 0
#: ("0.125" is no thousands number: with a decimal comma it is no number at all).
_GROUP = r"[1-9]\d{0,2}"
_NUMBER = {
    ",": re.compile(
        rf"(?P<sign>[-+]?)(?P<int>{_GROUP}(?:\.\d{{3}})+|{_GROUP}(?: \d{{3}})+|\d+)"
        r"(?:,(?P<frac>\d+))?" + _EXPONENT.replace("(?:", "(?P<exp>", 1)
    ),
    ".": re.compile(
        rf"(?P<sign>[-+]?)(?P<int>{_GROUP}(?:,\d{{3}})+|{_GROUP}(?: \d{{3}})+|\d+)"
        r"(?:\.(?P<frac>\d+))?" + _EXPONENT.replace("(?:", "(?P<exp>", 1)
    ),
}
#: The plain numbers most cells hold, for the fast path of ``parse_cells``; a line each.
_PLAIN_LINES = {
    ",": re.compile(rf"^-?(?:{_GROUP}(?:\.\d{{3}})+|\d+)(?:,\d+)?$", re.MULTILINE),
    ".": re.compile(rf"^-?(?:{_GROUP}(?:,\d{{3}})+|\d+)(?:\.\d+)?$", re.MULTILINE),
}
#: The plain numbers most cells hold, for the fast path of ``parse_cells``.
_PLAIN = {
    ",": re.compile(rf"-?(?:{_GROUP}(?:\.\d{{3}})+|\d+)(?:,\d+)?"),
    ".": re.compile(rf"-?(?:{_GROUP}(?:,\d{{3}})+|\d+)(?:\.\d+)?"),
}


def _check_decimal(decimal: str) -> None:
    if decimal not in _NUMBER:
        raise ValueError(f"decimal must be ',' or '.', not {decimal!r}")


def parse_cell(text: object, *, decimal: str = ",") -> CellValue | None:
    """What one cell holds; None when it is no number (the caller refuses it)."""
    _check_decimal(decimal)
    if text is None:
        return MISSING
    if isinstance(text, str):
        return _parse_text(text, decimal)
    if isinstance(text, bool | np.bool_):
        return None
    if isinstance(text, datetime | date | time | pd.Timestamp):
        return None
    if isinstance(text, Real):
        number = float(text)
        if math.isnan(number):
            return MISSING
        if not abs(number) < MAX_MAGNITUDE:
            return None
        return CellValue(number)
    return None


def too_large(cell: object, *, decimal: str = ",") -> bool:
    """True when ``cell`` is a number, but one of ``MAX_MAGNITUDE`` or more (or infinite)."""
    _check_decimal(decimal)
    if isinstance(cell, bool | np.bool_):
        return False
    if isinstance(cell, str):
        parsed = _read_text(cell, decimal)
        return parsed is not None and parsed.value is not None and _too_large(parsed.value)
    if isinstance(cell, Real):
        return _too_large(float(cell))
    return False


def _too_large(number: float) -> bool:
    return not math.isnan(number) and not abs(number) < MAX_MAGNITUDE


@lru_cache(maxsize=65536)
def _parse_text(text: str, decimal: str) -> CellValue | None:
    parsed = _read_text(text, decimal)
    if parsed is not None and parsed.value is not None and _too_large(parsed.value):
        return None
    return parsed


@lru_cache(maxsize=4096)
def _read_text(text: str, decimal: str) -> CellValue | None:
    """``_parse_text`` without the bound on the size (an infinite value is kept)."""
    cleaned = text.translate(_SPACES).strip()
    folded = cleaned.casefold()
    if folded in _MISSING_WORDS:
        return MISSING
    if folded in _SUPPRESSED_WORDS or _SUPPRESSED.fullmatch(cleaned):
        return SUPPRESSED
    provisional = False
    if cleaned.endswith("*"):
        cleaned = cleaned.rstrip("*").rstrip()
        provisional = True
        if not cleaned:
            return SUPPRESSED  # a lone "*" or "**": the figure is hidden
        folded = cleaned.casefold()
        if folded in _SUPPRESSED_WORDS or _SUPPRESSED.fullmatch(cleaned):
            return CellValue(None, provisional=True, suppressed=True)
    is_percentage = False
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1].rstrip()
        is_percentage = True
    if cleaned.startswith("€"):
        cleaned = cleaned[1:].lstrip()
    elif cleaned.endswith("€"):
        cleaned = cleaned[:-1].rstrip()
    cleaned = cleaned.replace("\u2212", "-")
    if cleaned.startswith(("-€", "+€")):
        cleaned = cleaned[0] + cleaned[2:].lstrip()
    match = _NUMBER[decimal].fullmatch(cleaned)
    if match is None:
        return None
    digits = re.sub(r"[^\d]", "", match["int"])
    number_text = f"{match['sign']}{digits}"
    if match["frac"] is not None:
        number_text += "." + match["frac"]
    if match["exp"]:
        number_text += match["exp"]
    number = float(number_text)
    return CellValue(number, is_percentage=is_percentage, provisional=provisional)


@dataclass
class ParsedCells:
    """``parse_cells``'s answer: one entry per cell."""

    value: np.ndarray  # float64, NaN where missing, suppressed or no number
    is_percentage: np.ndarray  # bool
    provisional: np.ndarray  # bool
    suppressed: np.ndarray  # bool
    missing: np.ndarray  # bool
    ok: np.ndarray  # bool: False where the cell is no number (to refuse)

    def cell(self, index: int) -> CellValue | None:
        if not self.ok[index]:
            return None
        value = float(self.value[index])
        return CellValue(
            None if math.isnan(value) else value,
            bool(self.is_percentage[index]),
            bool(self.provisional[index]),
            bool(self.suppressed[index]),
            bool(self.missing[index]),
        )


def parse_cells(cells, *, decimal: str = ",") -> ParsedCells:
    """``parse_cell`` for a whole column (a sequence, array or Series) at once.

    Each distinct cell is parsed once; the plain numbers most cells hold take a fast path that
    accepts nothing ``parse_cell`` would not read the same way, and every other distinct cell
    goes through ``parse_cell`` itself.
    """
    _check_decimal(decimal)
    codes, uniques = pd.factorize(np.asarray(cells, dtype=object), use_na_sentinel=True)
    return parse_factorized(codes, uniques, decimal=decimal)


def parse_factorized(codes: np.ndarray, uniques, *, decimal: str = ",") -> ParsedCells:
    """``parse_cells`` for a column already split into ``codes`` (-1: missing) and the distinct
    ``uniques`` they point at (as ``pandas.factorize`` or a Categorical gives them)."""
    _check_decimal(decimal)
    items = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
    n = len(items)
    # The fast path: plain numbers ("516", "12,5", "1.234"), NaN for everything else.
    value = np.empty(n + 1, dtype=np.float64)
    value[:n] = _plain_numbers(items, decimal)
    value[n] = np.nan  # the last slot is for code -1 (None/NaN): missing
    flags = np.zeros((5, n + 1), dtype=bool)  # is_percentage, provisional, suppressed, missing, ok
    flags[4] = ~np.isnan(value)
    flags[3, n] = flags[4, n] = True
    for i in np.flatnonzero(~flags[4, :n]).tolist():
        parsed = parse_cell(items[i], decimal=decimal)
        if parsed is None:
            continue
        flags[4, i] = True
        if parsed.value is not None:
            value[i] = parsed.value
        flags[0, i] = parsed.is_percentage
        flags[1, i] = parsed.provisional
        flags[2, i] = parsed.suppressed
        flags[3, i] = parsed.missing
    take = np.where(codes < 0, n, codes)
    taken = flags[:, take]
    return ParsedCells(value[take], taken[0], taken[1], taken[2], taken[3], taken[4])


def _plain_numbers(items: list, decimal: str) -> np.ndarray:
    """The plain numbers among ``items`` as floats, NaN for every other item. Texts go through
    one regular expression and one conversion together when they can (no line breaks in them);
    anything else one by one."""
    n = len(items)
    joined = None
    if n >= 64 and pd.api.types.is_string_dtype(np.asarray(items, dtype=object)):
        joined = "\n".join(items)
        if joined.count("\n") != n - 1 or "\r" in joined:
            joined = None
    if joined is None:
        value = np.fromiter(map(_FAST[decimal], items), dtype=np.float64, count=n)
    else:
        plain = np.array(_PLAIN_LINES[decimal].sub("", joined).split("\n"), dtype=object) == ""
        plain &= np.array(items, dtype=object) != ""
        value = np.full(n, np.nan)
        if plain.any():
            thousands = "." if decimal == "," else ","
            converted = joined.replace(thousands, "")
            if decimal == ",":
                converted = converted.replace(",", ".")
            numbers = np.array(converted.split("\n"), dtype=object)[plain]
            value[plain] = numbers.astype(np.float64)
    value[~(np.abs(value) < MAX_MAGNITUDE)] = np.nan  # too large: parse_cell refuses it
    return value


def _fast_comma(item, _plain=_PLAIN[","].fullmatch, _nan=math.nan) -> float:
    if type(item) is not str:
        return _nan
    if item.isdigit() and item.isascii():
        return float(item)
    if _plain(item):
        return float(item.replace(".", "").replace(",", "."))
    return _nan


def _fast_point(item, _plain=_PLAIN["."].fullmatch, _nan=math.nan) -> float:
    if type(item) is not str:
        return _nan
    if item.isdigit() and item.isascii():
        return float(item)
    if _plain(item):
        return float(item.replace(",", ""))
    return _nan


_FAST = {",": _fast_comma, ".": _fast_point}
