"""Reads of a region's indicators. The caller has checked that the user may see the region;
every function here takes the region's id and never returns another region's rows."""

from __future__ import annotations

import math
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from functools import lru_cache

from flask import abort
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager

from ..core.database import read_rows
from ..extensions import db
from .content import SHARE_PARTS, RuleOfThumb, indicator_content
from .models import ActionIndicatorLink, Direction, Indicator, Observation, QuestionIndicatorLink
from .periods import Period, period_from_code

_KEY_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def get_indicator_or_404(region_id: int, key: str) -> Indicator:
    if not key or len(key) > 80 or not set(key) <= _KEY_CHARACTERS:
        abort(404)
    indicator = db.session.scalar(
        select(Indicator).where(Indicator.region_id == region_id, Indicator.key == key)
    )
    if indicator is None:
        abort(404)
    return indicator


def period_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return period_from_code(code).label
    except ValueError:
        return code


@dataclass
class Cell:
    value: float | None
    provisional: bool = False
    suppressed: bool = False
    is_percentage: bool = False

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass
class IndicatorTable:
    """An indicator's values as a table: categories down, periods across (as a factsheet)."""

    periods: list[Period]
    #: (category, is_total) in the order of the file; ("", False) for a value without category.
    rows: list[tuple[str, bool]]
    cells: dict[tuple[str, str], Cell]

    @property
    def has_categories(self) -> bool:
        return any(category for category, _total in self.rows)

    def cell(self, category: str, period: Period) -> Cell | None:
        return self.cells.get((category, period.code))

    def headline(self, period: Period) -> Cell | None:
        """The one figure for the period: its total, or its only value without category."""
        for category, is_total in self.rows:
            if is_total or not category:
                cell = self.cells.get((category, period.code))
                if cell is not None:
                    return cell
        return None

    def headline_series(self) -> list[float | None]:
        return [(c.value if (c := self.headline(p)) else None) for p in self.periods]

    @property
    def category_rows(self) -> list[str]:
        return [category for category, is_total in self.rows if category and not is_total]

    def category_series(self, period: Period) -> list[float | None]:
        return [
            (c.value if (c := self.cells.get((category, period.code))) else None)
            for category in self.category_rows
        ]

    @property
    def latest_period(self) -> Period | None:
        return self.periods[-1] if self.periods else None

    def series_for(self, category: str) -> list[tuple[Period, float | None]]:
        """One category's values over time ("" = the headline)."""
        if not category:
            return [(p, c.value if (c := self.headline(p)) else None) for p in self.periods]
        return [
            (p, c.value if (c := self.cells.get((category, p.code))) else None)
            for p in self.periods
        ]


def indicator_table(indicator_id: int) -> IndicatorTable:
    observations = db.session.scalars(
        select(Observation)
        .where(Observation.indicator_id == indicator_id)
        .order_by(Observation.period_start, Observation.position)
    ).all()
    return _table(observations)


_o = Observation.__table__.c
#: What ``_table`` reads of an observation, for many indicators at once.
_TABLE_ROWS = (
    select(_o.indicator_id, _o.period, _o.category, _o.is_total, _o.position, _o.value,
           _o.provisional, _o.suppressed, _o.is_percentage)
    .where(_o.indicator_id.in_(bindparam("indicator_ids", expanding=True)))
    .order_by(_o.period_start, _o.position)
)  # fmt: skip


def indicator_tables(indicator_ids) -> dict[int, IndicatorTable]:
    """``indicator_table`` of several indicators in one statement (for the conversation and
    question pages, which show a few of them on every view).

    The values are read as plain rows (``read_rows``): building an ORM object per value cost
    ten times more than reading it.
    """
    if not indicator_ids:
        return {}
    observations = defaultdict(list)
    for row in read_rows(_TABLE_ROWS, indicator_ids=list(indicator_ids)):
        observations[row[0]].append(row[1:])
    return {i: _table_of_values(observations[i]) for i in indicator_ids}


def _table(observations) -> IndicatorTable:
    return _table_of_values(
        (o.period, o.category, o.is_total, o.position, o.value, o.provisional, o.suppressed,
         o.is_percentage)
        for o in observations
    )  # fmt: skip


def _table_of_values(values) -> IndicatorTable:
    """The table of observations given as tuples (period, category, is_total, position, value,
    provisional, suppressed, is_percentage), in the order of the period's start and position."""
    periods: dict[str, Period] = {}
    #: (category, is_total) -> its first position; in the order rows first appear.
    positions: dict[tuple[str, bool], int] = {}
    cells: dict[tuple[str, str], Cell] = {}
    for period, category, is_total, position, value, provisional, suppressed, percentage in values:
        if period not in periods:
            periods[period] = _period(period)
        row = (category, is_total)
        first = positions.get(row)
        if first is None or position < first:
            positions[row] = position
        cells[(category, period)] = Cell(value, provisional, suppressed, percentage)
    ordered_rows = sorted(positions, key=lambda r: (r[1], positions[r]))  # totals last
    return IndicatorTable(sorted(periods.values()), ordered_rows, cells)


#: Periods are immutable values; a table asks for the same few codes over and over.
_period = lru_cache(maxsize=4096)(period_from_code)


# --- the overview ---------------------------------------------------------------------------------


@dataclass
class OverviewRow:
    indicator: Indicator
    periods: int = 0
    first_period: str = ""
    latest_period: str = ""
    latest: Cell | None = None
    previous: Cell | None = None
    categories: int = 0

    @property
    def trend(self) -> str:
        """'hoger', 'lager', 'gelijk' or '' compared with the period before."""
        if not (self.latest and self.previous) or None in (self.latest.value, self.previous.value):
            return ""
        if math.isclose(self.latest.value, self.previous.value):
            return "gelijk"
        return "hoger" if self.latest.value > self.previous.value else "lager"


def region_overview(region_id: int) -> list[OverviewRow]:
    """Every indicator of the region with its latest headline figure; two queries."""
    indicators = db.session.scalars(
        select(Indicator).where(Indicator.region_id == region_id).order_by(Indicator.name)
    ).all()
    rows = {i.id: OverviewRow(i) for i in indicators}
    o = Observation.__table__.c
    result = db.session.execute(
        select(
            o.indicator_id,
            o.period,
            o.category,
            o.is_total,
            o.value,
            o.provisional,
            o.suppressed,
            o.is_percentage,
        )
        .where(o.region_id == region_id)
        .order_by(o.indicator_id, o.period_start, o.period)
    )
    periods_seen: dict[int, list[str]] = defaultdict(list)
    headlines: dict[tuple[int, str], Cell] = {}
    categories: dict[int, set[str]] = defaultdict(set)
    for indicator_id, period, category, is_total, value, provisional, suppressed, pct in result:
        seen = periods_seen[indicator_id]
        if not seen or seen[-1] != period:
            seen.append(period)
        if is_total or not category:
            headlines.setdefault((indicator_id, period), Cell(value, provisional, suppressed, pct))
        elif category:
            categories[indicator_id].add(category)
    for indicator_id, row in rows.items():
        seen = periods_seen.get(indicator_id, [])
        row.periods = len(seen)
        row.categories = len(categories.get(indicator_id, ()))
        if seen:
            row.first_period = period_label(seen[0])
            row.latest_period = period_label(seen[-1])
            row.latest = headlines.get((indicator_id, seen[-1]))
            if len(seen) > 1:
                row.previous = headlines.get((indicator_id, seen[-2]))
    return list(rows.values())


# --- beside a question ----------------------------------------------------------------------------


@dataclass
class QuestionFigure:
    indicator: Indicator
    table: IndicatorTable
    #: True when the region linked it itself; False when the questionnaire content does.
    own_link: bool

    @property
    def latest(self) -> Period | None:
        return self.table.latest_period


@dataclass
class ShareComparison:
    """The plate's rule of thumb against the region's own figures."""

    rule: RuleOfThumb
    indicator: Indicator
    period: Period
    #: (label, rule's percentage, region's share as a fraction or None, count)
    parts: list[tuple[str, float, float | None, float]] = field(default_factory=list)
    total: float = 0
    unplaced: list[str] = field(default_factory=list)
    missing_setup: bool = False


_question_link = QuestionIndicatorLink.__table__.c
_indicator = Indicator.__table__.c
#: The first of the region's own links of an indicator to a question (None: not linked).
_OWN_LINK = (
    select(func.min(_question_link.id))
    .where(
        _question_link.indicator_id == _indicator.id,
        _question_link.region_id == bindparam("region_id"),
        _question_link.question_id == bindparam("question_id"),
    )
    .scalar_subquery()
)
#: The region's indicators that bear on a question: by key (the content's links) or own link.
_QUESTION_INDICATORS = select(_indicator.id, _indicator.key, _OWN_LINK).where(
    _indicator.region_id == bindparam("region_id"),
    _indicator.key.in_(bindparam("keys", expanding=True)) | _OWN_LINK.is_not(None),
)


def indicators_for_question(region_id: int, questionnaire_key: str, question_id: str):
    """The region's indicators that bear on the question: by the content's links (matched on
    the indicator's key, in the content's order) and by the region's own links (in the order
    they were made). Each comes with whether the region linked it itself.

    One plain statement finds them (the question page asks on every view, and most questions
    have none); only when there are some, a second one loads them.
    """
    keys = indicator_content(questionnaire_key).keys_for_question(question_id)
    db.session.flush()
    found = (
        db.session.connection()
        .execute(
            _QUESTION_INDICATORS, {"region_id": region_id, "question_id": question_id, "keys": keys}
        )
        .all()
    )
    if not found:
        return []
    by_content = sorted((r for r in found if r.key in keys), key=lambda r: keys.index(r.key))
    own = sorted((r for r in found if r[2] is not None and r.key not in keys), key=lambda r: r[2])
    indicators = {
        i.id: i
        for i in db.session.scalars(
            select(Indicator).where(Indicator.id.in_([r.id for r in found]))
        )
    }
    return [(indicators[r.id], r[2] is not None) for r in by_content] + [
        (indicators[r.id], True) for r in own
    ]


def figures_for_question(region_id: int, questionnaire_key: str, question_id: str):
    """The region's latest figures for a question, and how they compare with the plate's
    rule of thumb where it gives one."""
    linked = indicators_for_question(region_id, questionnaire_key, question_id)
    tables = indicator_tables([indicator.id for indicator, _own in linked])
    figures = [QuestionFigure(indicator, tables[indicator.id], own) for indicator, own in linked]
    figures = [f for f in figures if f.table.periods]
    comparisons = []
    for rule in indicator_content(questionnaire_key).rules_for_question(question_id):
        comparison = compare_with_rule(region_id, rule)
        if comparison is not None:
            comparisons.append(comparison)
    return figures, comparisons


def compare_with_rule(region_id: int, rule: RuleOfThumb) -> ShareComparison | None:
    from ..regions.models import Municipality

    indicators = {
        i.key: i
        for i in db.session.scalars(
            select(Indicator).where(
                Indicator.region_id == region_id, Indicator.key.in_(rule.indicators)
            )
        )
    }
    indicator = next((indicators[k] for k in rule.indicators if k in indicators), None)
    if indicator is None:
        return None
    period_code = db.session.scalar(
        select(Observation.period)
        .where(Observation.indicator_id == indicator.id, Observation.municipality_code != "")
        .order_by(Observation.period_start.desc())
        .limit(1)
    )
    if period_code is None:
        return None
    municipalities = db.session.scalars(
        select(Municipality).where(Municipality.region_id == region_id)
    ).all()
    seats = {m.cbs_code for m in municipalities if m.hosts_institution and m.cbs_code}
    region_codes = {m.cbs_code for m in municipalities if m.cbs_code}
    counts = dict.fromkeys(SHARE_PARTS, 0.0)
    unplaced = []
    for o in db.session.scalars(
        select(Observation).where(
            Observation.indicator_id == indicator.id,
            Observation.period == period_code,
            Observation.is_total.is_(False),
        )
    ):
        if o.value is None or o.is_percentage:
            continue
        if o.municipality_code in seats:
            counts["vestigingsplaats"] += o.value
        elif o.municipality_code in region_codes:
            counts["regio"] += o.value
        elif o.municipality_code:
            counts["buiten-regio"] += o.value
        else:
            # "Anders & onbekend": outside the region or not known; counted as outside, said so.
            counts["buiten-regio"] += o.value
            unplaced.append(o.category)
    total = sum(counts.values())
    comparison = ShareComparison(
        rule,
        indicator,
        period_from_code(period_code),
        total=total,
        unplaced=unplaced,
        missing_setup=not seats,
    )
    for part, label in SHARE_PARTS.items():
        share = counts[part] / total if total else None
        comparison.parts.append((label, rule.shares[part], share, counts[part]))
    return comparison


# --- action points --------------------------------------------------------------------------------


_action_link = ActionIndicatorLink.__table__.c
#: What the pages, the exports and the API read of an action point's link and its indicator.
_LINK_COLUMNS = tuple(
    _action_link[name]
    for name in ("id", "action_point_id", "indicator_id", "category", "baseline_value",
                 "baseline_period", "target_value", "target_period", "story")
)  # fmt: skip
_INDICATOR_COLUMNS = tuple(
    _indicator[name] for name in ("id", "region_id", "key", "name", "unit", "direction", "source")
)
#: ``ActionFigure.link`` and ``.indicator``: read-only stand-ins for the ORM objects, with the
#: columns above (not the timestamps, nor an indicator's definition, target and revision).
LinkValues = namedtuple("LinkValues", [c.key for c in _LINK_COLUMNS])
IndicatorValues = namedtuple("IndicatorValues", [c.key for c in _INDICATOR_COLUMNS])


@dataclass
class ActionFigure:
    """An action point's linked indicator: baseline, latest, target and whether on track."""

    link: LinkValues
    indicator: IndicatorValues
    series: list[tuple[Period, float | None]]
    latest_period: Period | None
    latest_value: float | None

    @property
    def label(self) -> str:
        name = self.indicator.name
        return f"{name} – {self.link.category}" if self.link.category else name

    @property
    def unit(self) -> str:
        return self.indicator.unit

    @property
    def status(self) -> str:
        """Dutch: how the latest figure stands against baseline and target."""
        baseline, target, latest = (
            self.link.baseline_value,
            self.link.target_value,
            self.latest_value,
        )
        if latest is None:
            return "Nog geen cijfers"
        if (
            self.link.baseline_period
            and self.latest_period
            and self.latest_period.code == self.link.baseline_period
        ):
            return "Nog geen nieuwe meting"
        if target is not None:
            if baseline is None:
                baseline = self.series[0][1] if self.series else None
            if baseline is None:
                return "Nog geen beginwaarde"
            if math.isclose(target, baseline):  # hold the figure where it is
                return "Doel gehaald" if math.isclose(latest, target) else "Van het doel af"
            upward = target > baseline
            if (latest >= target) if upward else (latest <= target):
                return "Doel gehaald"
            if math.isclose(latest, baseline):
                return "Nog geen verandering"
            if (latest > baseline) == upward:
                return "Op koers"
            return "Verkeerde kant op"
        if baseline is None or math.isclose(latest, baseline):
            return "Nog geen verandering"
        better = {Direction.HIGHER: latest > baseline, Direction.LOWER: latest < baseline}
        if self.indicator.direction in better:
            return "Verbeterd" if better[self.indicator.direction] else "Verslechterd"
        return "Veranderd"

    @property
    def on_track(self) -> bool | None:
        return {
            "Doel gehaald": True,
            "Op koers": True,
            "Verbeterd": True,
            "Verkeerde kant op": False,
            "Van het doel af": False,
            "Verslechterd": False,
        }.get(self.status)


#: The links of action points with their indicators, as plain values (built once: building a
#: statement costs about as much as running it).
_ACTION_LINKS = (
    select(*_LINK_COLUMNS, *_INDICATOR_COLUMNS)
    .join_from(
        ActionIndicatorLink.__table__,
        Indicator.__table__,
        _indicator.id == _action_link.indicator_id,
    )
    .where(_action_link.action_point_id.in_(bindparam("action_ids", expanding=True)))
    .order_by(_action_link.id)
)


def action_figures(action_ids: list[int]) -> dict[int, list[ActionFigure]]:
    """Per action point, its linked indicators with their series: two statements.

    The links and indicators come as ``LinkValues`` and ``IndicatorValues`` (named tuples),
    not ORM objects (``read_rows``): every reader only reads them, and the conversation page
    asks on every view.
    """
    if not action_ids:
        return {}
    rows = read_rows(_ACTION_LINKS, action_ids=list(action_ids))
    links = [
        (
            LinkValues._make(row[: len(_LINK_COLUMNS)]),
            IndicatorValues._make(row[len(_LINK_COLUMNS) :]),
        )
        for row in rows
    ]
    if not links:
        return {}
    tables = indicator_tables(list(dict.fromkeys(link.indicator_id for link, _ in links)))
    result: dict[int, list[ActionFigure]] = defaultdict(list)
    for link, indicator in links:
        series = tables[link.indicator_id].series_for(link.category)
        known = [(p, v) for p, v in series if v is not None]
        latest_period, latest_value = known[-1] if known else (None, None)
        result[link.action_point_id].append(
            ActionFigure(link, indicator, series, latest_period, latest_value)
        )
    return dict(result)


def action_link(action_id: int, link_id: int) -> ActionIndicatorLink | None:
    return db.session.scalar(
        select(ActionIndicatorLink).where(
            ActionIndicatorLink.id == link_id, ActionIndicatorLink.action_point_id == action_id
        )
    )


def action_links(action_id: int) -> list[ActionIndicatorLink]:
    """The action point's links to indicators, with their indicator, by indicator name."""
    return list(
        db.session.scalars(
            select(ActionIndicatorLink)
            .join(Indicator, Indicator.id == ActionIndicatorLink.indicator_id)
            .where(ActionIndicatorLink.action_point_id == action_id)
            .options(contains_eager(ActionIndicatorLink.indicator))
            .order_by(Indicator.name, ActionIndicatorLink.category)
        )
    )


def latest_observation(indicator_id: int, category: str) -> Observation | None:
    """The newest known value of the indicator (its headline when ``category`` is "")."""
    statement = select(Observation).where(
        Observation.indicator_id == indicator_id, Observation.value.is_not(None)
    )
    if category:
        statement = statement.where(Observation.category == category)
    else:
        statement = statement.where((Observation.is_total.is_(True)) | (Observation.category == ""))
    return db.session.scalar(statement.order_by(Observation.period_start.desc()).limit(1))


def region_indicators(region_id: int) -> list[Indicator]:
    return list(
        db.session.scalars(
            select(Indicator).where(Indicator.region_id == region_id).order_by(Indicator.name)
        )
    )


def question_links(indicator: Indicator) -> list[str]:
    return list(
        db.session.scalars(
            select(QuestionIndicatorLink.question_id).where(
                QuestionIndicatorLink.indicator_id == indicator.id
            )
        )
    )


def actions_linked_to(indicator_id: int):
    """The action points linked to the indicator, for the warning before deleting it."""
    from ..actions.models import ActionPoint

    return db.session.scalars(
        select(ActionPoint)
        .join(ActionIndicatorLink, ActionIndicatorLink.action_point_id == ActionPoint.id)
        .where(ActionIndicatorLink.indicator_id == indicator_id)
        .order_by(ActionPoint.conversation_id, ActionPoint.position)
    ).all()
