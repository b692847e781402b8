"""Signing test clients in without going through the sign-in form (that has its own tests)."""

from __future__ import annotations

import secrets

from flask import Flask

from app.accounts.access import session_key_hash
from app.accounts.models import User, UserSession
from app.accounts.operations import ensure_user, set_role
from app.accounts.passwords import hash_password
from app.accounts.roles import Role
from app.extensions import db

#: Every test account has this password (hashing it once keeps the tests fast).
TEST_PASSWORD = "lange zin als wachtwoord"
_TEST_PASSWORD_HASH = hash_password(TEST_PASSWORD)


def make_user(
    email: str,
    name: str | None = None,
    *,
    region=None,
    role: Role | None = None,
    admin: bool = False,
) -> User:
    user, _ = ensure_user(email, name or email.split("@")[0].title(), is_admin=admin)
    if user.password_hash is None:
        user.password_hash = _TEST_PASSWORD_HASH
    if region is not None:
        set_role(user, region, role or Role.MEMBER)
    db.session.commit()
    return user


def new_session_key(user: User) -> str:
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(key_hash=session_key_hash(key), user_id=user.id))
    db.session.commit()
    return key


def sign_in(client, user: User) -> str:
    """Give ``client`` a live session of ``user``; the session key."""
    key = new_session_key(user)
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = key
        session["_fresh"] = True
    return key


def session_cookie(app: Flask, user: User) -> tuple[str, str]:
    """(cookie name, value) of a live session of ``user``, for clients outside Flask."""
    key = new_session_key(user)
    serializer = app.session_interface.get_signing_serializer(app)
    return app.config["SESSION_COOKIE_NAME"], serializer.dumps({"_user_id": key, "_fresh": True})


class FakeSMTP:
    """Stands in for ``smtplib.SMTP``: keeps every message sent."""

    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context=None):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)
