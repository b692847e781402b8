"""Calendar feeds: a secret URL per person that a calendar app subscribes to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.models import UtcDateTime, utcnow
from ..extensions import db


class CalendarFeed(db.Model):
    """The due dates of a (filtered) action list as iCalendar, on a URL with a secret key.

    Only the key's SHA-256 is stored. Revoking sets ``revoked_dt``: the URL stops working and the
    feed is gone from every list, but the row stays a while so that the same creation form sent
    again cannot make a feed with the same key (``operations.revoke_feed``). The feed shows what
    its owner may see at the moment it is read, never more.
    """

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    #: The list's filters as a URL query string (``status=open&mijn=1``), as on the list page.
    filter_query: Mapped[str] = mapped_column(Text, default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_read_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: Set when its owner revoked it: the row stays a while so the same key never works again.
    revoked_dt: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship()
