"""People, their roles per region, their sessions and their single-use links."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import LabelledEnum, TimestampMixin, UtcDateTime, enum_column, utcnow
from ..extensions import db
from ..regions.models import Region
from .roles import Role


class User(UserMixin, TimestampMixin, db.Model):
    """Someone who signs in. Only what access needs: name, e-mail address, password hash."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored in lower case: people type their address in every case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: argon2id; None until the person sets a password through their invitation link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: Base32 TOTP secret; set while setting up the second factor, in use once enabled.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: The last accepted TOTP time step: a code is accepted once, never replayed.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    #: A digest of the actions this person leads that are overdue or nearly due
    #: (``flask reminders send``, ``app/reminders/``); the person can switch it off.
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: The day the last digest went out: the command sends at most one a day.
    reminder_sent_on: Mapped[date | None] = mapped_column(Date)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    #: The key of the session this request was made with (``access.load_user``); what
    #: Flask-Login keeps in the cookie, so ending the session row signs the browser out.
    session_key = None

    def get_id(self) -> str | None:
        return self.session_key

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_dt is not None

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None


class Membership(TimestampMixin, db.Model):
    """A person's role in one region. One role per person per region."""

    __table_args__ = (UniqueConstraint("user_id", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))

    user: Mapped[User] = relationship(back_populates="memberships")
    region: Mapped[Region] = relationship()


class RegionInvitation(TimestampMixin, db.Model):
    """A role in a region offered to someone who already has an account, until they accept it.

    The account is theirs: a coordinator of another region may not add it, and see its name,
    without its owner agreeing. Until then the coordinator sees only the e-mail address they
    typed. A separate table, so no access query has to skip memberships that are not yet real.
    """

    __tablename__ = "region_invitation"
    #: ``sqlite_autoincrement``: a withdrawn invitation's id is never given to the next one, so
    #: a form left open on a withdrawn invitation cannot act on another.
    __table_args__ = (UniqueConstraint("user_id", "region_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    #: Who asked; None once that account is deleted (the invitation stays the region's).
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    invited_by_name: Mapped[str] = mapped_column(String(120))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    region: Mapped[Region] = relationship()


class UserSession(db.Model):
    """A signed-in browser. The cookie holds a random key; only its SHA-256 is stored here, so
    deleting the row ends the session at once, on every worker and server."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    #: Shown on the account page so a person recognises their own devices.
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class LinkPurpose(LabelledEnum):
    INVITATION = ("invitation", "Uitnodiging")
    PASSWORD_RESET = ("password-reset", "Nieuw wachtwoord")


class AccountLink(db.Model):
    """A single-use link to set a password: an invitation or a forgotten password."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[LinkPurpose] = mapped_column(enum_column(LinkPurpose))
    #: SHA-256 of the token in the link; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UtcDateTime())
    used_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that replaces the authenticator app once (phone lost)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())
