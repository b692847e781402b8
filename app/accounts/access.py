"""Who is asking, and what they may do: evaluated once per request, never at import time.

Every request that carries a session cookie loads the session row, its user and their
memberships (two queries). ``current_access()`` is what every check asks: the regions a user
sees and the role they hold in each. A membership removed a moment ago is gone at the next
request, because nothing of it is kept between requests.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import NamedTuple, TypeVar

import orjson
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from sqlalchemy import ColumnElement, Select, bindparam, delete, select, update

from ..core.database import end_autocommit, json_rows, read_connection
from ..core.models import utcnow
from ..extensions import db
from ..regions.models import Region
from .models import Membership, User, UserSession
from .roles import PRIVILEGED_ROLES, Permission, Role, role_allows

login_manager = LoginManager()

#: last_seen is written at most this often per session, not on every request.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class RegionRole:
    region_id: int
    name: str
    slug: str
    role: Role


class Person(NamedTuple):
    """Who a request is made by, as the session (or token) statement reads them: what every
    page shows and checks of them. ``Access.user`` is their account as an ORM object, for
    what changes it or needs more. For a session, also Flask-Login's ``current_user``."""

    id: int
    name: str
    email: str
    is_admin: bool
    has_two_factor: bool
    #: What Flask-Login keeps in the cookie (``load_user``); None for an API token's owner.
    session_key: str | None = None

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self.session_key

    @classmethod
    def of(cls, user: User) -> Person:
        return cls(
            user.id, user.name, user.email, user.is_admin, user.has_two_factor, user.session_key
        )


@dataclass(frozen=True)
class Access:
    """The signed-in person and their roles, by region id. Anonymous: no one, no regions."""

    person: Person | None = None
    roles: dict[int, RegionRole] = field(default_factory=dict)
    #: Per region of the roles: (``Region.conversations_revision``, ``indicator_revision``)
    #: as read with the session at the start of the request. Cached pages that list a
    #: region's conversations or action points are keyed on them (``revisions_key``).
    region_revisions: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def region_ids(self) -> list[int]:
        return list(self.roles)

    @cached_property
    def regions(self) -> list[RegionRole]:
        """By name; sorted once per request (the page header and the views ask again)."""
        return sorted(self.roles.values(), key=lambda r: r.name.casefold())

    def can_see(self, region_id: int | None) -> bool:
        return region_id in self.roles

    def role_in(self, region_id: int | None) -> Role | None:
        entry = self.roles.get(region_id)
        return entry.role if entry else None

    def allows(self, permission: Permission, region_id: int | None) -> bool:
        return role_allows(self.role_in(region_id), permission)

    def regions_allowing(self, permission: Permission) -> list[RegionRole]:
        return [r for r in self.regions if role_allows(r.role, permission)]

    @cached_property
    def user(self) -> User | None:
        """The person's account as an ORM object, loaded when first asked for: a page that
        only shows who is signed in (one served from the page cache) never needs it."""
        if self.person is None:
            return None
        return db.session.get(User, self.person.id)

    @property
    def is_admin(self) -> bool:
        return self.person is not None and self.person.is_admin

    @property
    def is_privileged(self) -> bool:
        """Administrators and coordinators: their accounts need a second factor."""
        return self.is_admin or any(r.role in PRIVILEGED_ROLES for r in self.roles.values())

    def revisions_key(self) -> tuple:
        """The revisions of all the user's regions, for a page cache key: any change to a
        conversation of theirs (its answers, action points, progress, links) or to their
        figures gives another key."""
        return tuple(sorted(self.region_revisions.items()))

    @property
    def fingerprint(self) -> tuple:
        """Everything of the user a rendered page can depend on (for the page cache)."""
        if self.person is None:
            return ()
        return (
            self.person.id,
            self.person.name,
            self.person.is_admin,
            tuple(sorted((r.region_id, r.name, r.role.value) for r in self.roles.values())),
        )


ANONYMOUS = Access()


class SessionRow(NamedTuple):
    """What a request keeps of its session row (``g.user_session``)."""

    id: int
    created_dt: datetime
    last_seen_dt: datetime


#: A role as ``RegionRole`` takes it.
_ROLE_COLUMNS = (Membership.region_id, Region.name, Region.slug, Membership.role)
#: A region's revisions as ``Access.region_revisions`` keeps them (after its id).
_REVISION_COLUMNS = (Membership.region_id, Region.conversations_revision, Region.indicator_revision)


def roles_json(dialect: str, of_user: ColumnElement, *, correlate: type) -> ColumnElement:
    """The roles of the user ``of_user`` names, as one JSON text (``roles_from_json``), for a
    statement on ``correlate`` that names that user."""
    return _memberships_json(dialect, of_user, correlate, _ROLE_COLUMNS)


def _memberships_json(dialect: str, of_user, correlate, columns) -> ColumnElement:
    subquery = (
        select(json_rows(dialect, *columns))
        .select_from(Membership)
        .join(Region, Region.id == Membership.region_id)
        .where(Membership.user_id == of_user)
    )
    return (subquery.correlate(correlate) if correlate else subquery).scalar_subquery()


#: A ``Person`` (without the session key) as a statement reads it.
PERSON_COLUMNS = (
    User.id,
    User.name,
    User.email,
    User.is_admin,
    User.totp_enabled_dt.is_not(None),
)


def person_of(row: Sequence, session_key: str | None = None) -> Person:
    """The ``Person`` of the ``PERSON_COLUMNS`` at the start of ``row``."""
    return Person(*row[:5], session_key)


@functools.cache
def _session_statement(dialect: str) -> Select:
    """The session, its user and their roles and regions' revisions in one row: the roles and
    the revisions each as one JSON text. One row, not one per role: for a coordinator of 50
    regions, converting 50 rows that each carried the user cost more than the rest of a page
    served from the cache. Plain values, no ORM objects: loading the user as one cost more
    than the statement (``Access.user`` loads it when something needs it). ``g.user_session``
    is a ``SessionRow``."""
    return (
        select(
            UserSession.id,
            UserSession.created_dt,
            UserSession.last_seen_dt,
            *PERSON_COLUMNS,
            roles_json(dialect, User.id, correlate=User),
            _memberships_json(dialect, User.id, User, _REVISION_COLUMNS),
        )
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hash == bindparam("key_hash"))
    )


#: The roles of a JSON text of ``roles_json``, by that text. An entry is its own key, so it is
#: never out of date; the dict is emptied when it grows large. Roles change seldom.
_ROLES_BY_TEXT: dict[str, dict[int, RegionRole]] = {}
_MAX_ROLES_TEXTS = 1_000


def roles_from_json(text: str) -> dict[int, RegionRole]:
    """The roles, by region id (shared by the requests with the same roles: ``Access`` never
    changes them)."""
    known = _ROLES_BY_TEXT.get(text)
    if known is None:
        if len(_ROLES_BY_TEXT) >= _MAX_ROLES_TEXTS:
            _ROLES_BY_TEXT.clear()
        known = _ROLES_BY_TEXT[text] = {
            region_id: RegionRole(region_id, name, slug, Role(role))
            for region_id, name, slug, role in orjson.loads(text)
        }
    return known


def _revisions_from_json(text: str) -> dict[int, tuple[int, int]]:
    return {
        region_id: (conversations, indicators)
        for region_id, conversations, indicators in orjson.loads(text)
    }


@functools.cache
def _roles_statement(dialect: str) -> Select:
    """The roles and the regions' revisions of the user ``user_id``, as the session statement
    reads them: for reading them again after a change within the request."""
    user_id = bindparam("user_id")
    return select(
        _memberships_json(dialect, user_id, None, _ROLE_COLUMNS),
        _memberships_json(dialect, user_id, None, _REVISION_COLUMNS),
    )


def current_access() -> Access:
    namespace = g._get_current_object()  # asked several times per request: one lookup of ``g``
    access = namespace.get("access")
    if access is None:
        user = current_user._get_current_object() if current_user.is_authenticated else None
        person = _person(user, reread=namespace.pop("reread_person", False))
        if person is None:
            access = ANONYMOUS
        else:
            read = namespace.pop("roles_at_sign_in", None)
            if read is None:
                statement = _roles_statement(db.session.get_bind().dialect.name)
                read = db.session.execute(statement, {"user_id": person.id}).one()
            access = Access(person, roles_from_json(read[0]), _revisions_from_json(read[1]))
        namespace.access = access
    return access


def _person(user: Person | User | None, *, reread: bool) -> Person | None:
    """Flask-Login's user as a ``Person``: the session's (``load_user``), or the account that
    signed in during this request. ``reread``: as the account is now, after a change to it in
    this request (``forget_current_access``); None if it is gone."""
    if user is None:
        return None
    if not isinstance(user, Person):
        return Person.of(user)
    if not reread:
        return user
    account = db.session.get(User, user.id)
    return None if account is None else Person.of(account)._replace(session_key=user.session_key)


def forget_current_access() -> None:
    """After a change to the user's own account or roles within this request: the next
    ``current_access()`` reads them again."""
    g.pop("access", None)
    g.pop("roles_at_sign_in", None)
    g.reread_person = True


def session_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@login_manager.user_loader
def load_user(session_key: str) -> Person | None:
    """The person of a live session; None (signed out) when the session ended or went idle."""
    connection = read_connection()
    found = connection.execute(
        _session_statement(connection.dialect.name),
        {"key_hash": session_key_hash(session_key)},
    ).first()
    if found is None:
        end_autocommit()
        return None
    user_session = SessionRow(*found[:3])
    now = utcnow()
    config = current_app.config
    idle_limit = timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    lifetime = timedelta(hours=config["SESSION_MAX_HOURS"])
    if now - user_session.last_seen_dt > idle_limit or now - user_session.created_dt > lifetime:
        db.session.execute(delete(UserSession).where(UserSession.id == user_session.id))
        db.session.commit()
        g.session_expired = True
        return None
    if now - user_session.last_seen_dt > LAST_SEEN_RESOLUTION:
        db.session.execute(
            update(UserSession).where(UserSession.id == user_session.id).values(last_seen_dt=now)
        )
        db.session.commit()
    if not getattr(_view_function(), "reads_only", False):
        end_autocommit()
    g.user_session = user_session
    g.roles_at_sign_in = found[8:]
    return person_of(found[3:], session_key)


# --- which views need what -------------------------------------------------------------------

F = TypeVar("F", bound=Callable)


def public(view: F) -> F:
    """Mark a view that anyone may open without signing in. Every other view needs a session."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def allowed_without_second_factor(view: F) -> F:
    """Mark a view that a privileged user who still has to set up a second factor may open."""
    view.allowed_without_second_factor = True  # type: ignore[attr-defined]
    return view


def require_admin() -> None:
    if not current_access().is_admin:
        abort(403)


def must_set_up_second_factor(access: Access) -> bool:
    return (
        access.person is not None
        and not access.person.has_two_factor
        and access.is_privileged
        and current_app.config["REQUIRE_TWO_FACTOR"]
    )


def _view_function():
    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


#: What this module and Flask-Login keep on ``g`` for one request.
_PER_REQUEST = (
    "access",
    "user_session",
    "session_expired",
    "roles_at_sign_in",
    "reread_person",
    "_login_user",
)


def forget_previous_request() -> None:
    """Before every request: drop who the previous request was made by.

    ``g`` lives as long as the app context, and Flask reuses an app context that is already
    pushed (a test holding one, a script calling the app): without this, the next request
    would be answered for the previous request's user and session.
    """
    namespace = g._get_current_object()
    for name in _PER_REQUEST:
        namespace.pop(name, None)


def require_sign_in():
    """Before every request: a view that is not ``@public`` needs a signed-in user.

    A GET goes to the sign-in page and comes back after; a POST (a session that expired while
    a form was open) gets a page that gives the typed text back, so nothing is lost.
    """
    view = _view_function()
    if view is None or getattr(view, "is_public", False) or request.endpoint == "static":
        return None
    access = current_access()
    if access.person is None:
        if request.method in ("GET", "HEAD"):
            expired = {"verlopen": 1} if g.get("session_expired") else {}
            return redirect(
                url_for("accounts.sign_in", next=request.full_path.rstrip("?"), **expired)
            )
        from ..core.errors import render_error

        return render_error(
            401,
            "U bent niet meer ingelogd",
            "Daarom is dit niet opgeslagen. Dat gebeurt als u een tijd niets deed. Uw tekst "
            "staat hieronder. Kopieer die, log opnieuw in en plak de tekst terug.",
        )
    if must_set_up_second_factor(access) and not getattr(
        view, "allowed_without_second_factor", False
    ):
        return redirect(url_for("two_factor.set_up"))
    return None


def init_access(app: Flask) -> None:
    login_manager.init_app(app)
    # Our own check runs first and decides; Flask-Login's redirect is never used.
    login_manager.session_protection = None
    app.before_request(forget_previous_request)
    app.before_request(require_sign_in)

    @app.context_processor
    def access_in_templates():
        return {"access": current_access(), "Permission": Permission}


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: never ``//evil.example`` or ``https://...``."""
    return bool(
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(c.isprintable() for c in target)
    )


def clear_session() -> None:
    session.clear()
