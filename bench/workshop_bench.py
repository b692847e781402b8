"""Load test of a live workshop: 300 phones join, poll every 2 seconds, answer and vote.

Handvat runs under gunicorn (2 sync workers, as in the other HTTP benchmarks) on a scratch
database: the demo with a workshop opened on conversation 1 and its first question open. Each
simulated participant is a thread that behaves as the phone page with JavaScript does:

1. opens the join page (a session with a CSRF token) and joins with the code (the signed
   participant cookie comes back), then opens the phone page;
2. polls ``/w/<code>/stand`` every 2 seconds with ``If-None-Match`` (304 while nothing changed)
   and, when the room changed, fetches the live part ``/w/<code>/inhoud`` once; other people's
   contributions at most every 15 seconds, as the phone's script does;
3. places the question on the scale, and half of them change their mind later;
4. adds one contribution; a third of them send that form twice (a double submit);
5. spends up to three dots on contributions it sees; a quarter tap one of them twice.

Every form is sent as the phone's script sends it (``X-Handvat-Live: 1``): a contribution is
answered with the new live part of the page, rendered, so its time includes it; a scale choice
or a dot with the small JSON object the script updates the page from. Afterwards the benchmark
counts what the database holds against what was sent: every scale
choice (the last one of each participant), every contribution once, every dot once. Latency is
measured from sending a request to reading the whole answer (p50/p95/p99 per kind); polling
and submitting are the two figures of the target (p95 under 250 ms, no errors, nothing lost or
doubled). The bare hello-world app's requests/s (wrk, 4 connections, 5 s) is measured in the
same run, before the load, for comparison with the other benchmarks.

All phones come from 127.0.0.1: the limit on joining per client address is raised for the run
(``workshop_wsgi.py``); the limits per code and per participant stay on.

Run from the project root, with the virtualenv active::

    python bench/workshop_bench.py                       # both databases, about 5 minutes
    python bench/workshop_bench.py --database sqlite --participants 50 --seconds 20

Needs wrk (``apt-get install -y wrk``) and, for PostgreSQL, the server on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import random
import re
import resource
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from _common import (
    DB_URL_ENV,
    databases_of,
    load_average,
    machine_summary,
    prepare_database_url,
    scratch_database,
)
from http_bench import HOST, start_server, stop_server, worker_cpu_seconds

MAX_P95_MS = 250.0
POLL_SECONDS = 2.0
CONTRIBUTIONS_SECONDS = 15.0
KINDS = ("idee", "obstakel", "voorstel")
STEPS = ("not_started", "first_steps", "largely_arranged", "well_arranged", "unknown")
SUBMITS = ("join", "scale", "contribution", "dot")
READS = ("poll", "fragment", "page")


@dataclass
class Workshop:
    code: str
    workshop_id: int
    question_id: str


def prepare(url: str, participants: int) -> Workshop:
    """The demo, a workshop on conversation 1 with its first chosen question open."""
    from app.conversations.models import Conversation
    from app.conversations.queries import chosen_question_ids
    from app.extensions import db
    from app.workshops.operations import WorkshopSettings, open_questions, open_workshop

    app = prepare_database_url(url)
    with app.app_context():
        conversation = db.session.get(Conversation, 1)
        question_id = chosen_question_ids(conversation)[0]
        workshop = open_workshop(
            conversation, None, WorkshopSettings(participant_cap=max(participants, 1))
        )
        open_questions(workshop, [question_id])
        db.session.commit()
        result = Workshop(workshop.join_code, workshop.id, question_id)
        db.engine.dispose()
    return result


# --- one phone ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What all phones sent and what came back, shared by the threads (under ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    last_step: dict[int, str] = field(default_factory=dict)
    contributions: int = 0
    dots: int = 0
    double_submits: int = 0

    def took(self, kind: str, ms: float) -> None:
        with self.lock:
            self.latencies[kind].append(ms)

    def failed(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{kind}: {what}")


class Phone(threading.Thread):
    def __init__(self, number: int, port: int, workshop: Workshop, start: float, args, tally):
        super().__init__(daemon=True)
        self.number, self.port, self.workshop, self.tally = number, port, workshop, tally
        self.start_at, self.end_at = start, start + args.seconds
        self.random = random.Random(number)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.etag = ""
        #: The (room, contributions) revisions the phone shows; a newer state still to fetch.
        self.shown: tuple[int, int] | None = None
        self.waiting: dict | None = None
        self.last_fetch = time.time()

    # -- HTTP ---------------------------------------------------------------------------------

    def request(self, kind, method, path, fields=None, headers=None, expect=(200,)):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except OSError as error:
            self.tally.failed(kind, f"{type(error).__name__}: {error}")
            return None, "", None
        finally:
            connection.close()
        self.tally.took(kind, (time.perf_counter() - started) * 1000)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if response.status not in expect:
            self.tally.failed(kind, f"{method} {path} answered {response.status}: {text[:120]!r}")
        return response.status, text, response

    def read_csrf(self, page: str) -> None:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        if match:
            self.csrf = html.unescape(match.group(1))

    # -- what a participant does ---------------------------------------------------------------

    def join_workshop(self) -> bool:
        code = self.workshop.code
        status, page, _ = self.request("page", "GET", f"/w/{code}")
        if status != 200:
            return False
        self.read_csrf(page)
        fields = {"code": code, "first_name": "", "csrf_token": self.csrf}
        status, _, _ = self.request("join", "POST", "/w", fields, expect=(302, 303))
        if status not in (302, 303):
            return False
        status, page, _ = self.request("page", "GET", f"/w/{code}")
        self.read_csrf(page)
        return status == 200

    def post(self, kind: str, path: str, fields: dict) -> bool:
        """Send a form as the phone's script does. A contribution's answer is the new live part
        (its rendering is part of the measured time, and the phone now shows the latest
        contributions); a scale choice's or a dot's is a small JSON object that the script
        reads (the notice, the new state) to update the page itself."""
        fields = {**fields, "csrf_token": self.csrf}
        headers = {"X-Handvat-Live": "1", "Accept": "application/json, text/html"}
        status, body, response = self.request(kind, "POST", f"/w/{self.workshop.code}/{path}",
                                              fields, headers=headers, expect=(200,))  # fmt: skip
        if status != 200:
            return False
        if response.headers.get("Content-Type", "").startswith("application/json"):
            answer = json.loads(body)
            if not answer.get("notice") or answer.get("question") != self.workshop.question_id:
                self.tally.failed(kind, f"POST {path} answered {body[:120]!r}")
                return False
        elif 'id="live"' in body:
            self.last_fetch = time.time()
        else:
            self.tally.failed(kind, f"POST {path} answered neither JSON nor the live part")
            return False
        return True

    def choose(self) -> None:
        step = self.random.choice(STEPS)
        if self.post("scale", "schaal", {"question_id": self.workshop.question_id,
                                         "assessment_id": step}):  # fmt: skip
            with self.tally.lock:
                self.tally.last_step[self.number] = step

    def contribute(self) -> None:
        fields = {
            "question_id": self.workshop.question_id,
            "kind": self.random.choice(KINDS),
            "text": f"Bijdrage van telefoon {self.number}: één loket voor school en zorg.",
            "creation_token": uuid.uuid4().hex,
        }
        if self.post("contribution", "bijdragen", fields):
            with self.tally.lock:
                self.tally.contributions += 1
            if self.random.random() < 1 / 3:
                self.post("contribution", "bijdragen", fields)
                with self.tally.lock:
                    self.tally.double_submits += 1

    def vote(self) -> None:
        status, fragment, _ = self.request("fragment", "GET", f"/w/{self.workshop.code}/inhoud")
        if status != 200:
            return
        ids = sorted(set(re.findall(r'name="contribution_id"[^>]*value="(\d+)"', fragment)))
        for contribution_id in self.random.sample(ids, min(3, len(ids))):
            fields = {"contribution_id": contribution_id, "had": "0", "change": "erbij"}
            if self.post("dot", "stippen", fields):
                with self.tally.lock:
                    self.tally.dots += 1
                if self.random.random() < 1 / 4:
                    self.post("dot", "stippen", fields)
                    with self.tally.lock:
                        self.tally.double_submits += 1

    def poll(self) -> None:
        """As ``workshop-phone.js``: fetch the live part at once when the room changed (a
        question, the results, a hidden contribution), and other people's contributions at
        most every ``CONTRIBUTIONS_SECONDS``."""
        headers = {"If-None-Match": self.etag} if self.etag else {}
        path = f"/w/{self.workshop.code}/stand"
        status, body, response = self.request("poll", "GET", path, headers=headers,
                                              expect=(200, 304))  # fmt: skip
        if status == 200:
            self.etag = response.headers.get("ETag", "")
            state = json.loads(body)
            if self.shown is None:
                self.shown = (state["revision"], state["contributions"])
            elif state["revision"] != self.shown[0]:
                self.fetch_live(state)
                return
            elif state["contributions"] != self.shown[1]:
                self.waiting = state
        if self.waiting and time.time() - self.last_fetch >= CONTRIBUTIONS_SECONDS:
            self.fetch_live(self.waiting)

    def fetch_live(self, state: dict) -> None:
        self.request("fragment", "GET", f"/w/{self.workshop.code}/inhoud")
        self.shown = (state["revision"], state["contributions"])
        self.waiting = None
        self.last_fetch = time.time()

    def run(self) -> None:
        span = self.end_at - self.start_at
        time.sleep(max(0.0, self.start_at + self.random.uniform(0, 0.15 * span) - time.time()))
        if not self.join_workshop():
            return
        now = time.time() - self.start_at
        plan = [
            (self.random.uniform(max(now, 0.20 * span), 0.40 * span), self.choose),
            (self.random.uniform(max(now, 0.25 * span), 0.55 * span), self.contribute),
            (self.random.uniform(0.60 * span, 0.85 * span), self.vote),
        ]
        if self.random.random() < 0.5:
            plan.append((self.random.uniform(0.45 * span, 0.90 * span), self.choose))
        plan.sort(key=lambda item: item[0])
        next_poll = time.time() + self.random.uniform(0, POLL_SECONDS)
        while time.time() < self.end_at:
            moment = time.time() - self.start_at
            while plan and plan[0][0] <= moment:
                plan.pop(0)[1]()
            if time.time() >= next_poll:
                self.poll()
                next_poll += POLL_SECONDS
            wake = min([next_poll] + [self.start_at + at for at, _ in plan[:1]])
            time.sleep(max(0.0, min(wake, self.end_at) - time.time()))
        for _, action in plan:  # whatever the last seconds did not reach
            action()


# --- the run --------------------------------------------------------------------------------


def hello_world_rps(seconds: int) -> float:
    server = start_server("hello-world", "hello_app:app", 2, {})
    try:
        output = subprocess.run(
            ["wrk", "-t4", "-c4", f"-d{seconds}s", f"{server.base}/"],
            capture_output=True, text=True, timeout=seconds + 30, check=True,
        ).stdout  # fmt: skip
    finally:
        stop_server(server)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def stored(url: str, workshop: Workshop) -> tuple[Counter, int, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        steps = Counter(
            dict(
                connection.execute(
                    sa.text(
                        "SELECT assessment_id, count(*) FROM room_assessment "
                        "WHERE workshop_id = :w GROUP BY assessment_id"
                    ),
                    {"w": workshop.workshop_id},
                ).all()
            )
        )
        contributions = connection.execute(
            sa.text("SELECT count(*) FROM contribution WHERE workshop_id = :w"),
            {"w": workshop.workshop_id},
        ).scalar()
        dots = connection.execute(
            sa.text("SELECT count(*) FROM dot WHERE workshop_id = :w"), {"w": workshop.workshop_id}
        ).scalar()
    engine.dispose()
    return steps, contributions, dots


def _own_cpu_seconds() -> float:
    """User + system CPU time of this process (all the phones' threads) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_on(database: str, args) -> bool:
    print(f"\n=== {database} ===")
    with scratch_database(database) as url:
        workshop = prepare(url, args.participants)
        baseline = hello_world_rps(5)
        server = start_server("Handvat", "workshop_wsgi:app", args.workers, {DB_URL_ENV: url})
        try:
            tally = Tally()
            server_cpu = worker_cpu_seconds(server)
            generator_cpu = _own_cpu_seconds()
            start = time.time() + 1.0
            phones = [
                Phone(n, server.port, workshop, start, args, tally)
                for n in range(1, args.participants + 1)
            ]
            for phone in phones:
                phone.start()
            for phone in phones:
                phone.join(timeout=args.seconds + 120)
            took = time.time() - start
            server_cpu = worker_cpu_seconds(server) - server_cpu
            generator_cpu = _own_cpu_seconds() - generator_cpu
        finally:
            stop_server(server)
        steps, contributions, dots = stored(url, workshop)
    expected_steps = Counter(tally.last_step.values())
    print(f"hello-world baseline: {baseline:,.0f} requests/s (wrk, 4 connections, 5 s)")
    print(f"{args.participants} participants, {args.seconds} s, poll every {POLL_SECONDS:g} s; "
          f"{load_average()} after the run")  # fmt: skip
    requests = sum(len(values) for values in tally.latencies.values())
    per_request = 1000 * server_cpu / max(requests, 1)
    print(f"CPU during the load ({took:.0f} s, {requests:,} requests): server workers "
          f"{server_cpu:.1f} s ({per_request:.2f} ms per request), load generator "
          f"{generator_cpu:.1f} s; of {2 * took:.0f} CPU-seconds on 2 cores")  # fmt: skip
    print(f"{'kind':<13} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'errors':>6}")  # fmt: skip
    for kind in (*READS, *SUBMITS):
        values = tally.latencies.get(kind, [])
        print(
            f"{kind:<13} {len(values):>7} {percentile(values, 0.50):>8.1f} "
            f"{percentile(values, 0.95):>8.1f} {percentile(values, 0.99):>8.1f} "
            f"{max(values, default=float('nan')):>8.1f} {tally.errors.get(kind, 0):>6}"
        )
    polls = tally.latencies.get("poll", [])
    submits = [ms for kind in SUBMITS for ms in tally.latencies.get(kind, [])]
    errors = sum(tally.errors.values())
    checks = [
        ("polling p95", f"{percentile(polls, 0.95):.1f} ms", percentile(polls, 0.95) < MAX_P95_MS),
        (
            "submitting p95",
            f"{percentile(submits, 0.95):.1f} ms",
            percentile(submits, 0.95) < MAX_P95_MS,
        ),
        ("errors", str(errors), errors == 0),
        (
            "scale choices stored / sent (last per participant)",
            f"{sum(steps.values())} / {sum(expected_steps.values())}",
            steps == expected_steps,
        ),
        (
            "contributions stored / sent",
            f"{contributions} / {tally.contributions}",
            contributions == tally.contributions,
        ),  # fmt: skip
        ("dots stored / sent", f"{dots} / {tally.dots}", dots == tally.dots),
        ("double submits sent (must add nothing)", str(tally.double_submits), True),
    ]
    print()
    for name, value, passed in checks:
        print(f"{name:<52} {value:>14}  {'pass' if passed else 'FAIL'}")
    for sample in tally.error_samples:
        print("  error:", sample)
    return all(passed for _, _, passed in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=120, help="length of the question (120)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    args = parser.parse_args()
    print("Handvat workshop load test")
    print("machine:", machine_summary(("gunicorn", "flask", "sqlalchemy", "psycopg")))
    print(load_average(), "at the start")
    results = [run_on(database, args) for database in databases_of(args.database)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
