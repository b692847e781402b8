"""Writes on accounts: people, their roles, passwords, sessions and single-use links.

Operations flush; the request (or command) commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app, request
from flask_login import login_user, logout_user
from sqlalchemy import delete, select, update

from ..audit.models import AuditAction
from ..audit.operations import change, record
from ..core.models import utcnow
from ..core.text import clean_line
from ..extensions import db
from ..regions.models import Region
from .access import forget_current_access, session_key_hash
from .models import AccountLink, LinkPurpose, Membership, RegionInvitation, User, UserSession
from .passwords import hash_password, needs_rehash, password_problem, verify_password
from .roles import Role


class AccountError(ValueError):
    """Something that cannot be done with an account; the message is Dutch, for the user."""


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normalise_email(text: str) -> str:
    return clean_line(text or "").strip().lower()


def checked_email(text: str) -> str:
    email = normalise_email(text)
    if len(email) > 254 or not _EMAIL.match(email):
        raise AccountError("Vul een geldig e-mailadres in, bijvoorbeeld naam@gemeente.nl.")
    return email


def checked_name(text: str) -> str:
    name = clean_line(text or "").strip()
    if not name:
        raise AccountError("Vul een naam in.")
    if len(name) > 120:
        raise AccountError("De naam is te lang: gebruik hoogstens 120 tekens.")
    return name


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def ensure_user(email: str, name: str, *, is_admin: bool = False) -> tuple[User, bool]:
    """The account for ``email``, created when new; (user, created). Admin is only ever added."""
    email = checked_email(email)
    user = find_user(email)
    created = user is None
    if user is None:
        user = User(email=email, name=checked_name(name), is_admin=is_admin)
        db.session.add(user)
    elif is_admin:
        user.is_admin = True
    db.session.flush()
    return user, created


# --- roles ---------------------------------------------------------------------------------


def membership_label(user: User, role: Role) -> str:
    return f"{user.name} ({user.email}): {role.label}"


def set_role(user: User, region: Region, role: Role) -> Membership:
    """Give ``user`` ``role`` in ``region``: a new membership, or a changed role."""
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.region_id == region.id)
    )
    if membership is None:
        # A role offered earlier is answered by this one (an administrator added the person).
        db.session.execute(
            delete(RegionInvitation).where(
                RegionInvitation.user_id == user.id, RegionInvitation.region_id == region.id
            )
        )
        membership = Membership(user=user, region_id=region.id, role=role)
        db.session.add(membership)
        db.session.flush()
        record(
            AuditAction.CREATED,
            "membership",
            object_id=membership.id,
            object_label=membership_label(user, role),
            region_id=region.id,
            changes=[change("Rol", None, role)],
        )
    elif membership.role is not role:
        before = membership.role
        membership.role = role
        db.session.flush()
        record(
            AuditAction.CHANGED,
            "membership",
            object_id=membership.id,
            object_label=membership_label(user, role),
            region_id=region.id,
            changes=[change("Rol", before, role)],
        )
    forget_current_access()
    return membership


def remove_membership(membership: Membership) -> None:
    record(
        AuditAction.DELETED,
        "membership",
        object_id=membership.id,
        object_label=membership_label(membership.user, membership.role),
        region_id=membership.region_id,
        changes=[change("Rol", membership.role, None)],
    )
    db.session.delete(membership)
    db.session.flush()
    forget_current_access()


# --- passwords and sessions -----------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The user with this address and password; None for a wrong password or unknown address
    (after the same work, so the answer time does not tell which)."""
    user = find_user(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password and end every session of the user (sign in again everywhere)."""
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    db.session.flush()


def start_session(user: User) -> UserSession:
    """Sign ``user`` in on this browser, with a new session key: whatever the cookie held
    before (also a key planted by someone else) is thrown away."""
    from flask import session

    session.clear()
    key = secrets.token_urlsafe(32)
    user_session = UserSession(
        key_hash=session_key_hash(key),
        user_id=user.id,
        user_agent=clean_line(request.headers.get("User-Agent", ""))[:200],
    )
    db.session.add(user_session)
    db.session.flush()
    user.session_key = key
    login_user(user)
    forget_current_access()
    return user_session


def end_session() -> None:
    """Sign out this browser: the session row goes, so a copied cookie no longer works."""
    from flask import g, session

    user_session = g.get("user_session")
    if user_session is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == user_session.id))
    logout_user()
    session.clear()
    forget_current_access()


def end_all_sessions(user: User, *, keep_current: bool = False) -> int:
    """End every session of ``user`` (on every device); optionally not this browser's."""
    from flask import g, has_request_context

    query = delete(UserSession).where(UserSession.user_id == user.id)
    current = g.get("user_session") if has_request_context() else None
    if keep_current and current is not None:
        query = query.where(UserSession.id != current.id)
    return db.session.execute(query).rowcount


def delete_account(user: User) -> None:
    """Delete the account; its roles and sessions go with it, the audit trail keeps its name."""
    for membership in list(user.memberships):
        remove_membership(membership)
    # The removed memberships are still in the loaded collection; the cascade would delete
    # them a second time (0 rows matched: a SQLAlchemy warning, a 500 under the tests).
    db.session.expire(user, ["memberships"])
    db.session.execute(
        update(AccountLink).where(AccountLink.user_id == user.id).values(used_dt=utcnow())
    )
    db.session.delete(user)
    db.session.flush()


# --- single-use links -------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_lifetime(purpose: LinkPurpose) -> timedelta:
    config = current_app.config
    if purpose is LinkPurpose.INVITATION:
        return timedelta(days=config["INVITATION_DAYS"])
    return timedelta(minutes=config["PASSWORD_RESET_MINUTES"])


def issue_link(user: User, purpose: LinkPurpose) -> str:
    """A new single-use link token; earlier unused links of the user stop working."""
    now = utcnow()
    db.session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_dt.is_(None))
        .values(used_dt=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=_token_hash(token),
            expires_dt=now + link_lifetime(purpose),
        )
    )
    db.session.flush()
    return token


def usable_link(token: str) -> AccountLink | None:
    """The link for ``token`` if it was never used and has not expired."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(
        select(AccountLink).where(AccountLink.token_hash == _token_hash(token))
    )
    if link is None or link.used_dt is not None:
        return None
    if link.expires_dt < utcnow():
        return None
    return link


def use_link(token: str, password: str) -> User:
    """Set the password through a link, once. Two tabs sending it at once: only one wins."""
    link = usable_link(token)
    if link is None:
        raise AccountError(LINK_UNUSABLE)
    claimed = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_dt.is_(None))
        .values(used_dt=utcnow())
    ).rowcount
    if not claimed:
        raise AccountError(LINK_UNUSABLE)
    set_password(link.user, password)
    return link.user


LINK_UNUSABLE = (
    "Deze link werkt niet meer. Hij is al gebruikt of verlopen. Vraag een nieuwe link aan via "
    "‘Wachtwoord vergeten’, of vraag de persoon die u uitnodigde om een nieuwe uitnodiging."
)


def account_deletion_problem(user: User) -> str | None:
    """Why this account cannot be deleted now, in Dutch; None when it can."""
    from sqlalchemy import func

    if user.is_admin:
        admins = db.session.scalar(
            select(func.count()).select_from(User).where(User.is_admin.is_(True))
        )
        if admins <= 1:
            return (
                "U bent de enige beheerder. Maak eerst iemand anders beheerder, dan kunt u uw "
                "account verwijderen."
            )
    return None
