"""Calendar feeds: making one, revoking it, finding it by its key, noting that it was read.

The key is the feed's only protection, so it is long and random (256 bits) and only its
SHA-256 is stored: a copy of the database gives no working URL. The page shows the key once.

A double submit of the form that makes a feed must not make two feeds, one of them with a key
nobody ever saw. So the key of a form sent within ``DOUBLE_SUBMIT_SECONDS`` is derived from the
form's random submission token (HMAC with the app's secret key, the user and a time window):
the same form sent twice finds the feed it already made and shows the same URL again. Without a
usable token (tampered, or the form is older) the key is simply random.

Because that key can be derived again, revoking a feed does not delete it: the row is marked
revoked (``revoked_dt``) and counts as gone everywhere, but it stays for ``REVOKED_KEPT``. The
same form sent once more after the revoke (the back button, a reload) then finds the revoked
feed and never brings its URL back to life: it makes a new feed with a random key, and the page
says so. After ``REVOKED_KEPT`` no submit can derive the key any more, and the next revoke of
that user deletes the row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ..accounts.models import User
from ..core.forms import Outcome
from ..extensions import db
from .models import CalendarFeed

FEED_NAME_MAX = 80
#: More feeds than one person needs; a new one beyond this is refused with a message.
MAX_FEEDS_PER_USER = 50
#: ``last_read_dt`` is written at most this often, not on every poll of a calendar app.
LAST_READ_RESOLUTION = timedelta(hours=1)
DOUBLE_SUBMIT_SECONDS = 600
#: How long a revoked feed's row stays. A derived key is found at most two windows after the
#: feed was made (``_candidate_keys``), and a feed is revoked after it was made; one window
#: more allows for servers whose clocks differ a little.
REVOKED_KEPT = timedelta(seconds=3 * DOUBLE_SUBMIT_SECONDS)
#: What a key looks like (43 URL-safe characters); anything else is not looked up.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{40,64}")


class TooManyFeeds(Exception):
    """The user already has ``MAX_FEEDS_PER_USER`` feeds."""


@dataclass(frozen=True)
class NewFeed:
    feed: CalendarFeed
    key: str  #: the secret part of the URL, shown once
    #: ``SAVED``; ``ALREADY_SAVED`` for the same form sent twice (the same feed and key); or
    #: ``SAVED_AS_NEW`` when the feed this form made before has been revoked since: ``feed``
    #: is then a new one with a random key, and ``earlier`` the revoked one.
    outcome: Outcome
    earlier: CalendarFeed | None = None


def _active():
    """The condition for a feed that has not been revoked."""
    return CalendarFeed.revoked_dt.is_(None)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _random_key() -> str:
    return secrets.token_urlsafe(32)


def _derived_key(secret: str, user_id: int, token: str, window: int) -> str:
    message = f"calendar-feed|{user_id}|{token}|{window}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _candidate_keys(secret: str, user_id: int, token: str, now: datetime) -> list[str]:
    """The key for this window first, then the previous window's (a double submit that
    straddles the boundary)."""
    window = int(now.timestamp()) // DOUBLE_SUBMIT_SECONDS
    return [_derived_key(secret, user_id, token, w) for w in (window, window - 1)]


def create_feed(
    user: User,
    name: str,
    filter_query: str,
    *,
    submission_token: str | None,
    secret: str,
    now: datetime,
) -> NewFeed:
    """A new feed of ``user`` for the list ``filter_query`` selects; or, for the same form sent
    again, the feed it made the first time (``Outcome.ALREADY_SAVED``, with the same key).

    When that feed has been revoked since, its key must never work again: the form then makes
    a new feed with a random key (``Outcome.SAVED_AS_NEW``, ``earlier`` the revoked feed)."""
    key = None
    earlier = None
    if submission_token:
        keys = _candidate_keys(secret, user.id, submission_token, now)
        for candidate in keys:
            existing = db.session.scalar(
                select(CalendarFeed).where(
                    CalendarFeed.key_hash == key_hash(candidate), CalendarFeed.user_id == user.id
                )
            )
            if existing is None:
                continue
            if existing.revoked_dt is None:
                return NewFeed(existing, candidate, Outcome.ALREADY_SAVED)
            earlier = existing
            break
        if earlier is None:
            key = keys[0]
    if key is None:
        key = _random_key()
    if feed_count(user.id) >= MAX_FEEDS_PER_USER:
        raise TooManyFeeds()
    feed = CalendarFeed(
        user_id=user.id,
        name=name[:FEED_NAME_MAX],
        filter_query=filter_query,
        key_hash=key_hash(key),
        created_dt=now,
    )
    db.session.add(feed)
    db.session.flush()
    if earlier is not None:
        return NewFeed(feed, key, Outcome.SAVED_AS_NEW, earlier)
    return NewFeed(feed, key, Outcome.SAVED)


def revoke_feed(user: User, feed_id: int, *, now: datetime) -> CalendarFeed | None:
    """Revoke the user's feed: its URL stops working at once, and the same form sent again
    makes a new feed rather than bring it back. None when it is not theirs, already revoked
    or gone.

    The user's feeds revoked longer than ``REVOKED_KEPT`` ago are deleted: no submit can
    derive their keys any more."""
    feed = db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.id == feed_id, CalendarFeed.user_id == user.id, _active()
        )
    )
    if feed is not None:
        feed.revoked_dt = now
    # "fetch": comparing in Python would fail on SQLite's naive datetimes of loaded rows.
    db.session.execute(
        delete(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_dt < now - REVOKED_KEPT)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    return feed


def feed_for_key(key: str) -> CalendarFeed | None:
    """The feed with this key; None for an unknown or revoked one."""
    return db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.key_hash == key_hash(key), _active())
    )


def note_read(feed: CalendarFeed, now: datetime) -> bool:
    """Record that the feed was read, at most once per ``LAST_READ_RESOLUTION``."""
    last = feed.last_read_dt
    if last is not None and now - last < LAST_READ_RESOLUTION:
        return False
    feed.last_read_dt = now
    db.session.flush()
    return True


def feeds_of(user_id: int) -> list[CalendarFeed]:
    """The user's feeds that work, newest first (at most ``MAX_FEEDS_PER_USER``)."""
    return list(
        db.session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.user_id == user_id, _active())
            .order_by(CalendarFeed.created_dt.desc(), CalendarFeed.id.desc())
            .limit(MAX_FEEDS_PER_USER)
        )
    )


def feed_count(user_id: int) -> int:
    """How many feeds of the user work (revoked ones do not count)."""
    return db.session.scalar(
        select(func.count())
        .select_from(CalendarFeed)
        .where(CalendarFeed.user_id == user_id, _active())
    )
