"""Properties of text cleaning and Dutch dates, for any input hypothesis can think of."""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from app.core.formatting import date_short
from app.core.forms import parse_dutch_date
from app.core.text import BIDI_CONTROLS, clean_line, clean_text

#: Any text a client could send: every code point except lone surrogates, which UTF-8 cannot
#: carry (werkzeug never hands them over).
any_text = st.text(st.characters(blacklist_categories=("Cs",)))
#: Text with plenty of bidirectional controls and marks among letters from both directions.
#: (A list joined, not ``st.text``: that draws from its alphabet's ``characters`` alone.)
bidi_text = st.lists(
    st.one_of(
        st.sampled_from(sorted(BIDI_CONTROLS) + ["\u200e", "\u200f", "\u061c"]),
        st.sampled_from("abc xyz 123 .,-אבג عرب"),
        st.characters(blacklist_categories=("Cs",)),
    )
).map("".join)


def _controls(text: str, allowed: str = "") -> set[str]:
    return {ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in allowed}


@given(any_text)
def test_clean_line_leaves_no_control_character_and_no_line_break(text):
    cleaned = clean_line(text)
    assert not _controls(cleaned)
    assert not {"\n", "\r", "\u2028", "\u2029"} & set(cleaned)
    assert clean_line(cleaned) == cleaned


@given(any_text)
def test_clean_text_keeps_line_breaks_and_tabs_only(text):
    cleaned = clean_text(text)
    assert not _controls(cleaned, allowed="\n\t")
    assert "\r" not in cleaned
    assert clean_text(cleaned) == cleaned
    assert cleaned.count("\n") >= text.count("\n") - text.count("\r\n")


@given(any_text)
def test_cleaning_only_removes_what_cannot_be_stored_or_shown(text):
    """Every letter, digit, punctuation mark and symbol that was typed is still there."""
    kept = [ch for ch in text if unicodedata.category(ch)[0] in "LNPS"]
    assert [ch for ch in clean_text(text) if unicodedata.category(ch)[0] in "LNPS"] == kept
    assert [ch for ch in clean_line(text) if unicodedata.category(ch)[0] in "LNPS"] == kept


def test_the_bidi_controls_are_the_embeddings_overrides_and_isolates():
    assert {unicodedata.name(ch) for ch in BIDI_CONTROLS} == {
        "LEFT-TO-RIGHT EMBEDDING",
        "RIGHT-TO-LEFT EMBEDDING",
        "POP DIRECTIONAL FORMATTING",
        "LEFT-TO-RIGHT OVERRIDE",
        "RIGHT-TO-LEFT OVERRIDE",
        "LEFT-TO-RIGHT ISOLATE",
        "RIGHT-TO-LEFT ISOLATE",
        "FIRST STRONG ISOLATE",
        "POP DIRECTIONAL ISOLATE",
    }
    # Unicode's own classes of exactly these: LRE RLE PDF LRO RLO LRI RLI FSI PDI.
    classes = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"}
    every = {chr(c) for c in range(0x110000) if unicodedata.bidirectional(chr(c)) in classes}
    assert every == BIDI_CONTROLS


@given(bidi_text)
def test_cleaning_removes_every_bidi_control_and_keeps_the_marks(text):
    """Overrides, embeddings and isolates reorder what follows (spoofing); the marks LRM, RLM
    and ALM only settle a neutral character and are kept, as is everything else shown."""
    for cleaned in (clean_text(text), clean_line(text)):
        assert not BIDI_CONTROLS & set(cleaned)
        for mark in "\u200e\u200f\u061c":
            assert cleaned.count(mark) == text.count(mark)
        shown = [ch for ch in text if unicodedata.category(ch)[0] in "LNPS"]
        assert [ch for ch in cleaned if unicodedata.category(ch)[0] in "LNPS"] == shown
    assert clean_line(clean_line(text)) == clean_line(text)


def test_a_reversed_file_name_reads_as_it_is_stored():
    assert clean_line("factuur\u202efdp.exe") == "factuurfdp.exe"
    assert clean_text("a\u2066b\u2069\nc\u202b") == "ab\nc"
    assert clean_line("\u200fשלום\u200e.") == "\u200fשלום\u200e."


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)))
def test_every_accepted_date_reads_back_as_it_is_shown(day):
    assert parse_dutch_date(date_short(day)) == day
    assert parse_dutch_date(day.isoformat()) == day


@given(any_text)
def test_a_date_field_never_fails_other_than_with_a_dutch_message(text):
    try:
        parsed = parse_dutch_date(text)
    except ValueError as error:
        assert "datum" in str(error)
    else:
        assert 1900 <= parsed.year <= 9999
