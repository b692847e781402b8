"""Reads of the region-wide action list: a page, its counts, the board, exports, feeds.

Every statement is built over the regions where the user's role allows the permission asked
for, read from their memberships inside the same statement (``region_scope``): nothing is
decided from a list of ids carried as parameters, and a membership removed a moment ago no
longer counts. A page costs a fixed number of statements whatever the number of actions:
the counts (one grouped query) and the page's rows with their latest progress update and
linked indicators (one query over a subquery of the page's ids).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, Subquery, and_, case, exists, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ..accounts.models import Membership
from ..accounts.roles import Permission, roles_allowing
from ..actions.deadlines import due_soon_horizon, is_due_soon, is_overdue
from ..actions.models import ActionPoint, ActionStatus, ActionUpdate
from ..conversations.models import Conversation
from ..extensions import db
from ..indicators.models import ActionIndicatorLink, Indicator
from ..questionnaires.schema import Questionnaire
from ..regions.models import Region
from .filters import DUE_SOON, NO_PHASE, OVERDUE, ActionFilter

PER_PAGE = 50
#: The most rows an export (PDF, Excel, CSV) holds; a longer list is refused with a message.
EXPORT_MAX_ROWS = 5_000
#: The most events a calendar feed holds (the furthest due dates first).
FEED_MAX_EVENTS = 2_000
#: The most indicators the filter form offers.
INDICATOR_CHOICES_MAX = 300
#: The order of the statuses on the page and in the board's columns.
STATUS_ORDER = (
    ActionStatus.OPEN,
    ActionStatus.IN_PROGRESS,
    ActionStatus.DONE,
    ActionStatus.EMBEDDED,
    ActionStatus.CANCELLED,
)
OPEN_STATUSES = ActionStatus.open_statuses()


@dataclass(frozen=True)
class Viewer:
    """Whose list it is: their current roles decide the regions, ``permission`` which ones."""

    user_id: int
    today: date
    permission: Permission = Permission.VIEW


def region_scope(viewer: Viewer) -> Select:
    """The ids of the regions where the viewer's role allows ``viewer.permission``."""
    return select(Membership.region_id).where(
        Membership.user_id == viewer.user_id,
        Membership.role.in_(roles_allowing(viewer.permission)),
    )


def _like(text: str) -> str:
    """``text`` as a LIKE pattern that matches it anywhere, its own wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, text: str) -> ColumnElement:
    return column.ilike(_like(text), escape="\\")


def _is_open() -> ColumnElement:
    return ActionPoint.status.in_(OPEN_STATUSES)


def _overdue(today: date) -> ColumnElement:
    return and_(ActionPoint.due_date < today, _is_open())


def _due_soon(today: date) -> ColumnElement:
    horizon = due_soon_horizon(today)
    return and_(ActionPoint.due_date >= today, ActionPoint.due_date <= horizon, _is_open())


def conditions(f: ActionFilter, viewer: Viewer) -> list[ColumnElement]:
    """The WHERE clauses of the filter, on ``action_point`` alone (no join needed)."""
    where = [ActionPoint.region_id.in_(region_scope(viewer))]
    if f.regions:
        where.append(ActionPoint.region_id.in_(select(Region.id).where(Region.slug.in_(f.regions))))
    if f.status_set:
        where.append(ActionPoint.status.in_(sorted(f.status_set)))
    if f.mine:
        where.append(ActionPoint.owner_user_id == viewer.user_id)
    if f.owner:
        where.append(_contains(ActionPoint.owner_name, f.owner))
    if f.organisation:
        where.append(_contains(ActionPoint.owner_organisation, f.organisation))
    if f.phase == NO_PHASE:
        where.append(ActionPoint.phase_id.is_(None))
    elif f.phase:
        where.append(ActionPoint.phase_id == f.phase)
    if f.question:
        where.append(ActionPoint.question_id == f.question)
    if f.conversation_id:
        where.append(ActionPoint.conversation_id == f.conversation_id)
    if f.indicator:
        where.append(_linked_to(f.indicator))
    if f.due_from:
        where.append(ActionPoint.due_date >= f.due_from)
    if f.due_until:
        where.append(ActionPoint.due_date <= f.due_until)
    if f.period == OVERDUE:
        where.append(_overdue(viewer.today))
    elif f.period == DUE_SOON:
        where.append(_due_soon(viewer.today))
    if f.text:
        where.append(_contains(ActionPoint.description, f.text))
    return where


def _linked_to(indicator_key: str) -> ColumnElement:
    return exists().where(
        ActionIndicatorLink.action_point_id == ActionPoint.id,
        ActionIndicatorLink.indicator_id == Indicator.id,
        Indicator.key == indicator_key,
    )


def _status_rank() -> ColumnElement:
    ranks = {status: rank for rank, status in enumerate(STATUS_ORDER)}
    return case(ranks, value=ActionPoint.status)


def ordering(f: ActionFilter) -> list[ColumnElement]:
    """ORDER BY of the list; ties are broken by id, so a page always holds the same rows (and
    the default order by deadline can be read from ``ix_action_point_region_status_due`` alone,
    which holds the id too)."""

    def way(column):
        return column.desc() if f.descending else column.asc()

    if f.sort == "status":
        keys = [way(_status_rank()), ActionPoint.due_date.asc().nulls_last()]
    elif f.sort == "trekker":
        keys = [(ActionPoint.owner_name == "").asc(), way(func.lower(ActionPoint.owner_name))]
    elif f.sort == "gesprek":
        keys = [way(Conversation.held_on), way(Conversation.id)]
    elif f.sort == "laatst-bijgewerkt":
        keys = [way(func.coalesce(ActionPoint.last_update_dt, ActionPoint.updated_dt))]
    else:
        keys = [way(ActionPoint.due_date).nulls_last()]
    return [*keys, ActionPoint.id]


def _page_select(f: ActionFilter, viewer: Viewer, limit: int, offset: int) -> Subquery:
    """The ids of one page, in order: only the id and the sort keys go through the sort, and
    the conversation is joined only when the order needs it."""
    statement = select(ActionPoint.id).where(*conditions(f, viewer))
    if f.sort == "gesprek":
        statement = statement.join(Conversation, Conversation.id == ActionPoint.conversation_id)
    return statement.order_by(*ordering(f)).limit(limit).offset(offset).subquery("page")


# --- counts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCounts:
    by_status: dict[ActionStatus, int] = field(default_factory=dict)
    overdue: int = 0
    due_soon: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def of(self, status: ActionStatus) -> int:
        return self.by_status.get(status, 0)

    @property
    def in_order(self) -> list[tuple[ActionStatus, int]]:
        return [(status, self.of(status)) for status in STATUS_ORDER if self.of(status)]


def _flag(condition: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def status_counts(f: ActionFilter, viewer: Viewer) -> StatusCounts:
    """How many actions match, per status, and how many of them are late or due soon.

    Grouped by region and status, the order of ``ix_action_point_region_status_due``, so the
    database counts along the index without sorting; the regions are added up here.
    """
    rows = db.session.execute(
        select(
            ActionPoint.status,
            func.count(),
            _flag(_overdue(viewer.today)),
            _flag(_due_soon(viewer.today)),
        )
        .where(*conditions(f, viewer))
        .group_by(ActionPoint.region_id, ActionPoint.status)
    ).all()
    by_status: dict[ActionStatus, int] = {}
    for status, count, _late, _soon in rows:
        by_status[status] = by_status.get(status, 0) + count
    return StatusCounts(
        by_status=by_status,
        overdue=sum(int(late) for _, _, late, _ in rows),
        due_soon=sum(int(soon) for _, _, _, soon in rows),
    )


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedIndicator:
    key: str
    name: str


@dataclass
class ListRow:
    """One action on the list, with what the list shows beside it."""

    action: ActionPoint
    conversation_title: str
    held_on: date
    region_name: str
    region_slug: str
    today: date
    update: ActionUpdate | None = None
    indicators: list[LinkedIndicator] = field(default_factory=list)

    @property
    def is_overdue(self) -> bool:
        return is_overdue(self.action.due_date, self.action.status, self.today)

    @property
    def is_due_soon(self) -> bool:
        return is_due_soon(self.action.due_date, self.action.status, self.today)


def _rows(f: ActionFilter, viewer: Viewer, limit: int, offset: int = 0) -> list[ListRow]:
    """The rows of one page (or an export) in one statement: the page's ids (sorted once),
    joined to their action, conversation, region, latest progress update (found per row of
    the page only) and linked indicators (a row per link, gathered here)."""
    page = _page_select(f, viewer, limit, offset)
    newer = aliased(ActionUpdate)
    latest = select(func.max(newer.id)).where(newer.action_id == page.c.id).scalar_subquery()
    statement = (
        select(
            ActionPoint, Conversation.title, Conversation.held_on, Region.name, Region.slug,
            ActionUpdate, Indicator.key, Indicator.name,
        )
        .select_from(page)
        .join(ActionPoint, ActionPoint.id == page.c.id)
        .join(Conversation, Conversation.id == ActionPoint.conversation_id)
        .join(Region, Region.id == ActionPoint.region_id)
        .outerjoin(ActionUpdate, ActionUpdate.id == latest)
        .outerjoin(ActionIndicatorLink, ActionIndicatorLink.action_point_id == ActionPoint.id)
        .outerjoin(Indicator, Indicator.id == ActionIndicatorLink.indicator_id)
        .order_by(*ordering(f), Indicator.name)
    )  # fmt: skip
    rows: dict[int, ListRow] = {}
    for action, title, held_on, region, slug, update, key, name in db.session.execute(statement):
        row = rows.get(action.id)
        if row is None:
            row = rows[action.id] = ListRow(
                action, title, held_on, region, slug, viewer.today, update
            )
        if key is not None and LinkedIndicator(key, name) not in row.indicators:
            row.indicators.append(LinkedIndicator(key, name))
    return list(rows.values())


@dataclass
class ListPage:
    rows: list[ListRow]
    counts: StatusCounts
    page: int
    pages: int

    @property
    def total(self) -> int:
        return self.counts.total


def list_page(f: ActionFilter, viewer: Viewer) -> ListPage:
    """One page of the list (``PER_PAGE`` rows; the last page when ``f.page`` is beyond it)."""
    counts = status_counts(f, viewer)
    pages = max(1, math.ceil(counts.total / PER_PAGE))
    page = min(f.page, pages)
    rows = _rows(f, viewer, PER_PAGE, (page - 1) * PER_PAGE) if counts.total else []
    return ListPage(rows, counts, page, pages)


def export_rows(f: ActionFilter, viewer: Viewer) -> list[ListRow]:
    """Every row of the filtered list, at most ``EXPORT_MAX_ROWS`` (check the count first)."""
    return _rows(f, viewer, EXPORT_MAX_ROWS)


def feed_rows(f: ActionFilter, viewer: Viewer) -> list[tuple[ActionPoint, str, str]]:
    """(action, conversation title, region name) of the open actions with a due date, for a
    calendar feed; the furthest due dates first, at most ``FEED_MAX_EVENTS``."""
    statement = (
        select(ActionPoint, Conversation.title, Region.name)
        .join(Conversation, Conversation.id == ActionPoint.conversation_id)
        .join(Region, Region.id == ActionPoint.region_id)
        .where(*conditions(f, viewer), _is_open(), ActionPoint.due_date.is_not(None))
        .order_by(ActionPoint.due_date.desc(), ActionPoint.id)
        .limit(FEED_MAX_EVENTS)
    )
    return [tuple(row) for row in db.session.execute(statement)]


# --- the board ------------------------------------------------------------------------------


@dataclass
class PhaseGroup:
    phase_id: str | None
    name: str
    counts: dict[ActionStatus, int] = field(default_factory=dict)
    overdue: int = 0

    def of(self, status: ActionStatus) -> int:
        return self.counts.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def open(self) -> int:
        return sum(self.of(s) for s in OPEN_STATUSES)

    def share(self, status: ActionStatus) -> float:
        """The status's part of the phase, 0-100 (for the bar)."""
        return 100 * self.of(status) / self.total if self.total else 0.0

    def add(self, status: ActionStatus, count: int, overdue: int) -> None:
        self.counts[status] = self.of(status) + count
        self.overdue += overdue


@dataclass
class Board:
    groups: list[PhaseGroup]
    total: PhaseGroup


def board(f: ActionFilter, viewer: Viewer, questionnaire: Questionnaire) -> Board:
    """The filtered actions counted per phase (in the plate's order; a phase of an older
    version of the plate after those, actions without a phase last) and per status."""
    statement = (
        select(
            ActionPoint.phase_id, ActionPoint.status, func.count(), _flag(_overdue(viewer.today))
        )
        .where(*conditions(f, viewer))
        .group_by(ActionPoint.phase_id, ActionPoint.status)
    )
    groups = {p.id: PhaseGroup(p.id, p.name) for p in questionnaire.phases}
    total = PhaseGroup(None, "Totaal")
    for phase_id, status, count, overdue in db.session.execute(statement):
        group = groups.get(phase_id)
        if group is None:
            name = "Zonder fase" if phase_id is None else phase_id
            group = groups[phase_id] = PhaseGroup(phase_id, name)
        group.add(status, count, int(overdue))
        total.add(status, count, int(overdue))
    known = [groups[p.id] for p in questionnaire.phases]
    others = sorted(
        (g for key, g in groups.items() if key and key not in questionnaire.phases_by_id),
        key=lambda g: g.name,
    )
    loose = [groups[None]] if None in groups else []
    return Board(known + others + loose, total)


# --- for the filter form and the title ------------------------------------------------------


def conversation_title(conversation_id: int, viewer: Viewer) -> str | None:
    """The conversation's title, if it is in one of the viewer's regions."""
    return db.session.scalar(
        select(Conversation.title).where(
            Conversation.id == conversation_id,
            Conversation.region_id.in_(region_scope(viewer)),
        )
    )


def indicator_choices(viewer: Viewer) -> list[LinkedIndicator]:
    """The indicators linked to an action in the viewer's regions (one per key)."""
    statement = (
        select(Indicator.key, func.min(Indicator.name))
        .where(
            Indicator.region_id.in_(region_scope(viewer)),
            exists().where(ActionIndicatorLink.indicator_id == Indicator.id),
        )
        .group_by(Indicator.key)
        .order_by(func.min(Indicator.name))
        .limit(INDICATOR_CHOICES_MAX)
    )
    return [LinkedIndicator(key, name) for key, name in db.session.execute(statement)]


def export_count(f: ActionFilter, viewer: Viewer) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(ActionPoint).where(*conditions(f, viewer))
        )
        or 0
    )
