"""Paging of lists: page numbers from a query string, bounded whatever is typed in the URL."""

from __future__ import annotations

import math
import re

_DIGITS = re.compile(r"\d{1,6}")


def page_number(text: str | None) -> int:
    """The page a query string asks for: 1 for anything that is not a plain, sane number."""
    if text is None or not _DIGITS.fullmatch(text.strip()):
        return 1
    return max(1, int(text))


def page_count(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))
