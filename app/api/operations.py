"""Writes on personal access tokens: make one, revoke one. Operations flush; callers commit.

A token is ``hvt_`` and 43 random characters (``secrets.token_urlsafe(32)``, 256 bits). Only its
SHA-256 is stored, with its first characters so its owner can tell tokens apart; the token
itself is shown once, when it is made, and can never be shown again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from ..accounts.models import User
from ..core.database import serialize_writes
from ..core.models import utcnow
from ..core.text import clean_line
from ..extensions import db
from .auth import TOKEN_PREFIX, hash_token
from .models import ApiToken, TokenScope

NAME_MAX_CHARACTERS = 80
#: How many characters of a token are kept to recognise it by ("hvt_" and eight more).
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
#: More than anyone needs (one per dashboard or script); keeps the list on one page.
MAX_TOKENS_PER_USER = 25
#: The create form sent twice (a double click, a reload): the second finds a token of the
#: same name and scope made this recently and never used, and replaces it, so there is one
#: token and it is the one shown.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=2)


class TokenError(ValueError):
    """A token that cannot be made; the message says why, in Dutch."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    #: The token itself: shown once, never stored.
    secret: str
    #: True when it replaced the same form's token of a moment ago (a double submit).
    replaced_double_submit: bool = False


def checked_name(text: str | None) -> str:
    name = " ".join((clean_line(text or "") or "").split())
    if not name:
        raise TokenError("Geef de sleutel een naam, bijvoorbeeld ‘Power BI dashboard’.")
    if len(name) > NAME_MAX_CHARACTERS:
        raise TokenError(
            f"De naam is te lang: {len(name)} tekens. Het mag maximaal {NAME_MAX_CHARACTERS} "
            "tekens zijn."
        )
    return name


def token_named(user: User, name: str) -> ApiToken | None:
    return db.session.scalar(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == name)
    )


def create_token(
    user: User, name: str, scope: TokenScope, *, replace_double_submit: bool = False
) -> NewToken:
    """Make a token for ``user``. Names are unique per person, so a token can be revoked by
    its name; ``TokenError`` for a name in use or too many tokens."""
    name = checked_name(name)
    serialize_writes(f"api-tokens:{user.id}")
    replaced = False
    existing = token_named(user, name)
    if existing is not None:
        fresh = utcnow() - existing.created_dt < DOUBLE_SUBMIT_WINDOW
        if (
            replace_double_submit
            and fresh
            and existing.last_used_dt is None
            and (existing.scope is scope)
        ):
            db.session.delete(existing)
            db.session.flush()
            replaced = True
        else:
            raise TokenError(
                f"U heeft al een sleutel met de naam ‘{name}’. Kies een andere naam, of trek "
                "die sleutel eerst in."
            )
    count = db.session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)
    )
    if count >= MAX_TOKENS_PER_USER:
        raise TokenError(
            f"U heeft al {MAX_TOKENS_PER_USER} sleutels, het hoogste aantal. Trek eerst een "
            "sleutel in die u niet meer gebruikt."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        scope=scope,
        token_hash=hash_token(secret),
        token_prefix=secret[:SHOWN_PREFIX_LENGTH],
    )
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret, replaced)


def revoke_token(user: User, token_id: int) -> str | None:
    """Delete ``user``'s token ``token_id``; its name, or None when there was none (revoked
    already, or someone else's: never touched)."""
    name = db.session.scalar(
        select(ApiToken.name).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if name is None:
        return None
    db.session.execute(delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    return name


def revoke_token_named(user: User, name: str) -> bool:
    result = db.session.execute(
        delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == name)
    )
    return result.rowcount > 0
