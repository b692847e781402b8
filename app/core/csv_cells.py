"""CSV as Dutch Excel reads it: semicolons, and no cell that Excel would run as a formula."""

from __future__ import annotations

#: Cells that a spreadsheet would run as a formula (OWASP's list: = + - @, tab and return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"


def neutralise(text: str) -> str:
    """A leading apostrophe for a cell Excel would otherwise run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
