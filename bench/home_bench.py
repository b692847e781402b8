"""The home page at scale: ``GET /`` with 1,000 and with 10,000 conversations in 20 regions.

The home page shows, for every region the signed-in user works in, that region's newest
conversations (``LATEST_PER_REGION``) with their counts of chosen questions, answers and action
points, and links to the region's own page for the rest. The benchmark account is coordinator
of the demo region and of 20 more regions; the conversations are spread evenly over those 20,
each with chosen questions, answers and action points, inserted in bulk with a fixed pattern.

Per database (``--database sqlite|postgresql|both``) and per size it prints, each beside a bare
baseline from the same run:

1. **In process** (Flask test client): the SQL statements of one request, which must be the same
   at every size (a fixed number of queries, never one per row or a parameter per row), the
   size of the page, and the CPU time per request.
2. **Under load**: Handvat (``handvat_wsgi.py``) and the bare hello-world app
   (``hello_app.py``) under gunicorn with the same settings, driven by wrk (``load.lua``) in
   turns, as ``http_bench.py`` does: requests/s, their ratio, p50/p95/p99. Target (issue 9): at
   least 20% of the hello-world requests/s.

The page cache is on, as served: the first request per worker renders the page, every later one
reads the version of the user's regions (one statement) and sends the stored page, until a
conversation in them changes. ``--no-page-cache`` renders it on every request.

Exit status 1 when a target fails or the statements per request change with the data.

Run from the project root, with the virtualenv active (needs wrk and gunicorn; for PostgreSQL the
server on 127.0.0.1:5432, where a scratch database is created and dropped)::

    python bench/home_bench.py                       # both databases, about three minutes
    python bench/home_bench.py --database sqlite --sizes 1000 --seconds 2 --rounds 1
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from datetime import date, timedelta

from _common import (
    BENCH_EMAIL,
    DATABASES,
    DB_URL_ENV,
    PAGE_CACHE_ENV,
    Row,
    databases_of,
    load_average,
    machine_summary,
    prepare_database_url,
    print_table,
    scratch_database,
    signed_in_client,
    signed_in_cookie,
    statement_counter,
)
from http_bench import (
    HOST,
    Load,
    Server,
    combined,
    describe,
    fetch,
    rows_for,
    run_wrk,
    sign_in,
    start_server,
    stop_server,
)

PATH = "/"
REGIONS = 20
SIZES = (1_000, 10_000)
#: Per conversation: chosen questions, of which this many answered, and action points.
CHOSEN, ANSWERED, ACTIONS = 6, 4, 2
#: The target of the issue: at least this share of the baseline's requests/s.
MIN_RATIO = 0.20


# --------------------------------------------------------------------------------------------
# The data, in bulk
# --------------------------------------------------------------------------------------------


def _insert(table, rows: list[dict], size: int = 2_000) -> None:
    from sqlalchemy import insert

    from app.extensions import db

    for start in range(0, len(rows), size):
        db.session.execute(insert(table), rows[start : start + size])


def add_regions(app) -> list[int]:
    """``REGIONS`` regions, the benchmark account coordinator of each; their ids."""
    from sqlalchemy import select

    from app.accounts.models import Membership, User
    from app.accounts.roles import Role
    from app.extensions import db
    from app.regions.models import Region

    with app.app_context():
        _insert(Region.__table__, [
            {"name": f"Thuisregio {n:02d}", "slug": f"thuis-{n:02d}", "indicator_revision": 1}
            for n in range(1, REGIONS + 1)
        ])  # fmt: skip
        regions = list(db.session.scalars(
            select(Region.id).where(Region.slug.like("thuis-%")).order_by(Region.id)
        ))  # fmt: skip
        user_id = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
        _insert(Membership.__table__, [
            {"user_id": user_id, "region_id": r, "role": Role.COORDINATOR} for r in regions
        ])  # fmt: skip
        db.session.commit()
        db.session.remove()
    return regions


def add_conversations(app, regions: list[int], first: int, count: int) -> None:
    """Conversations ``first`` .. ``first + count - 1`` (numbered over all sizes), spread over
    ``regions``, each with ``CHOSEN`` chosen questions, ``ANSWERED`` answers and ``ACTIONS``
    action points."""
    from sqlalchemy import select

    from app.actions.models import ActionPoint, ActionStatus
    from app.conversations.models import Answer, Conversation, SelectedQuestion
    from app.extensions import db
    from app.questionnaires.registry import current_questionnaire

    with app.app_context():
        questionnaire = current_questionnaire().questionnaire
        phases = [p.id for p in questionnaire.phases]
        questions = [q.id for p in questionnaire.phases for q in p.questions][:CHOSEN]
        steps = [s.id for s in questionnaire.assessment_scale]
        snapshot = db.session.scalar(select(Conversation.questionnaire_snapshot_id).limit(1))
        start = date(2020, 1, 1)
        _insert(Conversation.__table__, [
            {"region_id": regions[n % len(regions)], "questionnaire_snapshot_id": snapshot,
             "title": f"Thuisoverleg {n + 1}", "held_on": start + timedelta(days=n % 2_500),
             "current_phase_id": phases[n % len(phases)], "revision": 1, "details_revision": 1}
            for n in range(first, first + count)
        ])  # fmt: skip
        made = db.session.execute(
            select(Conversation.id, Conversation.region_id)
            .where(Conversation.title.like("Thuisoverleg %"))
            .order_by(Conversation.id)
            .offset(first)
        ).all()
        _insert(SelectedQuestion.__table__, [
            {"conversation_id": c, "question_id": q, "position": i}
            for c, _r in made for i, q in enumerate(questions)
        ])  # fmt: skip
        _insert(Answer.__table__, [
            {"conversation_id": c, "question_id": q, "text": "Samen op te pakken.",
             "assessment_id": steps[(c + i) % len(steps)], "revision": 1}
            for c, _r in made for i, q in enumerate(questions[:ANSWERED])
        ])  # fmt: skip
        statuses = [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE]
        _insert(ActionPoint.__table__, [
            {"region_id": r, "conversation_id": c, "position": i + 1,
             "description": f"Actie {i + 1} van overleg {c}", "revision": 1,
             "status": statuses[(c + i) % len(statuses)]}
            for c, r in made for i in range(ACTIONS)
        ])  # fmt: skip
        db.session.commit()
        db.session.remove()


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def in_process(app, cookie: str, requests: int) -> tuple[list[str], int, float]:
    """The statements of one ``GET /``, the page's size in bytes and the median CPU ms per
    request over five batches, through the Flask test client."""
    client = signed_in_client(app, cookie)
    statements = statement_counter(app)
    for _ in range(3):
        response = client.get(PATH)
        if response.status_code != 200:
            raise RuntimeError(f"{PATH} answered {response.status_code}")
    statements.clear()
    size = len(client.get(PATH).data)
    seen = list(statements)
    batches = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(max(1, requests // 5)):
            client.get(PATH)
        batches.append((time.process_time() - start) * 1000 / max(1, requests // 5))
    return seen, size, statistics.median(batches)


def under_load(
    baseline: Server, handvat: Server, cookie: str, args
) -> tuple[Load, Load]:  # fmt: skip
    """Baseline and Handvat in turns: a warm-up each, then ``args.rounds`` rounds."""
    env = {"BENCH_MODE": "get", "BENCH_EXPECT": "200", "BENCH_COOKIE": cookie}
    common = dict(connections=args.connections, max_requests=args.max_requests)
    runs: dict[str, list[Load]] = {baseline.name: [], handvat.name: []}
    for server in (baseline, handvat):
        if args.warmup > 0:
            run_wrk(server, PATH, seconds=args.warmup, env={**env, "BENCH_RUN": "warm"},
                    **common)  # fmt: skip
    for n in range(args.rounds):
        for server in (baseline, handvat):
            runs[server.name].append(run_wrk(
                server, PATH, seconds=args.seconds, env={**env, "BENCH_RUN": str(n)}, **common
            ))  # fmt: skip
    for name, server_runs in runs.items():
        for n, load in enumerate(server_runs, start=1):
            print(describe(f"{name} {n}", load))
    totals = {name: combined(server_runs) for name, server_runs in runs.items()}
    for name, load in totals.items():
        print(describe(name, load))
    return totals[handvat.name], totals[baseline.name]


def run_on(database: str, args) -> tuple[list[Row], list[tuple], bool]:
    """Every size on one database: the result rows, summary lines and whether the statements
    per request stayed the same and every request got its expected answer."""
    rows: list[Row] = []
    summary: list[tuple] = []
    ok = True
    counts: dict[int, int] = {}
    with scratch_database(database) as url:
        print(f"\n=== {database}: scratch database {url.rsplit('/', 1)[-1]} ===")
        app = prepare_database_url(url, page_cache=not args.no_page_cache)
        regions = add_regions(app)
        cookie = signed_in_cookie(app)
        servers: list[Server] = []
        try:
            baseline = start_server("baseline", "hello_app:app", args.workers, {})
            servers.append(baseline)
            env = {DB_URL_ENV: url, **({PAGE_CACHE_ENV: "0"} if args.no_page_cache else {})}
            handvat = start_server("Handvat", "handvat_wsgi:app", args.workers, env)
            servers.append(handvat)
            wrk_cookie = sign_in(handvat)
            made = 0
            for size in sorted(args.sizes):
                started = time.monotonic()
                add_conversations(app, regions, made, size - made)
                made = size
                print(f"\n{size:,} conversations in {REGIONS} regions "
                      f"(added in {time.monotonic() - started:.1f} s)")  # fmt: skip
                statements, page_bytes, cpu_ms = in_process(app, cookie, args.requests)
                counts[size] = len(statements)
                print(f"  in process: {len(statements)} statements, {page_bytes:,} bytes, "
                      f"{cpu_ms:.2f} ms CPU per request")  # fmt: skip
                for statement in statements:
                    text = " ".join(statement.split())
                    print(f"    {text if len(text) <= 150 else text[:147] + '...'}")
                status, _page, _ = fetch(handvat, PATH, wrk_cookie)
                if status != 200:
                    raise RuntimeError(f"{PATH} under gunicorn answered {status}")
                hv, base = under_load(baseline, handvat, wrk_cookie, args)
                label = f"home page, {size:,} conversations"
                rows += rows_for(label, hv, base, MIN_RATIO)
                ratio = hv.rps / base.rps if base.rps else float("nan")
                summary.append((database, f"{size:,}", len(statements), page_bytes, base.rps,
                                hv.rps, ratio, hv.p95_ms, ratio >= MIN_RATIO))  # fmt: skip
                ok &= not (hv.unexpected or hv.socket_errors or base.unexpected)
        finally:
            for server in reversed(servers):
                stop_server(server)
    if len(set(counts.values())) > 1:
        print(f"\nFAIL on {database}: the statements per request changed with the data: {counts}")
        ok = False
    return rows, summary, ok


def print_summary(summary: list[tuple]) -> None:
    header = ("database", "conversations", "statements", "page bytes", "baseline req/s",
              "Handvat req/s", "ratio", "p95", "target", "result")  # fmt: skip
    lines = [
        (db, size, str(n), f"{b:,}", f"{base:,.0f}", f"{hv:,.0f}", f"{ratio:.3f}",
         f"{p95:.1f} ms", f">= {MIN_RATIO:.2f}", "pass" if passed else "FAIL")
        for db, size, n, b, base, hv, ratio, p95, passed in summary
    ]  # fmt: skip
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print("\nSummary: GET / (ratio = Handvat requests/s / baseline requests/s, same run)")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", choices=[*DATABASES, "both"], default="both",
        help="where Handvat's data lives: the embedded SQLite, PostgreSQL, or both (default)",
    )  # fmt: skip
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES),
        help="numbers of conversations to measure at, ascending (default 1000 10000)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=3, help="per wrk run (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds in turns (default 3)")
    parser.add_argument("--warmup", type=float, default=1, help="warm-up run first (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per run (100000)")
    parser.add_argument(
        "--requests", type=int, default=200, help="in-process requests per size (200)"
    )
    parser.add_argument(
        "--no-page-cache", action="store_true",
        help="render the page on every request (the page cache is on by default, as served)",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found; install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    print("Handvat home page benchmark")
    print("machine:", machine_summary(("gunicorn", "flask", "sqlalchemy", "psycopg")))
    print(f"{load_average()} at the start")
    print(
        f"gunicorn: {args.workers} sync workers, 1 thread each, on {HOST}. Load: wrk with "
        f"{args.connections} connections; per size a {args.warmup:g} s warm-up of each app, "
        f"then {args.rounds} rounds of {args.seconds:g} s, baseline and Handvat taking turns."
    )
    passed = True
    summary: list[tuple] = []
    for database in databases_of(args.database):
        rows, lines, ok = run_on(database, args)
        summary += lines
        print(f"\n{load_average()} after {database}")
        passed &= print_table(f"Results on {database} (ratio = Handvat / baseline)", rows)
        passed &= ok
    print_summary(summary)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
