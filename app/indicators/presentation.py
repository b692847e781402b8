"""What the indicator pages and the PDF show: which charts an indicator gets, and the
preview of an import before anything is stored."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

from markupsafe import Markup
from reportlab.graphics.shapes import Drawing
from sqlalchemy import func, select

from ..core.formatting import number
from ..extensions import db
from .charts import Series, bar_chart, line_chart, sparkline, svg_markup
from .importer import ImportPlan
from .models import Indicator, Observation
from .operations import ValueKey, find_indicator, values_outside
from .queries import ActionFigure, IndicatorTable, _table, period_label

#: Bars compare at most this many periods: the latest ones.
COMPARED_PERIODS = 3
#: The preview shows this many values of each indicator as a table.
PREVIEW_VALUES = 400
#: ... and this many refused rows (all of them are counted).
PREVIEW_REFUSALS = 500


@lru_cache(maxsize=4096)
def format_value(value: float | None, unit: str = "", is_percentage: bool = False) -> str:
    """1.234 or 24,5% — as Dutch readers write figures.

    Kept per value (Babel's formatting takes about 25 µs, and the conversation page shows the
    same figures on every view).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    digits = 0 if float(value).is_integer() else (1 if abs(value) >= 10 else 2)
    text = number(value, digits)
    if is_percentage or unit == "%":
        return f"{text}%"
    return text


def indicator_charts(indicator: Indicator, table: IndicatorTable) -> list[tuple[str, str, Drawing]]:
    """(title, description, drawing) for each chart the indicator gets: its periods as a line
    (with its target) when it has a figure per period, and its categories as bars for the
    latest periods when it has categories."""
    charts = []
    headline = table.headline_series()
    if len(table.periods) >= 2 and sum(v is not None for v in headline) >= 2:
        target = indicator.target_value
        target_label = None
        if target is not None:
            target_label = f"Doel: {format_value(target, indicator.unit)}"
            if indicator.target_period:
                target_label += f" in {period_label(indicator.target_period)}"
        charts.append(
            (
                f"{indicator.name} per periode",
                "Lijngrafiek van de waarde per periode"
                + (" met het doel als stippellijn" if target is not None else "")
                + ". De tabel op deze pagina geeft dezelfde cijfers.",
                line_chart(
                    [p.label for p in table.periods],
                    [Series(indicator.name, headline)],
                    target=target,
                    target_label=target_label,
                    unit="%" if indicator.unit == "%" else None,
                ),
            )
        )
    categories = table.category_rows
    if categories:
        periods = [
            p for p in table.periods if any(v is not None for v in table.category_series(p))
        ][-COMPARED_PERIODS:]
        if periods:
            labels = " tegen ".join(p.label for p in periods)
            charts.append(
                (
                    f"{indicator.name}: {labels}",
                    "Staafgrafiek per categorie"
                    + (", de perioden naast elkaar" if len(periods) > 1 else "")
                    + ". De tabel op deze pagina geeft dezelfde cijfers.",
                    bar_chart(
                        categories,
                        [Series(p.label, table.category_series(p)) for p in periods],
                        unit="%" if indicator.unit == "%" else None,
                    ),
                )
            )
    return charts


def action_sparkline(figure: ActionFigure) -> Drawing:
    return sparkline(
        [value for _period, value in figure.series],
        baseline=figure.link.baseline_value,
        target=figure.link.target_value,
    )


def with_sparklines(figures: list[ActionFigure]) -> list[tuple[ActionFigure, str]]:
    """Each figure with its small chart as inline SVG, for the web pages."""
    return [
        (
            f,
            sparkline_svg(
                tuple(value for _period, value in f.series),
                f.link.baseline_value,
                f.link.target_value,
                f"Verloop van {f.label}",
            ),
        )
        for f in figures
    ]


def sparkline_svg(
    values: tuple[float | None, ...], baseline: float | None, target: float | None, title: str
) -> Markup:
    """A sparkline as inline SVG, with ids of its own on every call.

    Drawing a sparkline and writing it as SVG with reportlab takes about 2 ms, and the
    conversation page shows one per linked indicator on every view. The SVG is a pure function
    of these arguments, so it is made once per process (``_sparkline_template``); only the ids
    that tie the ``<svg>`` to its ``<title>`` are new each time, so that two copies on one page
    never share an id.
    """
    template, key = _sparkline_template(values, baseline, target, title)
    return Markup(template.replace(f"chart-{key}-", f"chart-{uuid.uuid4().hex[:12]}-"))


@lru_cache(maxsize=512)
def _sparkline_template(
    values: tuple[float | None, ...], baseline: float | None, target: float | None, title: str
) -> tuple[str, str]:
    """The SVG of a sparkline and the id key it was written with (``svg_markup`` makes ids
    ``chart-<key>-title``)."""
    markup = str(svg_markup(sparkline(list(values), baseline=baseline, target=target), title=title))
    key = re.search(r'aria-labelledby="chart-([0-9a-f]+)-title"', markup).group(1)
    return markup, key


# --- the preview of an import ------------------------------------------------------------------


@dataclass
class PreviewIndicator:
    name: str
    existing: Indicator | None
    periods: list[str]
    #: Labels of the periods the indicator has already: their values are replaced.
    replaced: list[str]
    values: int
    missing: int
    categories: int
    table: IndicatorTable
    shown: int
    #: Stored values of the file's periods that the file does not hold (the user decides
    #: whether they stay), and the first few of them as "Hengelo (2021)".
    outside: int = 0
    outside_examples: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    indicators: list[PreviewIndicator] = field(default_factory=list)
    refusals: list = field(default_factory=list)
    refused: int = 0

    @property
    def outside(self) -> int:
        """Stored values of the file's periods that the file does not hold, in all."""
        return sum(item.outside for item in self.indicators)


def preview_of(region_id: int, plan: ImportPlan) -> ImportPreview:
    preview = ImportPreview(refusals=plan.refused[:PREVIEW_REFUSALS], refused=len(plan.refused))
    frame = plan.observations
    if frame is None or frame.empty:
        return preview
    outside_by_name = values_outside(region_id, plan)
    for name, rows in frame.groupby("indicator", sort=False):
        existing = find_indicator(region_id, str(name))
        periods = list(dict.fromkeys(rows["period"].tolist()))
        stored = set()
        outside = outside_by_name.get(str(name), [])
        if existing is not None:
            stored = set(
                db.session.scalars(
                    select(func.distinct(Observation.period)).where(
                        Observation.indicator_id == existing.id
                    )
                )
            )
        sample = rows.head(PREVIEW_VALUES)
        table = _table(
            SimpleNamespace(
                period=r.period,
                category=r.category or "",
                is_total=bool(r.is_total),
                position=int(r.row),
                value=None if r.value is None or math.isnan(r.value) else float(r.value),
                provisional=bool(r.provisional),
                suppressed=bool(r.suppressed),
                is_percentage=bool(r.is_percentage),
            )
            for r in sample.itertuples(index=False)
        )
        preview.indicators.append(
            PreviewIndicator(
                name=str(name),
                existing=existing,
                periods=[period_label(p) for p in _by_start(periods)],
                replaced=[period_label(p) for p in _by_start(stored & set(periods))],
                values=len(rows),
                missing=int(rows["value"].isna().sum()),
                categories=int(rows.loc[~rows["is_total"], "category"].nunique()),
                table=table,
                shown=len(sample),
                outside=len(outside),
                outside_examples=[_value_label(key) for key in _by_key(outside)[:OUTSIDE_SHOWN]],
            )
        )
    return preview


#: The preview names this many of the stored values a file does not hold.
OUTSIDE_SHOWN = 10


def _by_key(keys: list[ValueKey]) -> list[ValueKey]:
    from .periods import period_from_code

    return sorted(keys, key=lambda key: (period_from_code(key[0]).start, key[1], key[2]))


def _value_label(key: ValueKey) -> str:
    period, category, municipality = key
    return f"{category or municipality or 'zonder categorie'} ({period_label(period)})"


def _by_start(codes) -> list[str]:
    from .periods import period_from_code

    return sorted(codes, key=lambda code: period_from_code(code).start)
