"""Configuration: defaults here, then ``instance/config.py``, then environment variables.

Every ``HANDVAT_`` variable is read through one typed table (:data:`SETTINGS`): a yes/no value,
a whole number within its bounds, a date, a rate, a choice or text. A value that does not fit
stops the app at start with a message naming the variable and what it accepts
(:func:`load_settings`), instead of meaning something else (``HANDVAT_FORCE_HTTPS=false`` read
as a non-empty text, so on) or crashing later. A ``HANDVAT_`` variable Handvat does not know is
a warning in the log, not a refusal: the same settings file also feeds gunicorn
(``HANDVAT_BIND``, ``HANDVAT_WORKERS``) and, during an upgrade (one server at a time), a server
of the previous version, which must not stop over a setting only the new version knows.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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


# --- the typed table of settings -------------------------------------------------------------

ENV_PREFIX = "HANDVAT_"

#: Settings of Flask's extensions: a variable with one of these prefixes goes to them as it is
#: (a JSON value, else text), as Flask's ``from_prefixed_env`` would pass it.
EXTENSION_PREFIXES = ("RATELIMIT_", "SQLALCHEMY_", "WTF_")

_TRUE = frozenset({"true", "1", "yes", "ja", "on"})
_FALSE = frozenset({"false", "0", "no", "nee", "off"})
_WHOLE = re.compile(r"[+-]?[0-9]+")


class InvalidSetting(ValueError):
    pass


@dataclass(frozen=True)
class Flag:
    """Yes or no."""

    accepts = "true or false (also accepted, in any case: 1/0, yes/no, ja/nee, on/off)"

    def parse(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        raise InvalidSetting


@dataclass(frozen=True)
class Whole:
    """A whole number from ``minimum`` to ``maximum``."""

    minimum: int
    maximum: int

    @property
    def accepts(self) -> str:
        return f"a whole number from {self.minimum:_} to {self.maximum:_}".replace("_", ",")

    def parse(self, value: object) -> int:
        if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidSetting
        if not self.minimum <= value <= self.maximum:
            raise InvalidSetting
        return value


@dataclass(frozen=True)
class Text:
    """Any text; ``strip``: without spaces around it (not for a password)."""

    strip: bool = True
    secret: bool = False
    accepts = "text"

    def parse(self, value: object) -> str:
        if not isinstance(value, str):
            raise InvalidSetting
        return value.strip() if self.strip else value


@dataclass(frozen=True)
class Choice:
    """One of ``values``, in any case; given back as written in ``values``."""

    values: tuple[str, ...]

    @property
    def accepts(self) -> str:
        return "one of " + ", ".join(self.values)

    def parse(self, value: object) -> str:
        if isinstance(value, str):
            for known in self.values:
                if value.strip().lower() == known.lower():
                    return known
        raise InvalidSetting


@dataclass(frozen=True)
class HostNames:
    """Host names, comma-separated or a JSON list (``core/security.parse_trusted_hosts``
    checks each name)."""

    accepts = "host names, comma-separated or as a JSON list, e.g. handvat.example.nl"

    def parse(self, value: object) -> object:
        if isinstance(value, str) and value.strip()[:1] in ('"', "["):
            try:
                value = json.loads(value)
            except ValueError:
                raise InvalidSetting from None
        if isinstance(value, str) or value is None:
            return value
        if isinstance(value, list | tuple) and all(isinstance(name, str) for name in value):
            return list(value)
        raise InvalidSetting


@dataclass(frozen=True)
class Rate:
    """A rate limit as Flask-Limiter writes it; several separated by ``;``."""

    accepts = "a rate such as '120 per minute' (several: '10 per second; 600 per hour')"

    def parse(self, value: object) -> str:
        from limits import parse_many

        if not isinstance(value, str):
            raise InvalidSetting
        try:
            items = parse_many(value)
        except ValueError:
            raise InvalidSetting from None
        if not items or any(item.amount < 1 for item in items):
            raise InvalidSetting
        return value.strip()


@dataclass(frozen=True)
class Moment:
    """A date (its start, Dutch time) or a date-time in ISO 8601, kept as RFC 3339 text
    (a date-time without an offset is Dutch time)."""

    accepts = "an ISO date or date-time, e.g. 2027-06-30 or 2027-06-30T00:00:00+02:00"

    def parse(self, value: object) -> str:
        dutch = ZoneInfo("Europe/Amsterdam")
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            text = value.strip()
            try:
                if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                    moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
                elif re.fullmatch(
                    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9:.]+([Zz]|[+-][0-9:]+)?", text
                ):
                    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
                else:
                    raise InvalidSetting
            except ValueError:
                raise InvalidSetting from None
        else:
            raise InvalidSetting
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dutch)
        return moment.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class JsonObject:
    accepts = 'a JSON object, e.g. {"socket_timeout": 2}'

    def parse(self, value: object) -> dict:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise InvalidSetting from None
        if not isinstance(value, dict):
            raise InvalidSetting
        return value


Kind = Flag | Whole | Text | Choice | HostNames | Rate | Moment | JsonObject

#: Every setting an installation may make, as ``HANDVAT_<NAME>`` in the environment or
#: ``<NAME>`` in ``instance/config.py`` (see the README's Configuration table), and what it
#: accepts. The meaning of each is at its default in :class:`DefaultConfig`.
SETTINGS: dict[str, Kind] = {
    # production
    "SECRET_KEY": Text(strip=False, secret=True),
    "ENV": Choice(("production", "development")),
    "FORCE_HTTPS": Flag(),
    "TRUSTED_HOSTS": HostNames(),
    "PROXY_COUNT": Whole(0, 10),
    "DATABASE_CONNECT_TIMEOUT": Whole(1, 600),
    "AUTO_UPGRADE_EMBEDDED_DB": Flag(),
    "RATELIMIT_STORAGE_URI": Text(),
    "RATELIMIT_STORAGE_OPTIONS": JsonObject(),
    "RATELIMIT_KEY_PREFIX": Text(),
    "RATELIMIT_ENABLED": Flag(),
    "RATELIMIT_HEADERS_ENABLED": Flag(),
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": Flag(),
    "RATELIMIT_SWALLOW_ERRORS": Flag(),
    "LOG_LEVEL": Choice(("DEBUG", "INFO", "WARNING", "ERROR")),
    "LOG_FORMAT": Choice(("json", "text")),
    "SECURITY_CONTACT": Text(),
    "SECURITY_TXT_EXPIRES": Moment(),
    # mail
    "MAIL_SERVER": Text(),
    "MAIL_PORT": Whole(1, 65535),
    "MAIL_USE_TLS": Flag(),
    "MAIL_USERNAME": Text(),
    "MAIL_PASSWORD": Text(strip=False, secret=True),
    "MAIL_SENDER": Text(),
    # accounts
    "REQUIRE_TWO_FACTOR": Flag(),
    "SESSION_IDLE_MINUTES": Whole(1, 7 * 24 * 60),
    "SESSION_MAX_HOURS": Whole(1, 30 * 24),
    "INVITATION_DAYS": Whole(1, 365),
    "PASSWORD_RESET_MINUTES": Whole(1, 7 * 24 * 60),
    # content, pages and exports
    "QUESTIONNAIRE_FOLDER": Text(),
    "QUESTIONNAIRE_KEY": Text(),
    "INDICATOR_UPLOAD_MAX_MB": Whole(1, 1024),
    "PAGE_CACHE_ENABLED": Flag(),
    "EXPORT_CACHE_FOLDER": Text(),
    "EXPORT_CACHE_ENABLED": Flag(),
    "EXPORT_CACHE_MAX_FILES": Whole(1, 1_000_000),
    "EXPORT_CACHE_MAX_MB": Whole(1, 1_000_000),
    "EXPORT_SLOTS": Whole(0, 1000),
    "EXPORT_WAIT_SECONDS": Whole(0, 600),
    "EXPORT_TIME_BUDGET_SECONDS": Whole(0, 3600),
    # live workshops
    "WORKSHOP_PARTICIPANT_CAP": Whole(1, 10_000),
    "WORKSHOP_JOIN_LIMIT_PER_CLIENT": Rate(),
    "WORKSHOP_JOIN_LIMIT_PER_CODE": Rate(),
    "WORKSHOP_POST_LIMIT_PER_PARTICIPANT": Rate(),
    "WORKSHOP_POST_LIMIT_PER_CODE": Rate(),
    # defaults in app/workshops/participation.py
    "WORKSHOP_JOIN_LIMIT_PER_CLIENT_AND_CODE": Rate(),
    "WORKSHOP_LOOKUP_LIMIT_PER_CLIENT": Rate(),
    # the API
    "API_RATE_LIMIT": Rate(),
    "API_LIST_CACHE_BYTES": Whole(0, 16 * 1024**3),
    # read by deploy/gunicorn.conf.py from the same settings file
    "BIND": Text(),
    "WORKERS": Whole(1, 1000),
}


class InvalidSettings(RuntimeError):
    """One or more settings do not fit the table; the app does not start."""


def load_settings(
    config: MutableMapping,
    environ: Mapping[str, str],
    file_names: Iterable[str] = (),
) -> list[str]:
    """Put the ``HANDVAT_`` variables of ``environ`` into ``config``, each as its type; check
    the values ``instance/config.py`` set (``file_names``) the same way.

    An empty variable counts as not set. Flask's own settings and those of its extensions
    (:data:`EXTENSION_PREFIXES`) go in as Flask's ``from_prefixed_env`` would put them.
    Raises :class:`InvalidSettings` naming every value that does not fit; returns a warning
    per variable Handvat does not know (with the setting it probably means).
    """
    problems: list[str] = []
    warnings: list[str] = []
    from_environment = set()
    for key in sorted(environ):
        if not key.startswith(ENV_PREFIX):
            continue
        name, raw = key.removeprefix(ENV_PREFIX), environ[key]
        kind = SETTINGS.get(name)
        if kind is not None:
            from_environment.add(name)
            if raw.strip() == "":
                continue
            try:
                config[name] = kind.parse(raw)
            except InvalidSetting:
                problems.append(_problem(key, raw, kind))
        elif name in config or name.startswith(EXTENSION_PREFIXES):
            try:
                config[name] = json.loads(raw)
            except ValueError:
                config[name] = raw
        else:
            near = difflib.get_close_matches(name, SETTINGS, n=1, cutoff=0.8)
            hint = f" Did you mean {ENV_PREFIX}{near[0]}?" if near else ""
            warnings.append(
                f"{key} is not a setting of Handvat and is ignored.{hint} The settings are "
                "listed in the README, under Configuration."
            )
    for name in file_names:
        kind = SETTINGS.get(name)
        if kind is None or name in from_environment:
            continue
        value = config[name]
        if value is None and getattr(DefaultConfig, name, "") is None:
            continue
        try:
            config[name] = kind.parse(value)
        except InvalidSetting:
            problems.append(_problem(f"{name} in instance/config.py", value, kind))
    if problems:
        raise InvalidSettings(
            "Handvat does not start: "
            + ("this setting is" if len(problems) == 1 else "these settings are")
            + " not valid.\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )
    if stale := security_txt_stale(config):
        warnings.append(stale)
    return warnings


def security_txt_stale(config: Mapping) -> str | None:
    """A warning when ``SECURITY_TXT_EXPIRES`` has passed: researchers then treat the contact
    in ``/.well-known/security.txt`` as out of date (RFC 9116, 2.5.5)."""
    expires = config.get("SECURITY_TXT_EXPIRES")
    if not isinstance(expires, str) or datetime.fromisoformat(expires) > datetime.now(UTC):
        return None
    return (
        f"{ENV_PREFIX}SECURITY_TXT_EXPIRES ({expires}) has passed: /.well-known/security.txt "
        "tells security researchers that its contact is out of date. Set a date less than a "
        "year ahead, or leave it empty for one a year from each request."
    )


#: Where ``configure`` keeps the warnings until the log is set up (``log_setting_warnings``).
SETTING_WARNINGS = "handvat_setting_warnings"


def log_setting_warnings(app) -> None:
    """Each warning of :func:`load_settings` as a line of the app's log, once it is set up."""
    for warning in app.extensions.pop(SETTING_WARNINGS, []):
        app.logger.warning(warning)


def _problem(where: str, value: object, kind: Kind) -> str:
    shown = "(not shown)" if getattr(kind, "secret", False) else repr(value)
    return f"{where} is {shown}; it must be {kind.accepts}."


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
    return (
        bool(os.environ.get("DATABASE_URL"))
        or os.environ.get("HANDVAT_ENV", "").strip().lower() == "production"
    )


class MissingSecretKey(RuntimeError):
    pass


class MissingRateLimitStorage(RuntimeError):
    pass


#: A shorter ``SECRET_KEY`` is refused in production: it signs sessions, and a short one can be
#: guessed offline from one signed cookie.
SECRET_KEY_MIN_CHARACTERS = 32
MAKE_A_SECRET_KEY = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


class WeakSecretKey(MissingSecretKey):
    pass


def require_strong_secret_key(config) -> None:
    key = config.get("SECRET_KEY")
    if not is_production() or config.get("TESTING") or key is None:
        return
    if len(key) < SECRET_KEY_MIN_CHARACTERS:
        raise WeakSecretKey(
            f"SECRET_KEY is too short ({len(key)} characters). In production (DATABASE_URL set "
            f"or HANDVAT_ENV=production) it must be at least {SECRET_KEY_MIN_CHARACTERS} "
            "random characters, the same on every server, or sessions can be forged. Make one "
            f"with: {MAKE_A_SECRET_KEY} and set it as the environment variable SECRET_KEY."
        )


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
            f"Make one with: {MAKE_A_SECRET_KEY} and set it as the environment variable "
            "SECRET_KEY."
        )
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
