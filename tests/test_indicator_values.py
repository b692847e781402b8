"""Cell values: Dutch numbers, percentages, and the marks for missing, suppressed and
provisional figures; the column-at-once path gives the very same answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.formatting import number, percent
from app.indicators.values import (
    MAX_MAGNITUDE,
    CellValue,
    parse_cell,
    parse_cells,
    parse_factorized,
    too_large,
)

MISSING = CellValue(None, missing=True)
SUPPRESSED = CellValue(None, suppressed=True)

DUTCH = [
    ("1234", CellValue(1234.0)),
    ("1.234", CellValue(1234.0)),
    ("1.234.567", CellValue(1234567.0)),
    ("1.234,5", CellValue(1234.5)),
    ("12,5", CellValue(12.5)),
    ("0,25", CellValue(0.25)),
    ("-3", CellValue(-3.0)),
    ("\u22123", CellValue(-3.0)),  # the Unicode minus
    ("+3", CellValue(3.0)),
    (" 12 ", CellValue(12.0)),
    ("1 234", CellValue(1234.0)),
    ("1\u00a0234,5", CellValue(1234.5)),  # no-break space as thousands separator
    ("€ 1.200", CellValue(1200.0)),
    ("€1.200,50", CellValue(1200.5)),
    ("1.200 €", CellValue(1200.0)),
    ("1,2E+05", CellValue(120000.0)),
    ("24%", CellValue(24.0, is_percentage=True)),
    ("24,5 %", CellValue(24.5, is_percentage=True)),
    ("100%", CellValue(100.0, is_percentage=True)),
    ("1.234*", CellValue(1234.0, provisional=True)),
    ("12,5 *", CellValue(12.5, provisional=True)),
    ("24%*", CellValue(24.0, is_percentage=True, provisional=True)),
    ("<5", SUPPRESSED),
    ("< 5", SUPPRESSED),
    ("<10", SUPPRESSED),
    ("x", SUPPRESSED),
    ("X", SUPPRESSED),
    ("geheim", SUPPRESSED),
    ("<5*", CellValue(None, provisional=True, suppressed=True)),
    ("*", SUPPRESSED),  # a lone mark: the figure is hidden
    ("**", SUPPRESSED),
    (" * ", SUPPRESSED),
    ("17*", CellValue(17.0, provisional=True)),  # after a number: provisional
    ("17**", CellValue(17.0, provisional=True)),
    ("", MISSING),
    ("   ", MISSING),
    (".", MISSING),
    ("..", MISSING),
    ("-", MISSING),  # the rule: a lone dash is missing, never 0
    ("–", MISSING),
    ("n.v.t.", MISSING),
    ("nvt", MISSING),
    ("N.v.t.", MISSING),
    ("onbekend", MISSING),
    ("#N/B", MISSING),
    (None, MISSING),
    (12, CellValue(12.0)),
    (12.5, CellValue(12.5)),
    (np.float64(3.25), CellValue(3.25)),
    (np.int64(7), CellValue(7.0)),
    (float("nan"), MISSING),
]


@pytest.mark.parametrize(("cell", "expected"), DUTCH)
def test_parse_cell_dutch(cell, expected):
    assert parse_cell(cell) == expected


NOT_NUMBERS = [
    "abc",
    "- 3",  # a dash, a space, a number: no number
    "1.5",  # with a decimal comma, the point only groups thousands in threes
    "1.23",
    "12,",
    ",5",
    "1,2,3",
    "3 kinderen",
    "12-15",
    "%",
    "€",
    "1.234,5,6",
    "inf",
    "1e400",
    "9" * 400,
    True,
    False,
    float("inf"),
]


@pytest.mark.parametrize("cell", NOT_NUMBERS)
def test_parse_cell_refuses_what_is_no_number(cell):
    assert parse_cell(cell) is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1234.5", 1234.5),
        ("1,234.5", 1234.5),
        ("1,234", 1234.0),
        ("0.25", 0.25),
        ("-12.5", -12.5),
        ("12.5%", 12.5),
    ],
)
def test_parse_cell_decimal_point(cell, expected):
    assert parse_cell(cell, decimal=".").value == expected


def test_parse_cell_decimal_point_refuses_a_decimal_comma():
    assert parse_cell("12,5", decimal=".") is None
    assert parse_cell("1.234,5", decimal=".") is None


def test_a_thousands_group_never_starts_with_zero():
    # "0.125" is no Dutch thousands number (it would be 125): only a decimal point reads it.
    assert parse_cell("0.125") is None
    assert parse_cell("-0.125") is None
    assert parse_cell("0.125", decimal=".").value == 0.125
    assert parse_cell("0,125", decimal=".") is None
    assert parse_cell("0,125").value == 0.125
    assert parse_cell("1.234").value == 1234
    _same(["0.125", "0.250", "1.234", "0,5"] * 20)
    _same(["0,125", "0,250", "1,234", "0.5"] * 20, decimal=".")


@pytest.mark.parametrize(
    "cell", ["1,0E+28", "1e15", "-1.000.000.000.000.000", "1e400", "9" * 400, 1e300, -1e15]
)
def test_values_no_monitoring_figure_can_have_are_refused(cell):
    assert parse_cell(cell) is None
    assert too_large(cell)
    _same([cell, "12"] * 40)


def test_values_below_the_bound_are_read():
    assert MAX_MAGNITUDE == 1e15
    assert parse_cell("999.999.999.999.999").value == 999_999_999_999_999
    assert parse_cell(9.99e14).value == 9.99e14
    assert not too_large("12") and not too_large("abc") and not too_large(None)
    assert too_large(float("inf")) and not too_large(float("nan"))


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(0, 3))
def test_number_formatting_never_raises_for_a_finite_float(value, digits):
    assert number(value, digits)
    assert percent(value)


def test_number_formatting_of_huge_numbers():
    assert number(1e28) == "10.000.000.000.000.000.000.000.000.000"
    assert number(-1e300, 2).endswith(".000,00")
    assert number(1e27, 1) == "1.000.000.000.000.000.000.000.000.000,0"


def test_decimal_must_be_comma_or_point():
    with pytest.raises(ValueError):
        parse_cell("1", decimal=";")


def _same(cells, decimal=","):
    parsed = parse_cells(cells, decimal=decimal)
    for i, cell in enumerate(cells):
        assert parsed.cell(i) == parse_cell(cell, decimal=decimal), cell


def test_parse_cells_gives_the_same_answers_as_parse_cell():
    cells = [c for c, _ in DUTCH] + NOT_NUMBERS[:-5]
    _same(cells)
    _same(cells * 20)  # enough distinct texts for the joined fast path
    _same(["1234.5", "1,234.5", "12,5", "x", "", None, 3.0, "1.5"] * 20, decimal=".")


def test_parse_cells_arrays():
    parsed = parse_cells(["1.234", "", "<5", "24%", "abc", "2*"])
    assert np.array_equal(parsed.value, [1234.0, np.nan, np.nan, 24.0, np.nan, 2.0], equal_nan=True)
    assert parsed.ok.tolist() == [True, True, True, True, False, True]
    assert parsed.missing.tolist() == [False, True, False, False, False, False]
    assert parsed.suppressed.tolist() == [False, False, True, False, False, False]
    assert parsed.is_percentage.tolist() == [False, False, False, True, False, False]
    assert parsed.provisional.tolist() == [False, False, False, False, False, True]


def test_parse_factorized_takes_codes_and_their_values():
    parsed = parse_factorized(np.array([0, 1, -1, 0]), np.array(["12", "x"], dtype=object))
    assert parsed.cell(0) == CellValue(12.0)
    assert parsed.cell(1) == SUPPRESSED
    assert parsed.cell(2) == MISSING
    assert parsed.cell(3) == CellValue(12.0)


_cell_text = st.text(alphabet="0123456789.,-+ %*<x€\u2212\u00a0e", max_size=12)
_words = st.sampled_from(["", ".", "-", "n.v.t.", "x", "<5", "24%", "1.234,5", "1.5", "abc"])
_numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**12), 10**12)
_cells = st.lists(_cell_text | _words | _numbers | st.none(), max_size=120)


@given(_cells, st.sampled_from([",", "."]))
def test_parse_cells_equals_parse_cell_for_anything(cells, decimal):
    _same(cells, decimal)


@given(st.lists(st.integers(0, 10**9), min_size=64, max_size=200))
def test_dutch_thousands_read_back(numbers):
    texts = [f"{n:,}".replace(",", ".") for n in numbers]
    parsed = parse_cells(texts)
    assert parsed.value.tolist() == [float(n) for n in numbers]
    _same(texts)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_dutch_decimals_read_back(number):
    text = f"{number:.2f}".replace(".", ",")
    assert math.isclose(parse_cell(text).value, float(f"{number:.2f}"))
