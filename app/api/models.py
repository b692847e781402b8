"""Personal access tokens for the API (``/api/v1``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.models import LabelledEnum, UtcDateTime, enum_column, utcnow
from ..extensions import db


class TokenScope(LabelledEnum):
    READ = ("read", "Alleen lezen")
    WRITE = ("write", "Lezen en schrijven")


class ApiToken(db.Model):
    """A named, revocable token a person makes for a dashboard or script. Only the SHA-256 of
    the token is stored; the token itself is shown once. It acts with its owner's roles, so
    it can never reach more than its owner can, and a write needs the ``write`` scope."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, so its owner can tell tokens apart.
    token_prefix: Mapped[str] = mapped_column(String(16))
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship()
