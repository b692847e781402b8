"""The shipped production setup, for real: nginx (``deploy/nginx/handvat.conf``) in front of two
gunicorns (``deploy/gunicorn.conf.py``) on PostgreSQL, rate limits in Redis, over HTTPS.

One cluster for the module (``conftest.production_cluster``): a fresh database migrated with
``flask --app app db upgrade``, a region and a coordinator made with the CLI. The first tests
look at what nginx itself does (static files, body limits, the headers it sets, health); the
last one is a coordinator's working session through the proxy, with real forms (CSRF on, the
second factor set up with a TOTP code), during which one app server is killed and later a
restarted one is stopped gracefully while it serves a request. Not one request may fail, the
coordinator stays signed in, and the database ends up holding exactly what was sent.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from .conftest import (
    PROJECT_ROOT,
    REQUEST_TIMEOUT,
    SITE,
    Cluster,
    Form,
    form_on,
    forms_on,
    production_cluster,
    redis_client,
    server_error_page,
    wait_until,
)

pytestmark = pytest.mark.production

COORDINATOR = "coordinator@twente.test"
PASSWORD = "lange zin als wachtwoord voor twente"
#: An address from the documentation range (RFC 5737): never this machine's.
FORGED_ADDRESS = "203.0.113.9"


def _prepare(cluster: Cluster) -> None:
    cluster.flask("db", "upgrade")
    cluster.flask("region", "add", "Twente", "-m", "Almelo", "-m", "Enschede", "-m", "Hengelo")
    cluster.flask(
        "users", "add", COORDINATOR, "--name", "Carla Coördinator", "--region", "twente",
        "--role", "coordinator", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip


@pytest.fixture(scope="module")
def cluster():
    with production_cluster(prepare=_prepare) as cluster:
        yield cluster


def visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).strip()


@dataclass
class Browser:
    """A client that behaves as a browser on the site: it follows redirects, sends the page a
    form came from as ``Referer`` (Flask-WTF checks it over HTTPS) and keeps every answer it
    got, redirects included, so a test can show that none failed."""

    cluster: Cluster
    session: object = None
    page: object = None
    answers: list[tuple[str, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session = self.cluster.session()

    def keep(self, response, expect: int = 200):
        for step in [*response.history, response]:
            self.answers.append((step.request.method, urlsplit(step.url).path, step.status_code))
        assert response.status_code == expect, (
            f"{response.request.method} {response.url} -> {response.status_code}\n"
            f"{visible_text(response.text)[:800]}\n{self.cluster.logs()}"
        )
        return response

    def get(self, path: str, expect: int = 200, **kwargs):
        response = self.session.get(self.cluster.url(path), timeout=REQUEST_TIMEOUT, **kwargs)
        self.keep(response, expect)
        if response.headers.get("Content-Type", "").startswith("text/html"):
            self.page = response
        return response

    def submit(self, action, expect: int = 200, files=None, **fields):
        """Send the form to ``action`` on the current page with ``fields`` changed."""
        form = form_on(self.page.url, self.page.text, action)
        return self.send(form, expect, files, **fields)

    def send(self, form: Form, expect: int = 200, files=None, **fields):
        response = self.session.post(
            form.action, data=form.data(**fields), files=files,
            headers={"Referer": self.page.url}, timeout=REQUEST_TIMEOUT,
        )  # fmt: skip
        self.keep(response, expect)
        self.page = response
        return response

    def failures(self) -> list[tuple[str, str, int]]:
        return [answer for answer in self.answers if answer[2] >= 400]


def query(cluster: Cluster, sql: str, **params) -> list[tuple]:
    engine = sa.create_engine(
        cluster.database_url.replace("postgresql://", "postgresql+psycopg://")
    )
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


# --- what nginx does by itself ----------------------------------------------------------------


def test_static_files_come_from_nginx_with_a_year_long_cache(cluster):
    browser = Browser(cluster)
    page = browser.get("/inloggen")
    link = re.search(r'href="(/static/css/handvat\.css\?v=[0-9a-f]+)"', page.text).group(1)
    css = browser.get(link)
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # The app would add its Content-Security-Policy (and no long cache) to anything it serves.
    assert "Content-Security-Policy" not in css.headers
    assert css.content == (PROJECT_ROOT / "app/static/css/handvat.css").read_bytes()
    assert css.headers["Server"] == "nginx"  # server_tokens off: no version
    # Plain HTTP is only a redirect to HTTPS, to the site's fixed name.
    http = cluster.session().get(
        f"http://{SITE}:{cluster.nginx.http_port}/inloggen?x=1",
        allow_redirects=False, timeout=REQUEST_TIMEOUT,
    )  # fmt: skip
    assert http.status_code == 301
    assert http.headers["Location"] == f"https://{SITE}/inloggen?x=1"


def test_bodies_over_the_limits_are_refused_with_a_413(cluster):
    """Above 1 MB (10 MB for a file of figures) the app answers with its Dutch page; nginx's
    own limits sit above those and refuse what no form sends."""
    session = cluster.session()
    headers = {"Referer": cluster.url("/")}

    def post(path: str, size: int, as_file: bool = False):
        payload = (
            {"files": {"file": ("cijfers.csv", b"x" * size, "text/csv")}}
            if as_file
            else {"data": {"title": "x" * size}}
        )
        return session.post(cluster.url(path), headers=headers, timeout=REQUEST_TIMEOUT, **payload)

    app_refusal = post("/gesprekken/nieuw", 1_500_000)
    assert app_refusal.status_code == 413 and "Te veel gegevens" in app_refusal.text
    nginx_refusal = post("/gesprekken/nieuw", 3_000_000)
    assert nginx_refusal.status_code == 413 and "<center>nginx</center>" in nginx_refusal.text
    upload = "/regio/twente/indicatoren/importeren"
    app_refusal = post(upload, 11_000_000, as_file=True)
    assert app_refusal.status_code == 413 and "hoogstens 10 MB" in app_refusal.text
    nginx_refusal = post(upload, 13_000_000, as_file=True)
    assert nginx_refusal.status_code == 413 and "<center>nginx</center>" in nginx_refusal.text
    # Every answer carries the request id, also nginx's own.
    assert re.fullmatch(r"[0-9a-f]{32}", nginx_refusal.headers["X-Request-ID"])


def test_the_app_sees_the_client_nginx_saw_not_what_the_client_claims(cluster):
    """nginx overwrites the forwarded headers; the app trusts exactly that one proxy."""
    browser = Browser(cluster)
    browser.get("/inloggen")
    forged = {
        "X-Forwarded-For": FORGED_ADDRESS,
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http",
        "X-Request-ID": "chosen-by-the-client-0001",
    }
    form = form_on(browser.page.url, browser.page.text, "/inloggen")
    response = browser.session.post(
        form.action, data=form.data(email="nobody@twente.test", password="niet het wachtwoord"),
        headers={"Referer": browser.page.url, **forged}, timeout=REQUEST_TIMEOUT,
    )  # fmt: skip
    # A wrong password, answered as such: not a 400 for the host, not a redirect to http.
    assert response.status_code == 422, visible_text(response.text)[:500]
    assert response.headers["X-Request-ID"] != forged["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    # The sign-in limit counts per client address in Redis: nginx's view of the client.
    redis = redis_client()
    try:
        keys = [
            key.decode()
            for key in redis.scan_iter(match=f"*{cluster.redis_prefix}*sign-in-client*")
        ]
    finally:
        redis.close()
    assert keys, "no sign-in counter in Redis"
    assert all("127.0.0.1" in key for key in keys), keys
    assert not any(FORGED_ADDRESS in key for key in keys), keys


def test_health_through_the_proxy(cluster):
    session = cluster.session()
    for path in ("/health/live", "/health/ready"):
        response = session.get(cluster.url(path), timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert "no-store" in response.headers["Cache-Control"]


def test_a_failed_request_is_found_by_the_id_on_its_error_page(cluster):
    response, request_id = server_error_page(cluster)
    # The id nginx made ($request_id) is the app's: on the page, in the header, in both logs.
    assert response.headers["X-Request-ID"] == request_id
    nginx_lines = cluster.nginx.access_lines()
    assert [line["status"] for line in nginx_lines if line["request_id"] == request_id] == [500]
    app_lines = [
        json.loads(line)
        for server in cluster.servers
        for line in server.log.read_text().splitlines()
        if f'"request_id": "{request_id}"' in line
    ]
    by_logger = {entry["logger"]: entry for entry in app_lines}
    assert by_logger["handvat.request"]["status"] == 500
    assert by_logger["handvat.request"]["path"] == "/w/<code>"  # the code is left out
    assert "workshop" in by_logger["handvat.error"]["exc_info"]


# --- a working session while app servers go down ----------------------------------------------


def post_straight_to(cluster: Cluster, port: int, browser: Browser, action: str, fields: dict):
    """POST a form of ``browser``'s current page straight to the app server on ``port``, with
    the headers nginx would add; the status of the answer."""
    form = form_on(browser.page.url, browser.page.text, action)
    body = urlencode(form.data(**fields)).encode()
    cookies = "; ".join(f"{c.name}={c.value}" for c in browser.session.cookies)
    head = (
        f"POST {urlsplit(form.action).path} HTTP/1.1\r\n"
        f"Host: {SITE}\r\n"
        f"X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
        f"X-Forwarded-Host: {SITE}\r\nX-Forwarded-Port: {cluster.nginx.https_port}\r\n"
        f"Referer: {browser.page.url}\r\nCookie: {cookies}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


@contextmanager
def advisory_lock_held(cluster: Cluster, key: str):
    """Hold the app's write lock ``key`` (``serialize_writes``): a request that needs it waits
    in the database until the block ends. Yields a function that says whether one waits."""
    from app.core.database import _lock_number

    number = _lock_number(key)
    engine = sa.create_engine(
        cluster.database_url.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:n)"), {"n": number})
            # Only this test's requests take advisory locks in this database.
            waiting = (
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            try:
                yield lambda: connection.execute(sa.text(waiting)).scalar() > 0
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:n)"), {"n": number})
    finally:
        engine.dispose()


def port_refuses(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_a_working_session_survives_losing_an_app_server(cluster):
    import pyotp

    first, second = cluster.servers
    coordinator = Browser(cluster)
    log_start = len(cluster.nginx.access_lines())

    # Sign in; coordinators set up a second factor first (PostgreSQL installations).
    coordinator.get("/inloggen")
    coordinator.submit("/inloggen", email=COORDINATOR, password=PASSWORD)
    assert urlsplit(coordinator.page.url).path == "/account/tweestapsverificatie"
    key = re.search(r"sleutel in:.*?([A-Z2-7]{4}(?: [A-Z2-7]{4}){3,})", coordinator.page.text, re.S)
    code = pyotp.TOTP(key.group(1).replace(" ", "")).now()
    coordinator.submit("/account/tweestapsverificatie", code=code)
    assert "Bewaar uw herstelcodes" in coordinator.page.text
    signed_in_at = len(coordinator.answers)

    # A conversation with two participants and the questions of its phase.
    coordinator.get("/gesprekken/nieuw")
    coordinator.submit(
        "/gesprekken/nieuw",
        title="Bestuurlijk overleg Twente",
        **{
            "participants-0-name": "Anna de Vries",
            "participants-0-organisation": "Gemeente Enschede",
            "participants-0-role": "Wethouder",
            "participants-1-name": "Bas Jansen",
            "participants-1-organisation": "ROC van Twente",
            "participants-1-organisation_type": "mbo-instelling",
            "participants-1-role": "Bestuurder",
        },
    )
    conversation = int(re.search(r"/gesprekken/(\d+)/vragen", coordinator.page.url).group(1))
    coordinator.submit(f"/gesprekken/{conversation}/vragen")
    answers_sent: dict[str, tuple[str, str]] = {}

    def answer(text: str, assessment: str) -> None:
        question = urlsplit(coordinator.page.url).path.rsplit("/", 1)[1]
        action = f"/gesprekken/{conversation}/vragen/{question}"
        coordinator.submit(action, text=text, assessment_id=assessment, go="next")
        answers_sent[question] = (text, assessment)

    answer("Ja: het RMC-overleg, voorgezeten door Enschede.", "first_steps")

    # --- one app server dies: master and workers at once, nothing drains ---
    first.kill_hard()
    killed_at = len(cluster.nginx.access_lines())
    answer("Enschede is centrumgemeente en trekt de inkoop.", "largely_arranged")
    answer("Gemeenten en het ROC samen, per leerling.", "not_started")

    actions_sent = [
        ("Analyse van de zorg binnen het mbo laten maken", "verkennen-bestuurlijk-overleg"),
        ("Eén loket voor school en zorg inrichten", ""),
    ]
    for description, question in actions_sent:
        coordinator.get(f"/gesprekken/{conversation}/acties/nieuw")
        coordinator.submit(
            f"/gesprekken/{conversation}/acties/nieuw", description=description,
            question_id=question, owner_name="Anna de Vries",
            owner_organisation="Gemeente Enschede", due_date="01-03-2027",
        )  # fmt: skip
    action_id = query(cluster, "SELECT id FROM action_point WHERE position = 1")[0][0]
    coordinator.get(f"/gesprekken/{conversation}/acties/{action_id}")
    coordinator.submit(
        f"/gesprekken/{conversation}/acties/{action_id}/voortgang",
        text="Offerte aangevraagd bij het onderzoeksbureau.", status="bezig",
    )  # fmt: skip
    retried = [line for line in cluster.nginx.access_lines()[killed_at:] if "," in line["upstream"]]
    assert retried, "nginx never met the dead server; the test proves nothing"

    # --- the server comes back (systemd's Restart=on-failure) ---
    first.start().wait_ready(SITE)

    # A workshop: the coordinator opens the first question, a phone joins and chooses.
    coordinator.get(f"/gesprekken/{conversation}/workshop/nieuw")
    coordinator.submit(f"/gesprekken/{conversation}/workshop/nieuw")
    workshop = int(re.search(r"/workshops/(\d+)", coordinator.page.url).group(1))
    join_code = re.search(r"/w/([A-Z0-9]{6})", coordinator.page.text).group(1)
    open_first = next(
        form for form in forms_on(coordinator.page.url, coordinator.page.text)
        if form.action.endswith("/vragen-openen")
        and form.fields.get("question_id") == "verkennen-bestuurlijk-overleg"
    )  # fmt: skip
    coordinator.send(open_first)

    # --- a graceful stop (systemctl stop: TERM) while that server is in the middle of a
    # request: the request finishes and is stored, the port refuses new connections at once
    # and nginx sends everything else to the other server meanwhile ---
    coordinator.get(f"/gesprekken/{conversation}/acties/nieuw")
    slow_action = "Afspraken vastleggen in het convenant"
    in_progress: list[int] = []
    exit_code: list[int] = []
    with advisory_lock_held(cluster, f"action-list:{conversation}") as someone_waits:
        request = threading.Thread(
            target=lambda: in_progress.append(
                post_straight_to(
                    cluster,
                    first.port,
                    coordinator,
                    f"/gesprekken/{conversation}/acties/nieuw",
                    {"description": slow_action, "owner_name": "Carla", "due_date": "01-06-2027"},
                )
            )
        )
        request.start()
        wait_until(someone_waits, 20, "the request on the first server waits for the lock")
        stopper = threading.Thread(target=lambda: exit_code.append(first.stop_gracefully()))
        stopper.start()
        wait_until(lambda: port_refuses(first.port), 10, "the stopping server refuses connections")
        assert first.running and not in_progress  # still serving that one request
        # Meanwhile the session goes on, on the other server: the room joins and chooses.
        phone = Browser(cluster)
        phone.get(f"/w/{join_code}")
        phone.submit("/w")
        phone.submit(re.compile(rf"/w/{join_code}/schaal"), assessment_id="largely_arranged")
        coordinator.get(f"/gesprekken/{conversation}/vragen/verkennen-regie")
        answer("De regie ligt bij de ontwikkeltafel.", "well_arranged")
    request.join(timeout=REQUEST_TIMEOUT)
    actions_sent.append((slow_action, ""))
    assert in_progress == [302], f"the request in progress got {in_progress}\n{cluster.logs()}"
    stopper.join(timeout=60)
    assert exit_code == [0], cluster.logs()

    # Figures: a file read in (preview) and confirmed, on whichever server.
    figures = (
        b"Voortijdig schoolverlaters mbo\nGemeente;2022;2023\n"
        b"Almelo;41;38\nEnschede;120;111\nHengelo;55;49\nBron: DUO\n"
    )
    coordinator.get("/regio/twente/indicatoren/importeren")
    coordinator.submit(
        "/regio/twente/indicatoren/importeren",
        files={"file": ("vsv-twente.csv", figures, "text/csv")},
    )
    assert "Er is nog niets opgeslagen" in coordinator.page.text
    coordinator.submit(re.compile(r"/regio/twente/indicatoren/importeren/[\w-]+"))
    assert "6 waarden ingelezen" in coordinator.page.text

    # The action list as PDF.
    pdf = coordinator.get(f"/gesprekken/{conversation}/actielijst.pdf")
    assert pdf.content.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    pdf_text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    pdf_text = re.sub(r"\s+", " ", pdf_text)
    for description, _question in actions_sent:
        assert description in pdf_text

    # Still the same signed-in coordinator, never sent back to the sign-in page.
    account = coordinator.get("/account")
    assert COORDINATOR in account.text
    signed_in = coordinator.answers[signed_in_at:]
    assert not any(path.startswith("/inloggen") for _method, path, _status in signed_in)
    assert coordinator.failures() + phone.failures() == []
    journey = cluster.nginx.access_lines()[log_start:]
    assert [line for line in journey if line["status"] >= 500] == []

    # The database holds exactly what was sent: nothing lost, nothing twice.
    assert query(cluster, "SELECT count(*) FROM conversation") == [(1,)]
    assert sorted(query(cluster, "SELECT name FROM participant")) == [
        ("Anna de Vries",),
        ("Bas Jansen",),
    ]
    stored_answers = {
        question: (text, assessment)
        for question, text, assessment in query(
            cluster, "SELECT question_id, text, assessment_id FROM answer"
        )
    }
    assert stored_answers == answers_sent
    stored_actions = sorted(
        (description, question or "")
        for description, question in query(
            cluster, "SELECT description, question_id FROM action_point"
        )
    )
    assert stored_actions == sorted(actions_sent)
    assert sorted(p for (p,) in query(cluster, "SELECT position FROM action_point")) == list(
        range(1, len(actions_sent) + 1)
    )
    assert query(cluster, "SELECT action_id, text, status_after FROM action_update") == [
        (action_id, "Offerte aangevraagd bij het onderzoeksbureau.", "bezig")
    ]
    assert query(cluster, "SELECT id FROM workshop") == [(workshop,)]
    assert query(cluster, "SELECT count(*) FROM workshop_participant") == [(1,)]
    assert query(cluster, "SELECT question_id, assessment_id FROM room_assessment") == [
        ("verkennen-bestuurlijk-overleg", "largely_arranged")
    ]
    assert sorted(
        query(cluster, "SELECT category, period, value FROM indicator_observation")
    ) == sorted(
        [
            ("Almelo", "2022", 41.0), ("Almelo", "2023", 38.0),
            ("Enschede", "2022", 120.0), ("Enschede", "2023", 111.0),
            ("Hengelo", "2022", 55.0), ("Hengelo", "2023", 49.0),
        ]
    )  # fmt: skip

    # With both app servers gone, nginx answers for them (and still serves static files).
    second.stop_gracefully()
    down = cluster.session().get(cluster.url("/account"), timeout=REQUEST_TIMEOUT)
    assert down.status_code == 502
    css = cluster.session().get(cluster.url("/static/css/handvat.css"), timeout=REQUEST_TIMEOUT)
    assert css.status_code == 200


def test_the_site_configuration_names_its_placeholders():
    """The header of the shipped nginx file lists what an operator changes; the tests fill in
    exactly those (``conftest.NGINX_PLACEHOLDERS``)."""
    from .conftest import NGINX_PLACEHOLDERS, NGINX_SITE

    header = Path(PROJECT_ROOT / NGINX_SITE).read_text().split("\n\n", 1)[0]
    for placeholder in NGINX_PLACEHOLDERS:
        assert placeholder in header
