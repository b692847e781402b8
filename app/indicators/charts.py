"""Charts of a region's monitoring indicators: one drawing, two outputs.

Every chart is a reportlab ``Drawing`` built here once. The web pages show it as inline SVG
(``svg_markup``), the PDF action list puts it in its story (``pdf_flowable``). The page puts a
table with the same figures beside each chart: that table is the text alternative, the chart
itself is one image with a title (and description) for assistive technology.

Design rules, so the charts read well on screen, in print and without colour:

- Colours: the Rijkshuisstijl palette, each at least 3:1 against white (WCAG 1.4.11); the
  series also differ by marker shape and dash pattern (lines) or by their fixed order in each
  group plus a legend and a value label at every bar end (bars).
- Text: Helvetica in the drawing (the PDF's font); in SVG the family falls back to Arial,
  Liberation Sans (both have Helvetica's metrics) and then any sans-serif. Dark text #1f1f1f,
  no text under 8 pt.
- Numbers in Dutch format ("1.234", "2,5", "25%"); axis ticks at nice steps (1, 2, 2.5, 5
  times a power of ten), from 0.
- Missing values (None, NaN, infinity) are gaps, never 0.

The SVG is made to live inside an HTML page under the app's Content Security Policy
(``style-src 'self'``), which blocks inline ``style`` attributes: reportlab's SVG writes all
colours and fonts as styles, so ``svg_markup`` turns them into presentation attributes.
"""

from __future__ import annotations

import math
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import markupsafe
from reportlab.graphics import renderPDF, renderSVG
from reportlab.graphics.shapes import (
    Circle,
    Drawing,
    Group,
    Line,
    Polygon,
    PolyLine,
    Rect,
    String,
)
from reportlab.lib.colors import HexColor, white
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from app.core.formatting import number

__all__ = [
    "PALETTE",
    "ChartFlowable",
    "Series",
    "bar_chart",
    "clean_text",
    "format_value",
    "line_chart",
    "nice_scale",
    "pdf_flowable",
    "sparkline",
    "svg_markup",
]

# ---------------------------------------------------------------------------------------------
# Style
# ---------------------------------------------------------------------------------------------

#: Series colours, in order: Rijkshuisstijl donkerblauw, robijnrood, groen, oranje, violet,
#: hemelblauw, mosgroen and bruin. Each has a contrast of at least 3:1 against white.
PALETTE: tuple[str, ...] = (
    "#154273",
    "#ca005d",
    "#39870c",
    "#e17000",
    "#42145f",
    "#007bc7",
    "#777c00",
    "#94710a",
)
TEXT_COLOR = "#1f1f1f"
#: The zero line and the sparkline's baseline: information, so 3:1 as well (4.1:1).
AXIS_COLOR = "#6f7f8f"
#: Gridlines only help the eye; the tick labels carry the values.
GRID_COLOR = "#d8dde3"

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
#: What the SVG asks the browser for instead of Helvetica.
SVG_FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', sans-serif"
#: Category labels, legend, period labels.
LABEL_SIZE = 10
#: Tick labels and value labels; the smallest text (above the 8 pt minimum for print).
SMALL_SIZE = 9

#: Line series: marker shape and dash pattern per position, so they differ without colour.
MARKERS = ("circle", "square", "triangle", "diamond", "triangle_down", "plus")
DASHES: tuple[tuple[float, ...] | None, ...] = (
    None,
    (7, 3),
    (7, 3, 2, 3),
    (2, 2.5),
    (12, 3),
    (4, 2, 4, 6),
)
#: The target line, thinner and darker than the series, and labelled.
TARGET_DASH = (3, 3)

NO_DATA = "Geen gegevens"
MISSING = "onbekend"
TARGET_WORD = "Doel"

_PAD = 4.0


@dataclass(frozen=True)
class Series:
    """One series of a chart: a label for the legend and values aligned with the periods or
    categories. ``None`` (or NaN) is a missing value: a gap in a line, no bar."""

    label: str
    values: list[float | None]


def _color(index: int) -> HexColor:
    return HexColor(PALETTE[index % len(PALETTE)])


# ---------------------------------------------------------------------------------------------
# Text and numbers
# ---------------------------------------------------------------------------------------------

# Characters that XML or HTML forbid or that draw as garbage: C0/C1 controls, surrogates,
# noncharacters. Whitespace controls become spaces.
_WHITESPACE_CONTROLS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(17))
    + "]"
)
_SPACES = re.compile(r" {2,}")


def clean_text(value: object) -> str:
    """``value`` as one line of text that XML, HTML and the PDF can all carry."""
    text = "" if value is None else str(value)
    text = _FORBIDDEN.sub("", _WHITESPACE_CONTROLS.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=8192)
def _width(text: str, size: float = LABEL_SIZE, font: str = FONT) -> float:
    return stringWidth(text, font, size)


def _truncate(text: str, max_width: float, size: float = LABEL_SIZE) -> str:
    """``text``, cut with "…" so it is at most ``max_width`` wide."""
    if _width(text, size) <= max_width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if _width(text[:middle].rstrip() + "…", size) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…" if low else "…"


def _wrap(text: str, max_width: float, max_lines: int, size: float = LABEL_SIZE) -> list[str]:
    """``text`` in at most ``max_lines`` lines of at most ``max_width``; the last line cut
    with "…" when the text does not fit."""
    words = text.split(" ")
    lines: list[str] = []
    start = 0  # the first word of the current line
    for index in range(1, len(words) + 1):
        if index < len(words) and _width(" ".join(words[start : index + 1]), size) <= max_width:
            continue
        if len(lines) == max_lines - 1:  # the last line takes the rest
            lines.append(" ".join(words[start:]))
            break
        lines.append(" ".join(words[start:index]))
        start = index
    return [_truncate(line, max_width, size) for line in lines]


def _clean_value(value: object) -> float | None:
    """A plottable number, or None for missing, NaN and infinity."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number_ = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number_ if math.isfinite(number_) else None


def _items(values: Sequence | None) -> list:
    """A list of whatever sequence was given (lists, tuples, pandas, numpy), None as empty."""
    return [] if values is None else list(values)


def _clean_values(values: Sequence[object] | None, length: int | None = None) -> list[float | None]:
    cleaned = [_clean_value(v) for v in _items(values)]
    if length is not None:
        cleaned = (cleaned + [None] * length)[:length]
    return cleaned


@lru_cache(maxsize=4096)
def _format(value: float, digits: int) -> str:
    if abs(value) >= 1e15:  # beyond what anyone counts; babel cannot round it either
        return f"{value:.2e}".replace(".", ",")
    text = number(value, digits)
    if text in ("-0", "-0," + "0" * digits):  # rounding a tiny negative
        text = text[1:]
    return text


def format_value(value: float, unit: str | None = None, digits: int | None = None) -> str:
    """A value as a Dutch label: "1.234", "2,5", "25%", "€ 1.200".

    Without ``digits``: no decimals for whole numbers, otherwise as few as show the value to
    two decimals (or two significant digits below 1)."""
    if digits is None:
        digits = _digits_for(value)
    text = _format(value, digits)
    if unit == "%":
        return f"{text}%"
    if unit == "€":
        return f"€ {text}"
    return text


def _digits_for(value: float) -> int:
    magnitude = abs(value)
    if magnitude == 0 or magnitude >= 1e15 or magnitude == round(magnitude):
        return 0
    max_digits = 2 if magnitude >= 1 else min(12, 1 - math.floor(math.log10(magnitude)))
    for digits in range(max_digits + 1):
        if round(value, digits) == round(value, max_digits):
            return digits
    return max_digits


def _axis_unit(unit: str | None) -> tuple[str | None, str | None]:
    """(unit written with each tick, unit written once as the axis title)."""
    unit = clean_text(unit) or None
    if unit in ("%", "€"):
        return unit, None
    return None, unit


# ---------------------------------------------------------------------------------------------
# Axis scale
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    ticks: list[float]
    digits: int

    @property
    def low(self) -> float:
        return self.ticks[0]

    @property
    def high(self) -> float:
        return self.ticks[-1]


def nice_scale(low: float, high: float, max_ticks: int = 6, integer: bool = False) -> _Scale:
    """Ticks from ``low`` to ``high`` (widened to include both) at a step of 1, 2, 2.5 or 5
    times a power of ten, about ``max_ticks`` of them; whole steps for counts."""
    low, high = min(low, high), max(low, high)
    if high - low <= 0:
        if high == 0:
            high = 1.0
        elif high > 0:
            low = 0.0
        else:
            high = 0.0
    span = high - low
    raw = span / max(1, max_ticks - 1)
    if not math.isfinite(raw) or raw <= 0:
        return _Scale([low, high], 0)
    exponent = math.floor(math.log10(raw))
    step = raw
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * 10.0**exponent
        if step >= raw * (1 - 1e-9):
            break
    if integer and step < 1:
        step = 1.0
    digits = 0
    while digits < 15 and abs(round(step, digits) - step) > step * 1e-9:
        digits += 1
    start = math.floor(low / step + 1e-9)
    end = math.ceil(high / step - 1e-9)
    count = max(1, end - start)
    ticks = [round((start + i) * step, digits) for i in range(count + 1)]
    return _Scale(ticks, digits)


# ---------------------------------------------------------------------------------------------
# Drawing helpers
# ---------------------------------------------------------------------------------------------


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = LABEL_SIZE,
    anchor: str = "start",
    color: str = TEXT_COLOR,
    bold: bool = False,
) -> String:
    """A String; for "end" and "middle" it remembers its anchor so the SVG can anchor it in the
    browser's own font metrics (reportlab moves x by Helvetica's width instead)."""
    string = String(
        x,
        y,
        text,
        fontName=FONT_BOLD if bold else FONT,
        fontSize=size,
        fillColor=HexColor(color),
        textAnchor=anchor,
    )
    if anchor in ("end", "middle"):
        string._svgAttrs = {"data-anchor": anchor, "data-x": repr(float(x))}
    return string


def _marker(shape: str, x: float, y: float, r: float, color: HexColor) -> Circle | Polygon:
    common = {"fillColor": color, "strokeColor": white, "strokeWidth": 0.75}
    if shape == "square":
        r *= 0.9
        points = [x - r, y - r, x + r, y - r, x + r, y + r, x - r, y + r]
    elif shape == "triangle":
        r *= 1.2
        points = [x, y + r, x + r, y - r * 0.8, x - r, y - r * 0.8]
    elif shape == "triangle_down":
        r *= 1.2
        points = [x, y - r, x + r, y + r * 0.8, x - r, y + r * 0.8]
    elif shape == "diamond":
        r *= 1.25
        points = [x, y + r, x + r, y, x, y - r, x - r, y]
    elif shape == "plus":
        a, b = r * 1.15, r * 0.42
        points = [
            x - b, y + a, x + b, y + a, x + b, y + b, x + a, y + b, x + a, y - b, x + b, y - b,
            x + b, y - a, x - b, y - a, x - b, y - b, x - a, y - b, x - a, y + b, x - b, y + b,
        ]  # fmt: skip
    else:
        return Circle(x, y, r, **common)
    return Polygon(points, **common)


def _message(drawing: Drawing, text: str, x0: float, y0: float, x1: float, y1: float) -> None:
    """A message in the middle of an empty plot area."""
    drawing.add(_text((x0 + x1) / 2, (y0 + y1) / 2 - LABEL_SIZE * 0.35, text, anchor="middle"))


def _legend(
    drawing: Drawing | None,
    items: list[tuple[str, int]],
    top: float,
    width: float,
    kind: str,
) -> float:
    """Legend rows from ``top`` down; returns the height used. ``kind`` "line" draws a line
    sample with the series' marker and dash, "bar" a swatch. Without a drawing: only measures."""
    sample_w = 24.0 if kind == "line" else 10.0
    row_h = LABEL_SIZE + 6
    max_label = max(20.0, width - 2 * _PAD - sample_w - 6)
    x, y = _PAD, top - row_h
    rows = 1
    for label, index in items:
        text = _truncate(label, max_label)
        item_w = sample_w + 4 + _width(text) + 14
        if x > _PAD and x + item_w - 14 > width - _PAD:
            x, y = _PAD, y - row_h
            rows += 1
        if drawing is None:
            x += item_w
            continue
        middle = y + row_h / 2
        color = _color(index)
        if kind == "line":
            line = Line(x, middle, x + sample_w, middle, strokeColor=color, strokeWidth=2)
            line.strokeDashArray = DASHES[index % len(DASHES)]
            drawing.add(line)
            drawing.add(
                _marker(MARKERS[index % len(MARKERS)], x + sample_w / 2, middle, 3.2, color)
            )
        else:
            drawing.add(Rect(x, middle - 5, 10, 10, fillColor=color, strokeColor=None))
        drawing.add(_text(x + sample_w + 4, middle - LABEL_SIZE * 0.35, text))
        x += item_w
    return rows * row_h + 2


# ---------------------------------------------------------------------------------------------
# Line chart
# ---------------------------------------------------------------------------------------------


@dataclass
class _XLabels:
    mode: str  # "horizontal", "wrapped" or "rotated"
    step: int  # every step-th label is shown, counted back from the last
    lines: list[list[str]]  # per period, the lines to draw
    height: float  # room the labels need below the plot


_ROTATION = 45.0
_SIN = math.sin(math.radians(_ROTATION))


def _x_labels(periods: list[str], slot: float, max_height: float) -> _XLabels:
    """How the period labels fit under slots ``slot`` wide without overlapping, in order of
    preference: all horizontal, wrapped in two lines, all rotated, every second one horizontal,
    or rotated and thinned out. Every label shown is better than a pattern to guess ("1e
    halfjaar" between two "2e halfjaar"), so rotating comes before thinning out."""
    n = len(periods)
    line_h = LABEL_SIZE + 2
    widest = max((_width(p) for p in periods), default=0)
    if widest + 6 <= slot:
        return _XLabels("horizontal", 1, [[p] for p in periods], line_h + 4)
    wrapped = [_split_two(p) for p in periods]
    if max((_width(line) for w in wrapped for line in w), default=0) + 4 <= slot:
        lines = max(len(w) for w in wrapped)
        return _XLabels("wrapped", 1, wrapped, lines * line_h + 4)
    # Rotated by 45°, neighbours are slot · sin 45° apart: enough for the letters' height.
    rotated_step = max(1, math.ceil(LABEL_SIZE * 1.5 / max(slot, 1e-6)))
    if rotated_step > 1 and widest + 6 <= 2 * slot and n > 2:
        return _XLabels("horizontal", 2, [[p] for p in periods], line_h + 4)
    max_len = max(30.0, (max_height - LABEL_SIZE) / _SIN)
    lines = [[_truncate(p, max_len)] for p in periods]
    longest = max((_width(line[0]) for line in lines), default=0)
    return _XLabels("rotated", rotated_step, lines, (longest + LABEL_SIZE * 0.7) * _SIN + 9)


def _split_two(label: str) -> list[str]:
    """A label in two lines at the space that balances them best (one line without spaces)."""
    words = label.split(" ")
    if len(words) < 2:
        return [label]
    best: list[str] = [label]
    best_w = math.inf
    for i in range(1, len(words)):
        first, second = " ".join(words[:i]), " ".join(words[i:])
        w = max(_width(first), _width(second))
        if w < best_w:
            best, best_w = [first, second], w
    return best


def _label_overhang(labels: _XLabels, slot: float) -> tuple[float, float]:
    """How far the shown period labels reach left of the plot's left edge and right of its
    right edge."""
    n = len(labels.lines)
    left = right = 0.0
    for i, lines in enumerate(labels.lines):
        if (n - 1 - i) % labels.step:
            continue
        centre = (i + 0.5) * slot
        if labels.mode == "rotated":
            # The text ends at the tick, its upper left corner is the farthest left.
            reach_left = (_width(lines[0]) + LABEL_SIZE * 0.7) * _SIN - LABEL_SIZE * 0.25
            reach_right = LABEL_SIZE * 0.25
        else:
            reach_left = reach_right = max(_width(line) for line in lines) / 2
        left = max(left, reach_left - centre)
        right = max(right, centre + reach_right - n * slot)
    return left, right


def line_chart(
    periods: list[str],
    series: list[Series],
    *,
    target: float | None = None,
    target_label: str | None = None,
    unit: str | None = None,
    width: float = 480,
    height: float = 240,
) -> Drawing:
    """Values per period as lines, one per series, with a marker at each value and a gap at
    each missing value; the target as a dashed line labelled "Doel: 30" (or ``target_label``,
    the whole label, e.g. "Doel: 30% in 2025"). The y axis starts at 0 (or below, for
    negative values). ``unit`` "%" or "€" is written with each tick; any other unit once
    above the axis."""
    width, height = float(width), float(height)
    drawing = Drawing(width, height)
    periods = [clean_text(p) for p in _items(periods)]
    n = len(periods)
    lines = [(clean_text(s.label), _clean_values(s.values, n)) for s in _items(series)]
    target = _clean_value(target)
    tick_unit, axis_title = _axis_unit(unit)

    top = height - _PAD
    if len(lines) > 1:
        top -= _legend(
            drawing, [(label, i) for i, (label, _) in enumerate(lines)], top, width, "line"
        )
    if axis_title:
        title = _truncate(axis_title, width / 2, SMALL_SIZE)
        drawing.add(_text(_PAD, top - SMALL_SIZE, title, size=SMALL_SIZE))
        top -= SMALL_SIZE + 4
    plot_top = top - SMALL_SIZE / 2 - 2  # room for the top tick label's upper half

    present = [v for _, values in lines for v in values if v is not None]
    bounds = [*present, *([target] if target is not None else []), 0.0]
    integer = all(v == round(v) for v in present) and (target is None or target == round(target))
    max_ticks = int(max(2, min(8, (plot_top - 40) / 32 + 1)))
    scale = nice_scale(min(bounds), max(bounds), max_ticks, integer=integer)
    tick_labels = [format_value(t, tick_unit, scale.digits) for t in scale.ticks]
    y_label_w = max(_width(t, SMALL_SIZE) for t in tick_labels)
    y_label_w = min(y_label_w, width * 0.3)

    # The target's label sits right of the plot, in up to three lines when it is long.
    target_lines: list[str] = []
    if target is not None:
        text = clean_text(target_label) or f"{TARGET_WORD}: {format_value(target, tick_unit)}"
        target_lines = _wrap(text, min(_width(text, SMALL_SIZE), width * 0.22), 3, SMALL_SIZE)
    target_w = max((_width(line, SMALL_SIZE) for line in target_lines), default=0.0)
    base_x0 = _PAD + y_label_w + 6
    base_x1 = width - _PAD - (target_w + 6 if target_lines else 0)
    x0, x1 = base_x0, base_x1
    max_label_h = (plot_top - _PAD) * 0.4
    for _ in range(3):  # period labels at the ends may need more room than the margins give
        x1 = max(x1, x0 + 10)
        slot = (x1 - x0) / n if n else x1 - x0
        labels = _x_labels(periods, slot, max_height=max_label_h)
        left, right = _label_overhang(labels, slot)
        x0 = max(base_x0, _PAD + left)
        x1 = min(base_x1, width - _PAD - right)
    x1 = max(x1, x0 + 10)
    slot = (x1 - x0) / n if n else x1 - x0
    labels = _x_labels(periods, slot, max_height=max_label_h)
    y0 = _PAD + labels.height
    y1 = max(plot_top, y0 + 10)

    def x_at(i: int) -> float:
        return x0 + (i + 0.5) * slot

    def y_at(v: float) -> float:
        return y0 + (v - scale.low) / (scale.high - scale.low) * (y1 - y0)

    # Gridlines and tick labels.
    for tick, label in zip(scale.ticks, tick_labels, strict=True):
        y = y_at(tick)
        if tick != 0 and tick != target:  # a gridline would fill the target's dashes
            drawing.add(Line(x0, y, x1, y, strokeColor=HexColor(GRID_COLOR), strokeWidth=0.5))
        label = _truncate(label, y_label_w, SMALL_SIZE)
        drawing.add(_text(x0 - 6, y - SMALL_SIZE * 0.35, label, size=SMALL_SIZE, anchor="end"))
    zero = y_at(0.0)
    drawing.add(Line(x0, zero, x1, zero, strokeColor=HexColor(AXIS_COLOR), strokeWidth=1))

    # Period labels, with a tick under each period.
    for i in range(n):
        x = x_at(i)
        drawing.add(Line(x, y0, x, y0 - 3, strokeColor=HexColor(AXIS_COLOR), strokeWidth=0.75))
        if (n - 1 - i) % labels.step:
            continue
        if labels.mode == "rotated":
            group = Group(
                _text(0, 0, labels.lines[i][0], anchor="end"),
                transform=(_SIN, _SIN, -_SIN, _SIN, x + LABEL_SIZE * 0.25, y0 - 9.5),
            )
            drawing.add(group)
        else:
            for j, line in enumerate(labels.lines[i]):
                baseline = y0 - 4 - LABEL_SIZE * 0.8 - j * (LABEL_SIZE + 2)
                drawing.add(_text(x, baseline, line, anchor="middle"))

    if not n or not present:
        _message(drawing, NO_DATA, x0, y0, x1, y1)

    # The target, under the series.
    if target is not None:
        y = y_at(target)
        target_line = Line(x0, y, x1, y, strokeColor=HexColor(TEXT_COLOR), strokeWidth=1.25)
        target_line.strokeDashArray = TARGET_DASH
        drawing.add(target_line)
        line_h = SMALL_SIZE + 1.5
        first = y - SMALL_SIZE * 0.35 + (len(target_lines) - 1) * line_h / 2
        first = min(first, height - _PAD - SMALL_SIZE * 0.75)
        first = max(first, _PAD + SMALL_SIZE * 0.25 + (len(target_lines) - 1) * line_h)
        for j, line in enumerate(target_lines):
            drawing.add(_text(x1 + 4, first - j * line_h, line, size=SMALL_SIZE))

    # The series: lines through runs of values, a marker at every value.
    marker_r = 3.4 if slot >= 12 else 2.4
    for index, (_, values) in enumerate(lines):
        color = _color(index)
        run: list[float] = []
        for i, value in enumerate([*values, None]):
            if value is not None:
                run += [x_at(i), y_at(value)]
                continue
            if len(run) >= 4:
                line = PolyLine(run, strokeColor=color, strokeWidth=2, strokeLineJoin=1)
                line.strokeDashArray = DASHES[index % len(DASHES)]
                drawing.add(line)
            run = []
        shape = MARKERS[index % len(MARKERS)]
        for i, value in enumerate(values):
            if value is not None:
                drawing.add(_marker(shape, x_at(i), y_at(value), marker_r, color))
    return drawing


# ---------------------------------------------------------------------------------------------
# Bar chart
# ---------------------------------------------------------------------------------------------


def bar_chart(
    categories: list[str],
    series: list[Series],
    *,
    unit: str | None = None,
    width: float = 480,
    height: float | None = None,
) -> Drawing:
    """Horizontal grouped bars: the categories down, one bar per series in the legend's order,
    each with its value at the end ("onbekend" for a missing value). Long category labels wrap
    in two lines (one when there are many categories) and are cut with "…".

    Without ``height`` the chart grows with the number of categories; a ``height`` too small
    to keep the labels apart is raised to the least that does. In a PDF a tall chart is split
    between categories over pages (see ``pdf_flowable``)."""
    width = float(width)
    categories = [clean_text(c) for c in _items(categories)]
    n = len(categories)
    bars = [(clean_text(s.label), _clean_values(s.values, n)) for s in _items(series)]
    tick_unit, axis_title = _axis_unit(unit)
    n_series = max(1, len(bars))

    legend_items = [(label, i) for i, (label, _) in enumerate(bars)] if len(bars) > 1 else []
    header = _legend(None, legend_items, 0, width, "bar") if legend_items else 0.0
    if axis_title:
        header += SMALL_SIZE + 4

    line_h = LABEL_SIZE + 1.5
    bar_gap = 1.0
    #: Value labels of neighbouring bars must not touch: the least distance between bars
    #: (Helvetica's digits and comma reach from 0.21 below the baseline to 0.72 above).
    value_pitch = SMALL_SIZE * 0.93 + 0.3
    if height is None:
        max_lines = 2 if n <= 20 else 1
        bar_h = 9.0 if n_series <= 3 else 7.5
        row_pad = 8.0 if n <= 12 else 6.0
    else:
        min_row_h = max(line_h, n_series * value_pitch) + 2
        height = max(float(height), math.ceil(header + max(1, n) * min_row_h + 2 * _PAD))
        row_h = (height - header - 2 * _PAD) / max(1, n)
        max_lines = 2 if row_h >= 2 * line_h + 2 else 1
        row_pad = min(8.0, max(2.0, row_h * 0.25))
        block = min(
            n_series * 9 + (n_series - 1) * bar_gap,
            max(n_series * value_pitch - bar_gap, row_h - row_pad),
        )
        bar_h = (block - (n_series - 1) * bar_gap) / n_series

    # Category labels: the column is as wide as the longest label, at most 40% of the chart.
    label_col = min(max((_width(c) for c in categories), default=0), width * 0.4)
    label_col = max(label_col, min(60.0, width * 0.25))
    wrapped = [_wrap(c, label_col, max_lines) for c in categories]
    label_col = max((_width(line) for lines in wrapped for line in lines), default=0.0)
    lines_needed = max((len(w) for w in wrapped), default=1)

    block = n_series * bar_h + (n_series - 1) * bar_gap
    if height is None:
        row_h = max(block, lines_needed * line_h) + row_pad
        height = float(math.ceil(header + max(1, n) * row_h + 2 * _PAD))
    drawing = Drawing(width, height)

    top = height - _PAD
    if legend_items:
        top -= _legend(drawing, legend_items, top, width, "bar")
    if axis_title:
        title = _truncate(axis_title, width / 2, SMALL_SIZE)
        drawing.add(_text(_PAD, top - SMALL_SIZE, title, size=SMALL_SIZE))
        top -= SMALL_SIZE + 4
    rows_top = top

    present = [v for _, values in bars for v in values if v is not None]
    if not n:
        _message(drawing, NO_DATA, 0, _PAD, width, rows_top)

    # Value labels: the room they need right of the longest bar (and left of negative bars).
    value_labels = [
        [MISSING if v is None else format_value(v, tick_unit) for v in values] for _, values in bars
    ]
    low = min([0.0, *present])
    high = max([0.0, *present])
    pos_label_w = max((_width(t, SMALL_SIZE) for labels in value_labels for t in labels), default=0)
    neg_label_w = max(
        (
            _width(t, SMALL_SIZE)
            for (_, values), labels in zip(bars, value_labels, strict=True)
            for v, t in zip(values, labels, strict=True)
            if v is not None and v < 0
        ),
        default=0,
    )
    xa = _PAD + label_col + 8 + (neg_label_w + 4 if neg_label_w else 0)
    xb = width - _PAD - min(pos_label_w, width * 0.3) - 4
    xb = max(xb, xa + 10)
    span = high - low
    per_unit = (xb - xa) / span if span > 0 else 0.0
    zero_x = xa - low * per_unit

    cuts: list[float] = []
    for i, category in enumerate(wrapped):
        row_top = rows_top - i * row_h
        row_bottom = row_top - row_h
        middle = (row_top + row_bottom) / 2
        cuts.append(row_bottom)
        # The label, centred on the group.
        first = middle + (len(category) - 1) * line_h / 2 - LABEL_SIZE * 0.35
        for j, line in enumerate(category):
            drawing.add(_text(_PAD, first - j * line_h, line))
        # The bars, top to bottom in series order.
        block_top = middle + block / 2
        for k, (_, values) in enumerate(bars):
            bar_top = block_top - k * (bar_h + bar_gap)
            bar_middle = bar_top - bar_h / 2
            value = values[i]
            label = value_labels[k][i]
            text_y = bar_middle - SMALL_SIZE * 0.35
            if value is None:
                drawing.add(_text(zero_x + 3, text_y, label, size=SMALL_SIZE, color=TEXT_COLOR))
                continue
            end = zero_x + value * per_unit
            if value:
                drawing.add(
                    Rect(
                        min(zero_x, end),
                        bar_top - bar_h,
                        abs(end - zero_x),
                        bar_h,
                        fillColor=_color(k),
                        strokeColor=None,
                    )
                )
            if value < 0:
                drawing.add(_text(end - 3, text_y, label, size=SMALL_SIZE, anchor="end"))
            else:
                drawing.add(_text(end + 3, text_y, label, size=SMALL_SIZE))
    if n:
        bottom = rows_top - n * row_h
        axis = Line(zero_x, rows_top - row_pad / 4, zero_x, bottom + row_pad / 4)
        axis.strokeColor, axis.strokeWidth = HexColor(AXIS_COLOR), 1
        drawing.add(axis)
        # Where the PDF may cut the chart over pages: between groups; the header repeats.
        drawing._handvat_split = _Split(
            header=(rows_top, height), rows=(bottom, rows_top), cuts=tuple(cuts[:-1])
        )
    return drawing


@dataclass(frozen=True)
class _Split:
    """Where a tall drawing may be cut: ``header`` and ``rows`` are (bottom, top) bands in
    drawing coordinates; ``cuts`` the y values inside ``rows`` between two groups."""

    header: tuple[float, float]
    rows: tuple[float, float]
    cuts: tuple[float, ...]


# ---------------------------------------------------------------------------------------------
# Sparkline
# ---------------------------------------------------------------------------------------------


def sparkline(
    values: list[float | None],
    *,
    baseline: float | None = None,
    target: float | None = None,
    width: float = 140,
    height: float = 36,
) -> Drawing:
    """A small line without text: the values (gaps at missing ones), a marker on the last
    value, the baseline as a thin grey line, the target as a dashed dark line."""
    width, height = float(width), float(height)
    drawing = Drawing(width, height)
    points = _clean_values(values)
    baseline, target = _clean_value(baseline), _clean_value(target)
    present = [v for v in points if v is not None]
    bounds = [*present, *(v for v in (baseline, target) if v is not None)]
    if not bounds:
        return drawing
    low, high = min(bounds), max(bounds)
    if high - low <= 0:
        low, high = low - 1, high + 1
    pad = 4.0
    n = len(points)

    def x_at(i: int) -> float:
        return width / 2 if n == 1 else pad + i * (width - 2 * pad) / (n - 1)

    def y_at(v: float) -> float:
        return pad + (v - low) / (high - low) * (height - 2 * pad)

    if baseline is not None:
        y = y_at(baseline)
        drawing.add(Line(0, y, width, y, strokeColor=HexColor(AXIS_COLOR), strokeWidth=0.75))
    if target is not None:
        y = y_at(target)
        line = Line(0, y, width, y, strokeColor=HexColor(TEXT_COLOR), strokeWidth=1)
        line.strokeDashArray = TARGET_DASH
        drawing.add(line)
    color = _color(0)
    run: list[float] = []
    last: tuple[float, float] | None = None
    for i, value in enumerate([*points, None]):
        if value is not None:
            run += [x_at(i), y_at(value)]
            last = (x_at(i), y_at(value))
            continue
        if len(run) >= 4:
            drawing.add(PolyLine(run, strokeColor=color, strokeWidth=1.5, strokeLineJoin=1))
        elif len(run) == 2:  # a lone value between gaps
            drawing.add(Circle(run[0], run[1], 1.2, fillColor=color, strokeColor=None))
        run = []
    if last is not None:
        marker = Circle(last[0], last[1], 2.6, fillColor=color, strokeColor=white)
        marker.strokeWidth = 0.75
        drawing.add(marker)
    return drawing


# ---------------------------------------------------------------------------------------------
# SVG for HTML
# ---------------------------------------------------------------------------------------------

_SVG_NS = "{http://www.w3.org/2000/svg}"
#: Style properties kept (as presentation attributes); others (clip-path) are dropped.
_PRESENTATION = {
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-opacity",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-dasharray",
    "stroke-dashoffset",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
}
_FONT_FAMILIES = {
    "Helvetica": (SVG_FONT_FAMILY, None),
    "Helvetica-Bold": (SVG_FONT_FAMILY, "bold"),
    "Helvetica-Oblique": (SVG_FONT_FAMILY, None),
}
_RGB = re.compile(r"rgb\(\s*([\d.]+)%\s*,\s*([\d.]+)%\s*,\s*([\d.]+)%\s*\)")
#: Small drawings (sparklines) keep their size; larger ones fill their container's width.
_FIXED_SIZE_UP_TO = 200


def _known_colors() -> list[tuple[int, int, int]]:
    known = [*PALETTE, TEXT_COLOR, AXIS_COLOR, GRID_COLOR, "#ffffff", "#000000"]
    return [(int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)) for c in known]


_KNOWN_COLORS = _known_colors()


@lru_cache(maxsize=256)
def _hex_color(value: str) -> str:
    """reportlab's "rgb(8%,25%,45%)" (whole percents, rounded down) as the exact "#rrggbb" it
    came from when that is one of this module's colours."""
    value = value.strip()
    match = _RGB.fullmatch(value)
    if not match:
        return value.lower() if value.lower() == "none" else value
    rgb = tuple(min(255, round((float(p) + 0.5) * 2.55)) for p in match.groups())
    for known in _KNOWN_COLORS:
        if all(abs(a - b) <= 3 for a, b in zip(rgb, known, strict=True)):
            rgb = known
            break
    return "#{:02x}{:02x}{:02x}".format(*rgb)


_LONG_NUMBER = re.compile(r"-?\d+\.\d{3,}(?:e-?\d+)?")
#: Attributes with coordinates, written with at most two decimals.
_GEOMETRY = {"x", "y", "width", "height", "cx", "cy", "r", "rx", "ry", "points", "d", "transform"}


def _round_numbers(value: str) -> str:
    return _LONG_NUMBER.sub(lambda m: _number(float(m.group())), value)


def _escape_attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=512)
def _style_attributes(style: str) -> tuple[tuple[str, str], ...]:
    """A reportlab style as presentation attributes (which CSP's style-src does not block)."""
    attributes: dict[str, str] = {}
    for declaration in style.split(";"):
        key, _, value = declaration.partition(":")
        key, value = key.strip(), value.strip()
        if key not in _PRESENTATION or not value or (key, value) in _DEFAULTS:
            continue
        if key in ("fill", "stroke"):
            value = _hex_color(value)
        elif key == "font-size" and value.endswith("px"):
            value = value[:-2]
        elif key == "font-family":
            value, weight = _FONT_FAMILIES.get(value, (value, None))
            if weight:
                attributes["font-weight"] = weight
            if value == SVG_FONT_FAMILY:
                continue  # the svg element sets it for all
        attributes[key] = value
    return tuple(attributes.items())


#: Values the SVG has anyway (our shapes look the same with either fill rule).
_DEFAULTS = {("stroke-linecap", "butt"), ("fill-rule", "evenodd"), ("fill-rule", "nonzero")}


def _attributes(element: ET.Element) -> dict[str, str]:
    """The element's attributes with its style as presentation attributes."""
    attributes: dict[str, str] = {}
    for name, value in element.attrib.items():
        if name == "style":
            attributes.update(_style_attributes(value))
        elif name in ("id", "clip") or (name == "transform" and not value.strip()):
            continue
        else:
            attributes[name] = value
    anchor = attributes.pop("data-anchor", None)
    original_x = attributes.pop("data-x", None)
    if anchor and original_x is not None:
        attributes["x"] = original_x
        attributes["text-anchor"] = anchor
    if element.tag == _TEXT_TAG and "y" in attributes:
        # reportlab flips each text back upright around a whole-number y; flip exactly.
        attributes["transform"] = f"matrix(1 0 0 -1 0 {_number(2 * float(attributes['y']))})"
    for name in _GEOMETRY.intersection(attributes):
        attributes[name] = _round_numbers(attributes[name])
    return attributes


_TEXT_TAG = f"{_SVG_NS}text"


def _serialize(element: ET.Element, out: list[str]) -> None:
    tag = element.tag.removeprefix(_SVG_NS)
    if tag == "clipPath":
        return
    attributes = _attributes(element)
    if tag == "g" and not attributes:
        # A group without attributes adds nothing: write its children in its place.
        for child in element:
            _serialize(child, out)
        return
    out.append(f"<{tag}")
    for name, value in attributes.items():
        out.append(f' {name}="{_escape_attr(value)}"')
    children = list(element)
    text = clean_text(element.text) if tag == "text" else ""
    if not children and not text:
        out.append("/>")
        return
    out.append(">")
    out.append(_escape_text(text))
    for child in children:
        _serialize(child, out)
    out.append(f"</{tag}>")


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def svg_markup(
    drawing: Drawing,
    *,
    title: str,
    description: str | None = None,
    css_class: str = "chart-svg",
) -> markupsafe.Markup:
    """``drawing`` as an inline ``<svg>`` for an HTML page.

    It is one image for assistive technology: ``role="img"``, named by its ``<title>`` and
    described by its ``<desc>`` (ids unique per call). No XML declaration, doctype, script,
    event handler, style attribute or external reference. It scales with its container
    (``width="100%"`` and a ``viewBox``; give the ``css_class`` a ``max-width`` in the
    stylesheet); drawings up to 200 wide (sparklines) keep their size."""
    # Text in drawings made elsewhere may hold characters XML forbids: leave them out.
    xml = renderSVG.drawToString(drawing)
    root = ET.fromstring(_FORBIDDEN.sub("", _WHITESPACE_CONTROLS.sub(" ", xml)))
    width, height = float(drawing.width), float(drawing.height)
    key = uuid.uuid4().hex[:12]
    title_id, desc_id = f"chart-{key}-title", f"chart-{key}-desc"
    description = clean_text(description) or None

    out = ['<svg xmlns="http://www.w3.org/2000/svg"']
    if width > _FIXED_SIZE_UP_TO:
        out.append(' width="100%"')
    else:
        out.append(f' width="{_number(width)}" height="{_number(height)}"')
    out.append(f' viewBox="0 0 {_number(width)} {_number(height)}"')
    out.append(' preserveAspectRatio="xMidYMid meet"')
    if css_class:
        out.append(f' class="{_escape_attr(clean_text(css_class))}"')
    out.append(f' role="img" aria-labelledby="{title_id}"')
    if description:
        out.append(f' aria-describedby="{desc_id}"')
    out.append(f' font-family="{_escape_attr(SVG_FONT_FAMILY)}">')
    title = clean_text(title) or "Grafiek"  # an image needs a name
    out.append(f'<title id="{title_id}">{_escape_text(title)}</title>')
    if description:
        out.append(f'<desc id="{desc_id}">{_escape_text(description)}</desc>')
    for child in root:
        if child.tag in (f"{_SVG_NS}title", f"{_SVG_NS}desc", f"{_SVG_NS}clipPath"):
            continue
        if child.tag == f"{_SVG_NS}g":
            # reportlab's page group: y up, flipped around a whole-number height; flip exactly.
            out.append(f'<g transform="matrix(1 0 0 -1 0 {_number(height)})">')
            for grandchild in child:
                _serialize(grandchild, out)
            out.append("</g>")
            continue
        _serialize(child, out)
    out.append("</svg>")
    return markupsafe.Markup("".join(out))


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------


class ChartFlowable(Flowable):
    """A chart in a platypus story. It shrinks to the available width; a bar chart taller than
    the space left is cut between two categories (its legend repeats on the next page); any
    other chart too tall for a whole frame shrinks to fit it."""

    def __init__(
        self,
        drawing: Drawing,
        bands: Sequence[tuple[float, float]] | None = None,
        max_height: float | None = None,
    ) -> None:
        super().__init__()
        self.drawing = drawing
        #: The (bottom, top) bands of the drawing shown, from top to bottom of the flowable.
        self.bands = list(bands) if bands else [(0.0, float(drawing.height))]
        self.max_height = max_height
        self.scale = 1.0

    def _natural_height(self) -> float:
        return sum(top - bottom for bottom, top in self.bands)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        width, height = float(self.drawing.width), self._natural_height()
        scale = min(1.0, availWidth / width) if width > 0 else 1.0
        if self.max_height is not None and height * scale > self.max_height:
            scale = self.max_height / height
        self.scale = scale
        self.width, self.height = width * scale, height * scale
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self.wrap(availWidth, availHeight)
        if self.height <= availHeight:
            return [self]
        split: _Split | None = getattr(self.drawing, "_handvat_split", None)
        rows = self.bands[-1]
        header = self.bands[:-1] if len(self.bands) > 1 else []
        if split is not None and (not header or header == [split.header]):
            if not header and rows == (0.0, float(self.drawing.height)):
                header, rows = [split.header], split.rows
            header_h = sum(top - bottom for bottom, top in header)
            rows_bottom, rows_top = rows
            fitting = [
                cut
                for cut in split.cuts
                if rows_bottom < cut < rows_top
                and (header_h + rows_top - cut) * self.scale <= availHeight
            ]
            if fitting:
                cut = min(fitting)
                first = ChartFlowable(self.drawing, [*header, (cut, rows_top)], self.max_height)
                rest = ChartFlowable(self.drawing, [*header, (rows_bottom, cut)], self.max_height)
                return [first, rest]
        frame = getattr(self, "_frame", None)
        if frame is not None and not getattr(frame, "_atTop", True):
            return []  # try again at the top of the next frame
        return [ChartFlowable(self.drawing, self.bands, max_height=availHeight)]

    def _band(self, bottom: float, top: float) -> Drawing:
        """The shapes of the drawing that reach into the band, moved down to its bottom: what
        is cut away is left out rather than hidden, so the PDF holds each text once."""
        if (bottom, top) == (0.0, float(self.drawing.height)):
            return self.drawing
        band = Drawing(self.drawing.width, top - bottom)
        group = Group(transform=(1, 0, 0, 1, 0, -bottom))
        for shape in self.drawing.contents:
            _, low, _, high = shape.getBounds()
            if high > bottom + 0.01 and low < top - 0.01:
                group.add(shape)
        band.add(group)
        return band

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.scale(self.scale, self.scale)
        width = float(self.drawing.width)
        current = self._natural_height()
        for bottom, top in self.bands:
            height = top - bottom
            current -= height
            canvas.saveState()
            path = canvas.beginPath()
            path.rect(-2, current, width + 4, height)
            canvas.clipPath(path, stroke=0, fill=0)
            renderPDF.draw(self._band(bottom, top), canvas, 0, current, showBoundary=False)
            canvas.restoreState()
        canvas.restoreState()


def pdf_flowable(drawing: Drawing) -> Flowable:
    """``drawing`` as a flowable for a platypus story (the PDF action list)."""
    return ChartFlowable(drawing)
