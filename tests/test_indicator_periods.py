"""Periods as regions write them: years, half years, quarters, months, school years."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.indicators.periods import (
    Period,
    find_period_in_text,
    parse_period,
    period_from_code,
    split_provisional,
)

READ = [
    # (as written, canonical code, Dutch label)
    ("2021", "2021", "2021"),
    ("jaar 2021", "2021", "2021"),
    ("Jaar 2021", "2021", "2021"),
    ("2021JJ00", "2021", "2021"),
    ("  2021 ", "2021", "2021"),
    ("2023HJ01", "2023-H1", "1e halfjaar 2023"),
    ("2023HJ02", "2023-H2", "2e halfjaar 2023"),
    ("1e halfjaar 2023", "2023-H1", "1e halfjaar 2023"),
    ("2023-H1", "2023-H1", "1e halfjaar 2023"),
    ("H2 2023", "2023-H2", "2e halfjaar 2023"),
    ("tweede halfjaar 2023", "2023-H2", "2e halfjaar 2023"),
    ("2023KW02", "2023-Q2", "2e kwartaal 2023"),
    ("Q2 2023", "2023-Q2", "2e kwartaal 2023"),
    ("2023 Q2", "2023-Q2", "2e kwartaal 2023"),
    ("2023-Q2", "2023-Q2", "2e kwartaal 2023"),
    ("2023q2", "2023-Q2", "2e kwartaal 2023"),
    ("2e kwartaal 2023", "2023-Q2", "2e kwartaal 2023"),
    ("2E KWARTAAL 2023", "2023-Q2", "2e kwartaal 2023"),
    ("kwartaal 2 2023", "2023-Q2", "2e kwartaal 2023"),
    ("derde kwartaal 2023", "2023-Q3", "3e kwartaal 2023"),
    ("2023MM03", "2023-03", "maart 2023"),
    ("2023-03", "2023-03", "maart 2023"),
    ("2023-3", "2023-03", "maart 2023"),
    ("03-2023", "2023-03", "maart 2023"),
    ("3/2023", "2023-03", "maart 2023"),
    ("maart 2023", "2023-03", "maart 2023"),
    ("Maart 2023", "2023-03", "maart 2023"),
    ("mrt 2023", "2023-03", "maart 2023"),
    ("Mrt. 2023", "2023-03", "maart 2023"),
    ("mrt-23", "2023-03", "maart 2023"),
    ("March 2023", "2023-03", "maart 2023"),
    ("okt 2021", "2021-10", "oktober 2021"),
    ("sept. 2021", "2021-09", "september 2021"),
    ("2021-12", "2021-12", "december 2021"),
    ("2021/2022", "2021/2022", "schooljaar 2021/2022"),
    ("2021-2022", "2021/2022", "schooljaar 2021/2022"),
    ("2021 – 2022", "2021/2022", "schooljaar 2021/2022"),
    ("schooljaar 2021/2022", "2021/2022", "schooljaar 2021/2022"),
    ("Schooljaar 2021-2022", "2021/2022", "schooljaar 2021/2022"),
    ("2021/'22", "2021/2022", "schooljaar 2021/2022"),
    ("2021/22", "2021/2022", "schooljaar 2021/2022"),
    ("2021-22", "2021/2022", "schooljaar 2021/2022"),
    ("1999/2000", "1999/2000", "schooljaar 1999/2000"),
    ("1900", "1900", "1900"),
    ("2100", "2100", "2100"),
]


@pytest.mark.parametrize(("text", "code", "label"), READ)
def test_parse_period_reads_every_usual_way(text, code, label):
    period = parse_period(text)
    assert period is not None, text
    assert (period.code, period.label) == (code, label)
    assert period_from_code(code) == period


NOT_PERIODS = [
    "",
    "   ",
    "Vorig jaar (2020)",
    "Onbekend",
    "Januari",
    "Totaal",
    "1899",
    "2101",
    "0153",  # a municipality code
    "GM0153",
    "21",
    "12345",
    "2023*",  # the provisional mark is for the caller
    "2021/12",  # a slash with two years is a school year, and 12 does not follow 2021
    "2021/2023",
    "2023-13",
    "2023KW05",
    "2023HJ03",
    "2023MM13",
    "Q5 2023",
    "week 12 2023",
    "2020 t/m 2021",
    "mrt",
    "Leeftijd 18",
]


@pytest.mark.parametrize("text", NOT_PERIODS)
def test_parse_period_refuses_what_is_no_period(text):
    assert parse_period(text) is None


def test_parse_period_takes_non_text_as_no_period():
    assert parse_period(None) is None  # type: ignore[arg-type]
    assert parse_period(2021) is None  # type: ignore[arg-type]


def test_start_and_end_of_each_kind():
    assert parse_period("2021") == Period(date(2021, 1, 1), "2021", "2021", date(2021, 12, 31))
    assert (parse_period("2e halfjaar 2021").start, parse_period("2e halfjaar 2021").end) == (
        date(2021, 7, 1),
        date(2021, 12, 31),
    )
    q1 = parse_period("Q1 2024")
    assert (q1.start, q1.end) == (date(2024, 1, 1), date(2024, 3, 31))
    feb = parse_period("februari 2024")  # a leap year
    assert (feb.start, feb.end) == (date(2024, 2, 1), date(2024, 2, 29))
    school = parse_period("2021/2022")
    assert (school.start, school.end) == (date(2021, 8, 1), date(2022, 7, 31))


def test_kinds():
    kinds = [parse_period(t).kind for t in ("2021", "2021-H1", "2021-Q1", "2021-01", "2021/2022")]
    assert kinds == ["year", "half", "quarter", "month", "school_year"]


def test_periods_sort_by_start():
    texts = ["2022", "2021/2022", "Q3 2021", "2021", "januari 2021", "1e halfjaar 2021"]
    ordered = [p.code for p in sorted(parse_period(t) for t in texts)]
    assert ordered == ["2021", "2021-01", "2021-H1", "2021-Q3", "2021/2022", "2022"]


@pytest.mark.parametrize(
    "code", ["", "21", "2021-1", "2021-13", "2021-H3", "2021-Q5", "2021/2023", "1850", "2021 "]
)
def test_period_from_code_refuses_what_is_not_canonical(code):
    with pytest.raises(ValueError):
        period_from_code(code)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023*", ("2023", True)),
        ("2023 *", ("2023", True)),
        ("2022**", ("2022", True)),
        ("2023 (voorlopig)", ("2023", True)),
        ("2023", ("2023", False)),
        (" 2023 ", ("2023", False)),
        ("*", ("*", False)),
        ("Q2 2023*", ("Q2 2023", True)),
    ],
)
def test_split_provisional(text, expected):
    assert split_provisional(text) == expected


@pytest.mark.parametrize(
    ("text", "code", "rest"),
    [
        ("Woongemeente studenten 2021", "2021", "Woongemeente studenten"),
        ("Behandeling gestart (2021)", "2021", "Behandeling gestart"),
        ("Mbo-studenten schooljaar 2021/2022", "2021/2022", "Mbo-studenten"),
        ("Cijfers maart 2023", "2023-03", "Cijfers"),
        ("Stand 2023 Q2", "2023-Q2", "Stand"),
        ("2021: jongeren met jeugdhulp", "2021", "jongeren met jeugdhulp"),
    ],
)
def test_find_period_in_text(text, code, rest):
    period, remainder = find_period_in_text(text)
    assert (period.code, remainder) == (code, rest)


@pytest.mark.parametrize(
    "text", ["Afgesloten 2020 en 2021", "Top 5 onderwerpen", "", "Leeftijd 17 tot 23"]
)
def test_find_period_in_text_needs_exactly_one_period(text):
    assert find_period_in_text(text) is None


_years = st.integers(min_value=1900, max_value=2099)
_periods = st.one_of(
    _years.map(str),
    st.tuples(_years, st.integers(1, 2)).map(lambda t: f"{t[0]}-H{t[1]}"),
    st.tuples(_years, st.integers(1, 4)).map(lambda t: f"{t[0]}-Q{t[1]}"),
    st.tuples(_years, st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
    _years.map(lambda y: f"{y}/{y + 1}"),
)


@given(_periods)
def test_every_canonical_code_reads_back_as_itself(code):
    period = period_from_code(code)
    assert period.code == code
    assert parse_period(code) == period
    assert parse_period(period.label) == period
    assert period.start <= period.end


@given(st.text(max_size=30))
def test_parse_period_never_fails_and_gives_canonical_codes(text):
    period = parse_period(text)
    if period is not None:
        assert period_from_code(period.code) == period
        assert 1900 <= period.start.year <= 2100
