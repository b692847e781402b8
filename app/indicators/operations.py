"""Writes on a region's indicators. Operations flush; the request (or command) commits once.

Storing an import is all or nothing: a plan with any refused row stores nothing. Importing an
indicator's period again replaces the values the file holds; values of that period that are not
in the file (a partial correction: one municipality, say) stay or go as the user chose
(``OthersInPeriod``); other periods always stay.
"""

from __future__ import annotations

import enum
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from ..audit.models import AuditAction
from ..audit.operations import change, record
from ..core.forms import Outcome
from ..core.models import utcnow
from ..core.text import clean_line
from ..extensions import db
from ..regions.models import Region
from .content import indicator_content
from .importer import ImportOptions, ImportPlan
from .models import (
    ActionIndicatorLink,
    Direction,
    Indicator,
    IndicatorUpload,
    Observation,
    QuestionIndicatorLink,
)
from .periods import period_from_code


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: A preview waits this long for its confirmation.
UPLOAD_KEPT_FOR = timedelta(hours=24)
NAME_MAX_CHARACTERS = 200


class NothingToImport(Exception):
    """The plan refuses rows or holds no values: nothing may be stored."""


class IndicatorConflict(Exception):
    """The indicator changed since the form was shown; ``current`` is how it is now."""

    def __init__(self, current: Indicator):
        super().__init__(current.id)
        self.current = current


class OthersInPeriod(enum.Enum):
    """What an import does with stored values of its periods that the file does not hold."""

    KEEP = "laten"
    REMOVE = "weghalen"


@dataclass
class StoredIndicator:
    indicator: Indicator
    created: bool
    periods: list[str]
    values: int
    replaced: int
    #: Stored values of the file's periods that were not in the file: kept, or removed.
    kept: int = 0
    removed: int = 0


@dataclass
class StoreResult:
    indicators: list[StoredIndicator] = field(default_factory=list)

    @property
    def values(self) -> int:
        return sum(i.values for i in self.indicators)


def lock_region_indicators(region_id: int) -> None:
    """Imports and edits of one region's indicators happen one at a time."""
    from ..core.database import serialize_writes

    serialize_writes(f"indicators:{region_id}")


def bump_indicator_revision(region_id: int) -> None:
    """Pages that show the region's figures (the conversation page) are cached per revision."""
    db.session.execute(
        update(Region)
        .where(Region.id == region_id)
        .values(indicator_revision=Region.indicator_revision + 1)
    )


def key_for(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:80] or "indicator"


def find_indicator(region_id: int, name_or_key: str) -> Indicator | None:
    """The region's indicator with this name (any case) or key."""
    wanted = clean_line(name_or_key).strip()
    for indicator in db.session.scalars(select(Indicator).where(Indicator.region_id == region_id)):
        if wanted.casefold() in (indicator.name.casefold(), indicator.key):
            return indicator
    return None


def find_or_create_indicator(region: Region, name: str) -> tuple[Indicator, bool]:
    """The region's indicator called ``name``; else a new one, described by the standard
    indicator of that name or key when there is one."""
    name = clean_line(name).strip()[:NAME_MAX_CHARACTERS] or "Indicator"
    existing = find_indicator(region.id, name)
    if existing is not None:
        return existing, False
    standard = indicator_content().find(name)
    if standard is not None:
        existing = find_indicator(region.id, standard.key) or find_indicator(
            region.id, standard.name
        )
        if existing is not None:
            return existing, False
        indicator = Indicator(
            region_id=region.id,
            key=standard.key,
            name=standard.name,
            definition=standard.definition,
            unit=standard.unit,
            direction=standard.direction,
        )
    else:
        indicator = Indicator(
            region_id=region.id, key=_free_key(region.id, key_for(name)), name=name
        )
    db.session.add(indicator)
    db.session.flush()
    return indicator, True


#: Path segments of the indicator pages that a key must not be.
RESERVED_KEYS = frozenset({"importeren"})


def _free_key(region_id: int, key: str) -> str:
    taken = set(db.session.scalars(select(Indicator.key).where(Indicator.region_id == region_id)))
    taken |= RESERVED_KEYS
    candidate, number = key, 2
    while candidate in taken:
        candidate = f"{key[:75]}-{number}"
        number += 1
    return candidate


def store_plan(
    region: Region, plan: ImportPlan, others: OthersInPeriod = OthersInPeriod.REMOVE
) -> StoreResult:
    """Store everything the plan would import: its values replace the stored ones of the same
    period, category and municipality; ``others`` says what happens to the stored values of
    those periods that the file does not hold."""
    if not plan.can_import:
        raise NothingToImport()
    lock_region_indicators(region.id)
    result = StoreResult()
    frame = plan.observations
    for name, rows in frame.groupby("indicator", sort=False):
        indicator, created = find_or_create_indicator(region, str(name))
        periods = list(dict.fromkeys(rows["period"].tolist()))
        in_file = value_keys(rows)
        stored = [] if created else stored_keys(indicator.id, periods)
        outside = [row_id for row_id, key in stored if key not in in_file]
        gone = [row_id for row_id, key in stored if key in in_file]
        if others is OthersInPeriod.REMOVE:
            gone += outside
        for some in chunks(gone, 500):
            db.session.execute(delete(Observation).where(Observation.id.in_(some)))
        starts = {code: period_from_code(code).start for code in periods}
        values = [
            _observation_row(indicator.id, region.id, starts, *cells)
            for cells in rows[list(_PLAN_COLUMNS)].itertuples(index=False, name=None)
        ]
        for some in chunks(values, 5_000):
            db.session.execute(insert(Observation), some)
        _describe_from_file(indicator, plan, rows)
        kept = len(outside) if others is OthersInPeriod.KEEP else 0
        removed = len(outside) - kept
        stored_indicator = StoredIndicator(
            indicator, created, periods, len(values), len(stored) - kept, kept, removed
        )
        result.indicators.append(stored_indicator)
        labels = ", ".join(_period_labels(periods))
        read = f"{len(values)} waarden voor {labels} uit {plan.file_name}"
        if kept:
            read += f"; {kept} andere waarden van die perioden laten staan"
        elif removed:
            read += f"; {removed} andere waarden van die perioden weggehaald"
        record(
            AuditAction.CREATED if created else AuditAction.CHANGED,
            "indicator",
            object_id=indicator.id,
            object_label=indicator.name,
            region_id=region.id,
            changes=[change("cijfers ingelezen", "", read)],
        )
    bump_indicator_revision(region.id)
    db.session.flush()
    return result


ValueKey = tuple[str, str, str]


def value_keys(rows) -> set[ValueKey]:
    """(period, category, municipality code) of each value in a plan's rows: what one stored
    value is (the table's unique key)."""
    return {
        (period, category or "", municipality or "")
        for period, category, municipality in rows[
            ["period", "category", "municipality_code"]
        ].itertuples(index=False, name=None)
    }


def values_outside(region_id: int, plan: ImportPlan) -> dict[str, list[ValueKey]]:
    """Per indicator of the plan that exists already: its stored values of the file's periods
    that the file does not hold (the keys). Indicators without such values are left out."""
    outside: dict[str, list[ValueKey]] = {}
    if plan.observations is None:
        return outside
    for name, rows in plan.observations.groupby("indicator", sort=False):
        indicator = find_indicator(region_id, str(name))
        if indicator is None:
            continue
        periods = list(dict.fromkeys(rows["period"].tolist()))
        in_file = value_keys(rows)
        keys = [key for _id, key in stored_keys(indicator.id, periods) if key not in in_file]
        if keys:
            outside[str(name)] = keys
    return outside


def stored_keys(indicator_id: int, periods: list[str]) -> list[tuple[int, ValueKey]]:
    """(id, key) of the indicator's stored values in ``periods``."""
    found = []
    for some in chunks(periods, 500):
        found += [
            (row_id, (period, category, municipality))
            for row_id, period, category, municipality in db.session.execute(
                select(
                    Observation.id,
                    Observation.period,
                    Observation.category,
                    Observation.municipality_code,
                ).where(Observation.indicator_id == indicator_id, Observation.period.in_(some))
            )
        ]
    return found


_PLAN_COLUMNS = (
    "period",
    "category",
    "municipality_code",
    "row",
    "value",
    "is_percentage",
    "is_total",
    "provisional",
    "suppressed",
)


def _observation_row(
    indicator_id, region_id, starts, period, category, municipality, row, value, *flags
) -> dict:
    is_percentage, is_total, provisional, suppressed = (bool(flag) for flag in flags)
    return {
        "indicator_id": indicator_id,
        "region_id": region_id,
        "period": period,
        "period_start": starts[period],
        "category": category or "",
        "municipality_code": municipality or "",
        "position": int(row),
        "value": None if value is None or math.isnan(value) else float(value),
        "is_percentage": is_percentage,
        "is_total": is_total,
        "provisional": provisional,
        "suppressed": suppressed,
    }


def _period_labels(codes: list[str]) -> list[str]:
    return [period_from_code(code).label for code in sorted(codes)]


def _describe_from_file(indicator: Indicator, plan: ImportPlan, rows) -> None:
    """Fill in what the file says and the indicator does not know yet; never overwrite."""
    if not indicator.source and plan.source:
        indicator.source = plan.source[:300]
    # Empty cells carry no format: a table of percentages with a gap is still percentages.
    shares = rows.loc[rows["value"].notna(), "is_percentage"]
    if not indicator.unit and len(shares) and bool(shares.all()):
        indicator.unit = "%"


# --- uploads between preview and confirmation -----------------------------------------------------


def keep_upload(
    region: Region, user_id: int | None, file_name: str, content: bytes, options: ImportOptions
) -> IndicatorUpload:
    db.session.execute(
        delete(IndicatorUpload).where(IndicatorUpload.created_dt < utcnow() - UPLOAD_KEPT_FOR)
    )
    upload = IndicatorUpload(
        token=secrets.token_urlsafe(32),
        region_id=region.id,
        user_id=user_id,
        file_name=clean_line(file_name)[:255] or "bestand",
        content=content,
        options=options_to_dict(options),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def options_to_dict(options: ImportOptions) -> dict:
    return {
        "indicator": options.indicator,
        "sheet": options.sheet,
        "layout": options.layout,
        "period": options.period,
    }


def options_from_dict(data: dict) -> ImportOptions:
    return ImportOptions(
        indicator=data.get("indicator"),
        sheet=data.get("sheet"),
        layout=data.get("layout"),
        period=data.get("period"),
    )


def find_upload(region_id: int, user_id: int | None, token: str) -> IndicatorUpload | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token or ""):
        return None
    return db.session.scalar(
        select(IndicatorUpload).where(
            IndicatorUpload.token == token,
            IndicatorUpload.region_id == region_id,
            IndicatorUpload.user_id == user_id,
            IndicatorUpload.created_dt >= utcnow() - UPLOAD_KEPT_FOR,
        )
    )


def take_upload(region_id: int, user_id: int | None, token: str) -> IndicatorUpload | None:
    """The upload, removed in this transaction: a second confirmation finds nothing."""
    upload = find_upload(region_id, user_id, token)
    if upload is None:
        return None
    removed = db.session.execute(
        delete(IndicatorUpload).where(IndicatorUpload.id == upload.id)
    ).rowcount
    return upload if removed == 1 else None


# --- the description of an indicator --------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorDescription:
    name: str
    definition: str
    unit: str
    direction: Direction
    source: str
    frequency: str
    target_value: float | None
    target_period: str | None


_DESCRIBED = (
    ("name", "naam"),
    ("definition", "definitie"),
    ("unit", "eenheid"),
    ("direction", "richting"),
    ("source", "bron"),
    ("frequency", "frequentie"),
    ("target_value", "doel"),
    ("target_period", "doel in periode"),
)


class NameTaken(Exception):
    """Another indicator of the region has this name."""


def describe_indicator(
    indicator: Indicator, description: IndicatorDescription, revision: int
) -> bool:
    """Save the description; False when nothing changed. ``IndicatorConflict`` when the form
    was based on an older revision, ``NameTaken`` for a name another indicator has."""
    lock_region_indicators(indicator.region_id)
    db.session.refresh(indicator)
    if indicator.revision != revision:
        raise IndicatorConflict(indicator)
    other = find_indicator(indicator.region_id, description.name)
    if other is not None and other.id != indicator.id:
        raise NameTaken()
    changes = [
        change(label, getattr(indicator, attribute), getattr(description, attribute))
        for attribute, label in _DESCRIBED
    ]
    if all(c["before"] == c["after"] for c in changes):
        return False
    for attribute, _label in _DESCRIBED:
        setattr(indicator, attribute, getattr(description, attribute))
    db.session.flush()
    record(
        AuditAction.CHANGED,
        "indicator",
        object_id=indicator.id,
        object_label=indicator.name,
        region_id=indicator.region_id,
        changes=changes,
    )
    bump_indicator_revision(indicator.region_id)
    return True


def delete_indicator(indicator: Indicator) -> None:
    lock_region_indicators(indicator.region_id)
    record(
        AuditAction.DELETED,
        "indicator",
        object_id=indicator.id,
        object_label=indicator.name,
        region_id=indicator.region_id,
    )
    db.session.execute(delete(Indicator).where(Indicator.id == indicator.id))
    bump_indicator_revision(indicator.region_id)


# --- links to questions ---------------------------------------------------------------------------


def link_question(indicator: Indicator, question_id: str) -> bool:
    """Link the indicator to a question of the region's conversations; False if it was."""
    lock_region_indicators(indicator.region_id)
    exists = db.session.scalar(
        select(QuestionIndicatorLink.id).where(
            QuestionIndicatorLink.indicator_id == indicator.id,
            QuestionIndicatorLink.question_id == question_id,
        )
    )
    if exists is not None:
        return False
    db.session.add(
        QuestionIndicatorLink(
            region_id=indicator.region_id, indicator_id=indicator.id, question_id=question_id
        )
    )
    record(
        AuditAction.CHANGED,
        "indicator",
        object_id=indicator.id,
        object_label=indicator.name,
        region_id=indicator.region_id,
        changes=[change("gekoppeld aan vraag", "", question_id)],
    )
    bump_indicator_revision(indicator.region_id)
    db.session.flush()
    return True


def unlink_question(indicator: Indicator, question_id: str) -> bool:
    lock_region_indicators(indicator.region_id)
    removed = db.session.execute(
        delete(QuestionIndicatorLink).where(
            QuestionIndicatorLink.indicator_id == indicator.id,
            QuestionIndicatorLink.question_id == question_id,
        )
    ).rowcount
    if removed:
        record(
            AuditAction.CHANGED,
            "indicator",
            object_id=indicator.id,
            object_label=indicator.name,
            region_id=indicator.region_id,
            changes=[change("gekoppeld aan vraag", question_id, "")],
        )
        bump_indicator_revision(indicator.region_id)
    return bool(removed)


# --- links to action points -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionLinkData:
    indicator_id: int
    category: str
    baseline_value: float | None
    baseline_period: str | None
    target_value: float | None
    target_period: str | None
    story: str


class LinkExists(Exception):
    """The action is already linked to this indicator (and category). ``same`` when that link
    holds exactly what this form would store: the same form sent twice."""

    def __init__(self, same: bool = False):
        super().__init__(same)
        self.same = same


class LinkConflict(Exception):
    """The link changed since the form was shown (another tab, another person). ``current``
    is the link as it is stored now."""

    def __init__(self, current: ActionIndicatorLink):
        super().__init__(current.id)
        self.current = current


class LinkGone(Exception):
    """The link was removed since the form was shown."""


def current_action_link(action_id: int, link_id: int) -> ActionIndicatorLink | None:
    """The action's link as stored now, also when this session holds an older copy."""
    return db.session.scalar(
        select(ActionIndicatorLink)
        .where(ActionIndicatorLink.id == link_id, ActionIndicatorLink.action_point_id == action_id)
        .execution_options(populate_existing=True)
    )


def link_action(action, data: ActionLinkData, baseline) -> ActionIndicatorLink:
    """Link an action point to an indicator. ``baseline`` (an ``Observation`` or None) fills in
    the baseline when the form left it empty: the figure as it is when the action starts."""
    from ..actions.operations import lock_action_list

    lock_action_list(action.conversation)
    content = _link_content(data)
    if data.baseline_value is None and data.baseline_period is None and baseline is not None:
        content["baseline_value"] = baseline.value
        content["baseline_period"] = baseline.period
    existing = db.session.scalar(
        select(ActionIndicatorLink)
        .where(
            ActionIndicatorLink.action_point_id == action.id,
            ActionIndicatorLink.indicator_id == data.indicator_id,
            ActionIndicatorLink.category == data.category,
        )
        .execution_options(populate_existing=True)
    )
    if existing is not None:
        raise LinkExists(same=_link_content(existing) == content)
    link = ActionIndicatorLink(
        action_point_id=action.id,
        indicator_id=data.indicator_id,
        category=data.category,
        **content,
    )
    db.session.add(link)
    db.session.flush()
    _record_link(action, link, AuditAction.CREATED)
    return link


_LINK_FIELDS = (
    ("baseline_value", "beginwaarde"),
    ("baseline_period", "beginperiode"),
    ("target_value", "doel"),
    ("target_period", "doel in periode"),
    ("story", "verhaal achter het cijfer"),
)


def _link_content(source) -> dict:
    """What a link holds that its edit form changes, from a link or an ``ActionLinkData``."""
    return {attribute: getattr(source, attribute) for attribute, _label in _LINK_FIELDS}


def update_action_link(
    action, link: ActionIndicatorLink, data: ActionLinkData, based_on_revision: int
) -> Outcome:
    """Change a link whose form was shown at ``based_on_revision``.

    Raises ``LinkConflict`` when the link changed since, unless it now holds exactly what was
    sent (a double submit: ``ALREADY_SAVED``), and ``LinkGone`` when it was removed. After
    either the session must be rolled back.
    """
    from ..actions.operations import lock_action_list

    lock_action_list(action.conversation)
    current = current_action_link(action.id, link.id)  # read afresh, under the lock
    if current is None:
        raise LinkGone()
    stored = _link_content(current)
    content = _link_content(data)
    if stored == content:
        return Outcome.ALREADY_SAVED
    if current.revision != based_on_revision:
        raise LinkConflict(current)
    # Only if the revision is still the one just read: a write that skipped the lock is
    # refused too, never overwritten unseen.
    written = db.session.execute(
        update(ActionIndicatorLink)
        .where(
            ActionIndicatorLink.id == current.id,
            ActionIndicatorLink.revision == based_on_revision,
        )
        .values(**content, revision=ActionIndicatorLink.revision + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if written != 1:
        now = current_action_link(action.id, link.id)
        if now is None:
            raise LinkGone()
        raise LinkConflict(now)
    db.session.refresh(current)
    changes = [
        change(label, stored[attribute], content[attribute]) for attribute, label in _LINK_FIELDS
    ]
    _record_link(action, current, AuditAction.CHANGED, changes)
    return Outcome.SAVED


def unlink_action(action, link: ActionIndicatorLink) -> bool:
    """Remove the link; False when it was gone already (the same button pressed twice)."""
    from ..actions.operations import lock_action_list

    lock_action_list(action.conversation)
    label = _link_label(link)
    removed = db.session.execute(
        delete(ActionIndicatorLink).where(ActionIndicatorLink.id == link.id)
    ).rowcount
    if not removed:
        return False
    _record_link(action, link, AuditAction.DELETED, label=label)
    return True


def _link_label(link: ActionIndicatorLink) -> str:
    return link.indicator.name + (f" – {link.category}" if link.category else "")


def _record_link(
    action, link: ActionIndicatorLink, what: AuditAction, changes=None, label: str | None = None
) -> bool:
    from ..conversations.revisions import raise_revisions

    label = label if label is not None else _link_label(link)
    written = record(
        what,
        "action_point",
        object_id=action.id,
        object_label=f"Actiepunt {action.position}, koppeling met indicator {label}",
        region_id=action.region_id,
        conversation_id=action.conversation_id,
        changes=changes,
    )
    raise_revisions(db.session, {action.conversation_id})
    return written


# --- the region's municipalities ------------------------------------------------------------------


class UnknownMunicipalities(Exception):
    """Names or codes that are no Dutch municipality; ``names`` lists them."""

    def __init__(self, names: list[str]):
        super().__init__(names)
        self.names = names


def set_municipalities(region: Region, added: list[str], seat_ids: set[int]) -> list[str]:
    """Add municipalities (names or CBS codes), fill in missing CBS codes, and mark where the
    mbo institution has a location. Returns the names added; nothing changes when one of
    ``added`` is unknown."""
    from ..regions.models import Municipality
    from .municipalities import MunicipalityDirectory

    directory = MunicipalityDirectory.national()
    resolved, unknown = [], []
    for text in added:
        known = directory.resolve(text)
        if known is None:
            unknown.append(text)
        else:
            resolved.append(known)
    if unknown:
        raise UnknownMunicipalities(unknown)
    lock_region_indicators(region.id)
    existing = {m.cbs_code or "": m for m in region.municipalities}
    names = {m.name.casefold(): m for m in region.municipalities}
    new_names = []
    for known in resolved:
        if known.code in existing or known.name.casefold() in names:
            continue
        municipality = Municipality(name=known.name, cbs_code=known.code)
        region.municipalities.append(municipality)
        existing[known.code] = municipality
        new_names.append(known.name)
    changes = []
    for municipality in region.municipalities:
        if not municipality.cbs_code and (known := directory.resolve(municipality.name)):
            municipality.cbs_code = known.code
        seat = municipality.id in seat_ids
        if municipality.id is not None and municipality.hosts_institution != seat:
            changes.append(
                change(f"vestiging mbo in {municipality.name}", _yes(municipality), _yes_if(seat))
            )
            municipality.hosts_institution = seat
    changes += [change("gemeente toegevoegd", "", name) for name in new_names]
    db.session.flush()
    if changes:
        record(
            AuditAction.CHANGED,
            "region",
            object_id=region.id,
            object_label=f"Gemeenten van regio {region.name}",
            region_id=region.id,
            changes=changes,
        )
        bump_indicator_revision(region.id)
    return new_names


def _yes(municipality) -> str:
    return _yes_if(municipality.hosts_institution)


def _yes_if(value: bool) -> str:
    return "ja" if value else "nee"


def record_value(indicator: Indicator, period_code: str, category: str, value: float) -> bool:
    """Store one value of ``indicator`` for a period (and category), as a progress update
    reports it; it replaces a value stored for that period and category. False when the very
    same value was stored already."""
    lock_region_indicators(indicator.region_id)
    stored = db.session.scalar(
        select(Observation).where(
            Observation.indicator_id == indicator.id,
            Observation.period == period_code,
            Observation.category == category,
            Observation.municipality_code == "",
        )
    )
    if stored is not None and stored.value == value and not stored.suppressed:
        return False
    before = "" if stored is None or stored.value is None else stored.value
    if stored is None:
        stored = Observation(
            indicator_id=indicator.id,
            region_id=indicator.region_id,
            period=period_code,
            period_start=period_from_code(period_code).start,
            category=category,
            municipality_code="",
            position=0,
        )
        db.session.add(stored)
    stored.value = value
    stored.suppressed = False
    stored.provisional = False
    record(
        AuditAction.CHANGED,
        "indicator",
        object_id=indicator.id,
        object_label=indicator.name,
        region_id=indicator.region_id,
        changes=[
            change(
                f"waarde {period_from_code(period_code).label}"
                + (f" ({category})" if category else ""),
                before,
                value,
            )
        ],
    )
    bump_indicator_revision(indicator.region_id)
    db.session.flush()
    return True
