"""Hostile hosts and proxy headers, caching of personal pages, and the server banner.

Most tests build their own app (``make_app``) on an empty SQLite file: the pages they fetch
(``/over``, ``/healthz``, static files, a test view) never touch the database. Tests of pages
with conversation data use the ``client`` fixture, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import http.client
import threading
from pathlib import Path

import pytest
from flask import Config, request
from werkzeug.serving import make_server

from app import create_app
from app.accounts.access import public
from app.config import DefaultConfig, load_settings
from app.core.security import ConfigurationError, parse_proxy_count, parse_trusted_hosts

from .conftest import BASE_TEST_CONFIG
from .gunicorn_server import running_gunicorn

HOST = "handvat.example.nl"
FORGED = "evil.example"
#: How long a server under test may take to start or answer.
SERVER_TIMEOUT = 20


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

        @app.get("/_test/client")
        @public
        def client_seen_by_app():
            return {
                "remote_addr": request.remote_addr,
                "is_secure": request.is_secure,
                "host": request.host,
            }

        @app.get("/_test/own-cache-control")
        @public
        def sets_its_own_cache_control():
            return "openbaar", {"Cache-Control": "public, max-age=60"}

        return app

    return make


def production_app(make_app, **config):
    return make_app(FORCE_HTTPS=True, TRUSTED_HOSTS=[HOST], **config)


def get_raw_path(client, path_and_query: str, **kwargs):
    """GET with this exact path: the test client would read ``//evil.example/x`` as a host."""
    path, _, query = path_and_query.partition("?")
    return client.get("/", query_string=query, environ_overrides={"PATH_INFO": path}, **kwargs)


# --- trusted hosts and the HTTPS redirect ----------------------------------------------------


@pytest.mark.parametrize("path", ["/over", "//evil.example/over", "/over?volgende=//evil.example"])
def test_forged_host_with_force_https_is_400_and_never_a_redirect(make_app, path):
    client = production_app(make_app).test_client()

    response = get_raw_path(client, path, headers={"Host": FORGED})

    assert response.status_code == 400
    assert "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert "Het verzoek klopt niet" in page
    assert FORGED not in page.replace("//evil.example", "")  # no link to the forged host


@pytest.mark.parametrize(
    "host",
    [FORGED, f"{HOST}.{FORGED}", f"{FORGED}:443", "evil.example@handvat.example.nl", ""],
)
def test_every_untrusted_host_is_refused(make_app, host):
    client = production_app(make_app).test_client()

    response = client.get("/over", headers={"Host": host})

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_forged_host_over_https_is_400_too(make_app):
    client = production_app(make_app).test_client()

    response = client.get("/over", base_url=f"https://{FORGED}")

    assert response.status_code == 400


def test_forged_host_without_force_https_is_400_when_hosts_are_named(make_app):
    client = make_app(TRUSTED_HOSTS=[HOST]).test_client()

    assert client.get("/over", headers={"Host": FORGED}).status_code == 400
    assert client.get("/over", headers={"Host": HOST}).status_code == 200


def test_refused_host_gives_the_submitted_text_back(make_app):
    client = production_app(make_app).test_client()

    response = client.post(
        "/over", headers={"Host": FORGED}, data={"antwoord": "Wij spreken elke maand af."}
    )

    assert response.status_code == 400
    assert "Wij spreken elke maand af." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/over", f"https://{HOST}/over"),
        ("/over?stap=2&x=%2F%2Fevil", f"https://{HOST}/over?stap=2&x=//evil"),
        ("//evil.example/over", f"https://{HOST}/evil.example/over"),
    ],
)
def test_trusted_host_is_redirected_to_https_on_that_host(make_app, path, target):
    client = production_app(make_app).test_client()

    response = get_raw_path(client, path, headers={"Host": HOST})

    assert response.status_code == 301
    assert response.headers["Location"] == target


def test_health_probe_straight_to_an_app_server_is_not_redirected(make_app):
    """A load balancer probes the app server over plain HTTP; a forged host is still a 400."""
    client = production_app(make_app).test_client()

    assert client.get("/health/live", headers={"Host": HOST}).status_code == 200
    # This app's database is an empty file: not ready, and said so, not redirected.
    assert client.get("/health/ready", headers={"Host": HOST}).status_code == 503
    for path in ("/health/live", "/health/ready"):
        assert client.get(path, headers={"Host": "evil.example"}).status_code == 400


def test_trusted_host_with_port_keeps_it(make_app):
    client = production_app(make_app).test_client()

    response = client.get("/over", headers={"Host": f"{HOST}:8080"})

    assert response.headers["Location"] == f"https://{HOST}:8080/over"


def test_trusted_host_over_https_gets_the_page_with_hsts(make_app):
    client = production_app(make_app).test_client()

    response = client.get("/over", base_url=f"https://{HOST}")

    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_without_host_names_refuses_to_start(make_app):
    for hosts in (None, "", " , ", []):
        with pytest.raises(ConfigurationError, match="HANDVAT_TRUSTED_HOSTS") as refused:
            make_app(FORCE_HTTPS=True, TRUSTED_HOSTS=hosts)
        assert "HANDVAT_FORCE_HTTPS" in str(refused.value)


def test_mail_without_host_names_refuses_to_start(make_app):
    """Invitation and password mails carry links built from the request's Host: with a forged
    one, a reset link would lead to someone else's site."""
    with pytest.raises(ConfigurationError, match="HANDVAT_TRUSTED_HOSTS") as refused:
        make_app(MAIL_SERVER="smtp.gemeente.test", TRUSTED_HOSTS=None)
    assert "HANDVAT_MAIL_SERVER" in str(refused.value)
    make_app(MAIL_SERVER="smtp.gemeente.test", TRUSTED_HOSTS=HOST)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (f'["{HOST}", "www.{HOST}"]', [HOST, f"www.{HOST}"]),
        (f"{HOST}, www.{HOST}", [HOST, f"www.{HOST}"]),
        (HOST, [HOST]),
        ('".example.nl"', [".example.nl"]),
        ("", None),
    ],
)
def test_trusted_hosts_from_the_environment(monkeypatch, tmp_path, environment, expected):
    config = Config(str(tmp_path))
    config.from_object(DefaultConfig)
    load_settings(config, {"HANDVAT_TRUSTED_HOSTS": environment})  # as configure() reads it

    assert parse_trusted_hosts(config["TRUSTED_HOSTS"]) == expected


@pytest.mark.parametrize(("environment", "expected"), [("1", 1), ("2", 2), ("0", 0)])
def test_proxy_count_from_the_environment(monkeypatch, tmp_path, environment, expected):
    config = Config(str(tmp_path))
    config.from_object(DefaultConfig)
    load_settings(config, {"HANDVAT_PROXY_COUNT": environment})

    assert parse_proxy_count(config["PROXY_COUNT"]) == expected


@pytest.mark.parametrize("value", ["twee", -1, True, 1.5, [1]])
def test_a_bad_proxy_count_refuses_to_start(make_app, value):
    with pytest.raises(ConfigurationError, match="HANDVAT_PROXY_COUNT"):
        make_app(PROXY_COUNT=value)


def test_trusted_hosts_must_be_names(make_app):
    with pytest.raises(ConfigurationError, match="HANDVAT_TRUSTED_HOSTS"):
        make_app(TRUSTED_HOSTS=[HOST, 443])


# --- forwarded headers -------------------------------------------------------------------------

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": FORGED,
    "X-Forwarded-Port": "443",
}


def test_forwarded_headers_are_ignored_without_proxy_count(make_app):
    client = make_app().test_client()

    seen = client.get("/_test/client", headers=FORWARDED).get_json()

    assert seen == {"remote_addr": "127.0.0.1", "is_secure": False, "host": "localhost"}


def test_forwarded_proto_does_not_skip_the_https_redirect_without_proxy_count(make_app):
    client = production_app(make_app).test_client()

    response = client.get(
        "/over", headers={"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
    )

    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{HOST}/over"


def test_forwarded_headers_of_one_proxy_are_honoured_with_proxy_count_1(make_app):
    client = make_app(PROXY_COUNT=1).test_client()

    seen = client.get(
        "/_test/client",
        headers={
            "X-Forwarded-For": "198.51.100.1, 203.0.113.7",  # the client can forge the first
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": HOST,
        },
    ).get_json()

    assert seen == {"remote_addr": "203.0.113.7", "is_secure": True, "host": HOST}


def test_behind_a_proxy_https_is_served_and_http_redirected(make_app):
    client = production_app(make_app, PROXY_COUNT=1).test_client()

    secure = client.get("/over", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": HOST})
    plain = client.get("/over", headers={"X-Forwarded-Proto": "http", "X-Forwarded-Host": HOST})

    assert secure.status_code == 200
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{HOST}/over"


def test_forged_forwarded_host_is_400_behind_a_proxy(make_app):
    client = production_app(make_app, PROXY_COUNT=1).test_client()

    for proto in ("http", "https"):
        response = client.get(
            "/over",
            headers={"Host": HOST, "X-Forwarded-Proto": proto, "X-Forwarded-Host": FORGED},
        )
        assert response.status_code == 400
        assert "Location" not in response.headers


# --- Cache-Control -------------------------------------------------------------------------------


def test_pages_with_personal_data_are_not_stored(client, make_conversation):
    conversation = make_conversation()

    for path in (
        "/",
        f"/gesprekken/{conversation.id}",
        f"/gesprekken/{conversation.id}/actielijst",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path


def test_pdf_download_is_not_stored(client, make_conversation, make_action):
    conversation = make_conversation()
    make_action(conversation)

    response = client.get(f"/gesprekken/{conversation.id}/actielijst.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert "no-store" in directives
    assert not directives & {"public", "max-age"}


def test_error_pages_are_not_stored(make_app):
    response = make_app().test_client().get("/bestaat-niet")

    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "private, no-store"


def test_static_files_keep_flasks_caching(make_app):
    with make_app().test_client().get("/static/css/handvat.css") as default:
        assert default.status_code == 200
        assert default.headers["Cache-Control"] == "no-cache"  # revalidate with the ETag
        assert default.headers["ETag"]
    long_lived = make_app(SEND_FILE_MAX_AGE_DEFAULT=3600).test_client()
    with long_lived.get("/static/css/handvat.css") as response:
        assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_a_response_that_sets_its_own_cache_control_keeps_it(make_app):
    response = make_app().test_client().get("/_test/own-cache-control")

    assert response.headers["Cache-Control"] == "public, max-age=60"


# --- the Server header ---------------------------------------------------------------------------


def _server_headers(port: int) -> list[str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SERVER_TIMEOUT)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        return response.msg.get_all("Server") or []
    finally:
        connection.close()


def test_werkzeug_dev_server_does_not_advertise_versions(make_app):
    server = make_server("127.0.0.1", 0, make_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="banner-test", daemon=True)
    thread.start()
    try:
        banners = _server_headers(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=SERVER_TIMEOUT)

    assert banners == ["Handvat"]


GUNICORN_APP = """\
from app import create_app

application = create_app({config!r})
"""


def test_gunicorn_does_not_advertise_versions(tmp_path):
    pytest.importorskip("gunicorn")
    config = {
        **BASE_TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}",
    }
    (tmp_path / "banner_test_wsgi.py").write_text(GUNICORN_APP.format(config=config))
    log = tmp_path / "gunicorn.log"
    project_root = Path(__file__).resolve().parents[1]
    options = ["--workers", "1", "--pythonpath", f"{tmp_path},{project_root}"]
    with running_gunicorn(options, "banner_test_wsgi:application", log) as port:
        banners = _server_headers(port)

    assert banners == ["gunicorn"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/over", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/inloggen", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("GET", "/uitloggen", {"OPTIONS", "POST"}),
    ],
)
def test_a_page_answers_a_wrong_method_with_405_and_the_methods_it_allows(
    anonymous_client, method, path, allowed
):
    response = anonymous_client.open(path, method=method)
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed
    assert response.mimetype == "text/html"
    assert "Dit kan hier niet" in response.text
