"""Structured logs (``app/core/logs.py``): one JSON line per request and per error, the request
id (new per request, a trusted proxy's only when well-formed) in the header, the log and the
error page, and never a password, token, cookie, query string or answer in any line.

Most tests build their own app on an empty SQLite file (``make_app``): their pages never touch
the database. The secrets test walks real pages on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from contextlib import contextmanager
from html import unescape
from urllib.parse import urlsplit

import pytest

from app import create_app
from app.accounts.access import public
from app.accounts.models import LinkPurpose
from app.accounts.operations import issue_link
from app.api.routes import without_token
from app.core import logs
from app.core.logs import JsonFormatter, loggable_path
from app.core.security import ConfigurationError
from app.extensions import db

from .accounts import TEST_PASSWORD, make_user
from .conftest import BASE_TEST_CONFIG

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
HEX_ID = re.compile(r"[0-9a-f]{32}")


class Captured:
    """Every line written through a ``JsonFormatter`` on the root logger while it is open."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        """Each line parsed on its own: a line that is not one JSON object fails here."""
        return [json.loads(line) for line in self.text.splitlines()]

    def of(self, logger: str) -> list[dict]:
        return [line for line in self.lines() if line["logger"] == logger]


@pytest.fixture
def captured():
    capture = Captured()
    root = logging.getLogger()
    root.addHandler(capture.handler)
    yield capture
    root.removeHandler(capture.handler)


@pytest.fixture
def make_app(tmp_path):
    def make(**config):
        app = create_app(
            {
                **BASE_TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}",
                **config,
            }
        )

        @app.get("/_test/kapot")
        @public
        def broken():
            raise RuntimeError("kapot\nop twee regels")

        return app

    yield make
    # The next app the tests make sets the levels again; leave the default behind.
    logging.getLogger("handvat").setLevel(logging.INFO)
    logging.getLogger("app").setLevel(logging.INFO)


# --- the formatter -----------------------------------------------------------------------------


def test_the_formatter_writes_one_json_object_per_line_without_an_app():
    formatter = JsonFormatter()
    try:
        raise ValueError("eerste regel\ntweede regel")
    except ValueError:
        record = logging.getLogger("handvat.test").makeRecord(
            "handvat.test",
            logging.ERROR,
            __file__,
            1,
            "Mislukt: %s",
            ("iets",),
            sys.exc_info(),
            extra={"endpoint": "core.about"},
        )

    line = formatter.format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert TIME.fullmatch(entry["time"])
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "handvat.test"
    assert entry["message"] == "Mislukt: iets"
    assert entry["endpoint"] == "core.about"
    assert "request_id" not in entry  # no request, no id
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert "ValueError: eerste regel\ntweede regel" in entry["exc_info"]


def test_the_formatter_keeps_non_ascii_text_as_valid_json():
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "Şükrü \U0001f600"})
    line = JsonFormatter().format(record)
    assert line.isascii()
    assert json.loads(line)["message"] == "Şükrü \U0001f600"


# --- one line per request ----------------------------------------------------------------------


def test_one_line_per_request_with_its_fields(client, tester, captured):
    response = client.get("/")

    assert response.status_code == 200
    (line,) = captured.of("handvat.request")
    assert line["level"] == "INFO"
    assert TIME.fullmatch(line["time"])
    assert line["message"] == "GET / 200"
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(line["request_id"])
    assert line["method"] == "GET"
    assert line["path"] == "/"
    assert line["endpoint"] == "core.home"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    assert line["user_id"] == tester.id
    assert line["bytes"] == len(response.data)


def test_an_api_request_names_its_tokens_owner_and_never_the_token(app, tester, captured):
    from app.api.models import TokenScope
    from app.api.operations import create_token

    secret = create_token(tester, "Koppeling", TokenScope.READ).secret
    db.session.commit()

    response = app.test_client().get(
        "/api/v1/regions", headers={"Authorization": f"Bearer {secret}"}
    )

    assert response.status_code == 200
    (line,) = captured.of("handvat.request")
    assert (line["path"], line["endpoint"], line["user_id"]) == (
        "/api/v1/regions",
        "api.regions",
        tester.id,
    )
    assert secret not in captured.text


def test_anonymous_request_has_no_user_and_each_request_its_own_id(make_app, captured):
    client = make_app().test_client()

    first, second = client.get("/over"), client.get("/bestaat-niet")

    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    lines = captured.of("handvat.request")
    assert [(line["path"], line["status"], line["user_id"]) for line in lines] == [
        ("/over", 200, None),
        ("/bestaat-niet", 404, None),
    ]
    assert lines[1]["endpoint"] is None
    assert [line["request_id"] for line in lines] == [
        first.headers["X-Request-ID"],
        second.headers["X-Request-ID"],
    ]


def test_health_checks_and_static_files_are_logged_at_debug_only(make_app, captured):
    client = make_app().test_client()

    assert client.get("/health/live").status_code == 200
    with client.get("/static/css/handvat.css") as static:
        assert static.status_code == 200

    assert captured.of("handvat.request") == []


# --- errors ------------------------------------------------------------------------------------


def test_an_unhandled_error_is_one_line_with_its_traceback_and_the_id_on_the_page(
    make_app, captured
):
    client = make_app().test_client()

    response = client.get("/_test/kapot?geheim=querywaarde")

    assert response.status_code == 500
    reference = response.headers["X-Request-ID"]
    assert f"Kenmerk van deze fout: <code>{reference}</code>" in response.text
    assert "Noem dit kenmerk als u contact opneemt." in response.text
    assert "RuntimeError" not in response.text
    (error,) = captured.of("handvat.error")
    assert error["level"] == "ERROR"
    assert error["request_id"] == reference
    assert error["message"] == "Unhandled error on GET /_test/kapot"
    assert "Traceback (most recent call last):" in error["exc_info"]
    assert "RuntimeError: kapot\nop twee regels" in error["exc_info"]
    (request_line,) = captured.of("handvat.request")
    assert (request_line["status"], request_line["level"]) == (500, "WARNING")
    assert request_line["request_id"] == reference
    assert "querywaarde" not in captured.text


def test_a_page_the_user_can_act_on_has_no_reference(make_app):
    """A 4xx page says what to do; the id is in its header."""
    response = make_app().test_client().get("/bestaat-niet")

    assert response.status_code == 404
    assert response.headers["X-Request-ID"] not in response.text
    assert "Kenmerk" not in response.text


def test_an_unhandled_api_error_is_logged_with_its_id(make_app, captured):
    app = make_app()

    @public
    @without_token
    def broken_api():
        raise RuntimeError("kapot in de API")

    app.view_functions["api.openapi"] = broken_api
    response = app.test_client().get("/api/v1/openapi.json")

    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    (error,) = captured.of("handvat.error")
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "RuntimeError: kapot in de API" in error["exc_info"]


# --- the request id from a proxy ---------------------------------------------------------------


def test_a_clients_request_id_is_ignored_without_a_trusted_proxy(make_app, captured):
    forged = "abcdef0123456789abcdef0123456789"
    response = make_app().test_client().get("/over", headers={"X-Request-ID": forged})

    assert response.headers["X-Request-ID"] != forged
    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])
    assert forged not in captured.text


def test_a_trusted_proxys_request_id_is_used(make_app, captured):
    from_proxy = "0123456789abcdef0123456789abcdef"  # nginx's $request_id
    client = make_app(PROXY_COUNT=1).test_client()

    response = client.get("/over", headers={"X-Request-ID": from_proxy})

    assert response.headers["X-Request-ID"] == from_proxy
    (line,) = captured.of("handvat.request")
    assert line["request_id"] == from_proxy


@pytest.mark.parametrize(
    "malformed", ["kort", "met spatie 12345", "a" * 65, "<script>x</script>", "id\x00nul12345"]
)
def test_a_malformed_request_id_from_a_proxy_is_replaced(make_app, malformed):
    client = make_app(PROXY_COUNT=1).test_client()

    response = client.get("/over", headers={"X-Request-ID": malformed})

    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])


# --- never a secret ----------------------------------------------------------------------------

QUESTION_URL = "/gesprekken/{id}/vragen/verkennen-centrumgemeente"
FEED_URL = re.compile(r'id="feed-url" value="([^"]+)"')


def test_no_password_token_cookie_query_or_answer_in_any_line(
    app, client, tester, make_conversation, captured
):
    conversation = make_conversation()
    anna = make_user("anna@gemeente.test", "Anna de Vries")
    secrets = {"password": TEST_PASSWORD, "new password": "een heel nieuw lang wachtwoord"}

    # signing in
    browser = app.test_client()
    response = browser.post(
        "/inloggen", data={"email": "anna@gemeente.test", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    secrets["session cookie"] = browser.get_cookie("session").value
    # a password-reset link: visited, then used
    token = issue_link(anna, LinkPurpose.PASSWORD_RESET)
    db.session.commit()
    secrets["link token"] = token
    stranger = app.test_client()
    assert stranger.get(f"/link/{token}").status_code == 200
    password = secrets["new password"]
    response = stranger.post(f"/link/{token}", data={"password": password, "repeat": password})
    assert response.status_code == 302
    # a calendar feed: made, then read by a calendar app
    page = client.post(
        "/acties/agenda-abonnementen",
        data={"name": "Mijn deadlines", "filters": "", "creation_token": "tok-1"},
    ).text
    feed_path = urlsplit(unescape(FEED_URL.search(page).group(1))).path
    secrets["feed key"] = feed_path.rsplit("/", 1)[1].removesuffix(".ics")
    assert app.test_client().get(feed_path).status_code == 200
    # an answer
    answer = "Vertrouwelijk antwoord over de wethouder 4711"
    secrets["answer"] = answer
    response = client.post(
        QUESTION_URL.format(id=conversation.id),
        data={"text": answer, "assessment_id": "first_steps", "revision": "0", "go": "next"},
    )
    assert response.status_code == 302
    # a query string
    secrets["query"] = "querygeheim-0815"
    assert client.get("/over?sleutel=querygeheim-0815").status_code == 200

    lines = captured.lines()
    paths = {line["path"] for line in lines if line["logger"] == "handvat.request"}
    assert {"/inloggen", "/link/<token>", "/acties/agenda/<token>.ics", "/over"} <= paths
    assert QUESTION_URL.format(id=conversation.id) in paths
    for name, secret in secrets.items():
        assert secret not in captured.text, f"the {name} is in the log"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        # a link with a token that matched no rule: a 405, a trailing slash
        ("/link/Ab3dEfGh1jKlMn0pQrStUvWxYz_12345", "/link/<redacted>"),
        ("/acties/agenda/Ab3dEfGh1jKlMn0pQrStUvWxYz_12345.ics/", "/acties/agenda/<redacted>.ics/"),
        # the API's catch-all takes whatever path a client sends
        ("/api/v1/sleutel/Ab3dEfGh1jKlMn0pQrStUvWxYz_12345", "/api/v1/sleutel/<redacted>"),
        # long words of our own URLs stay
        ("/account/andere-sessies-beeindigen", "/account/andere-sessies-beeindigen"),
        ("/w/ABCD12", "/w/<code>"),
    ],
)
def test_key_like_path_segments_are_redacted(make_app, path, logged):
    app = make_app()
    # A DELETE of a link matches no rule (405): the path as it came, with the key taken out.
    with app.test_request_context(path, method="DELETE" if path.startswith("/link") else "GET"):
        assert loggable_path() == logged


def test_a_hostile_path_is_cut(make_app, captured):
    make_app().test_client().get("/" + "x/" * 1000)
    (line,) = captured.of("handvat.request")
    assert len(line["path"]) <= logs.MAX_PATH_LENGTH + 3


# --- settings ----------------------------------------------------------------------------------


def test_log_level_warning_leaves_out_the_request_lines(make_app, captured):
    make_app(LOG_LEVEL="WARNING").test_client().get("/over")
    assert captured.of("handvat.request") == []


def test_log_level_debug_adds_the_health_checks(make_app, captured):
    app = make_app(LOG_LEVEL="debug")
    assert app.config["LOG_LEVEL"] == "DEBUG"

    app.test_client().get("/health/live")

    (line,) = captured.of("handvat.request")
    assert (line["level"], line["path"], line["endpoint"]) == (
        "DEBUG",
        "/health/live",
        "health.live",
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [("LOG_LEVEL", "LUID"), ("LOG_LEVEL", 10), ("LOG_LEVEL", ["INFO"]), ("LOG_FORMAT", "xml")],
)
def test_a_wrong_log_setting_stops_the_app(make_app, setting, value):
    with pytest.raises(ConfigurationError, match=f"HANDVAT_{setting}"):
        make_app(**{setting: value})


@contextmanager
def bare_root_logger(monkeypatch):
    """A root logger without handlers, as under gunicorn without a logging configuration
    (pytest's own handlers are put back after)."""
    root = logging.getLogger()
    kept = list(root.handlers)
    for handler in kept:
        root.removeHandler(handler)
    monkeypatch.setattr(logs, "_handler", None)
    try:
        yield root
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for name in logs.OWN_LOGGERS:
            logger = logging.getLogger(name)
            if logs._handler is not None:
                logger.removeHandler(logs._handler)
            logger.propagate = True
        for handler in kept:
            root.addHandler(handler)


def test_without_a_logging_configuration_lines_go_to_stderr_once(make_app, monkeypatch, capsys):
    with bare_root_logger(monkeypatch) as root:
        make_app()
        client = make_app().test_client()  # a second app adds no second handler
        response = client.get("/over")
        logging.getLogger("een.bibliotheek").warning("Let op")
        assert root.handlers == [logs._handler]
        assert logging.getLogger("handvat").handlers == [logs._handler]
        assert logging.getLogger("app").handlers == [logs._handler]

    captured = capsys.readouterr()
    assert captured.out == ""
    request_line, library_line = [json.loads(text) for text in captured.err.splitlines()]
    assert request_line["request_id"] == response.headers["X-Request-ID"]
    assert request_line["path"] == "/over"
    assert (library_line["logger"], library_line["message"]) == ("een.bibliotheek", "Let op")


def test_a_later_root_handler_leaves_handvats_lines_alone(make_app, monkeypatch, capsys):
    """What the migrations' ``fileConfig`` does when the embedded database is upgraded at
    start: it replaces the root logger's handlers with its own text handler."""
    with bare_root_logger(monkeypatch) as root:
        client = make_app().test_client()
        other = Captured()
        root.removeHandler(logs._handler)
        root.addHandler(other.handler)
        response = client.get("/over")

    assert other.text == ""  # not twice
    (line,) = [json.loads(text) for text in capsys.readouterr().err.splitlines()]
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_text_format_for_a_terminal(make_app, monkeypatch, capsys):
    with bare_root_logger(monkeypatch):
        response = make_app(LOG_FORMAT="text").test_client().get("/over")

    (line,) = capsys.readouterr().err.splitlines()
    assert re.fullmatch(
        rf"{TIME.pattern} INFO    handvat\.request \[{response.headers['X-Request-ID']}\] "
        r"GET /over 200 method=GET .*",
        line,
    )
