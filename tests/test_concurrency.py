"""Parallel requests against a real gunicorn with several workers, on SQLite and PostgreSQL.

For each database, two gunicorns in turn (4 ``sync`` workers as in production, then 4
``gthread`` workers with 3 threads each), loopback only, each started once per module on a
scratch database built by the committed migrations, and always stopped. Bounded bursts of
requests (at most ``THREADS`` at a time, each with a timeout) then do what several tabs or
people do at once on one conversation:

- move, close/reopen, edit, delete and add action points on the same short list, with the
  values (position, revision) of a list page that may have gone stale in the meantime;
- send the add-action form and the start-conversation form N times at once with one
  ``creation_token`` (the same content: one row; different content: every content kept);
- send a status or edit form again while a colleague deletes the action point;
- save the conversation's details from N forms based on the same ``details_revision``
  (exactly one wins, the others get the Dutch conflict page), while the list is reordered;
- (not at once) use an older tab's forms after its action point was deleted and another added.

After each burst: no response is a 5xx or missing (their bodies and gunicorn's log are shown),
the positions are 1..n, no row is lost or doubled, and every change that was confirmed is
stored (unless a later confirmed change of the same row explains the difference). Bugs these
tests found and that are not fixed yet are listed in ``KNOWN_BUGS`` (5xx) or marked xfail.

The bursts are random: which forms are sent with which values comes from a seed, printed in
every failure; ``HANDVAT_CONCURRENCY_SEED=<n>`` sends the same forms again (their timing, and
so the outcome, can still differ).
"""

from __future__ import annotations

import html
import http.client
import os
import random
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from app import create_app
from app.actions.models import ActionPoint, ActionStatus
from app.conversations.models import Conversation, Participant, SelectedQuestion
from app.extensions import db

from . import forms
from .concurrency_wsgi import DATABASE_ENV, SECRET_KEY_ENV
from .conftest import BASE_TEST_CONFIG, create_postgres_database, drop_postgres_database
from .gunicorn_server import running_gunicorn

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "concurrency-test-secret"
WORKERS = 4
#: Threads per worker for the ``gthread`` runs.
WORKER_THREADS = 3
#: Requests in flight at once, at most.
THREADS = 12
#: Seconds one request may take; a request without an answer in time fails the test.
REQUEST_TIMEOUT = 20
#: Seconds gunicorn may take to answer its first request, and to stop.
SERVER_TIMEOUT = 30
SEED = int(os.environ.get("HANDVAT_CONCURRENCY_SEED") or random.SystemRandom().randrange(10**6))

#: "Verankerd" needs a place and so asks for one (tests/test_progress.py); the others are one click.
STATUSES = [s.value for s in ActionStatus if s is not ActionStatus.EMBEDDED]
GONE = "Dit actiepunt bestaat niet meer"


# --- the server -------------------------------------------------------------------------------


@dataclass
class Reply:
    method: str
    path: str
    data: dict | None
    #: None: no answer within ``REQUEST_TIMEOUT`` (or the connection broke).
    status: int | None
    #: Path and fragment of the redirect target, "" when there is none.
    location: str
    #: (category, message) pairs this response flashed, read from its session cookie.
    flashes: list[tuple[str, str]]
    body: str
    error: str = ""

    def flashed(self, text: str, category: str | None = None) -> bool:
        return any(
            text in message and category in (None, flashed_category)
            for flashed_category, message in self.flashes
        )

    def describe(self) -> str:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.body)).strip()
        return (
            f"{self.method} {self.path} {self.data or ''} -> {self.status} "
            f"{self.location} {self.flashes} {self.error}\n    {html.unescape(text)[:600]}"
        )


class Server:
    """A running gunicorn, plus an app in this process on the same database (to read rows
    and the flashed messages in session cookies)."""

    def __init__(
        self, port: int, log: Path, app, region_id: int, cookie: str, database: str, workers: str
    ):
        self.port = port
        #: The session cookie of a coordinator of the region: every request is signed in.
        self.cookie = cookie
        self.log = log
        self.app = app
        self.region_id = region_id
        self.database = database
        #: For failure messages: which database and which kind of gunicorn worker.
        self.kind = f"{database}, {workers} workers"
        self.replies: list[Reply] = []
        #: 5xx explained by a ``KNOWN_BUGS`` entry in the current test, by entry.
        self.known_bugs_seen: Counter[str] = Counter()
        self._log_offset = 0
        self._sessions = app.session_interface.get_signing_serializer(app)

    def request(
        self, method: str, path: str, data: dict | None = None, cookie: str | None = None
    ) -> Reply:
        """As the region's coordinator, or as whoever ``cookie`` (``name=value``) signs in."""
        body = urlencode(data) if data is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if data else {}
        headers["Cookie"] = cookie or self.cookie
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            reply = Reply(
                method,
                path,
                data,
                response.status,
                _local(response.getheader("Location", "")),
                self._flashes(response.headers.get_all("Set-Cookie") or []),
                text,
            )
        except (OSError, http.client.HTTPException) as exc:
            reply = Reply(method, path, data, None, "", [], "", error=repr(exc))
        finally:
            conn.close()
        self.replies.append(reply)
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, data: dict, cookie: str | None = None) -> Reply:
        return self.request("POST", path, data, cookie)

    def _flashes(self, cookies: list[str]) -> list[tuple[str, str]]:
        for cookie in cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if name.strip() == "session" and value:
                return [tuple(f) for f in self._sessions.loads(value).get("_flashes", [])]
        return []

    def take_replies(self) -> list[Reply]:
        replies, self.replies = self.replies, []
        return replies

    def new_log(self) -> str:
        """What gunicorn logged since the last call."""
        data = self.log.read_bytes()
        new, self._log_offset = data[self._log_offset :], len(data)
        return new.decode("utf-8", "replace")

    @contextmanager
    def session(self) -> Iterator:
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()


def _local(location: str) -> str:
    """The path (and fragment) of a redirect target, whether absolute or not."""
    if not location:
        return ""
    parts = urlsplit(location)
    return parts.path + (f"#{parts.fragment}" if parts.fragment else "")


def _prepared_app(url: str):
    """An app in this process on ``url``, brought up to date by the migrations, with a region
    and the session cookie of its coordinator."""
    from flask_migrate import upgrade

    from app.accounts.roles import Role
    from app.regions.operations import ensure_region

    from .accounts import make_user, session_cookie

    app = create_app({**BASE_TEST_CONFIG, "SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        region = ensure_region("Twente", ["Almelo", "Enschede", "Hengelo"])
        db.session.commit()
        region_id = region.id
        user = make_user("coordinator@handvat.test", region=region, role=Role.COORDINATOR)
        name, value = session_cookie(app, user)
        db.session.remove()
        db.engine.dispose()
    return app, region_id, f"{name}={value}"


@contextmanager
def _gunicorn(url: str, workdir: Path, worker_class: str) -> Iterator[tuple[int, Path]]:
    """gunicorn with ``WORKERS`` workers on a free loopback port; always stopped.

    ``sync`` workers handle one request each (the README's production setup); ``gthread``
    workers handle ``WORKER_THREADS`` each, so requests also meet inside one process.
    """
    log = workdir / "gunicorn.log"
    options = [
        "--workers", str(WORKERS),
        "--worker-class", worker_class,
        "--threads", str(WORKER_THREADS if worker_class == "gthread" else 1),
        "--timeout", "30",
        "--graceful-timeout", "5",
        "--pythonpath", str(PROJECT_ROOT),
    ]  # fmt: skip
    env = {**os.environ, DATABASE_ENV: url, SECRET_KEY_ENV: SECRET_KEY}
    with running_gunicorn(
        options, "tests.concurrency_wsgi:build_app()", log, cwd=PROJECT_ROOT, env=env
    ) as port:
        _wait_until_answering(port, log)
        yield port, log


def _wait_until_answering(port: int, log: Path) -> None:
    """Until a worker serves a page (the app is imported and the database reached)."""
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/over")
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer within {SERVER_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture(
    scope="module",
    params=[
        ("sqlite", "sync"),
        ("sqlite", "gthread"),
        ("postgresql", "sync"),
        ("postgresql", "gthread"),
    ],
    ids="-".join,
)
def server(request, tmp_path_factory):
    database, worker_class = request.param
    workdir = tmp_path_factory.mktemp(f"concurrency-{database}-{worker_class}")
    postgres_name = None
    if database == "sqlite":
        url = f"sqlite:///{workdir / 'handvat.sqlite'}"
    else:
        postgres_name = f"handvat_concurrency_{uuid.uuid4().hex[:12]}"
        url = create_postgres_database(postgres_name)
    app = None
    try:
        app, region_id, cookie = _prepared_app(url)
        with _gunicorn(url, workdir, worker_class) as (port, log):
            yield Server(port, log, app, region_id, cookie, database, worker_class)
    finally:
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        if postgres_name:
            drop_postgres_database(postgres_name)


# --- firing requests --------------------------------------------------------------------------


def run_many(task: Callable[[int], object], count: int) -> None:
    """``task(0)`` ... ``task(count - 1)``, ``THREADS`` at a time."""
    with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="burst") as pool:
        list(pool.map(task, range(count)))


def run_at_once(calls: list[Callable[[], Reply]]) -> list[Reply]:
    """Every call on its own thread, released together (a double click, many times over)."""
    assert len(calls) <= THREADS
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=SERVER_TIMEOUT)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="at-once") as pool:
        return list(pool.map(run, calls))


#: 5xx from bugs these tests found that are not fixed yet: name -> (the requests that meet it,
#: the last frame in ``app/`` and the exception that ends its traceback in gunicorn's log). A
#: test that meets only these still makes all its other checks and then ends as xfail, naming
#: the bug. Remove an entry when its bug is fixed: from then on it fails the tests like any 5xx.
KNOWN_BUGS: dict[str, tuple[re.Pattern, re.Pattern, re.Pattern]] = {}

_LOG_RECORD_START = re.compile(r"^(?=\[\d{4}-\d\d-\d\d )", re.M)
_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+, in (\S+)$', re.M)


def _known_bug(traceback: str) -> str | None:
    app_frames = [f"{path}:{name}" for path, name in _FRAME.findall(traceback) if "/app/" in path]
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    for bug, (_, frame, error) in KNOWN_BUGS.items():
        if app_frames and frame.search(app_frames[-1]) and error.match(lines[-1]):
            return bug
    return None


def assert_no_server_errors(server: Server, replies: list[Reply]) -> None:
    """No 5xx and no request without an answer, except the ``KNOWN_BUGS`` (counted)."""
    bad = [r for r in replies if r.status is None or r.status >= 500]
    log = server.new_log()
    if bad:
        tracebacks = [
            record
            for record in _LOG_RECORD_START.split(log)
            if "Traceback (most recent call last)" in record
        ]
        bugs = [_known_bug(t) for t in tracebacks]
        if (
            len(tracebacks) == len(bad)
            and None not in bugs
            and all(
                r.status == 500
                and any(KNOWN_BUGS[bug][0].match(f"{r.method} {r.path}") for bug in set(bugs))
                for r in bad
            )
        ):
            server.known_bugs_seen.update(bugs)
            return
        problems = "\n".join(r.describe() for r in bad[:10])
        log_lines = [line for line in log.splitlines() if "[INFO]" not in line]
        pytest.fail(
            f"[{server.kind}, seed {SEED}] {len(bad)} of {len(replies)} requests got a 5xx or "
            f"no answer:\n{problems}\n--- gunicorn log ---\n" + "\n".join(log_lines)[-20_000:]
        )


def end_as_xfail_if_a_known_bug_was_met(server: Server) -> None:
    """Call last in a test: its checks passed, but it met a ``KNOWN_BUGS`` 5xx on the way."""
    seen, server.known_bugs_seen = server.known_bugs_seen, Counter()
    if seen:
        pytest.xfail(
            f"[{server.kind}, seed {SEED}] known bug met: "
            + "; ".join(f"{n} x {bug}" for bug, n in seen.items())
        )


@pytest.fixture(autouse=True)
def _fresh_start(request):
    """Each test starts with no replies, no log and no known bugs of an earlier one."""
    if "server" in request.fixturenames:
        server = request.getfixturevalue("server")
        server.take_replies()
        server.new_log()
        server.known_bugs_seen.clear()


# --- forms and pages --------------------------------------------------------------------------


def start_form(region_id: int, title: str, **overrides) -> dict:
    return forms.start_form(region_id, **{"title": title, "creation_token": "", **overrides})


def action_form(description: str, *, status="open", revision=0, token="") -> dict:
    return forms.action_form(
        description=description,
        question_id="",
        due_date="",
        status=status,
        priority="normaal",
        revision=str(revision),
        creation_token=token,
    )


START_LOCATION = re.compile(r"^/gesprekken/(\d+)/vragen$")
ADDED_LOCATION = re.compile(r"^/gesprekken/(\d+)/acties#actie-(\d+)$")


def start_conversation(server: Server, title: str) -> int:
    reply = server.post("/gesprekken/nieuw", start_form(server.region_id, title))
    match = START_LOCATION.match(reply.location)
    assert match, reply.describe()
    return int(match.group(1))


def add_action(server: Server, conversation_id: int, description: str) -> int:
    reply = server.post(
        f"/gesprekken/{conversation_id}/acties/nieuw",
        action_form(description, token=uuid.uuid4().hex),
    )
    match = ADDED_LOCATION.match(reply.location)
    assert match, reply.describe()
    return int(match.group(2))


@dataclass(frozen=True)
class ListRow:
    """One action point as the list page showed it."""

    id: int
    position: int
    revision: int


_ROW = re.compile(r'<tr id="actie-(\d+)"[^>]*>(.*?)</tr>', re.S)


def list_rows(page: str) -> list[ListRow]:
    rows = []
    for action_id, row in _ROW.findall(page):
        position = re.search(r'name="position" value="(\d+)"', row)
        revision = re.search(r'name="revision" value="(\d+)"', row)
        rows.append(ListRow(int(action_id), int(position.group(1)), int(revision.group(1))))
    return rows


def stored_actions(server: Server, conversation_id: int) -> dict[int, dict]:
    with server.session() as session:
        return {
            a.id: {
                "position": a.position,
                "revision": a.revision,
                "description": a.description,
                "status": a.status.value,
                "closed": a.closed_dt is not None,
                "token": a.creation_token,
            }
            for a in session.scalars(
                sa.select(ActionPoint).where(ActionPoint.conversation_id == conversation_id)
            )
        }


def assert_positions_without_gaps(server: Server, actions: dict[int, dict]) -> None:
    positions = sorted(a["position"] for a in actions.values())
    assert positions == list(range(1, len(actions) + 1)), (
        f"[{server.kind}, seed {SEED}] positions {positions}"
    )


# --- the action list: move, status, edit, delete and add at once ------------------------------

MIX_START_ACTIONS = 6
#: Each task reads the list page and then sends one form: about 2 x this many requests.
MIX_TASKS = 250
#: How often a task clicks on an older list page (another tab) instead of the one it just read.
STALE_PAGE_CHANCE = 0.3
OPERATIONS = {"move": 34, "status": 22, "edit": 22, "delete": 8, "add": 14}


@dataclass
class Click:
    """A form sent from the list, what it was based on, and what came back."""

    kind: str
    action_id: int | None
    based_on: int | None
    reply: Reply
    description: str | None = None
    status: str | None = None
    outcome: str = ""


def _outcome(click: Click) -> str | None:
    """What the response says happened, or None if it is not an answer this route gives."""
    reply, status = click.reply, click.reply.status
    if click.kind == "move" and status == 302:
        if not reply.flashes:
            return "moved"
        if reply.flashed("De lijst was intussen veranderd"):
            return "refused"
        if reply.flashed(GONE):
            return "gone"
    elif click.kind == "status" and status == 302:
        if reply.flashed("staat nu op", "success"):
            return "set"
        if reply.flashed("is intussen gewijzigd", "warning"):
            return "refused"
        if reply.flashed(GONE, "warning"):
            return "gone"
    elif click.kind == "edit":
        if status == 302 and reply.flashed(" is opgeslagen.", "success"):
            return "saved"
        if status == 409 and "Dit actiepunt is intussen gewijzigd" in reply.body:
            return "refused"
        if status == 409 and "Dit actiepunt is intussen verwijderd" in reply.body:
            return "gone"
    elif click.kind == "delete":
        if status == 302 and reply.flashed("Het actiepunt is verwijderd."):
            return "deleted"
        if status == 302 and reply.flashed("staat niet (meer) in dit gesprek"):
            return "gone"
        if status == 409 and "Dit actiepunt is intussen gewijzigd" in reply.body:
            return "refused"
        if status == 404:  # changed, and then deleted by someone else before the page showed
            return "gone"
    elif click.kind == "add" and status == 302 and reply.flashed("Het actiepunt is toegevoegd."):
        return "added"
    return None


def test_moves_status_changes_edits_and_deletes_at_once(server):
    tag = uuid.uuid4().hex[:8]
    conversation_id = start_conversation(server, f"Actielijst onder druk ({tag})")
    origin = {}
    for k in range(1, MIX_START_ACTIONS + 1):
        description = f"Actiepunt {k} ({tag})"
        origin[add_action(server, conversation_id, description)] = description
    server.take_replies()
    list_path = f"/gesprekken/{conversation_id}/acties"
    pages: list[list[ListRow]] = []
    clicks: list[Click] = []

    def task(i: int) -> None:
        rng = random.Random(f"{SEED}-{i}")
        page = server.get(list_path)
        rows = list_rows(page.body) if page.status == 200 else []
        pages.append(rows)
        if rng.random() < STALE_PAGE_CHANCE:
            rows = rng.choice(pages[: len(pages)])
        kind = rng.choices(list(OPERATIONS), weights=list(OPERATIONS.values()))[0]
        if not rows:
            kind = "add"
        row = rng.choice(rows) if rows else None
        base = f"{list_path}/{row.id}" if row else list_path
        if kind == "move":
            last = max(r.position for r in rows)
            direction = "down" if row.position == 1 else "up" if row.position == last else None
            direction = direction or rng.choice(["up", "down"])
            reply = server.post(
                f"{base}/verplaatsen", {"direction": direction, "position": row.position}
            )
            clicks.append(Click(kind, row.id, None, reply))
        elif kind == "status":
            status = rng.choice(STATUSES)
            reply = server.post(f"{base}/status", {"status": status, "revision": row.revision})
            clicks.append(Click(kind, row.id, row.revision, reply, status=status))
        elif kind == "edit":
            description, status = f"Wijziging {i} ({tag})", rng.choice(STATUSES)
            form = action_form(description, status=status, revision=row.revision)
            reply = server.post(f"{base}/bewerken", form)
            clicks.append(Click(kind, row.id, row.revision, reply, description, status))
        elif kind == "delete":
            reply = server.post(f"{base}/verwijderen", {"revision": row.revision})
            clicks.append(Click(kind, row.id, row.revision, reply))
        else:
            description = f"Nieuw actiepunt {i} ({tag})"
            form = action_form(description, token=f"mix-{tag}-{i}")
            reply = server.post(f"{list_path}/nieuw", form)
            match = ADDED_LOCATION.match(reply.location)
            action_id = int(match.group(2)) if match else None
            clicks.append(Click(kind, action_id, None, reply, description, "open"))

    run_many(task, MIX_TASKS)
    replies = server.take_replies()
    assert_no_server_errors(server, replies)
    unexpected_pages = [r for r in replies if r.method == "GET" and r.status != 200]
    assert not unexpected_pages, "\n".join(r.describe() for r in unexpected_pages)
    for click in clicks:
        # A 500 here is a known bug (checked above): whether it changed anything is unknown.
        click.outcome = "unknown" if click.reply.status == 500 else _outcome(click)
    unexpected = [c for c in clicks if c.outcome is None]
    assert not unexpected, f"[{server.kind}, seed {SEED}] unexpected answers:\n" + "\n".join(
        f"{c.kind} on {c.action_id}: {c.reply.describe()}" for c in unexpected
    )

    actions = stored_actions(server, conversation_id)
    context = f"[{server.kind}, seed {SEED}] "
    assert_positions_without_gaps(server, actions)

    # No row lost, none doubled: an action point is stored if and only if it was there or was
    # confirmed as added, and no delete of it was confirmed. Counted per id, because SQLite
    # gives the id of a deleted last row to the next one (see
    # ``test_a_form_from_an_older_tab_never_changes_a_newer_action``).
    made = Counter(origin.keys())
    made.update(c.action_id for c in clicks if c.outcome == "added")
    deleted = Counter(c.action_id for c in clicks if c.outcome == "deleted")
    for action_id in made | deleted:
        left = made[action_id] - deleted[action_id]
        assert left in (0, 1) and left == (action_id in actions), (
            context + f"action {action_id}: made {made[action_id]} times, deletes confirmed "
            f"{deleted[action_id]} times, stored now: {action_id in actions}"
        )
    assert set(actions) <= set(made), context + f"never made: {set(actions) - set(made)}"
    gone = {c.action_id for c in clicks if c.outcome == "gone"}
    assert gone <= set(deleted), context + f"'gone' for rows never deleted: {gone - set(deleted)}"
    descriptions = Counter(a["description"] for a in actions.values())
    assert max(descriptions.values(), default=1) == 1, context + f"doubled: {descriptions}"
    origin.update({c.action_id: c.description for c in clicks if c.outcome == "added"})

    # Every confirmed change is stored. Changes of content or status of one action point are
    # applied one after the other, each only when the form's revision was the stored one, and
    # each raises the revision by one: so the edits that were saved have distinct revisions,
    # the last of them decides the description, and the change from revision R - 1 to the
    # final R decides the status.
    saved_edits, status_sets = defaultdict(list), defaultdict(list)
    for click in clicks:
        if click.outcome == "saved":
            saved_edits[click.action_id].append(click)
        elif click.outcome == "set":
            status_sets[click.action_id].append(click)
    unknown = {c.action_id for c in clicks if c.outcome == "unknown"}
    for action_id, action in actions.items():
        if made[action_id] > 1:
            continue  # one id, several action points: which click meant which is unknowable
        assert action_id not in unknown, context + f"a 500 on {action_id}, which still exists"
        row = context + f"action {action_id}: {action}"
        edits = sorted(saved_edits[action_id], key=lambda c: c.based_on)
        revisions = [c.based_on for c in edits]
        assert len(set(revisions)) == len(revisions), row + f" saved twice at {revisions}"
        changes = action["revision"] - 1
        assert len(edits) <= changes <= len(edits) + len(status_sets[action_id]), row
        assert all(r <= changes for r in revisions), row + f" edits at {revisions}"
        wanted = edits[-1].description if edits else origin[action_id]
        assert action["description"] == wanted, row + f" should read {wanted!r}"
        assert action["closed"] == ActionStatus(action["status"]).is_closed, row
        if changes == 0:
            assert action["status"] == "open", row
        elif edits and edits[-1].based_on == changes:
            assert action["status"] == edits[-1].status, row
        else:
            last = {c.status for c in status_sets[action_id] if c.based_on == changes}
            assert action["status"] in last, row + f" last status change offered {last}"
    end_as_xfail_if_a_known_bug_was_met(server)


# --- double submits of the add form and the start form ---------------------------------------

SUBMITS = 10


def test_add_form_sent_many_times_at_once(server):
    tag = uuid.uuid4().hex[:8]
    conversation_id = start_conversation(server, f"Dubbel toevoegen ({tag})")
    url = f"/gesprekken/{conversation_id}/acties/nieuw"
    server.take_replies()

    same = []
    for group in range(3):
        form = action_form(f"Eén keer bedoeld {group} ({tag})", token=f"same-{tag}-{group}")
        same.append((form, run_at_once([partial(server.post, url, form)] * SUBMITS)))
    different = []
    for group in range(2):
        token = f"other-{tag}-{group}"
        forms = [
            action_form(f"Versie {k} van {group} ({tag})", token=token) for k in range(SUBMITS)
        ]
        different.append((forms, run_at_once([partial(server.post, url, f) for f in forms])))
    assert_no_server_errors(server, server.take_replies())

    actions = stored_actions(server, conversation_id)
    assert_positions_without_gaps(server, actions)
    assert len(actions) == len(same) + len(different) * SUBMITS
    with server.session() as session:
        for form, replies in same:
            context = f"[{server.kind}, seed {SEED}] {form['description']}: "
            assert {r.status for r in replies} == {302}, context + replies[0].describe()
            locations = {r.location for r in replies}
            assert len(locations) == 1 and ADDED_LOCATION.match(locations.pop()), context
            added = [r for r in replies if r.flashed("Het actiepunt is toegevoegd.")]
            already = [r for r in replies if r.flashed("was al toegevoegd")]
            assert (len(added), len(already)) == (1, SUBMITS - 1), context
            for column, value in (("creation_token", form["creation_token"]),
                                  ("description", form["description"])):  # fmt: skip
                count = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(ActionPoint)
                    .where(getattr(ActionPoint, column) == value)
                )
                assert count == 1, context + f"{count} rows with this {column}"
        for forms, replies in different:
            context = f"[{server.kind}, seed {SEED}] {forms[0]['creation_token']}: "
            assert {r.status for r in replies} == {302}, context + replies[0].describe()
            assert len({r.location for r in replies}) == SUBMITS, context
            added = [r for r in replies if r.flashed("Het actiepunt is toegevoegd.")]
            as_new = [r for r in replies if r.flashed("met een andere tekst")]
            assert (len(added), len(as_new)) == (1, SUBMITS - 1), context
            stored = Counter(
                session.scalars(
                    sa.select(ActionPoint.description).where(
                        ActionPoint.description.in_([f["description"] for f in forms])
                    )
                )
            )
            assert stored == Counter(f["description"] for f in forms), context + f"{stored}"
            with_token = session.scalar(
                sa.select(sa.func.count())
                .select_from(ActionPoint)
                .where(ActionPoint.creation_token == forms[0]["creation_token"])
            )
            assert with_token == 1, context
    end_as_xfail_if_a_known_bug_was_met(server)


def test_start_form_sent_many_times_at_once(server):
    tag = uuid.uuid4().hex[:8]
    url = "/gesprekken/nieuw"
    server.take_replies()
    same = []
    for group in range(3):
        form = start_form(
            server.region_id, f"Eén gesprek {group} ({tag})", creation_token=f"s-{tag}-{group}"
        )
        same.append((form, run_at_once([partial(server.post, url, form)] * SUBMITS)))
    token = f"d-{tag}"
    forms = [
        start_form(server.region_id, f"Gesprek versie {k} ({tag})", creation_token=token)
        for k in range(SUBMITS)
    ]
    different = run_at_once([partial(server.post, url, f) for f in forms])
    assert_no_server_errors(server, server.take_replies())

    with server.session() as session:

        def count(model, *where) -> int:
            return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

        for form, replies in same:
            context = f"[{server.kind}, seed {SEED}] {form['title']}: "
            assert {r.status for r in replies} == {302}, context + replies[0].describe()
            locations = {r.location for r in replies}
            assert len(locations) == 1, context + f"{locations}"
            conversation_id = int(START_LOCATION.match(locations.pop()).group(1))
            started = [r for r in replies if r.flashed("Het gesprek is gestart.")]
            already = [r for r in replies if r.flashed("was al gestart")]
            assert (len(started), len(already)) == (1, SUBMITS - 1), context
            assert count(Conversation, Conversation.creation_token == form["creation_token"]) == 1
            assert count(Conversation, Conversation.title == form["title"]) == 1, context
            # Nothing that comes with a conversation is doubled either.
            assert count(Participant, Participant.conversation_id == conversation_id) == 2
            assert count(SelectedQuestion, SelectedQuestion.conversation_id == conversation_id) == 4

        context = f"[{server.kind}, seed {SEED}] {token}: "
        assert {r.status for r in different} == {302}, context + different[0].describe()
        assert len({r.location for r in different}) == SUBMITS, context
        started = [r for r in different if r.flashed("Het gesprek is gestart.")]
        as_new = [r for r in different if r.flashed("met andere gegevens")]
        assert (len(started), len(as_new)) == (1, SUBMITS - 1), context
        titles = Counter(
            session.scalars(
                sa.select(Conversation.title).where(
                    Conversation.title.in_([f["title"] for f in forms])
                )
            )
        )
        assert titles == Counter(f["title"] for f in forms), context + f"{titles}"
        assert count(Conversation, Conversation.creation_token == token) == 1, context
    end_as_xfail_if_a_known_bug_was_met(server)


# --- a status or edit form sent twice while a colleague deletes the action point --------------

DOUBLE_CLICK_TRIALS = 40


def test_double_clicks_while_a_colleague_deletes(server):
    """Close and edit forms sent again (the second time nothing changes, so the revision stays)
    at the moment someone deletes the action point: every answer is a clear one, the delete
    goes through, nothing is left behind.

    This is where ``KNOWN_BUGS`` shows up most: after a status change or edit that changed
    nothing has committed, the delete waiting for the list's lock gets it at once, and the
    route's read-back for its message finds nothing.
    """
    tag = uuid.uuid4().hex[:8]
    conversation_id = start_conversation(server, f"Dubbelklikken ({tag})")
    list_path = f"/gesprekken/{conversation_id}/acties"
    trials = []
    for trial in range(DOUBLE_CLICK_TRIALS):
        description = f"Dubbel geklikt {trial} ({tag})"
        action_id = add_action(server, conversation_id, description)
        base = f"{list_path}/{action_id}"
        status = partial(server.post, f"{base}/status", {"status": "open", "revision": "1"})
        edit = partial(server.post, f"{base}/bewerken", action_form(description, revision=1))
        delete = partial(server.post, f"{base}/verwijderen", {"revision": "1"})
        trials.append(run_at_once([status, status, status, edit, edit, delete]))
    assert_no_server_errors(server, server.take_replies())

    context = f"[{server.kind}, seed {SEED}] "
    for *clicks, delete in trials:
        assert delete.status == 302 and delete.flashed("Het actiepunt is verwijderd."), (
            context + delete.describe()
        )
        for reply in clicks:
            if reply.status == 500:
                continue  # a known bug (checked above)
            done = reply.status == 302 and (
                reply.flashed("staat nu op", "success") or reply.flashed("was al zo opgeslagen")
            )
            gone = (reply.status == 302 and reply.flashed(GONE, "warning")) or (
                reply.status == 409 and "Dit actiepunt is intussen verwijderd" in reply.body
            )
            assert done or gone, context + reply.describe()
    assert stored_actions(server, conversation_id) == {}
    end_as_xfail_if_a_known_bug_was_met(server)


# --- the conversation's details, saved from several forms at once -----------------------------

DETAIL_ROUNDS = 6
DETAIL_EDITORS = 8
_DETAILS_REVISION = re.compile(r'<input[^>]*name="details_revision"[^>]*value="(\d+)"')


def test_details_saved_from_several_forms_at_once_one_wins(server):
    tag = uuid.uuid4().hex[:8]
    conversation_id = start_conversation(server, f"Gegevens onder druk ({tag})")
    for k in range(3):
        add_action(server, conversation_id, f"Actiepunt {k} ({tag})")
    edit_url = f"/gesprekken/{conversation_id}/bewerken"
    list_path = f"/gesprekken/{conversation_id}/acties"
    server.take_replies()

    # Meanwhile someone keeps reordering the action list of the same conversation (its writes
    # raise the conversation's revision too).
    stop = threading.Event()

    def reorder() -> None:
        rng = random.Random(f"{SEED}-reorder")
        for _ in range(400):
            if stop.is_set():
                return
            rows = list_rows(server.get(list_path).body)
            if rows:
                row = rng.choice(rows)
                direction = rng.choice(["up", "down"])
                server.post(
                    f"{list_path}/{row.id}/verplaatsen",
                    {"direction": direction, "position": row.position},
                )

    background = threading.Thread(target=reorder, name="reorder")
    background.start()
    rounds = []
    try:
        for r in range(DETAIL_ROUNDS):
            page = server.get(edit_url)
            revision = int(_DETAILS_REVISION.search(page.body).group(1))
            forms = [
                start_form(
                    server.region_id,
                    f"Ronde {r} versie {k} ({tag})",
                    details_revision=str(revision),
                    **{"participants-1-role": f"Rol {r}.{k}"},
                )
                for k in range(DETAIL_EDITORS)
            ]
            replies = run_at_once([partial(server.post, edit_url, f) for f in forms])
            with server.session() as session:
                conversation = session.get(Conversation, conversation_id)
                roles = session.scalars(
                    sa.select(Participant.role)
                    .where(Participant.conversation_id == conversation_id)
                    .order_by(Participant.position)
                ).all()
                stored = (conversation.title, conversation.details_revision, roles)
            rounds.append((revision, forms, replies, stored))
    finally:
        stop.set()
        background.join(timeout=SERVER_TIMEOUT * 2)
    assert_no_server_errors(server, server.take_replies())

    for revision, forms, replies, (title, stored_revision, roles) in rounds:
        context = f"[{server.kind}, seed {SEED}] details based on {revision}: "
        winners = [i for i, r in enumerate(replies) if r.status == 302]
        assert len(winners) == 1, context + "\n".join(r.describe() for r in replies)
        winner = forms[winners[0]]
        assert replies[winners[0]].location == f"/gesprekken/{conversation_id}", context
        assert (title, stored_revision) == (winner["title"], revision + 1), context
        assert roles == ["Wethouder", winner["participants-1-role"]], context + f"{roles}"
        for form, reply in zip(forms, replies, strict=True):
            if form is winner:
                continue
            assert reply.status == 409, context + reply.describe()
            assert "Iemand anders heeft de gegevens intussen gewijzigd" in reply.body, context
            # The losing form comes back with what was typed, next to the stored version.
            assert f'value="{form["title"]}"' in reply.body, context + reply.describe()
            assert html.escape(winner["title"]) in reply.body, context

    actions = stored_actions(server, conversation_id)
    assert len(actions) == 3
    assert_positions_without_gaps(server, actions)
    end_as_xfail_if_a_known_bug_was_met(server)


# --- a form from an older tab, after its action point was deleted ----------------------------


def test_a_form_from_an_older_tab_never_changes_a_newer_action(server):
    """Two tabs show the list; in one the last action point is deleted and a new one added.
    The other tab's forms for the deleted action point must not touch the new one.

    Found by the burst above: SQLite (the embedded default) gave the id of a deleted last row
    to the next one, and a new action point starts at revision 1, as the deleted one was shown,
    so the old tab's edit, status change or delete was applied to the new action point. Fixed
    by AUTOINCREMENT on SQLite (migration 0004).
    """
    tag = uuid.uuid4().hex[:8]
    conversation_id = start_conversation(server, f"Twee tabbladen ({tag})")
    list_path = f"/gesprekken/{conversation_id}/acties"
    add_action(server, conversation_id, f"Blijft staan ({tag})")
    old = add_action(server, conversation_id, f"Wordt verwijderd ({tag})")
    # Both tabs show ``old`` at revision 1; the first tab deletes it and adds a new one.
    deleted = server.post(f"{list_path}/{old}/verwijderen", {"revision": "1"})
    assert deleted.flashed("Het actiepunt is verwijderd."), deleted.describe()
    new = add_action(server, conversation_id, f"Net toegevoegd ({tag})")
    # The second tab still offers the forms of ``old``.
    edit = server.post(
        f"{list_path}/{old}/bewerken", action_form(f"Uit het oude tabblad ({tag})", revision=1)
    )
    status = server.post(f"{list_path}/{old}/status", {"status": "afgerond", "revision": "1"})
    delete = server.post(f"{list_path}/{old}/verwijderen", {"revision": "1"})
    assert_no_server_errors(server, server.take_replies())

    actions = stored_actions(server, conversation_id)
    assert new in actions, f"the new action point {new} was deleted by the old tab ({old})"
    assert (actions[new]["description"], actions[new]["status"]) == (
        f"Net toegevoegd ({tag})",
        "open",
    ), f"the new action point {new} was changed by the old tab's forms for {old}"
    assert edit.status == 409 and "Dit actiepunt is intussen verwijderd" in edit.body
    assert status.status == 302 and status.flashed(GONE), status.describe()
    assert delete.status == 302 and delete.flashed("staat niet (meer) in dit gesprek"), (
        delete.describe()
    )
    end_as_xfail_if_a_known_bug_was_met(server)


# --- a role offered to an existing account, answered and withdrawn at once ----------------------

OFFER_TRIALS = 4
OFFER_GONE = "Deze uitnodiging staat niet meer open"


def _offer_to_a_guest(server: Server, tag: str, trial: int) -> tuple[int, int, str]:
    """A guest with an account in another region, offered "lid" in the server's region:
    (offer id, user id, the guest's session cookie)."""
    from app.accounts.models import RegionInvitation
    from app.accounts.roles import Role
    from app.regions.operations import ensure_region

    from .accounts import make_user, session_cookie

    with server.session() as session:
        elders = ensure_region("Elders", ["Westerveld"])
        guest = make_user(f"gast-{trial}-{tag}@elders.test", "Gijs Gast", region=elders)
        offer = RegionInvitation(
            user=guest,
            region_id=server.region_id,
            role=Role.MEMBER,
            invited_by_name="Coördinator",
        )
        session.add(offer)
        session.commit()
        name, value = session_cookie(server.app, guest)
        return offer.id, guest.id, f"{name}={value}"


def test_an_offer_accepted_declined_and_withdrawn_at_once_ends_one_way(server):
    """The guest clicks "Aannemen" three times and "Afslaan" once while the coordinator
    withdraws the offer twice: exactly one of them wins, every other click is told the offer
    is no longer open, and a role exists only when "Aannemen" won."""
    from app.accounts.models import Membership, RegionInvitation

    tag = uuid.uuid4().hex[:8]
    outcomes = Counter()
    for trial in range(OFFER_TRIALS):
        offer_id, guest_id, guest = _offer_to_a_guest(server, tag, trial)
        accept = partial(
            server.post, f"/account/uitnodigingen/{offer_id}/aannemen", {"role": "member"}, guest
        )
        decline = partial(server.post, f"/account/uitnodigingen/{offer_id}/afslaan", {}, guest)
        withdraw = partial(server.post, f"/regio/twente/uitnodigingen/{offer_id}/intrekken", {})
        replies = run_at_once([accept, accept, accept, decline, withdraw, withdraw])
        assert_no_server_errors(server, replies)
        context = f"[{server.kind}, seed {SEED}] "
        won = [
            r
            for r in replies
            if r.flashed("U bent nu lid in regio Twente.", "success")
            or r.flashed("afgeslagen", "success")
            or r.flashed("is ingetrokken", "success")
        ]
        assert len(won) == 1, context + "\n".join(r.describe() for r in replies)
        for reply in replies:
            assert reply.status == 302, context + reply.describe()
            assert reply in won or reply.flashed(OFFER_GONE), context + reply.describe()
        with server.session() as session:
            offers = session.scalar(
                sa.select(sa.func.count()).where(RegionInvitation.id == offer_id)
            )
            roles = session.scalar(
                sa.select(sa.func.count()).where(
                    Membership.user_id == guest_id, Membership.region_id == server.region_id
                )
            )
        accepted = won[0].flashed("U bent nu lid")
        assert (offers, roles) == (0, 1 if accepted else 0), context + won[0].describe()
        outcomes[won[0].path.rsplit("/", 1)[1]] += 1
    print(f"[{server.kind}] offers ended by: {dict(outcomes)}")
