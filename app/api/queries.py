"""Reads for the API and the tokens page, scoped to the regions of whoever asks.

Every list is a page: one count and one select with ``LIMIT``/``OFFSET``, whatever the number of
rows, and the region filter is the asker's regions (for the action points one parameter, for
the other lists as many as they have roles; never one per row). The region's name and slug
come from the asker's ``Access``, which already holds them, so no list joins the region table.
An object of a region without a role is a 404, as on the pages (``check_permission``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY

from ..accounts.access import current_access
from ..accounts.models import User
from ..accounts.roles import Permission
from ..actions.models import ActionPoint, ActionStatus, ActionUpdate
from ..conversations.models import Answer, Conversation, Participant, SelectedQuestion
from ..conversations.queries import check_permission
from ..core.models import UtcDateTime
from ..extensions import db
from ..indicators.models import Indicator, Observation
from ..regions.models import Municipality, Region
from .models import ApiToken
from .params import Paging
from .problems import ApiProblem, InvalidParam


@dataclass(frozen=True)
class Page:
    total: int
    rows: list[Any]


def _page(statement: Select, count: Select, paging: Paging) -> Page:
    total = db.session.scalar(count) or 0
    if paging.offset >= total:
        return Page(total, [])
    rows = db.session.execute(statement.limit(paging.page_size).offset(paging.offset)).all()
    return Page(total, rows)


# --- tokens ---------------------------------------------------------------------------------


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens, newest first (at most ``MAX_TOKENS_PER_USER``)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_dt.desc(), ApiToken.id.desc())
        )
    )


# --- regions --------------------------------------------------------------------------------


def region_ids_for(slug: str | None) -> list[int]:
    """The asker's region ids, or the one of ``slug`` (a 400 when they have no role there:
    the same answer whether it exists or not)."""
    access = current_access()
    if slug is None:
        return access.region_ids
    for role in access.regions:
        if role.slug == slug:
            return [role.region_id]
    raise ApiProblem(
        400,
        f"U heeft geen rol in een regio ‘{slug}’. Vraag de lijst van uw regio's op met "
        "GET /api/v1/regions.",
        invalid_params=[
            InvalidParam(
                "region",
                "Geen regio waarin u een rol heeft. Geef de korte naam (slug) van een van uw "
                "regio's, zoals GET /api/v1/regions die geeft.",
            )
        ],
    )


def region_or_404(slug: str) -> Region:
    from ..regions.routes import get_region_or_404

    return get_region_or_404(slug, Permission.VIEW)


def municipalities_of(region: Region) -> list[Municipality]:
    return list(
        db.session.scalars(
            select(Municipality)
            .where(Municipality.region_id == region.id)
            .order_by(Municipality.name)
        )
    )


# --- conversations --------------------------------------------------------------------------

_CONVERSATION_COLUMNS = (
    Conversation.id,
    Conversation.region_id,
    Conversation.title,
    Conversation.held_on,
    Conversation.current_phase_id,
    Conversation.questionnaire_snapshot_id,
    Conversation.previous_conversation_id,
    Conversation.revision,
    Conversation.created_dt,
    Conversation.updated_dt,
)


def conversations_page(region_ids: list[int], paging: Paging) -> Page:
    where = Conversation.region_id.in_(region_ids)
    statement = (
        select(*_CONVERSATION_COLUMNS)
        .where(where)
        .order_by(Conversation.held_on.desc(), Conversation.id.desc())
    )
    count = select(func.count()).select_from(Conversation).where(where)
    return _page(statement, count, paging)


def conversation_or_404(conversation_id: int):
    """The conversation as a row of ``_CONVERSATION_COLUMNS``, if the asker may see it."""
    row = db.session.execute(
        select(*_CONVERSATION_COLUMNS).where(Conversation.id == conversation_id)
    ).first()
    if row is None:
        raise ApiProblem(404)
    check_permission(row.region_id, Permission.VIEW)
    return row


def participants_of(conversation_id: int) -> list[Participant]:
    return list(
        db.session.scalars(
            select(Participant)
            .where(Participant.conversation_id == conversation_id)
            .order_by(Participant.position, Participant.id)
        )
    )


def chosen_questions_of(conversation_id: int) -> list[str]:
    """The questions the table chose, in questionnaire order."""
    return list(
        db.session.scalars(
            select(SelectedQuestion.question_id)
            .where(SelectedQuestion.conversation_id == conversation_id)
            .order_by(SelectedQuestion.position)
        )
    )


def answers_of(conversation_id: int) -> dict[str, Answer]:
    return {
        answer.question_id: answer
        for answer in db.session.scalars(
            select(Answer).where(Answer.conversation_id == conversation_id)
        )
    }


# --- action points --------------------------------------------------------------------------

_ACTION_COLUMNS = (
    ActionPoint.id,
    ActionPoint.region_id,
    ActionPoint.conversation_id,
    ActionPoint.position,
    ActionPoint.description,
    ActionPoint.question_id,
    ActionPoint.phase_id,
    ActionPoint.owner_name,
    ActionPoint.owner_organisation,
    ActionPoint.owner_user_id,
    ActionPoint.due_date,
    ActionPoint.status,
    ActionPoint.priority,
    ActionPoint.closed_dt,
    ActionPoint.embedded_in,
    ActionPoint.embedded_reference,
    ActionPoint.origin_conversation_id,
    ActionPoint.last_update_dt,
    ActionPoint.created_dt,
    ActionPoint.updated_dt,
    ActionPoint.revision,
    Conversation.questionnaire_snapshot_id,
)


@functools.cache
def _action_columns(dialect: str) -> tuple:
    """``_ACTION_COLUMNS`` as ``representations.ActionShape`` takes them.

    Codes (status, priority, place of embedding) come as their stored text: ``ActionShape``
    looks up their value and label once per code, where the column type would make an enum
    member of every cell first (300 per page). Moments come in UTC, as naive datetimes
    (``json_response`` writes them with a ``Z``): SQLite stores them so; PostgreSQL gives them
    in the session's time zone, so it converts them itself, which costs less than converting
    each in Python."""
    columns = []
    for column in _ACTION_COLUMNS:
        if isinstance(column.type, Enum):
            column = type_coerce(column, String).label(column.key)
        elif isinstance(column.type, UtcDateTime):
            if dialect == "postgresql":
                column = func.timezone(literal_column("'UTC'"), column)
            # As the database gives them: no conversion per value in Python.
            column = type_coerce(column, DateTime()).label(column.key)
        columns.append(column)
    return tuple(columns)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _in_regions(column, dialect: str):
    """``column`` is one of the regions of the bound value ``region_ids``: one parameter, an
    array (PostgreSQL) or a JSON list (SQLite's ``json_each``), however many regions, so the
    statement's text is the same for everyone (prepared once, cached by the driver)."""
    if dialect == "postgresql":
        return column == any_(bindparam("region_ids", type_=ARRAY(Integer)))
    return column.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam("region_ids")))
    )


def _regions_value(region_ids: tuple[int, ...], dialect: str) -> list[int] | str:
    return list(region_ids) if dialect == "postgresql" else json.dumps(list(region_ids))


@dataclass(frozen=True)
class ActionFilters:
    #: The regions to read: the asker's, as their ``Access`` holds them (or the one the
    #: ``region`` filter names); bound as one parameter (``_in_regions``).
    region_ids: tuple[int, ...]
    conversation_id: int | None = None
    statuses: tuple[ActionStatus, ...] = ()
    owner_user_id: int | None = None
    due_before: date | None = None
    due_after: date | None = None
    updated_since: datetime | None = None

    def values(self, dialect: str) -> dict[str, Any]:
        """The bound values of ``_action_statements`` for these filters."""
        values = {
            "region_ids": _regions_value(self.region_ids, dialect),
            "conversation_id": self.conversation_id,
            "statuses": list(self.statuses),
            "owner_user_id": self.owner_user_id,
            "due_before": self.due_before,
            "due_after": self.due_after,
            "updated_since": self.updated_since,
        }
        return {
            name: value
            for name, value in values.items()
            if name == "region_ids" or value not in (None, [])
        }


_FILTER_CONDITIONS = {
    # Always there: without any region, the list is empty.
    "region_ids": lambda dialect: _in_regions(ActionPoint.region_id, dialect),
    "conversation_id": lambda _: ActionPoint.conversation_id == bindparam("conversation_id"),
    "statuses": lambda _: ActionPoint.status.in_(bindparam("statuses", expanding=True)),
    "owner_user_id": lambda _: ActionPoint.owner_user_id == bindparam("owner_user_id"),
    "due_before": lambda _: ActionPoint.due_date <= bindparam("due_before"),
    "due_after": lambda _: ActionPoint.due_date >= bindparam("due_after"),
    "updated_since": lambda _: ActionPoint.updated_dt >= bindparam("updated_since"),
}


@functools.cache
def _action_statements(filters: frozenset[str], dialect: str) -> tuple[Select, Select]:
    """(count, page) for a set of filters, built once per process: building a statement costs
    SQLAlchemy about as much as running it. Values go in as bound parameters.

    The page's ids are chosen in a subquery that reads only the filter's index, and only those
    rows are joined and fetched: ordering the joined rows of every region instead made SQLite
    sort all of them for every page (3.7 ms against 1 ms at 10,000 action points).
    """
    where = [_FILTER_CONDITIONS[name](dialect) for name in sorted(filters)]
    count = select(func.count()).select_from(ActionPoint).where(*where)
    page_ids = (
        select(ActionPoint.id)
        .where(*where)
        .order_by(ActionPoint.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .scalar_subquery()
    )
    page = (
        select(*_action_columns(dialect))
        .join(Conversation, Conversation.id == ActionPoint.conversation_id)
        .where(ActionPoint.id.in_(page_ids))
        .order_by(ActionPoint.id)
    )
    return count, page


def actions_page(filters: ActionFilters, paging: Paging) -> Page:
    """A page of action points, by id: two statements, whatever the filters and the size."""
    dialect = _dialect()
    values = filters.values(dialect)
    count, page = _action_statements(frozenset(values), dialect)
    # Plain rows through the connection: the ORM's loading machinery has nothing to add to
    # columns, and cost as much as the query itself.
    connection = db.session.connection()
    total = connection.execute(count, values).scalar() or 0
    if paging.offset >= total:
        return Page(total, [])
    rows = connection.execute(
        page, {**values, "limit": paging.page_size, "offset": paging.offset}
    ).all()
    return Page(total, rows)


def conversations_version(region_ids: Select, dialect: str):
    """Every region ``region_ids`` selects, with the revision of its conversations
    (``Region.conversations_revision``), as one string (a scalar subquery): equal strings mean
    the same conversations at the same revisions (see ``cache.py``). Each region is one number,
    ``id * 2**32 + revision`` (both below 2**31). One row per region, however many
    conversations they hold.

    In no particular order: the database lists them in the same order while nothing changes,
    and an order that changes all the same only costs a page made again, never a wrong one;
    sorting them would be work on every request for nothing."""
    packed = (
        cast(Region.id, BigInteger)
        .op("<<")(literal_column("32"))
        .op("|")(Region.conversations_revision)
    )
    if dialect == "postgresql":
        revisions = func.string_agg(cast(packed, String), literal_column("','"))
    else:  # "," is the default
        revisions = func.group_concat(packed)
    return (
        select(func.coalesce(revisions, literal_column("''")))
        .where(Region.id.in_(region_ids))
        .scalar_subquery()
    )


def action_row_or_404(action_id: int):
    row = db.session.execute(
        select(*_action_columns(_dialect()))
        .join(Conversation, Conversation.id == ActionPoint.conversation_id)
        .where(ActionPoint.id == action_id)
    ).first()
    if row is None:
        raise ApiProblem(404)
    check_permission(row.region_id, Permission.VIEW)
    return row


def action_or_404(action_id: int) -> ActionPoint:
    """The action point itself (for a write), if the asker may see its region."""
    action = db.session.get(ActionPoint, action_id, populate_existing=True)
    if action is None:
        raise ApiProblem(404)
    check_permission(action.region_id, Permission.VIEW)
    return action


_UPDATE_COLUMNS = (
    ActionUpdate.id,
    ActionUpdate.action_id,
    ActionUpdate.written_on,
    ActionUpdate.text,
    ActionUpdate.status_before,
    ActionUpdate.status_after,
    ActionUpdate.indicator_id,
    Indicator.name.label("indicator_name"),
    ActionUpdate.indicator_period,
    ActionUpdate.indicator_category,
    ActionUpdate.indicator_value,
    ActionUpdate.author_user_id,
    ActionUpdate.author_name,
    ActionUpdate.created_dt,
)


def _updates_select() -> Select:
    return select(*_UPDATE_COLUMNS).outerjoin(Indicator, Indicator.id == ActionUpdate.indicator_id)


def updates_page(action_id: int, paging: Paging) -> Page:
    """The action point's history, newest first (as its page shows it)."""
    where = ActionUpdate.action_id == action_id
    statement = (
        _updates_select()
        .where(where)
        .order_by(ActionUpdate.written_on.desc(), ActionUpdate.id.desc())
    )
    count = select(func.count()).select_from(ActionUpdate).where(where)
    return _page(statement, count, paging)


def update_row(action_id: int, update_id: int):
    return db.session.execute(
        _updates_select().where(ActionUpdate.action_id == action_id, ActionUpdate.id == update_id)
    ).first()


def latest_update_row(action_id: int):
    return db.session.execute(
        _updates_select()
        .where(ActionUpdate.action_id == action_id)
        .order_by(ActionUpdate.id.desc())
        .limit(1)
    ).first()


# --- indicators -----------------------------------------------------------------------------


def indicators_page(region_ids: list[int], paging: Paging) -> Page:
    where = Indicator.region_id.in_(region_ids)
    statement = select(Indicator).where(where).order_by(Indicator.name, Indicator.id)
    count = select(func.count()).select_from(Indicator).where(where)
    return _page(statement, count, paging)


def indicator_or_404(indicator_id: int) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None:
        raise ApiProblem(404)
    check_permission(indicator.region_id, Permission.VIEW)
    return indicator


def observations_page(indicator_id: int, paging: Paging) -> Page:
    where = Observation.indicator_id == indicator_id
    statement = (
        select(Observation)
        .where(where)
        .order_by(
            Observation.period_start,
            Observation.position,
            Observation.category,
            Observation.municipality_code,
            Observation.id,
        )
    )
    count = select(func.count()).select_from(Observation).where(where)
    return _page(statement, count, paging)
