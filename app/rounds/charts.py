"""The comparison's chart: where each round stands on the self-assessment scale.

A dot plot, drawn once with reportlab (``indicators/charts.py``'s style and helpers) for the
web (``svg_markup``) and the PDF (``pdf_flowable``): one row per question or phase, the steps
of the scale across, one marker per round. Rounds differ by marker shape as well as colour and
are named in the legend; a thin line joins a row's markers, so a move shows without colour.
A missing value (not answered, "weet niet", not chosen) has no marker; the table beside the
chart says which it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect
from reportlab.lib.colors import HexColor

from ..core.formatting import number
from ..indicators.charts import (
    _PAD,
    AXIS_COLOR,
    GRID_COLOR,
    LABEL_SIZE,
    MARKERS,
    NO_DATA,
    SMALL_SIZE,
    _color,
    _marker,
    _message,
    _Split,
    _text,
    _truncate,
    _width,
    _wrap,
    clean_text,
)
from .document import ComparisonDocument

MARKER_RADIUS = 3.4
#: Vertical distance between the markers of two rounds in one row.
DODGE = 5.5
#: A light band behind every other step, so a marker's step reads at a glance.
BAND_COLOR = "#f1f4f8"


@dataclass(frozen=True)
class StepRow:
    label: str
    #: One value per round: a step (1 … scale size), an average, or None.
    values: tuple[float | None, ...]


def step_chart(
    rows: list[StepRow], rounds: list[str], scale: list[str], *, width: float = 480
) -> Drawing:
    """``rows`` on the scale ``scale`` (its labels, lowest first), one marker per round."""
    width = float(width)
    rows = [StepRow(clean_text(r.label), tuple(r.values)) for r in rows]
    rounds = [clean_text(r) for r in rounds]
    scale = [clean_text(s) for s in scale] or ["1"]
    steps, series = len(scale), max(1, len(rounds))

    legend_rows = _legend_rows(rounds, width) if len(rounds) > 1 else []
    legend_h = len(legend_rows) * (LABEL_SIZE + 6)
    label_col = min(max((_width(r.label) for r in rows), default=0), width * 0.38)
    label_col = max(label_col, min(60.0, width * 0.25))
    x0 = _PAD + label_col + 10
    x1 = width - _PAD
    slot = (x1 - x0) / steps
    scale_lines = [_wrap(s, slot - 6, 2, SMALL_SIZE) for s in scale]
    scale_h = max(len(lines) for lines in scale_lines) * (SMALL_SIZE + 2) + 6
    line_h = LABEL_SIZE + 1.5
    wrapped = [_wrap(r.label, label_col, 2) for r in rows]
    markers_h = (series - 1) * DODGE + 2 * MARKER_RADIUS
    row_hs = [max(len(lines) * line_h, markers_h) + 10 for lines in wrapped]
    height = float(int(_PAD * 2 + legend_h + scale_h + (sum(row_hs) if rows else 40)) + 1)
    drawing = Drawing(width, height)

    top = height - _PAD
    for items in legend_rows:
        x, middle = _PAD, top - (LABEL_SIZE + 6) / 2
        for index, text in items:
            drawing.add(_marker(MARKERS[index % len(MARKERS)], x + 4, middle, MARKER_RADIUS,
                                _color(index)))  # fmt: skip
            drawing.add(_text(x + 12, middle - LABEL_SIZE * 0.35, text))
            x += 12 + _width(text) + 16
        top -= LABEL_SIZE + 6
    for i, lines in enumerate(scale_lines):
        x = x0 + (i + 0.5) * slot
        for j, line in enumerate(lines):
            baseline = top - SMALL_SIZE - j * (SMALL_SIZE + 2)
            drawing.add(_text(x, baseline, line, size=SMALL_SIZE, anchor="middle"))
    top -= scale_h
    rows_top = top

    def x_at(value: float) -> float:
        return x0 + (min(max(value, 1), steps) - 0.5) * slot

    if not rows:
        _message(drawing, NO_DATA, x0, _PAD, x1, rows_top)
    cuts = []
    for row, lines, row_h in zip(rows, wrapped, row_hs, strict=True):
        bottom, middle = top - row_h, top - row_h / 2
        for i in range(0, steps, 2):  # bands behind every other step, per row
            drawing.add(Rect(x0 + i * slot, bottom, slot, row_h, fillColor=HexColor(BAND_COLOR),
                             strokeColor=None))  # fmt: skip
        for i in range(steps):
            x = x0 + (i + 0.5) * slot
            drawing.add(Line(x, bottom + 2, x, top - 2, strokeColor=HexColor(GRID_COLOR),
                             strokeWidth=0.5))  # fmt: skip
        first = middle + (len(lines) - 1) * line_h / 2 - LABEL_SIZE * 0.35
        for j, line in enumerate(lines):
            drawing.add(_text(_PAD, first - j * line_h, line))
        points = []
        for k, value in enumerate(row.values):
            if value is not None:
                points.append((k, x_at(value), middle + ((series - 1) / 2 - k) * DODGE))
        if len(points) > 1:
            path = PolyLine([c for _, x, y in points for c in (x, y)],
                            strokeColor=HexColor(AXIS_COLOR), strokeWidth=1)  # fmt: skip
            drawing.add(path)
        for k, x, y in points:
            drawing.add(_marker(MARKERS[k % len(MARKERS)], x, y, MARKER_RADIUS, _color(k)))
        line = Line(_PAD, bottom, x1, bottom, strokeColor=HexColor(GRID_COLOR), strokeWidth=0.5)
        drawing.add(line)
        cuts.append(bottom)
        top = bottom
    if rows:
        # Where the PDF may cut the chart over pages: between rows; legend and scale repeat.
        drawing._handvat_split = _Split(
            header=(rows_top, height), rows=(top, rows_top), cuts=tuple(cuts[:-1])
        )
    return drawing


def _legend_rows(labels: list[str], width: float) -> list[list[tuple[int, str]]]:
    rows: list[list[tuple[int, str]]] = [[]]
    x = _PAD
    for index, label in enumerate(labels):
        text = _truncate(label, width - 2 * _PAD - 30)
        item_w = 12 + _width(text) + 16
        if rows[-1] and x + item_w - 16 > width - _PAD:
            rows.append([])
            x = _PAD
        rows[-1].append((index, text))
        x += item_w
    return rows


def _value_text(value: float | None) -> str:
    return "geen" if value is None else number(value, 0 if value == int(value) else 1)


def phase_chart(doc: ComparisonDocument) -> tuple[Drawing, str, str]:
    """(drawing, title, description) of the average step per phase and round."""
    rows = [StepRow(phase.name, tuple(s.average for s in phase.summaries)) for phase in doc.phases]
    title = "Gemiddelde zelfbeoordeling per fase en ronde"
    return step_chart(rows, _round_labels(doc), list(doc.scale)), title, _describe(doc, rows)


def question_chart(doc: ComparisonDocument) -> tuple[Drawing, str, str]:
    """(drawing, title, description) of each question's step per round."""
    rows = [
        StepRow(
            f"{q.number} {q.text}",
            tuple(float(c.position) if c.on_scale else None for c in q.cells),
        )
        for phase in doc.phases
        for q in phase.questions
    ]
    title = "Zelfbeoordeling per vraag en ronde"
    return step_chart(rows, _round_labels(doc), list(doc.scale)), title, _describe(doc, rows)


def _round_labels(doc: ComparisonDocument) -> list[str]:
    return [f"Ronde {i}: {r.label}" for i, r in enumerate(doc.rounds, start=1)]


def _describe(doc: ComparisonDocument, rows: list[StepRow]) -> str:
    """The chart's text, for screen readers (the table holds the same and more)."""
    scale = ", ".join(f"{i} = {label}" for i, label in enumerate(doc.scale, start=1))
    labels = _round_labels(doc)
    parts = [f"Stappen: {scale}."]
    for row in rows[:40]:
        values = "; ".join(
            f"{label}: {_value_text(v)}" for label, v in zip(labels, row.values, strict=False)
        )
        parts.append(f"{row.label[:80]}: {values}.")
    if len(rows) > 40:
        parts.append("De tabel geeft alle rijen.")
    return " ".join(parts)
