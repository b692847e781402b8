"""Configuration: defaults here, then ``instance/config.py``, then environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DefaultConfig:
    #: Questionnaire YAML files; the newest version of each key is offered for new conversations.
    QUESTIONNAIRE_FOLDER = str(PROJECT_ROOT / "questionnaires")
    QUESTIONNAIRE_KEY = "handvatten-voor-gesprek"
    #: Forms stay valid for the whole browser session, so a long meeting never loses an answer
    #: to an expired token.
    WTF_CSRF_TIME_LIMIT = None
    #: Requests larger than this are refused with a Dutch message (413).
    MAX_CONTENT_LENGTH = 1 * 1024 * 1024
    #: A file of the region's figures (CSV or .xlsx) may be this many megabytes.
    INDICATOR_UPLOAD_MAX_MB = 10
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: HTTPS redirect and HSTS belong to production behind TLS; see README.
    FORCE_HTTPS = False
    #: Host names the site answers to (JSON list or comma-separated); any other ``Host`` gets a
    #: 400. Flask's own setting; required with FORCE_HTTPS. None accepts every name (development).
    TRUSTED_HOSTS = None
    #: How many proxies in front of the app set X-Forwarded-For/-Proto/-Host/-Port
    #: (werkzeug's ProxyFix). 0: those headers are ignored.
    PROXY_COUNT = 0
    #: Reuse rendered conversation pages while the conversation's revision is unchanged
    #: (``app/core/page_cache.py``). Off only to measure rendering itself.
    PAGE_CACHE_ENABLED = True
    #: Seconds to wait for a PostgreSQL server before giving up on a connection (libpq's
    #: ``connect_timeout``; a ``connect_timeout`` in ``DATABASE_URL`` wins). Without it a
    #: server that does not answer holds a request, and ``/health/ready``, for minutes.
    DATABASE_CONNECT_TIMEOUT = 5
    #: Bring the embedded SQLite database up to date when the app starts. Never on PostgreSQL:
    #: there ``flask db upgrade`` is a release step, not something every worker does.
    AUTO_UPGRADE_EMBEDDED_DB = True
    #: Rendered exports (PDF, Excel) are kept here, shared by all workers on the server and keyed
    #: on a digest of their content (``app/exports/cache.py``). None: ``export-cache`` in the
    #: instance folder; a TESTING app without a folder of its own caches nothing and has no slots.
    EXPORT_CACHE_FOLDER = None
    #: Off only to measure rendering itself.
    EXPORT_CACHE_ENABLED = True
    #: The cache keeps at most this many files; the least recently used go first.
    EXPORT_CACHE_MAX_FILES = 500
    #: ... and at most this many megabytes (a PDF of 1,000 action points is about 0.5 MB).
    EXPORT_CACHE_MAX_MB = 200
    #: How many exports may be rendered at the same time on one server, by all workers
    #: together (``app/exports/limits.py``); a cached export needs no slot. 0: no limit.
    EXPORT_SLOTS = 1
    #: How long a request waits for a free slot before it gets a Dutch 503 with Retry-After.
    EXPORT_WAIT_SECONDS = 3
    #: A render that takes longer is stopped with a Dutch 503, before gunicorn's worker timeout
    #: (30 s) kills the worker. Only in a worker's main thread (gunicorn sync workers). 0: none.
    EXPORT_TIME_BUDGET_SECONDS = 20

    # --- live workshops (app/workshops/) ---
    #: At most this many participants per workshop; a facilitator may set a lower cap.
    WORKSHOP_PARTICIPANT_CAP = 300
    #: Joining, per client address (a room behind one school network shares one) and per code.
    WORKSHOP_JOIN_LIMIT_PER_CLIENT = "120 per minute"
    WORKSHOP_JOIN_LIMIT_PER_CODE = "600 per minute"
    #: Posting (scale, contributions, dots), per participant and per workshop.
    WORKSHOP_POST_LIMIT_PER_PARTICIPANT = "60 per minute"
    WORKSHOP_POST_LIMIT_PER_CODE = "6000 per minute"

    # --- accounts (app/accounts/) ---
    #: A session ends after this many minutes without a request ...
    SESSION_IDLE_MINUTES = 60
    #: ... and at the latest this many hours after signing in.
    SESSION_MAX_HOURS = 12
    #: An invitation link works this many days, a forgotten-password link this many minutes.
    INVITATION_DAYS = 7
    PASSWORD_RESET_MINUTES = 60
    #: Administrators and coordinators must use a second factor (TOTP). None: required on
    #: PostgreSQL (production), not on the embedded SQLite demo, so a visitor can sign in with
    #: the printed credentials.
    REQUIRE_TWO_FACTOR = None
    #: Outgoing mail for invitations and forgotten passwords. Without a server, the link is
    #: shown to the person who invites (or to an administrator) to pass on.
    MAIL_SERVER = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_SENDER = "Handvat <handvat@localhost>"
    #: Where rate-limit counters live (Flask-Limiter): ``memory://`` counts per process, fine
    #: for one process; with several workers or servers use ``redis://host:6379``. None:
    #: ``memory://`` for the embedded default; production must choose (see
    #: :func:`require_shared_rate_limits`).
    RATELIMIT_STORAGE_URI = None
    RATELIMIT_ENABLED = True
    #: Should Redis be unreachable, each process counts for itself until it is back, instead
    #: of every request failing.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    #: Handvat's own log lines (``app/core/logs.py``) at this level and above: DEBUG, INFO,
    #: WARNING or ERROR. INFO: one line per request; health checks and static files only at DEBUG.
    LOG_LEVEL = "INFO"
    #: "json": one JSON object per line on stderr, for a log collector; "text": the same on
    #: one readable line, for a developer's terminal.
    LOG_FORMAT = "json"
    #: ``/.well-known/security.txt`` (RFC 9116): where to report a vulnerability, e.g.
    #: ``mailto:security@gemeente.nl``, and until when that holds (ISO date). No contact: 404.
    SECURITY_CONTACT = None
    SECURITY_TXT_EXPIRES = None


def database_url(instance_path: str) -> str:
    """``DATABASE_URL`` (PostgreSQL in production), else the embedded SQLite in ``instance/``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    return f"sqlite:///{Path(instance_path) / 'handvat.sqlite'}"


def is_production() -> bool:
    """PostgreSQL through ``DATABASE_URL``, or ``HANDVAT_ENV=production``."""
    return bool(os.environ.get("DATABASE_URL")) or os.environ.get("HANDVAT_ENV") == "production"


class MissingSecretKey(RuntimeError):
    pass


class MissingRateLimitStorage(RuntimeError):
    pass


def require_shared_rate_limits(config) -> None:
    """Production runs several workers, usually on several servers: counters kept in each
    process would let every one of them allow the full number of sign-in attempts. So there
    the storage must be named; ``memory://`` named on purpose is accepted (one process)."""
    if config.get("RATELIMIT_STORAGE_URI"):
        return
    if is_production() and not config.get("TESTING"):
        raise MissingRateLimitStorage(
            "HANDVAT_RATELIMIT_STORAGE_URI is not set. In production (DATABASE_URL set or "
            "HANDVAT_ENV=production) the workers and servers must share their rate-limit "
            "counters: set it to Redis, e.g. redis://127.0.0.1:6379/0 (or memory:// for a "
            "single process)."
        )
    config["RATELIMIT_STORAGE_URI"] = "memory://"


def load_secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else (never in production) one generated once and kept
    in ``instance/``."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if is_production():
        raise MissingSecretKey(
            "SECRET_KEY is not set. In production (DATABASE_URL set or HANDVAT_ENV=production) "
            "Handvat needs a fixed secret key, the same on every server, to sign sessions. "
            "Create one with: python -c 'import secrets; print(secrets.token_hex(32))' and set "
            "it as the environment variable SECRET_KEY."
        )
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
