"""The indicator charts: one reportlab drawing per chart, as inline SVG and in the PDF."""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET

import markupsafe
import pytest
from pypdf import PdfReader
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from app.indicators.charts import (
    AXIS_COLOR,
    PALETTE,
    TEXT_COLOR,
    ChartFlowable,
    Series,
    bar_chart,
    clean_text,
    format_value,
    line_chart,
    nice_scale,
    pdf_flowable,
    sparkline,
    svg_markup,
)

from .checkers import assert_valid_html, require_vnu

SVG = "{http://www.w3.org/2000/svg}"

# The factsheet of the ROC van Twente pilot (Kennispunt Twente, 2021).
CLOSED = [
    "Afgehaakt",
    "Opgelost, student kan zelf verder",
    "Doorverwezen – gespecialiseerde GGZ",
    "Doorverwezen – gespecialiseerde verslavingszorg",
    "Doorverwezen – basis GGZ",
    "Doorverwezen – overig",
    "Anders",
]
CLOSED_SERIES = [
    Series("2020", [10, 21, 13, 7, 6, 5, 7]),
    Series("2021", [24, 23, 16, 5, 6, 5, 4]),
]
MONTHS = [
    "Januari", "Februari", "Maart", "April", "Mei", "Juni",
    "Juli", "Augustus", "September", "Oktober", "November", "December",
]  # fmt: skip
STARTED_SERIES = [
    Series("2020", [18, 24, 17, 5, 4, 5, 6, 3, 6, 5, 7, 5]),
    Series("2021", [17, 7, 8, 10, 9, 15, 3, 0, 8, 2, None, None]),
]
LONG = "Doorverwezen – gespecialiseerde verslavingszorg " * 4
HOSTILE = "<script>alert(1)</script> & \"quoted\" 'single'"
CONTROL = "be\x00gin\x07\x1b[31m\x7f\x85\ud800\ufffe\tend\r\n"
RTL = "مرحبا بالعالم שלום עולם"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _luminance(hex_color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def walk(node, transform=(1, 0, 0, 1, 0, 0)):
    """Every shape of a drawing with the transform it is drawn under."""
    for child in node.contents:
        if isinstance(child, Group):
            a, b, c, d, e, f = transform
            a2, b2, c2, d2, e2, f2 = child.transform
            combined = (
                a * a2 + c * b2,
                b * a2 + d * b2,
                a * c2 + c * d2,
                b * c2 + d * d2,
                a * e2 + c * f2 + e,
                b * e2 + d * f2 + f,
            )
            yield from walk(child, combined)
        else:
            yield child, transform


def strings(drawing: Drawing) -> list[String]:
    return [shape for shape, _ in walk(drawing) if isinstance(shape, String)]


def texts(drawing: Drawing) -> list[str]:
    return [s.text for s in strings(drawing)]


def text_box(string: String) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of an unrotated string."""
    width = stringWidth(string.text, string.fontName, string.fontSize)
    left = {
        "start": string.x,
        "middle": string.x - width / 2,
        "end": string.x - width,
    }[string.textAnchor]
    # Helvetica's ink: descender 0.207, ascender 0.718 of the size.
    return (
        left,
        string.y - string.fontSize * 0.207,
        left + width,
        string.y + string.fontSize * 0.718,
    )


def overlap(a, b) -> bool:
    return a[0] < b[2] - 0.01 and b[0] < a[2] - 0.01 and a[1] < b[3] - 0.01 and b[1] < a[3] - 0.01


def assert_inside(drawing: Drawing) -> None:
    """No unrotated text is cut off at the edges of the drawing."""
    for shape, transform in walk(drawing):
        if isinstance(shape, String) and transform[:4] == (1, 0, 0, 1):
            left, bottom, right, top = text_box(shape)
            assert left >= -0.5 and right <= drawing.width + 0.5, shape.text
            assert bottom >= -0.5 and top <= drawing.height + 0.5, shape.text


def assert_no_text_overlap(drawing: Drawing) -> None:
    boxes = [
        (text_box(shape), shape.text)
        for shape, transform in walk(drawing)
        if isinstance(shape, String) and transform[:4] == (1, 0, 0, 1) and shape.text
    ]
    for i, (box, text) in enumerate(boxes):
        for other, other_text in boxes[i + 1 :]:
            assert not overlap(box, other), (text, other_text)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def render_everywhere(drawing: Drawing) -> ET.Element:
    """Renders to inline SVG (parsed) and to PDF; returns the SVG root."""
    markup = svg_markup(drawing, title="Grafiek", description="Uitleg")
    root = parse(markup)
    pdf = renderPDF.drawToString(drawing)
    assert pdf.startswith(b"%PDF")
    return root


# ---------------------------------------------------------------------------------------------
# Colours, numbers, scales
# ---------------------------------------------------------------------------------------------


def test_palette_has_three_to_one_contrast_against_white_and_starts_with_rijksblauw():
    assert PALETTE[0] == "#154273"
    assert len(PALETTE) >= 5
    for color in (*PALETTE, AXIS_COLOR):
        assert contrast(color, "#ffffff") >= 3.0, color
    assert contrast(TEXT_COLOR, "#ffffff") >= 4.5


def test_neighbouring_palette_colours_differ_in_lightness_or_hue():
    for a, b in zip(PALETTE, PALETTE[1:], strict=False):
        assert a != b


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1234, None, "1.234"),
        (2.5, None, "2,5"),
        (25, "%", "25%"),
        (25.6, "%", "25,6%"),
        (-1234.5, None, "-1.234,5"),
        (1e12, None, "1.000.000.000.000"),
        (3.14159265, None, "3,14"),
        (0.000123456, None, "0,00012"),
        (-0.0000001, None, "-0,0000001"),
        (1200, "€", "€ 1.200"),
        (0, None, "0"),
    ],
)
def test_values_in_dutch_format(value, unit, expected):
    assert format_value(value, unit) == expected


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 24, [0, 5, 10, 15, 20, 25]),
        (0, 2.3, [0, 0.5, 1, 1.5, 2, 2.5]),
        (0, 12, [0, 2.5, 5, 7.5, 10, 12.5]),
        (0, 1700, [0, 500, 1000, 1500, 2000]),
        (-7, 12, [-10, -5, 0, 5, 10, 15]),
        (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (5, 5, [0, 1, 2, 3, 4, 5]),
    ],
)
def test_nice_ticks(low, high, ticks):
    assert nice_scale(low, high, 6).ticks == ticks


def test_nice_ticks_for_counts_are_whole_and_labels_keep_their_decimals():
    assert nice_scale(0, 2, 6, integer=True).ticks == [0, 1, 2]
    scale = nice_scale(0, 12, 6)
    assert [format_value(t, None, scale.digits) for t in scale.ticks] == [
        "0,0", "2,5", "5,0", "7,5", "10,0", "12,5",
    ]  # fmt: skip
    huge = nice_scale(0, 1e12, 6)
    assert huge.ticks[-1] >= 1e12 and all(t == round(t) for t in huge.ticks)
    tiny = nice_scale(0, 3e-9, 6)
    assert tiny.ticks[-1] >= 3e-9 and tiny.digits >= 9


def test_clean_text_drops_controls_and_keeps_letters():
    assert clean_text(CONTROL) == "begin[31m end"
    assert clean_text(RTL) == RTL
    assert clean_text(None) == ""
    assert clean_text("  a\u2028b  ") == "a b"


# ---------------------------------------------------------------------------------------------
# Robustness: every chart renders to SVG and PDF whatever it is given
# ---------------------------------------------------------------------------------------------

NAN = float("nan")
INF = float("inf")

CASES = {
    "no series": ([f"{y}" for y in range(2019, 2024)], []),
    "no periods": ([], [Series("A", [])]),
    "nothing at all": ([], []),
    "all missing": (["2020", "2021"], [Series("A", [None, None]), Series("B", [NAN, INF])]),
    "one period": (["2021"], [Series("A", [5])]),
    "negative": (["a", "b", "c"], [Series("A", [-5, 3, -12.5]), Series("B", [2, -1, 0])]),
    "huge": (["2020", "2021"], [Series("A", [1e12, 3.5e12])]),
    "decimals": (["x", "y", "z"], [Series("A", [1 / 3, 2 / 3, math.pi])]),
    "many": ([f"Periode {i}" for i in range(30)], [Series("A", list(range(30)))]),
    "long labels": ([LONG, LONG + "2"], [Series(LONG, [1, 2]), Series(LONG, [2, 1])]),
    "hostile": ([HOSTILE, CONTROL, RTL], [Series(HOSTILE, [1, None, 3]), Series(RTL, [2, 2, 2])]),
    "nan": (["2019", "2020", "2021"], [Series("A", [1, NAN, 3])]),
    "short values": (["2019", "2020", "2021"], [Series("A", [1])]),
    "long values": (["2019"], [Series("A", [1, 2, 3])]),
    "nine series": (["2020", "2021"], [Series(f"S{i}", [i, i + 1]) for i in range(9)]),
    "forty": ([f"Categorie {i}" for i in range(40)], [Series("A", list(range(40)))]),
}


@pytest.mark.parametrize("case", CASES)
def test_line_chart_renders_any_input(case):
    periods, series = CASES[case]
    drawing = line_chart(periods, series, target=3, unit="%")
    render_everywhere(drawing)
    assert_inside(drawing)
    assert_no_text_overlap(drawing)


@pytest.mark.parametrize("case", CASES)
def test_bar_chart_renders_any_input(case):
    categories, series = CASES[case]
    drawing = bar_chart(categories, series)
    render_everywhere(drawing)
    assert_inside(drawing)
    assert_no_text_overlap(drawing)


@pytest.mark.parametrize("case", CASES)
def test_sparkline_renders_any_input(case):
    _, series = CASES[case]
    values = series[0].values if series else []
    render_everywhere(sparkline(values, baseline=1, target=NAN))
    render_everywhere(sparkline(values))


def test_pandas_and_numpy_input():
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(
        {"2020": [10, 21, np.nan], "2021": pd.array([24, pd.NA, 16], dtype="Int64")},
        index=pd.Index(["Afgehaakt", "Opgelost", "Anders"]),
    )
    series = [Series(str(c), frame[c]) for c in frame.columns]
    bars = bar_chart(frame.index, series)
    assert texts(bars).count("onbekend") == 2
    lines = line_chart(frame.index, series, target=np.float64(20))
    assert "Doel: 20" in texts(lines)
    render_everywhere(bars)
    render_everywhere(sparkline(np.array([1.0, np.nan, 3.0]), baseline=np.int64(2)))


def test_odd_sizes_and_targets_do_not_break_the_charts():
    for width, height in ((60, 40), (1200, 800), (480, 60)):
        render_everywhere(line_chart(MONTHS, STARTED_SERIES, width=width, height=height))
        render_everywhere(bar_chart(CLOSED, CLOSED_SERIES, width=width, height=height))
        render_everywhere(sparkline([1, 2, 3], width=width, height=height))
    render_everywhere(line_chart(["2020"], [Series("A", [None])], target=-5))
    render_everywhere(line_chart(["2020"], [Series("A", [1e300])], target=1e-300))
    render_everywhere(line_chart(["2020"], [Series("A", [5])], target=INF, unit="leerlingen"))


# ---------------------------------------------------------------------------------------------
# Line chart
# ---------------------------------------------------------------------------------------------


def test_line_chart_dutch_ticks_target_label_and_percent():
    drawing = line_chart(
        ["2017", "2018", "2019", "2020", "2021"],
        [Series("Twente", [34.5, 31.2, None, 28.0, 26.4])],
        target=30,
        unit="%",
    )
    labels = texts(drawing)
    assert "Doel: 30%" in labels
    assert {"0%", "10%", "20%", "30%", "40%"} <= set(labels)
    assert {"2017", "2021"} <= set(labels)

    drawing = line_chart(["2020", "2021"], [Series("A", [1200, 2300])], target=2500.5)
    labels = texts(drawing)
    assert {"0", "1.000", "2.000"} <= set(labels) or {"0", "500", "1.000", "2.500"} <= set(labels)
    assert "Doel: 2.500,5" in labels

    drawing = line_chart(["a"], [Series("A", [1])], target=2.5, target_label="Doel: 2,5 in 2025")
    assert "Doel: 2,5 in 2025" in texts(drawing)
    long_label = "Streefwaarde volgens het regionaal beleidsplan jeugd 2023–2027: 2,5"
    drawing = line_chart(["a"], [Series("A", [1])], target=2.5, target_label=long_label)
    assert texts(drawing)[-3:] == [
        "Streefwaarde volgens het",
        "regionaal beleidsplan",
        "jeugd 2023–2027: 2,5",
    ]
    assert_inside(drawing)
    assert_no_text_overlap(drawing)


def test_line_chart_y_axis_starts_at_zero():
    drawing = line_chart(["2020", "2021"], [Series("A", [95, 98])], unit="%")
    labels = texts(drawing)
    assert "0%" in labels and "100%" in labels


def test_missing_values_are_gaps_not_zero():
    drawing = line_chart(
        ["2017", "2018", "2019", "2020", "2021"], [Series("A", [3, 4, None, 5, float("nan")])]
    )
    lines = [shape for shape, _ in walk(drawing) if isinstance(shape, PolyLine)]
    assert len(lines) == 1  # 2017–2018; 2020 stands alone
    assert len(lines[0].points) == 4
    markers = [s for s, _ in walk(drawing) if isinstance(s, Circle)]
    assert len(markers) == 3
    # Nothing is drawn at zero height for 2019 or 2021.
    zero_y = min(m.cy for m in markers)  # 3 is the lowest value
    assert all(m.cy >= zero_y for m in markers)


def test_series_differ_by_marker_and_dash_not_only_colour():
    drawing = line_chart(MONTHS, STARTED_SERIES)
    lines = [shape for shape, _ in walk(drawing) if isinstance(shape, PolyLine)]
    assert len({line.strokeColor.hexval() for line in lines}) == 2
    dashes = {tuple(line.strokeDashArray or ()) for line in lines}
    assert len(dashes) == 2
    kinds = {type(s) for s, _ in walk(drawing) if isinstance(s, Circle | Polygon)}
    assert kinds == {Circle, Polygon}  # circles for 2020, squares for 2021
    assert {"2020", "2021"} <= set(texts(drawing))  # the legend


def _period_label_positions(drawing: Drawing) -> tuple[str, list[float]]:
    """The mode and x positions of the period labels (under the zero line)."""
    rotated = [t for s, t in walk(drawing) if isinstance(s, String) and t[:4] != (1, 0, 0, 1)]
    if rotated:
        return "rotated", [t[4] for t in rotated]
    middles = [s for s in strings(drawing) if s.textAnchor == "middle"]
    return "horizontal", [s.x for s in middles]


@pytest.mark.parametrize(
    "periods",
    [
        [str(y) for y in range(1994, 2024)],
        [f"{h}e halfjaar {y}" for y in range(2010, 2025) for h in (1, 2)],
        [f"{h}e halfjaar {y}" for y in range(2019, 2023) for h in (1, 2)],
        MONTHS,
        [f"{m} 2023" for m in MONTHS],
        ["2023KW01", "2023KW02", "2023KW03", "2023KW04"],
        [LONG] * 12,
    ],
)
def test_period_labels_never_overlap(periods):
    series = [Series("A", [float(i) for i in range(len(periods))])]
    drawing = line_chart(periods, series, target=3)
    assert_no_text_overlap(drawing)
    assert_inside(drawing)
    mode, xs = _period_label_positions(drawing)
    assert xs
    if mode == "rotated":  # 45°: the distance between two labels is dx · sin 45°
        gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
        assert min(gaps, default=99) * math.sin(math.radians(45)) >= 10
    if periods[-1] != LONG:  # the last period is always labelled (maybe in two lines)
        assert periods[-1] in texts(drawing) or periods[-1].split()[-1] in texts(drawing)


def test_rotated_labels_stay_inside_the_drawing():
    periods = [f"{h}e halfjaar {y}" for y in range(2010, 2025) for h in (1, 2)]
    drawing = line_chart(periods, [Series("A", list(range(30)))])
    for shape, (a, b, c, _d, e, f) in walk(drawing):
        if isinstance(shape, String) and (a, b) != (1, 0):
            width = stringWidth(shape.text, shape.fontName, shape.fontSize)
            # The text ends at the origin; its upper left corner reaches farthest.
            left = e + a * -width + c * shape.fontSize * 0.7
            bottom = f + b * -width
            assert left >= 0 and bottom >= 0, shape.text


# ---------------------------------------------------------------------------------------------
# Bar chart
# ---------------------------------------------------------------------------------------------


def test_bar_chart_of_the_factsheet():
    drawing = bar_chart(CLOSED, CLOSED_SERIES)
    labels = texts(drawing)
    # A value label at every bar: colour is not the only carrier of meaning.
    for value in ("10", "24", "21", "23", "13", "16", "7", "5", "6", "4"):
        assert value in labels
    assert labels.count("5") == 3 and labels.count("6") == 2
    assert {"2020", "2021"} <= set(labels)  # the legend
    # The long label is wrapped, not cut.
    assert "Doorverwezen – gespecialiseerde" in labels and "verslavingszorg" in labels
    bars = [s for s, _ in walk(drawing) if isinstance(s, Rect) and s.width > 0 and s.height < 20]
    assert len(bars) == 14 + 2  # 14 bars and 2 legend swatches
    assert_no_text_overlap(drawing)
    assert_inside(drawing)


def test_bar_chart_grows_with_its_categories_and_cuts_long_labels():
    small = bar_chart(CLOSED[:2], CLOSED_SERIES)
    big = bar_chart([f"{LONG} {i}" for i in range(40)], [Series("A", list(range(40)))])
    assert big.height > 8 * small.height
    assert all(t.endswith("…") for t in texts(big) if t.startswith("Doorverwezen"))
    assert all(stringWidth(t, "Helvetica", 10) <= 480 * 0.4 + 0.01 for t in texts(big))
    assert_no_text_overlap(big)
    assert_inside(big)


def test_bar_chart_missing_and_negative_values():
    drawing = bar_chart(
        ["a", "b", "c"], [Series("2020", [None, -3.5, 2]), Series("2021", [float("nan"), 1, 0])]
    )
    labels = texts(drawing)
    assert labels.count("onbekend") == 2
    assert "-3,5" in labels and "0" in labels
    assert_no_text_overlap(drawing)
    assert_inside(drawing)


def test_bar_chart_with_a_fixed_height_keeps_labels_apart():
    drawing = bar_chart([f"Gemeente {i}" for i in range(40)], CLOSED_SERIES, height=100)
    assert drawing.height > 100  # raised to what the labels need
    assert_no_text_overlap(drawing)
    drawing = bar_chart(CLOSED, CLOSED_SERIES, height=400)
    assert drawing.height == 400
    assert_no_text_overlap(drawing)


def test_percent_unit_on_bars():
    drawing = bar_chart(["a"], [Series("A", [25.5])], unit="%")
    assert "25,5%" in texts(drawing)
    drawing = bar_chart(["a"], [Series("A", [3])], unit="jongeren")
    assert "jongeren" in texts(drawing) and "3" in texts(drawing)


# ---------------------------------------------------------------------------------------------
# Sparkline
# ---------------------------------------------------------------------------------------------


def test_sparkline_shows_last_value_baseline_and_target():
    drawing = sparkline([12, 14, None, 11, 9, 10, 8], baseline=12, target=7)
    assert (drawing.width, drawing.height) == (140, 36)
    assert not texts(drawing)
    lines = [s for s, _ in walk(drawing) if isinstance(s, Line)]
    baseline = [line for line in lines if not line.strokeDashArray]
    target = [line for line in lines if line.strokeDashArray]
    assert len(baseline) == 1 and len(target) == 1
    assert target[0].y1 < baseline[0].y1  # 7 is below 12
    last = [s for s, _ in walk(drawing) if isinstance(s, Circle)][-1]
    assert last.cx == pytest.approx(140 - 4)
    assert last.cy == pytest.approx(target[0].y1 + (8 - 7) / (14 - 7) * (36 - 8))
    assert len([s for s, _ in walk(drawing) if isinstance(s, PolyLine)]) == 2  # a gap


# ---------------------------------------------------------------------------------------------
# Text sizes
# ---------------------------------------------------------------------------------------------


def test_no_text_under_eight_points():
    for drawing in (
        bar_chart(CLOSED, CLOSED_SERIES),
        line_chart(MONTHS, STARTED_SERIES, target=10, unit="%"),
        bar_chart([f"c{i}" for i in range(40)], CLOSED_SERIES, unit="uur"),
    ):
        assert all(s.fontSize >= 8 for s in strings(drawing))
        assert all(s.fontName.startswith("Helvetica") for s in strings(drawing))
        assert all(str(s.fillColor.hexval()).lower() == "0x1f1f1f" for s in strings(drawing))


# ---------------------------------------------------------------------------------------------
# Inline SVG
# ---------------------------------------------------------------------------------------------


def test_svg_markup_is_accessible_inline_svg():
    markup = svg_markup(
        bar_chart(CLOSED, CLOSED_SERIES),
        title="Afgesloten behandelingen, 2020 en 2021",
        description="Staafdiagram; de tabel ernaast geeft dezelfde cijfers.",
    )
    assert isinstance(markup, markupsafe.Markup)
    text = str(markup)
    assert text.startswith("<svg ") and text.endswith("</svg>")
    assert "<?xml" not in text and "<!DOCTYPE" not in text
    root = parse(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == f"0 0 480 {root.get('viewBox').split()[3]}"
    assert root.get("width") == "100%" and root.get("height") is None
    assert "sans-serif" in root.get("font-family")
    title, desc = root[0], root[1]
    assert title.tag == f"{SVG}title" and title.text == "Afgesloten behandelingen, 2020 en 2021"
    assert desc.tag == f"{SVG}desc" and desc.text.startswith("Staafdiagram")
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")


def test_svg_ids_are_unique_per_call():
    drawing = sparkline([1, 2, 3])
    ids = []
    for _ in range(3):
        root = parse(svg_markup(drawing, title="Trend"))
        ids += [el.get("id") for el in root.iter() if el.get("id")]
        assert root.get("aria-describedby") is None  # no description, no reference
    assert len(ids) == len(set(ids)) == 3


ALLOWED_TAGS = {
    "svg",
    "title",
    "desc",
    "g",
    "path",
    "rect",
    "circle",
    "polygon",
    "polyline",
    "text",
}


def test_svg_has_no_styles_scripts_handlers_or_external_references():
    """Styles would be blocked by the app's CSP (style-src 'self'); the rest is unsafe."""
    for drawing in (
        bar_chart(CLOSED, CLOSED_SERIES),
        line_chart(MONTHS, STARTED_SERIES, target=10),
        sparkline([1, None, 3], baseline=2, target=3),
    ):
        root = parse(svg_markup(drawing, title="Grafiek"))
        for element in root.iter():
            tag = element.tag.removeprefix(SVG)
            assert tag in ALLOWED_TAGS, tag
            for name, value in element.attrib.items():
                assert name != "style" and not name.startswith("on"), name
                assert (
                    "href" not in name
                    and "url(" not in value
                    and "//" not in value.replace("http://www.w3.org/2000/svg", "")
                ), (name, value)
        colors = {el.get("fill") for el in root.iter()} | {el.get("stroke") for el in root.iter()}
        assert PALETTE[0] in colors  # exact colours, not reportlab's rounded percentages


def test_svg_escapes_user_text():
    drawing = bar_chart(
        [HOSTILE, "A & B", 'Zeg "ja"', CONTROL, RTL], [Series("<b>2021</b>", [1, 2, 3, 4, 5])] * 2
    )
    markup = str(svg_markup(drawing, title=HOSTILE, description="</desc><script>x</script>"))
    assert "<script>" not in markup and "<b>" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "A &amp; B" in markup
    root = parse(markup)
    assert not [el for el in root.iter() if el.tag.removeprefix(SVG) in ("script", "b")]
    all_text = [el.text for el in root.iter() if el.text]
    assert "<script>alert(1)</script> & \"quoted\" 'single'" in all_text
    assert RTL in all_text
    assert not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", t) for t in all_text)
    assert root[0].text == HOSTILE


def test_svg_anchors_text_in_the_browsers_font():
    drawing = line_chart(["2019", "2020", "2021"], [Series("A", [1, 2, 3])], target=2)
    root = parse(svg_markup(drawing, title="x"))
    anchors = {el.get("text-anchor") for el in root.iter(f"{SVG}text")}
    assert anchors == {None, "middle", "end"}
    ends = [el for el in root.iter(f"{SVG}text") if el.get("text-anchor") == "end"]
    # The tick labels end where reportlab anchors them, not at Helvetica's measured start.
    assert len(ends) == 4 and len({el.get("x") for el in ends}) == 1
    assert not [el for el in root.iter() if any(a.startswith("data-") for a in el.attrib)]


def test_small_drawings_keep_their_size():
    root = parse(svg_markup(sparkline([1, 2]), title="Trend"))
    assert (root.get("width"), root.get("height")) == ("140", "36")
    assert root.get("viewBox") == "0 0 140 36"


def test_drawings_made_elsewhere_with_control_characters():
    drawing = Drawing(200, 50)
    drawing.add(String(10, 10, "a\x0bb\x01c\x0cd", fontName="Helvetica", fontSize=10))
    root = parse(svg_markup(drawing, title="x"))
    assert [el.text for el in root.iter(f"{SVG}text")] == ["a bc d"]


def test_empty_title_still_names_the_image():
    root = parse(svg_markup(sparkline([1, 2]), title=" \x00 "))
    assert root[0].text == "Grafiek"


def test_svg_passes_the_nu_html_checker(tmp_path):
    require_vnu()  # skipped early without it
    charts = [
        svg_markup(bar_chart(CLOSED, CLOSED_SERIES), title="Afgesloten", description="Uitleg"),
        svg_markup(bar_chart(CLOSED, CLOSED_SERIES), title="Nog een keer", description="Uitleg"),
        svg_markup(line_chart(MONTHS, STARTED_SERIES, target=10, unit="%"), title="Gestart"),
        svg_markup(
            line_chart([f"{h}e halfjaar {y}" for y in range(2010, 2025) for h in (1, 2)], []),
            title="Leeg",
        ),
        svg_markup(sparkline([1, None, 3], baseline=2, target=3), title="Trend"),
        svg_markup(
            bar_chart([HOSTILE, CONTROL, RTL], [Series(HOSTILE, [1, None, -2])]), title=HOSTILE
        ),
    ]
    page = (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Grafieken</title>'
        "</head><body><main><h1>Grafieken</h1>"
        + "".join(f"<figure>{chart}</figure>" for chart in charts)
        + "</main></body></html>"
    )
    assert_valid_html({"charts": page}, tmp_path)


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------


def _build(story, pagesize=A4) -> PdfReader:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=pagesize).build(story)
    return PdfReader(io.BytesIO(buffer.getvalue()))


def test_pdf_flowable_in_a_story():
    styles = getSampleStyleSheet()
    story = [
        Paragraph("Afgesloten", styles["Heading2"]),
        pdf_flowable(bar_chart(CLOSED, CLOSED_SERIES)),
        Spacer(1, 12),
        pdf_flowable(line_chart(MONTHS, STARTED_SERIES, target=10)),
        pdf_flowable(sparkline([1, 2, 3], baseline=1, target=3)),
    ]
    pdf = _build(story)
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Opgelost, student kan zelf verder" in text and "Doel: 10" in text


def test_tall_bar_chart_is_split_between_categories_with_its_legend_repeated():
    categories = [f"Gemeente {i}" for i in range(40)]
    drawing = bar_chart(categories, CLOSED_SERIES[:1] + [Series("2021", list(range(40)))])
    flowable = pdf_flowable(drawing)
    assert isinstance(flowable, ChartFlowable)
    pdf = _build([Paragraph("Kop", getSampleStyleSheet()["Heading1"]), flowable])
    assert len(pdf.pages) >= 2
    pages = [page.extract_text() for page in pdf.pages]
    for i in range(40):  # every category exactly once
        assert sum(re.findall(rf"Gemeente {i}\b", page).__len__() for page in pages) == 1
    assert all("2020" in page and "2021" in page for page in pages)  # the legend on every page


def test_chart_taller_than_a_page_shrinks_instead_of_failing():
    drawing = line_chart(MONTHS, STARTED_SERIES, width=480, height=2000)
    pdf = _build([Paragraph("Kop", getSampleStyleSheet()["Normal"]), pdf_flowable(drawing)])
    assert len(pdf.pages) <= 2


def test_chart_wider_than_the_frame_shrinks():
    flowable = pdf_flowable(bar_chart(CLOSED, CLOSED_SERIES, width=900))
    width, height = flowable.wrap(450, 800)
    assert width == pytest.approx(450)
    assert height == pytest.approx(flowable.drawing.height / 2)
