"""Structured logs: one JSON object per line on stderr, one line per request, a request id.

Every line is a JSON object (``JsonFormatter``): ``time`` (UTC, ISO 8601 with milliseconds),
``level``, ``logger``, ``message``, the ``request_id`` of the request it was written in, any
fields passed with ``extra=``, and for an error its traceback as one string (``exc_info``). A
log collector reads it without guessing where a multi-line traceback ends.

Each request gets one line from ``handvat.request`` (``request_id``, ``method``, ``path``,
``endpoint``, ``status``, ``duration_ms``, ``user_id``, ``bytes``). What it never holds:
request bodies (passwords, answers), headers (cookies, bearer tokens) and query strings. Some
paths carry a secret themselves (a calendar feed's key, a password link, a workshop's join
code), so the logged path is built from the matched URL rule with those arguments left as
their placeholder: ``/acties/agenda/<token>.ics``. A path that matched no rule (a 404, a 405)
is logged with every segment that looks like a random key replaced.

The request id is new and random for every request, unless a trusted proxy (``PROXY_COUNT``)
sent a well-formed ``X-Request-ID`` (nginx's ``$request_id``): then the proxy's lines and ours
correlate. A client cannot choose it. It goes back in the ``X-Request-ID`` response header and
is shown on the error pages, so a user can quote it.

Where lines go: a server that configures logging itself (gunicorn's ``logconfig_dict`` with
this formatter on the root logger) keeps its own handlers, and Handvat's lines reach them.
Otherwise ``init_logging`` adds one handler that writes to stderr, to the root logger (for
libraries' lines) and to Handvat's own loggers (``handvat.*`` and the app package's, ``app.*``),
which then stop passing lines on to the root logger: a handler put there later (the migrations'
``fileConfig``, which runs when the embedded database is upgraded at start) neither replaces
ours for Handvat's lines nor writes one twice. Under pytest the root logger already has
pytest's handlers, so tests print nothing unless they fail.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.logging import default_handler

from .security import ConfigurationError

#: Handvat's own loggers: ``handvat.*``, and the app package's (``app.*``, Flask's
#: ``app.logger``, ``logging.getLogger(__name__)`` in a module of the app).
OWN_LOGGERS = ("handvat", "app")
#: The request log's logger; ``handvat.error`` has the unhandled errors.
request_log = logging.getLogger("handvat.request")
error_log = logging.getLogger("handvat.error")

LEVELS = {name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR")}
FORMATS = ("json", "text")

REQUEST_ID_HEADER = "X-Request-ID"
#: What a trusted proxy's id must look like to be used (nginx's ``$request_id`` is 32 hex
#: characters); anything else, and a second header, gets a new id.
FORWARDED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_REQUEST_ID = "handvat.request_id"
_STARTED = "handvat.request_started"

#: View arguments whose value is a secret, or the access itself: never logged.
SECRET_ARGUMENTS = frozenset({"token", "code", "secret", "password"})
#: ``<converter(arguments):name>`` or ``<name>`` in a URL rule.
_RULE_ARGUMENT = re.compile(r"<(?:([A-Za-z_]\w*)(?:\([^)]*\))?:)?([A-Za-z_]\w*)>")
#: A run of URL-safe characters as long as a key (``token_urlsafe(32)`` is 43): a secret when
#: it holds a digit, a capital or an underscore (no word of our URLs does).
_KEY_LIKE = re.compile(r"[A-Za-z0-9_-]{24,}")
_KEY_CHARACTER = re.compile(r"[0-9A-Z_]")
REDACTED = "<redacted>"
#: Longer paths are cut (a hostile path can be kilobytes).
MAX_PATH_LENGTH = 300

#: Attributes every ``LogRecord`` has; anything else on a record came in through ``extra=``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


#: The last second formatted, and how: a busy worker writes many lines in the same second.
_last_second: tuple[int, str] = (-1, "")


def utc_timestamp(record: logging.LogRecord) -> str:
    """``2026-03-05T09:41:07.123Z``."""
    global _last_second
    second = int(record.created)
    cached_second, text = _last_second
    if second != cached_second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _last_second = (second, text)
    return f"{text}.{int(record.msecs):03d}Z"


def _fields(record: logging.LogRecord) -> dict:
    """What ``extra=`` added to the record, and the request id when written in a request."""
    fields = {
        key: value
        for key, value in record.__dict__.items()
        if key not in _RECORD_ATTRIBUTES and key[0] != "_"
    }
    if fields.get("request_id") is None:
        fields.pop("request_id", None)
        current = request_id()
        if current is not None:
            fields = {"request_id": current, **fields}
    return fields


#: Built once: ``json.dumps`` with ``default=`` builds a new encoder for every line. Non-ASCII
#: characters become ``\uXXXX`` escapes, so a line stays valid JSON whatever encoding the
#: stream has.
_encode = json.JSONEncoder(ensure_ascii=True, default=str).encode


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Needs no app or request: gunicorn uses it for its own lines
    (``"()": "app.core.logs.JsonFormatter"`` in ``logconfig_dict``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": utc_timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return _encode(entry)


class TextFormatter(logging.Formatter):
    """For a developer's terminal (``LOG_FORMAT = "text"``): the same fields on one line,
    a traceback below it."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        reference = fields.pop("request_id", None)
        line = f"{utc_timestamp(record)} {record.levelname:<7} {record.name}"
        if reference:
            line += f" [{reference}]"
        line += f" {record.getMessage()}"
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (as ``logging.lastResort`` does), so a
    test capturing stderr sees the lines."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr


#: The one handler Handvat adds, shared by every app of the process.
_handler: _StderrHandler | None = None


# --- settings --------------------------------------------------------------------------------


def parse_log_level(value: object) -> int:
    """``LOG_LEVEL`` as a level; one of DEBUG, INFO, WARNING, ERROR (any case)."""
    name = value.strip().upper() if isinstance(value, str) else None
    if name not in LEVELS:
        raise ConfigurationError(
            f"HANDVAT_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {value!r}."
        )
    return LEVELS[name]


def parse_log_format(value: object) -> str:
    name = value.strip().lower() if isinstance(value, str) else None
    if name not in FORMATS:
        raise ConfigurationError(
            f"HANDVAT_LOG_FORMAT must be 'json' (one JSON object per line, for a log collector) "
            f"or 'text' (for a developer's terminal), not {value!r}."
        )
    return name


def init_logging(app: Flask) -> None:
    """Levels and the stderr handler from ``LOG_LEVEL`` and ``LOG_FORMAT``; the request id and
    the request log. A wrong setting stops the app at start (``ConfigurationError``)."""
    level = parse_log_level(app.config.get("LOG_LEVEL"))
    log_format = parse_log_format(app.config.get("LOG_FORMAT"))
    app.config.update(LOG_LEVEL=logging.getLevelName(level), LOG_FORMAT=log_format)
    _install_handler(JsonFormatter() if log_format == "json" else TextFormatter())
    # Libraries keep the root logger's level.
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
    # Flask adds its own text handler to ``app.logger`` when nothing handled its lines yet;
    # those lines would come out twice, once not as JSON.
    app.logger.removeHandler(default_handler)
    app.before_request(_start_request)
    app.after_request(_log_request)


def _install_handler(formatter: logging.Formatter) -> None:
    """Our stderr handler on the root logger and Handvat's own loggers, unless the process
    configured logging already (the root logger has handlers: a server's configuration, pytest).
    Added once per process; a later app only changes its format."""
    global _handler
    if _handler is None:
        root = logging.getLogger()
        if root.handlers:
            return
        _handler = _StderrHandler()
        root.addHandler(_handler)
        for name in OWN_LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(_handler)
            logger.propagate = False
    _handler.setFormatter(formatter)


# --- the request id --------------------------------------------------------------------------


def request_id() -> str | None:
    """This request's id (made on first use); None outside a request."""
    if not has_request_context():
        return None
    environ = request.environ
    value = environ.get(_REQUEST_ID)
    if value is None:
        value = environ[_REQUEST_ID] = _forwarded_request_id(environ) or secrets.token_hex(16)
    return value


def _forwarded_request_id(environ: dict) -> str | None:
    """The trusted proxy's id, only with a proxy in front and only when it is well-formed."""
    if not current_app.config.get("PROXY_COUNT"):
        return None
    value = environ.get("HTTP_X_REQUEST_ID", "")
    return value if FORWARDED_REQUEST_ID.fullmatch(value) else None


# --- what a request line holds ---------------------------------------------------------------


def _redact_key_like(text: str) -> str:
    return _KEY_LIKE.sub(
        lambda match: REDACTED if _KEY_CHARACTER.search(match.group()) else match.group(), text
    )


def is_secret_argument(name: str) -> bool:
    return name in SECRET_ARGUMENTS or name.endswith(("_token", "_secret", "_code"))


def loggable_path() -> str:
    """The request's path without secrets: from the matched URL rule, with every secret view
    argument left as its placeholder (``/link/<token>``); no query string."""
    rule = request.url_rule
    if rule is None:
        path = _redact_key_like(request.path)
    else:
        values = request.view_args or {}

        def fill(match: re.Match) -> str:
            converter, name = match.groups()
            if is_secret_argument(name) or name not in values:
                return f"<{name}>"
            value = str(values[name])
            # A ``path`` argument is whatever the client sent (the API's catch-all).
            return _redact_key_like(value) if converter == "path" else value

        path = _RULE_ARGUMENT.sub(fill, rule.rule)
    if len(path) > MAX_PATH_LENGTH:
        path = path[:MAX_PATH_LENGTH] + "..."
    return path


def signed_in_user_id() -> int | None:
    """The id of the user this request was answered for, as far as it is known already: never
    a query. An API request: its token's owner. Otherwise the session's user, if something
    loaded it (every view that needs a sign-in does)."""
    if request.blueprint == "api":
        token = g.get("api_token")  # ``app/api/auth.py``: a plain tuple, its owner not loaded
        if token is not None:
            return token.user_id
    access = g.get("access")
    if access is not None and access.person is not None:
        return access.person.id
    loaded = g.get("_login_user")  # Flask-Login's, once something asked for the user
    if loaded is None or not getattr(loaded, "is_authenticated", False):
        return None
    # ``access.Person`` from the session; a mapped row right after signing in. After a commit
    # a row's attributes are expired; its identity is not, and reading it never loads the
    # row again.
    from sqlalchemy import inspect

    state = inspect(loaded, raiseerr=False)
    if state is None:
        return loaded.id
    return state.identity[0] if state.identity else None


F = TypeVar("F", bound=Callable)


def quietly_logged(view: F) -> F:
    """Mark a view whose requests are logged at DEBUG, not INFO: a load balancer polling a
    health check every few seconds would otherwise fill the log."""
    view.quietly_logged = True  # type: ignore[attr-defined]
    return view


def _is_quiet(endpoint: str | None) -> bool:
    if endpoint == "static":  # a page's CSS and scripts: one line per page is enough
        return True
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "quietly_logged", False)


def _start_request() -> None:
    request.environ[_STARTED] = time.perf_counter()
    request_id()


def _log_request(response: Response) -> Response:
    """After every request (registered first, so it runs after every other after-request
    function and sees the final status)."""
    reference = request_id()
    response.headers[REQUEST_ID_HEADER] = reference
    status = response.status_code
    if _is_quiet(request.endpoint):
        level = logging.DEBUG
    else:
        level = logging.WARNING if status >= 500 else logging.INFO
    if not request_log.isEnabledFor(level):
        return response
    started = request.environ.get(_STARTED)
    path = loggable_path()
    method = request.method
    fields = {
        "request_id": reference,
        "method": method,
        "path": path,
        "endpoint": request.endpoint,
        "status": status,
        "duration_ms": (
            round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        ),
        "user_id": signed_in_user_id(),
        "bytes": response.content_length,
    }
    # ``makeRecord`` and ``handle`` instead of ``log``: the same record, without the walk up the
    # stack for a caller's file and line that no line shows.
    request_log.handle(
        request_log.makeRecord(
            request_log.name,
            level,
            __file__,
            0,
            "%s %s %s",
            (method, path, status),
            None,
            extra=fields,
        )
    )
    return response


def log_unhandled_error(error: BaseException) -> None:
    """An error no handler expected: its traceback, with the request's id and safe path."""
    error_log.error(
        "Unhandled error on %s %s",
        request.method,
        loggable_path(),
        exc_info=(type(error), error, error.__traceback__),
        extra={"request_id": request_id(), "endpoint": request.endpoint},
    )
