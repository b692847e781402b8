"""Cleaning text that users type, before anything stores or shows it.

PostgreSQL refuses NUL bytes in text, and other control characters make no sense in what people
write: they come from copy and paste, from broken clients or from attackers. Both databases
get the same cleaned text, so a value never depends on where it is stored.

A single-line field (a name, a title) cannot hold a line break either. Browsers already turn
line breaks in a text input into nothing; a hand-made request can still send them, so here they
become a space, like the other whitespace a paste brings along.
"""

from __future__ import annotations

import re
import unicodedata

#: C0 and C1 control characters except tab and line feed, DEL, and lone surrogates (which
#: cannot be encoded as UTF-8 and so cannot be stored).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
#: Everything that breaks a line, including Unicode's own line and paragraph separators.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\x0b\x0c\x85\u2028\u2029]")


def clean_text(text: str | None) -> str | None:
    """Multi-line text: line breaks as ``\\n``, tabs kept, other control characters removed."""
    if not isinstance(text, str):
        return text  # a value from an object (a number, None), not typed text
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return _CONTROL.sub("", text.replace("\u2029", "\n"))


def clean_line(text: str | None) -> str | None:
    """Single-line text: line breaks and tabs become a space, control characters go."""
    if not isinstance(text, str):
        return text
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text))


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a character that ``clean_text`` would remove."""
    return bool(_CONTROL.search(text))


def is_visible(text: str) -> bool:
    """True when ``text`` holds at least one character that shows (not only spaces or marks)."""
    return any(not ch.isspace() and unicodedata.category(ch)[0] not in "CZ" for ch in text)
