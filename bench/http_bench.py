"""HTTP benchmark: saving an answer and rendering the conversation and question pages under
gunicorn, on SQLite and on PostgreSQL.

Handvat and a bare hello-world Flask app (``hello_app.py``) run side by side under gunicorn with
the same settings, on loopback; wrk (``load.lua``) drives both with the same load, one after the
other, in the same run. Handvat runs on a scratch database (``--database``): a scratch copy of the
embedded SQLite default (WAL), or a scratch database on the local PostgreSQL server (the
production database; created and dropped by the run), with the migrations applied, the demo
loaded and the benchmark account added, and with CSRF protection on. The benchmark signs in
through the sign-in form first, so every request it sends to Handvat is a signed-in request.

A second Handvat gunicorn, on the same database and with the same settings but with the page
cache off (``PAGE_CACHE_ENABLED=False``), serves the conversation page rendered on every
request, and the question page (which is never cached): with accounts and live workshops pages
change often and differ per user, so these are what a reader mostly gets.

Targets (issue 9): the uncached conversation page and the question page at least 25% of the
hello-world requests/s; the conversation page as served (page cache on) at least 20%; saving an
answer at least 15%, p99 under 50 ms. Exit status 1 when a target fails on any database.

Run from the project root, with the virtualenv active::

    python bench/http_bench.py                      # both databases, about three minutes
    python bench/http_bench.py --database sqlite --seconds 2 --rounds 1 --no-save
    python bench/http_bench.py --help

Needs wrk (``apt-get install -y wrk``) and, for PostgreSQL, the server on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import http.client
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from _common import (
    BENCH_DIR,
    BENCH_EMAIL,
    BENCH_PASSWORD,
    DATABASES,
    DB_URL_ENV,
    PAGE_CACHE_ENV,
    PROJECT_ROOT,
    Row,
    databases_of,
    journal_mode,
    load_average,
    machine_summary,
    prepare_database_url,
    print_table,
    scratch_database,
)

HOST = "127.0.0.1"
CONVERSATION = "/gesprekken/1"
QUESTION_PREFIX = "/gesprekken/1/vragen/"
QUESTION_PAGE = QUESTION_PREFIX + "vormgeven-kwaliteitseisen"
LOAD_SCRIPT = BENCH_DIR / "load.lua"
SIGN_IN = "/inloggen"
#: Flask's default ``SESSION_COOKIE_NAME``, which Handvat keeps.
SESSION_COOKIE = "session"

#: The targets of the issues.
SAVE_MIN_RATIO = 0.15
SAVE_MAX_P99_MS = 50.0
#: The conversation page as served (through the page cache).
PAGE_MIN_RATIO = 0.20
#: The conversation page rendered on every request, and the question page (issue 9).
RENDERED_MIN_RATIO = 0.25


# --------------------------------------------------------------------------------------------
# gunicorn
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    #: The server's output (gunicorn and the app's JSON lines), removed when it stops.
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


def gunicorn_command(app: str, port: int, workers: int) -> list[str]:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    return [
        gunicorn,
        "--workers", str(workers),
        "--worker-class", "sync",
        "--threads", "1",
        "--bind", f"{HOST}:{port}",
        "--pythonpath", f"{PROJECT_ROOT},{BENCH_DIR}",
        "--log-level", "warning",
        app,
    ]  # fmt: skip


def start_server(name: str, app: str, workers: int, env: dict[str, str]) -> Server:
    port = free_port()
    # The app writes a JSON line per request (as in production); into a file, not the terminal.
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept open for the server's lifetime)
        prefix=f"handvat-bench-{name.replace(' ', '-')}-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        gunicorn_command(app, port, workers),
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = Server(name, port, process, Path(log.name))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn for {name} stopped at start (exit {process.returncode}); "
                f"its output is in {log.name}"
            )
        try:
            status, _, _ = fetch(server, "/healthz")
            if status < 500:
                return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"gunicorn for {name} did not answer within 30 s")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)
    if server.log_path is not None:
        server.log_path.unlink(missing_ok=True)


def worker_cpu_seconds(server: Server) -> float:
    """User + system CPU time used so far by the gunicorn workers (children of the master)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the command name: state, ppid, ..., utime (14th field), stime (15th).
        if int(fields[1]) == server.process.pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _session_cookie(response: http.client.HTTPResponse) -> str:
    """The ``name=value`` of the session cookie a response set, or ""."""
    for header in response.headers.get_all("Set-Cookie") or []:
        pair = header.split(";", 1)[0]
        if pair.startswith(f"{SESSION_COOKIE}="):
            return pair
    return ""


def fetch(server: Server, path: str, cookie: str = "") -> tuple[int, str, str]:
    """GET a page; returns status, body and the session cookie it set (if any)."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, body, _session_cookie(response)
    finally:
        connection.close()


def post_form(server: Server, path: str, fields: dict[str, str], cookie: str) -> tuple[int, str]:
    """POST a form (redirects not followed); returns status and the session cookie it set."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
    try:
        connection.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = connection.getresponse()
        response.read()
        return response.status, _session_cookie(response)
    finally:
        connection.close()


# --------------------------------------------------------------------------------------------
# The Handvat session: cookie, CSRF token, the questions and their revisions
# --------------------------------------------------------------------------------------------


def _input_value(page: str, name: str) -> str:
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            match = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(match.group(1)) if match else ""
    raise RuntimeError(f"no <input name={name!r}> on the page")


@dataclass
class Session:
    cookie: str
    csrf: str
    question_ids: list[str]


def sign_in(server: Server) -> str:
    """Sign in as the benchmark account through the real form; the session cookie.

    GET ``/inloggen`` for a session with a CSRF token, POST the address, password and token.
    Signing in clears the session and sets a new one (with a new session key), so the CSRF
    token used afterwards must come from a page fetched with the new cookie.
    """
    status, page, cookie = fetch(server, SIGN_IN)
    if status != 200 or not cookie:
        raise RuntimeError(f"{SIGN_IN} answered {status} without a session cookie")
    fields = {
        "csrf_token": _input_value(page, "csrf_token"),
        "email": BENCH_EMAIL,
        "password": BENCH_PASSWORD,
    }
    status, signed_in = post_form(server, SIGN_IN, fields, cookie)
    if status != 302 or not signed_in:
        raise RuntimeError(f"signing in answered {status}; is the benchmark account there?")
    return signed_in


def open_session(server: Server) -> Session:
    """Sign in, then read the chosen questions and a CSRF token of the signed-in session."""
    cookie = sign_in(server)
    # Every page holds the sign-out form, so the first page after signing in stores a CSRF
    # token in the session and sets the cookie again: keep the latest cookie.
    status, page, new_cookie = fetch(server, CONVERSATION, cookie)
    cookie = new_cookie or cookie
    if status != 200:
        raise RuntimeError(f"{CONVERSATION} answered {status}; is the demo loaded?")
    question_ids = list(
        dict.fromkeys(re.findall(rf'href="{re.escape(QUESTION_PREFIX)}([\w-]+)"', page))
    )
    if not question_ids:
        raise RuntimeError(f"no question links on {CONVERSATION}")
    status, page, new_cookie = fetch(server, QUESTION_PREFIX + question_ids[0], cookie)
    if status != 200:
        raise RuntimeError(f"the question page answered {status}")
    # The form's CSRF token is stored in the session; the cookie then changes with it.
    return Session(new_cookie or cookie, _input_value(page, "csrf_token"), question_ids)


def current_revisions(server: Server, session: Session, question_ids: list[str]) -> list[str]:
    """ "question:revision" for each question, as the answer form shows it right now."""
    plan = []
    for question_id in question_ids:
        status, page, _ = fetch(server, QUESTION_PREFIX + question_id, session.cookie)
        if status != 200:
            raise RuntimeError(f"question page {question_id} answered {status}")
        plan.append(f"{question_id}:{int(_input_value(page, 'revision'))}")
    return plan


def stored_revisions(db_path: Path | str) -> int:
    """The sum of the stored answer revisions; ``db_path`` is a SQLite file or a database URL."""
    if isinstance(db_path, Path):
        with sqlite3.connect(db_path) as connection:
            return connection.execute("SELECT COALESCE(SUM(revision), 0) FROM answer").fetchone()[0]
    import sqlalchemy as sa

    engine = sa.create_engine(db_path, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT COALESCE(SUM(revision), 0) FROM answer")
            ).scalar()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    ok: int
    unexpected: int
    conflicts: int
    socket_errors: int
    generator_cpu_s: float
    #: CPU time of the gunicorn workers during the run: unlike requests/s, hardly affected by
    #: other work on the machine.
    server_cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / self.requests


def run_wrk(
    server: Server, path: str, *, seconds: float, connections: int, max_requests: int,
    env: dict[str, str],
) -> Load:  # fmt: skip
    """One wrk run: ``connections`` threads with one connection each, for ``seconds``, at most
    ``max_requests`` in total; only to 127.0.0.1."""
    command = [
        "wrk",
        "--threads", str(connections),
        "--connections", str(connections),
        "--duration", f"{max(1, round(seconds))}s",
        "--timeout", "5s",
        "--script", str(LOAD_SCRIPT),
        server.base + path,
    ]  # fmt: skip
    per_thread = max(1, max_requests // connections)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = worker_cpu_seconds(server)
    result = subprocess.run(
        command,
        env={**os.environ, "BENCH_MAX": str(per_thread), **env},
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    server_after = worker_cpu_seconds(server)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^BENCH (.*)$", result.stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{result.stdout}\n{result.stderr}")
    f = {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}
    return Load(
        requests=f["requests"],
        seconds=f["duration_us"] / 1e6,
        p50_ms=f["p50_us"] / 1000,
        p95_ms=f["p95_us"] / 1000,
        p99_ms=f["p99_us"] / 1000,
        max_ms=f["max_us"] / 1000,
        ok=f["ok"],
        unexpected=f["unexpected"],
        conflicts=f["conflicts"],
        socket_errors=f["connect"] + f["read"] + f["write"] + f["timeout"],
        generator_cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        server_cpu_s=server_after - server_before,
    )


def describe(name: str, load: Load) -> str:
    return (
        f"  {name:<20} {load.requests:>7,} requests in {load.seconds:4.1f} s = {load.rps:8,.0f}/s;"
        f" p50 {load.p50_ms:5.1f} ms, p95 {load.p95_ms:5.1f} ms, p99 {load.p99_ms:5.1f} ms,"
        f" max {load.max_ms:6.1f} ms; expected status {load.ok:,}, other {load.unexpected}"
        f" (409: {load.conflicts}), socket errors {load.socket_errors};"
        f" worker CPU {load.cpu_ms_per_request:.2f} ms/request;"
        f" wrk CPU {load.generator_cpu_s / load.seconds:.0%} of a core"
    )


def rows_for(
    label: str, handvat: Load, baseline: Load, min_ratio: float | None,
    max_p99: float | None = None,
) -> list[Row]:  # fmt: skip
    return [
        Row(f"{label}: requests/s", handvat.rps, baseline.rps, "req/s",
            "min_ratio" if min_ratio else None, min_ratio),
        Row(f"{label}: p50", handvat.p50_ms, baseline.p50_ms, "ms"),
        Row(f"{label}: p95", handvat.p95_ms, baseline.p95_ms, "ms"),
        Row(f"{label}: p99", handvat.p99_ms, baseline.p99_ms, "ms",
            "max_value" if max_p99 else None, max_p99),
        Row(f"{label}: worker CPU/request", handvat.cpu_ms_per_request,
            baseline.cpu_ms_per_request, "ms"),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


def combined(loads: list[Load]) -> Load:
    """Several rounds as one figure: requests and time added up; the percentiles are the
    median over the rounds (wrk reports percentiles, not the single latencies)."""
    return Load(
        requests=sum(x.requests for x in loads),
        seconds=sum(x.seconds for x in loads),
        p50_ms=statistics.median(x.p50_ms for x in loads),
        p95_ms=statistics.median(x.p95_ms for x in loads),
        p99_ms=statistics.median(x.p99_ms for x in loads),
        max_ms=max(x.max_ms for x in loads),
        ok=sum(x.ok for x in loads),
        unexpected=sum(x.unexpected for x in loads),
        conflicts=sum(x.conflicts for x in loads),
        socket_errors=sum(x.socket_errors for x in loads),
        generator_cpu_s=sum(x.generator_cpu_s for x in loads),
        server_cpu_s=sum(x.server_cpu_s for x in loads),
    )


def comparable(response: tuple[int, str, str]) -> tuple[int, str]:
    """Status and body of a ``fetch``, with the chart ids (random per render) left out, and
    of each CSRF token only the session's token it signs: a kept page carries the token signed
    when it was rendered, with the second it was signed in (both are valid)."""
    status, body, _cookie = response
    body = re.sub(r"chart-[0-9a-f]{12}-", "chart-", body)
    return status, re.sub(r'(name="csrf_token" value="[^".]+)\.[^"]*"', r'\1"', body)


@dataclass(frozen=True)
class Outcome:
    """One page on one database, for the summary at the end."""

    database: str
    page: str
    handvat: Load
    baseline: Load
    min_ratio: float | None

    @property
    def ratio(self) -> float:
        return self.handvat.rps / self.baseline.rps if self.baseline.rps else float("nan")

    @property
    def passed(self) -> bool | None:
        return None if self.min_ratio is None else self.ratio >= self.min_ratio


def print_summary(outcomes: list[Outcome]) -> None:
    """Per database and page: requests/s of the baseline and of Handvat, the ratio, Handvat's
    p95, the target and the result."""
    header = ("database", "page", "baseline req/s", "Handvat req/s", "ratio", "p95",
              "target", "result")  # fmt: skip
    lines = [
        (
            o.database,
            o.page,
            f"{o.baseline.rps:,.0f}",
            f"{o.handvat.rps:,.0f}",
            f"{o.ratio:.3f}",
            f"{o.handvat.p95_ms:.1f} ms",
            f">= {o.min_ratio:.2f}" if o.min_ratio else "",
            {True: "pass", False: "FAIL", None: ""}[o.passed],
        )
        for o in outcomes
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print("\nSummary (ratio = Handvat requests/s / baseline requests/s, same run)")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def run_on(database: str, args) -> tuple[list[Row], list[Outcome], bool]:
    """Every scenario on one database; the result rows, the summary entries and whether every
    request got the expected answer."""
    rows: list[Row] = []
    outcomes: list[Outcome] = []
    loads: list[Load] = []
    with scratch_database(database) as url:
        print(f"\n=== {database}: scratch database {url.rsplit('/', 1)[-1]} ===")
        prepare_database_url(url)
        sqlite_file = Path(url.removeprefix("sqlite:///")) if database == "sqlite" else None
        servers: list[Server] = []
        try:
            baseline = start_server("baseline", "hello_app:app", args.workers, {})
            servers.append(baseline)
            handvat = start_server("Handvat", "handvat_wsgi:app", args.workers, {DB_URL_ENV: url})
            servers.append(handvat)
            uncached = None
            if not (args.no_uncached_page and args.no_question_page):
                # The same app and settings on the same database, but every page rendered.
                uncached = start_server(
                    "Handvat, cache off", "handvat_wsgi:app", args.workers,
                    {DB_URL_ENV: url, PAGE_CACHE_ENV: "0"},
                )  # fmt: skip
                servers.append(uncached)
            session = open_session(handvat)
            if len(session.question_ids) < args.connections:
                raise RuntimeError("fewer chosen questions than connections")
            if uncached is not None:
                # Both serve the same page; only the way to it differs (and the ids that tie
                # each small chart to its title, which are new on every render).
                same = comparable(fetch(handvat, CONVERSATION, session.cookie)) == comparable(
                    fetch(uncached, CONVERSATION, session.cookie)
                )
                print(
                    f"{CONVERSATION} with and without the page cache: "
                    + ("the same page" if same else "DIFFERENT pages")
                )
            if sqlite_file is not None:
                print(f"SQLite journal mode: {journal_mode(sqlite_file)}")
            owned = session.question_ids[: args.connections]

            def env_for(server: Server, env: dict[str, str], tag: str) -> dict[str, str]:
                env = {**env, "BENCH_RUN": tag}
                if env["BENCH_MODE"] == "save":
                    # Each wrk thread owns one question and starts from its stored revision.
                    env["BENCH_QUESTIONS"] = ",".join(
                        current_revisions(server, session, owned)
                        if server is handvat
                        else (f"{q}:0" for q in owned)
                    )
                return env

            def scenario(
                path: str, env: dict[str, str], tag: str, contenders: list[Server]
            ) -> tuple[list[Load], Load]:
                """The baseline and each of ``contenders`` take turns, round after round;
                returns the contenders' combined loads and the baseline's."""
                common = dict(connections=args.connections, max_requests=args.max_requests)
                turns = [baseline, *contenders]
                runs: dict[str, list[Load]] = {server.name: [] for server in turns}
                for server in turns:
                    if args.warmup > 0:
                        run_wrk(server, path, seconds=args.warmup,
                                env=env_for(server, env, f"{tag}-warm"), **common)  # fmt: skip
                for n in range(args.rounds):
                    for server in turns:
                        runs[server.name].append(run_wrk(
                            server, path, seconds=args.seconds,
                            env=env_for(server, env, f"{tag}-{n}"), **common,
                        ))  # fmt: skip
                for name, server_runs in runs.items():
                    for n, load in enumerate(server_runs, start=1):
                        print(describe(f"{name} {n}", load))
                totals = {name: combined(server_runs) for name, server_runs in runs.items()}
                for name, load in totals.items():
                    print(describe(name, load))
                return [totals[server.name] for server in contenders], totals["baseline"]

            common_env = {"BENCH_COOKIE": session.cookie, "BENCH_CSRF": session.csrf}
            save_env = {
                **common_env, "BENCH_MODE": "save", "BENCH_EXPECT": "302",
                "BENCH_PREFIX": QUESTION_PREFIX,
            }  # fmt: skip
            get_env = {**common_env, "BENCH_MODE": "get", "BENCH_EXPECT": "200"}

            if not args.no_save:
                print(f"\n(1) Saving an answer: POST {QUESTION_PREFIX}<question>, CSRF on")
                stored = sqlite_file or url
                before = stored_revisions(stored)
                (hv,), base = scenario(QUESTION_PREFIX, save_env, "save", [handvat])
                saved = stored_revisions(stored) - before
                print(f"  answer revisions stored by Handvat (warm-up included): {saved:,}")
                if saved < hv.ok:
                    print("WARNING: fewer revisions stored than saves answered with 302.")
                    hv = dataclasses.replace(hv, unexpected=hv.unexpected + hv.ok - saved)
                rows += rows_for("save answer", hv, base, SAVE_MIN_RATIO, SAVE_MAX_P99_MS)
                outcomes.append(Outcome(database, "save answer", hv, base, SAVE_MIN_RATIO))
                loads += [hv, base]

            print(f"\n(2) Conversation page: GET {CONVERSATION}")
            contenders = [handvat]
            if uncached is not None and not args.no_uncached_page:
                print("  and (2a) the same page rendered every time (page cache off)")
                contenders.append(uncached)
            hvs, base = scenario(CONVERSATION, get_env, "page", contenders)
            rows += rows_for("conversation page", hvs[0], base, PAGE_MIN_RATIO)
            outcomes.append(Outcome(database, "conversation page", hvs[0], base, PAGE_MIN_RATIO))
            if len(hvs) > 1:
                rows += rows_for("conv. page, cache off", hvs[1], base, RENDERED_MIN_RATIO)
                outcomes.append(
                    Outcome(database, "conv. page, cache off", hvs[1], base, RENDERED_MIN_RATIO)
                )
            loads += [*hvs, base]

            if uncached is not None and not args.no_question_page:
                print(f"\n(2b) Question page: GET {QUESTION_PAGE} (never cached)")
                (hv,), base = scenario(QUESTION_PAGE, get_env, "question", [uncached])
                rows += rows_for("question page", hv, base, RENDERED_MIN_RATIO)
                outcomes.append(Outcome(database, "question page", hv, base, RENDERED_MIN_RATIO))
                loads += [hv, base]

            if sqlite_file is not None:
                print(f"\nSQLite journal mode after the run: {journal_mode(sqlite_file)}")
        finally:
            for server in reversed(servers):
                stop_server(server)
    ok = not any(x.unexpected or x.socket_errors for x in loads)
    return rows, outcomes, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", choices=[*DATABASES, "both"], default="both",
        help="where Handvat's data lives: the embedded SQLite, PostgreSQL, or both (default)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=3, help="per run (default 3)")
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="runs per app and scenario, baseline and Handvat taking turns (default 3)",
    )  # fmt: skip
    parser.add_argument("--warmup", type=float, default=1, help="warm-up run first (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument(
        "--connections", type=int, default=4, help="concurrent connections, one per wrk thread (4)"
    )
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="upper bound per run (100000)"
    )
    parser.add_argument("--no-save", action="store_true", help="skip saving an answer")
    parser.add_argument("--no-question-page", action="store_true", help="skip the question page")
    parser.add_argument(
        "--no-uncached-page", action="store_true",
        help="skip the conversation page with the page cache off",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found; install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    print("Handvat HTTP benchmark")
    print("machine:", machine_summary(("gunicorn", "flask", "sqlalchemy", "psycopg")))
    print(f"{load_average()} at the start")
    print(
        f"gunicorn: {args.workers} sync workers, 1 thread each, on {HOST}. Load: wrk with "
        f"{args.connections} connections (one per wrk thread); per scenario a {args.warmup:g} s "
        f"warm-up of each app, then {args.rounds} rounds of {args.seconds:g} s, baseline and "
        "Handvat (for the conversation page also Handvat with the page cache off) taking turns "
        "under the same load."
    )
    passed = True
    outcomes: list[Outcome] = []
    for database in databases_of(args.database):
        rows, found, ok = run_on(database, args)
        outcomes += found
        print(f"\n{load_average()} after {database}")
        passed &= print_table(f"Results on {database} (ratio = Handvat / baseline)", rows)
        if not ok:
            print(f"\nWARNING: on {database} some requests got an unexpected status or a socket "
                  "error (see above).")  # fmt: skip
            passed = False
    print_summary(outcomes)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
