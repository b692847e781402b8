"""Cleaning text that users type, before anything stores or shows it.

PostgreSQL refuses NUL bytes in text, and other control characters make no sense in what people
write: they come from copy and paste, from broken clients or from attackers. Both databases
get the same cleaned text, so a value never depends on where it is stored.

A single-line field (a name, a title) cannot hold a line break either. Browsers already turn
line breaks in a text input into nothing; a hand-made request can still send them, so here they
become a space, like the other whitespace a paste brings along.

Unicode's bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) go
too. They reorder the text around them until a matching terminator, so "\u202eexe.txt" shows
as "txt.exe" and a name or a date can be made to read as something else ("Trojan Source",
CVE-2021-42574); and an unterminated one reorders whatever a page, a spreadsheet cell, a CSV
line, a calendar entry or a PDF title shows after it. Nobody types them: browsers and text
editors lay out right-to-left text (Arabic, Hebrew) without them. The marks U+200E and U+200F
(and U+061C) stay: they do not reorder anything after them, only settle the direction of a
neutral character such as a full stop next to right-to-left text, which people who write
such text do use.

Runs of combining marks are capped at ``MAX_COMBINING_MARKS`` after one base character. A
letter with hundreds of accents ("Zalgo" text: 'Z' and 270 times U+0301) draws a column of
marks far above and below its line, through headings, forms and buttons on every page that
shows it. Real writing needs few: Dutch and Vietnamese at most two on a letter (in decomposed
form), Devanagari (Hindi) and Arabic with its vowel marks (harakat) two or three, Hebrew with
vowel points and cantillation up to five, Burmese syllables up to six; Ethiopic (Tigrinya) has
its vowels in the letters themselves. Unicode's "stream-safe" format allows 30. Marks past the
cap go; format characters between marks (a zero-width joiner) neither end a run nor count.
"""

from __future__ import annotations

import re
import unicodedata

#: C0 and C1 control characters except tab and line feed, DEL, lone surrogates (which cannot
#: be encoded as UTF-8 and so cannot be stored), and the bidirectional embeddings, overrides
#: and isolates (LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
#: The bidirectional controls among them, for tests and checks of text from elsewhere.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: At most this many combining marks (categories Mn, Mc, Me) follow one base character.
MAX_COMBINING_MARKS = 8
#: A stretch that might hold a longer run of marks: every mark (and every format character
#: but the soft hyphen) is at U+0300 or later, so shorter stretches need no closer look.
_MAYBE_MARK_RUN = re.compile(rf"[^\x00-\xac\xae-\u02ff]{{{MAX_COMBINING_MARKS + 1},}}")
#: Everything that breaks a line, including Unicode's own line and paragraph separators.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\x0b\x0c\x85\u2028\u2029]")


def clean_text(text: str | None) -> str | None:
    """Multi-line text: line breaks as ``\\n``, tabs kept, other control characters and the
    bidirectional overrides removed."""
    if not isinstance(text, str):
        return text  # a value from an object (a number, None), not typed text
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return cap_combining_marks(_CONTROL.sub("", text.replace("\u2029", "\n")))


def clean_line(text: str | None, *, cap_marks: bool = True) -> str | None:
    """Single-line text: line breaks and tabs become a space, control characters and the
    bidirectional overrides go. ``cap_marks=False`` for a password: it is never shown, and one
    chosen before the cap must still match."""
    if not isinstance(text, str):
        return text
    line = _CONTROL.sub("", _LINE_BREAKS.sub(" ", text))
    return cap_combining_marks(line) if cap_marks else line


def _cap_run(match: re.Match) -> str:
    kept, run = [], 0
    for ch in match.group():
        category = unicodedata.category(ch)
        if category[0] == "M":
            run += 1
            if run > MAX_COMBINING_MARKS:
                continue
        elif category != "Cf":
            run = 0
        kept.append(ch)
    return "".join(kept)


def cap_combining_marks(text: str) -> str:
    """``text`` with at most ``MAX_COMBINING_MARKS`` combining marks in a row (format
    characters between them do not end the row); the marks past that are dropped."""
    return _MAYBE_MARK_RUN.sub(_cap_run, text)


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a character that ``clean_text`` would remove."""
    return bool(_CONTROL.search(text))


def is_visible(text: str) -> bool:
    """True when ``text`` holds at least one character that shows (not only spaces or marks)."""
    return any(not ch.isspace() and unicodedata.category(ch)[0] not in "CZ" for ch in text)
