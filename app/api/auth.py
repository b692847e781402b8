"""Who is asking the API: a personal access token in ``Authorization: Bearer``, never a cookie.

The API is not a browser's: it reads no session cookie and sets none (``forget_the_session``),
so a page that happens to be open in a browser can never make a request on the API with its
user's rights (no CSRF), and a script's token never turns into a session. The token's owner
gets an ``Access`` built the same way a signed-in user's is, from their memberships of this
moment, and every view checks it the way the pages do: a region without a role is a 404, a
role without the permission a 403. A write also needs the token's ``write`` scope.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import g, request
from flask.globals import request_ctx
from flask.sessions import SecureCookieSession
from sqlalchemy import (
    Select,
    bindparam,
    select,
    update,
)

from ..accounts.access import PERSON_COLUMNS, Access, person_of, roles_from_json, roles_json
from ..accounts.models import Membership, User
from ..core.database import read_connection
from ..core.models import utcnow
from ..extensions import db
from .models import ApiToken, TokenScope
from .problems import ApiProblem

#: Every token starts with this, so people (and secret scanners) recognise one.
TOKEN_PREFIX = "hvt_"
#: ``secrets.token_urlsafe(32)``: 43 characters of [A-Za-z0-9_-].
_TOKEN = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}")
#: ``last_used_dt`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@functools.cache
def _token_statement(dialect: str, with_version: bool) -> Select:
    """The token and its owner's roles, in one row: the roles as one JSON text,
    ``[[region id, name, slug, role], ...]`` (``access.roles_json``). With
    ``with_version``, also the version of all the owner's regions (``cache.py``), read by
    the same statement: it is the version of exactly the regions the roles name.

    The owner as a ``Person``; as an ORM object only when something needs more
    (``token_owner``): a read never does.
    """
    roles = roles_json(dialect, ApiToken.user_id, correlate=ApiToken)
    owners = Membership.user_id == ApiToken.user_id
    columns = [
        ApiToken.id,
        ApiToken.user_id,
        ApiToken.scope,
        ApiToken.last_used_dt,
        roles,
        *PERSON_COLUMNS,
    ]
    if with_version:
        from .queries import conversations_version

        # Correlated to the token of the outer statement, two levels up.
        owners_regions = select(Membership.region_id).where(owners).correlate(ApiToken)
        columns.append(conversations_version(owners_regions, dialect))
    return (
        select(*columns)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


#: Where ``_token_statement`` puts the version: after the token, the roles and the person.
_VERSION_COLUMN = 5 + len(PERSON_COLUMNS)


class TokenInfo(NamedTuple):
    """What a request needs of its token."""

    id: int
    user_id: int
    scope: TokenScope
    last_used_dt: datetime | None


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_token_shaped(secret: str) -> bool:
    return bool(_TOKEN.fullmatch(secret))


def forget_the_session() -> None:
    """Answer this request as if no cookie had come with it.

    Flask-Login would find the signed-in user from the session cookie the first time anything
    asks for ``current_user``; it finds an anonymous one here instead (``_login_user`` is
    where Flask-Login 0.6.3, which is pinned, keeps it per request, see ``access.py``). The
    request's session, which the site's own checks have looked at already, is replaced by an
    empty one (``_NoSession``): so no ``Set-Cookie`` goes out, and no ``Vary: Cookie`` (Flask
    adds it for a session that was accessed, ``SecureCookieSessionInterface.save_session``),
    since no answer of the API depends on a cookie. The tests check all three.
    """
    from ..accounts.access import login_manager

    g._login_user = login_manager.anonymous_user()
    request_ctx._get_current_object()._session = _NoSession()


class _NoSession(SecureCookieSession):
    """The API's session: empty, and never reported as looked at or changed (Flask-Login's
    after-request function looks at it on every request), so nothing about it reaches the
    answer: no ``Set-Cookie``, no ``Vary: Cookie``."""

    accessed = property(lambda _self: False, lambda _self, _value: None)  # type: ignore[assignment]
    modified = property(lambda _self: False, lambda _self, _value: None)  # type: ignore[assignment]


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def authenticate(secret: str | None = None, *, with_version: bool = False) -> None:
    """Set this request's ``Access`` from its bearer token; 401 without a valid one.

    ``with_version``: also read the version of the owner's regions (``current_version``).
    """
    if secret is None:
        secret = bearer_secret()
    if secret is None or not is_token_shaped(secret):
        raise ApiProblem(401, headers={"WWW-Authenticate": 'Bearer realm="Handvat API"'})
    connection = read_connection()
    statement = _token_statement(connection.dialect.name, with_version)
    found = connection.execute(statement, {"token_hash": hash_token(secret)}).first()
    if found is None:
        raise ApiProblem(
            401,
            "Deze sleutel is onbekend of ingetrokken. Maak in Handvat een nieuwe onder Mijn "
            "account, API-sleutels.",
            headers={"WWW-Authenticate": 'Bearer realm="Handvat API", error="invalid_token"'},
        )
    token = TokenInfo(*found[:4])
    g.api_token = token
    g.api_roles_key = found[4]
    g.api_version = found[_VERSION_COLUMN] if with_version else None
    g.access = Access(person_of(found[5:]), roles_from_json(found[4]))
    if request.method not in ("GET", "HEAD"):
        token_owner()  # a write names its author: load it now, not halfway an operation
    _note_use(token)


def token_owner() -> User:
    """The token's owner as an ORM object (``Access.user``: loaded once, when first needed)."""
    return g.access.user


def _note_use(token: TokenInfo) -> None:
    now = utcnow()
    last = token.last_used_dt
    if last is None or now - last > LAST_USED_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_dt=now))
        db.session.commit()


def current_token() -> TokenInfo:
    return g.api_token


def current_roles_key() -> str:
    """The owner's roles as read for this request (a JSON text: ``_token_statement``)."""
    return g.api_roles_key


def current_version() -> str:
    """The version of the owner's regions, read with the token (``authenticate``)."""
    if g.get("api_version") is None:
        raise RuntimeError("authenticate(with_version=True) was not called for this request")
    return g.api_version


def require_write_scope() -> None:
    """403 for a read-only token. Checked after the object was found (another region's
    object stays a 404 whatever the token's scope)."""
    if current_token().scope is not TokenScope.WRITE:
        raise ApiProblem(
            403,
            "Deze sleutel mag alleen lezen. Maak voor wijzigingen een sleutel met het bereik "
            "'Lezen en schrijven' (write).",
        )
