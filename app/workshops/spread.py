"""How a workshop's room placed the collaboration on the scale, in words and as a small chart.

The spread of one question is kept with the table's answer (``Answer.room_spread``, written by
``operations.write_answer``) and read live on the results page. Everywhere it shows, it shows
the same way:

- a sentence, which is also the chart's text alternative: "12 deelnemers: 2 nog niet geregeld,
  7 eerste stappen gezet, 3 grotendeels geregeld (workshop van 23 november 2026)". Steps nobody
  chose are left out; "Weet niet / n.v.t." counts like any other choice;
- a chart of horizontal bars, one per step of the scale, each with its count written beside it
  (never only an average). The bars run from red for "nog niet" to green for "goed geregeld",
  grey for a choice off the scale; the step's name and the count are text, so the chart reads
  in greyscale and without colour vision.

One reportlab ``Drawing`` (``spread_drawing``) serves the pages (``spread_svg``: inline SVG,
``role="img"`` named by the sentence) and the PDFs (``spread_flowable``). This module imports no
other part of the workshop feature, so the conversation pages and the action-list PDF can use
it without pulling the workshop in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import markupsafe
from reportlab.graphics.shapes import Drawing, Line, Rect
from reportlab.lib.colors import HexColor
from reportlab.platypus import Flowable

from ..core.formatting import date_long, number
from ..indicators.charts import (
    AXIS_COLOR,
    LABEL_SIZE,
    PALETTE,
    SMALL_SIZE,
    ChartFlowable,
    _text,
    _truncate,
    _width,
    clean_text,
    svg_markup,
)

__all__ = [
    "RoomSpread",
    "SpreadStep",
    "spread_drawing",
    "spread_flowable",
    "spread_from_counts",
    "spread_from_stored",
    "spread_svg",
]

#: Bar colours for the steps on the scale, from the lowest to the highest: robijnrood, oranje,
#: hemelblauw, groen (the charts' palette; each 3:1 or more against white).
SCALE_COLORS: tuple[str, ...] = (PALETTE[1], PALETTE[3], PALETTE[5], PALETTE[2])
#: A choice that is not a position on the scale ("Weet niet / n.v.t.").
OFF_SCALE_COLOR = AXIS_COLOR
#: The light track behind each bar: the whole room, so a bar's length reads as a share.
TRACK_COLOR = "#eef2f7"

_PAD = 4.0
ROW_HEIGHT = 19.0
BAR_HEIGHT = 11.0


@dataclass(frozen=True)
class SpreadStep:
    """One step of the scale with how many in the room chose it."""

    step_id: str
    label: str  #: as on the scale: "Eerste stappen gezet"
    count: int
    counts_on_scale: bool = True


@dataclass(frozen=True)
class RoomSpread:
    """The room's spread over the scale for one question: plain data, so an export document
    can hold it (and its cache key can be made of it)."""

    steps: tuple[SpreadStep, ...]
    #: The day of the workshop, for "(workshop van 23 november 2026)"; None leaves it out.
    recorded_on: date | None = None
    workshop_id: int | None = None

    @property
    def participants(self) -> int:
        """How many placed this question on the scale (each person once)."""
        return sum(step.count for step in self.steps)

    @property
    def summary(self) -> str:
        """ "12 deelnemers: 2 nog niet geregeld, 7 eerste stappen gezet, 3 grotendeels
        geregeld"."""
        total = self.participants
        if not total:
            return "Nog niemand uit de zaal heeft deze vraag op de schaal gezet"
        head = "1 deelnemer" if total == 1 else f"{number(total)} deelnemers"
        parts = [f"{number(s.count)} {_lowered(s.label)}" for s in self.steps if s.count]
        return f"{head}: {', '.join(parts)}"

    @property
    def when(self) -> str:
        """ "(workshop van 23 november 2026)", or "" when the day is not known."""
        return f"(workshop van {date_long(self.recorded_on)})" if self.recorded_on else ""

    @property
    def sentence(self) -> str:
        """The summary with the day of the workshop: the text alternative of the chart."""
        return f"{self.summary} {self.when}".strip()

    def share(self, step: SpreadStep) -> str:
        """The step's share of the room as a Dutch percentage ("58%"), "" for an empty room."""
        total = self.participants
        return f"{number(round(100 * step.count / total))}%" if total else ""


def _lowered(label: str) -> str:
    """A scale label inside a sentence: "Eerste stappen gezet" -> "eerste stappen gezet"; an
    abbreviation at the start ("MBO") keeps its capitals."""
    label = clean_text(label)
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return label
    return label[:1].lower() + label[1:]


def spread_from_counts(
    scale: Iterable,
    counts: Mapping[str, object] | Iterable[tuple[str, object]],
    *,
    recorded_on: date | None = None,
    workshop_id: int | None = None,
) -> RoomSpread:
    """The spread over ``scale`` (the questionnaire's ``AssessmentStep``\\ s, in order) from
    counts per step id. Steps without a count have 0; ids the scale does not know, and counts
    that are not whole numbers of zero or more, are left out."""
    counts = dict(counts.items() if isinstance(counts, Mapping) else counts)
    return RoomSpread(
        steps=tuple(
            SpreadStep(
                step_id=step.id,
                label=clean_text(step.label),
                count=_count(counts.get(step.id)),
                counts_on_scale=bool(getattr(step, "counts_on_scale", True)),
            )
            for step in scale
        ),
        recorded_on=recorded_on,
        workshop_id=workshop_id,
    )


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if value >= 0 and value == int(value) else 0


def spread_from_stored(stored: object, scale: Iterable) -> RoomSpread | None:
    """The spread as ``Answer.room_spread`` holds it (``{"participants": 12, "counts": {step
    id: count}, "workshop": id, "recorded_on": "2026-11-23"}``), or None when there is none or
    it cannot be read: a damaged value never breaks a page."""
    if not isinstance(stored, Mapping) or not isinstance(stored.get("counts"), Mapping):
        return None
    recorded_on = None
    if isinstance(stored.get("recorded_on"), str):
        try:
            recorded_on = date.fromisoformat(stored["recorded_on"])
        except ValueError:
            recorded_on = None
    workshop_id = stored.get("workshop")
    if isinstance(workshop_id, bool) or not isinstance(workshop_id, int):
        workshop_id = None
    return spread_from_counts(
        scale, stored["counts"], recorded_on=recorded_on, workshop_id=workshop_id
    )


# ---------------------------------------------------------------------------------------------
# The chart
# ---------------------------------------------------------------------------------------------


def _bar_colors(steps: Sequence[SpreadStep]) -> list[str]:
    """Red to green over the steps on the scale; grey for a choice off it."""
    on_scale = [s for s in steps if s.counts_on_scale]
    if len(on_scale) == len(SCALE_COLORS):
        ramp = list(SCALE_COLORS)
    else:  # another scale: the palette in its own order
        ramp = [PALETTE[i % len(PALETTE)] for i in range(len(on_scale))]
    colors, position = [], 0
    for step in steps:
        if step.counts_on_scale:
            colors.append(ramp[position])
            position += 1
        else:
            colors.append(OFF_SCALE_COLOR)
    return colors


def spread_drawing(spread: RoomSpread, *, width: float = 480) -> Drawing:
    """Horizontal bars, one per step in the scale's order, each on a light track that stands
    for the whole room, with the count beside it. Labels longer than 45% of the width are cut
    with "…" (the sentence and the table beside the chart have them whole)."""
    width = float(width)
    steps = spread.steps
    height = float(round(2 * _PAD + max(1, len(steps)) * ROW_HEIGHT))
    drawing = Drawing(width, height)
    total = spread.participants

    labels = [_truncate(clean_text(s.label), width * 0.45) for s in steps]
    label_col = max((_width(label) for label in labels), default=0.0)
    counts = [number(s.count) for s in steps]
    count_col = max((_width(text, SMALL_SIZE) for text in counts), default=0.0)
    xa = _PAD + label_col + 8
    xb = max(xa + 20, width - _PAD - count_col - 6)
    per_person = (xb - xa) / total if total else 0.0

    for i, (step, label, count, color) in enumerate(
        zip(steps, labels, counts, _bar_colors(steps), strict=True)
    ):
        middle = height - _PAD - (i + 0.5) * ROW_HEIGHT
        bar_bottom = middle - BAR_HEIGHT / 2
        drawing.add(_text(_PAD, middle - LABEL_SIZE * 0.35, label))
        drawing.add(
            Rect(xa, bar_bottom, xb - xa, BAR_HEIGHT, fillColor=HexColor(TRACK_COLOR),
                 strokeColor=None)
        )  # fmt: skip
        end = xa + step.count * per_person
        if step.count:
            drawing.add(
                Rect(xa, bar_bottom, end - xa, BAR_HEIGHT, fillColor=HexColor(color),
                     strokeColor=None)
            )  # fmt: skip
        drawing.add(_text(end + 4, middle - SMALL_SIZE * 0.35, count, size=SMALL_SIZE, bold=True))
    if steps:
        axis = Line(xa, _PAD, xa, height - _PAD)
        axis.strokeColor, axis.strokeWidth = HexColor(AXIS_COLOR), 1
        drawing.add(axis)
    return drawing


_LABELLED_BY = re.compile(r' role="img" aria-labelledby="[^"]*"')


def spread_svg(spread: RoomSpread, *, width: float = 360) -> markupsafe.Markup:
    """The chart as inline SVG for a page: one image (``role="img"``) whose name
    (``aria-label``) is the sentence; its ``<title>`` says the same as a tooltip. Drawn as
    wide as a phone, so that a phone shows its labels at about their size (drawn 480 wide, a
    phone shrank them to 7 pixels); a wide screen shows it at most a third larger
    (``.chart-svg--spread``)."""
    sentence = clean_text(spread.sentence)
    drawing = spread_drawing(spread, width=width)
    markup = str(svg_markup(drawing, title=sentence, css_class="chart-svg chart-svg--spread"))
    label = markupsafe.escape(sentence)
    markup = _LABELLED_BY.sub(lambda _m: f' role="img" aria-label="{label}"', markup, count=1)
    return markupsafe.Markup(markup)


def spread_flowable(spread: RoomSpread, *, width: float = 300) -> Flowable:
    """The chart for a PDF story, ``width`` points wide (less when the frame is narrower)."""
    return ChartFlowable(spread_drawing(spread, width=width))
