"""HTTP benchmark: the API's action listing, ``GET /api/v1/actions?pageSize=100``, under gunicorn.

The database holds 10,000 action points across 50 regions and 1,000 conversations (20 per
region, 10 action points each); the benchmark account is a member of all 50 regions and reads
with a personal access token (``Authorization: Bearer``), so every request authenticates the
token and reads its owner's 50 roles. The API keeps the pages of this list per worker
(``app/api/cache.py``) and serves one again only while the version of the owner's regions
(every conversation with its revision, read with the token in the same statement) is the same:
that is what wrk measures, as a dashboard that refreshes gets it. ``--no-cache`` measures the
page made on every request instead (count the action points of the 50 regions, read the first
100, shape them, encode 93 KB of JSON). Before measuring, the benchmark checks the answer (100
action points, ``X-Total-Count: 10000``) and counts the SQL statements of a page made and of a
page served again, at this size and at a tenth of it: they must be the same.

Handvat and the bare hello-world Flask app (``hello_app.py``) run side by side under gunicorn
with the same settings as in ``http_bench.py`` (2 sync workers, 1 thread each, on loopback);
wrk drives both with the same load (a small Lua script that sends the token to both), in turns,
in the same run. The API's rate limit per token stays on, set high enough for the benchmark's
load (``API_RATE_LIMIT``), so its bookkeeping is measured but never refuses a request.

SQLite (the embedded default, a scratch file) unless ``DATABASE_URL`` names a PostgreSQL
server: then a scratch database is created on that server for the run and dropped afterwards.

Run from the project root, with the virtualenv active::

    python bench/api_bench.py                                        # SQLite, about 40 s
    DATABASE_URL=postgresql://postgres@127.0.0.1/postgres python bench/api_bench.py
    python bench/api_bench.py --no-cache           # every page made (a first read, a change)

Needs wrk (``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import http_bench
from _common import (
    BENCH_SECRET_KEY,
    Row,
    load_average,
    machine_summary,
    print_table,
    scratch_dir,
)
from http_bench import (
    HOST,
    Load,
    combined,
    describe,
    rows_for,
    run_wrk,
    start_server,
    stop_server,
)

#: The environment variables through which ``wsgi_app()`` learns the scratch database, and
#: whether the API keeps pages (``--no-cache``: "0").
URL_ENV = "BENCH_API_DATABASE_URL"
CACHE_ENV = "BENCH_API_LIST_CACHE"
PATH = "/api/v1/actions?pageSize=100"
REGIONS = 50
CONVERSATIONS_PER_REGION = 20
ACTIONS_PER_CONVERSATION = 10
BENCH_EMAIL = "api-bench@handvat.test"
#: The target of the issue: at least this share of the baseline's requests/s.
MIN_RATIO = 0.20
#: High enough that the benchmark's load is never refused; the limiter still counts.
RATE_LIMIT = "10000000 per minute"

#: GETs with the token; prints the same ``BENCH ...`` line as ``load.lua``, which run_wrk reads.
LOAD_SCRIPT = r"""
local threads = {}
function setup(thread)
   table.insert(threads, thread)
end
function init(args)
   sent, ok, unexpected, conflicts = 0, 0, 0, 0
   limit = tonumber(os.getenv("BENCH_MAX") or "100000")
   expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
   headers = {["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")}
end
function request()
   sent = sent + 1
   if sent > limit then
      wrk.thread:stop()
   end
   return wrk.format("GET", nil, headers, nil)
end
function response(status, hdrs, body)
   if status == expect then ok = ok + 1 else unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
   local ok_total, unexpected_total = 0, 0
   for _, thread in ipairs(threads) do
      ok_total = ok_total + (thread:get("ok") or 0)
      unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d ok=%d "
         .. "unexpected=%d conflicts=0 connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.max, ok_total, unexpected_total,
      e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def config(url: str, *, cache: bool = True) -> dict:
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": BENCH_SECRET_KEY,
        "AUTO_UPGRADE_EMBEDDED_DB": False,
        "API_RATE_LIMIT": RATE_LIMIT,
        # Each worker counts its own limits: with a PostgreSQL URL the app would otherwise ask
        # for a shared store (Redis), which the pages measured here do not touch.
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    if not cache:
        settings["API_LIST_CACHE_BYTES"] = 0
    return settings


def wsgi_app():
    """For gunicorn (``api_bench:wsgi_app()``): the app on the scratch database."""
    from app import create_app

    return create_app(config(os.environ[URL_ENV], cache=os.environ.get(CACHE_ENV) != "0"))


# --------------------------------------------------------------------------------------------
# The scratch database
# --------------------------------------------------------------------------------------------


def postgres_scratch(server_url: str) -> tuple[str, str]:
    """A new database on the server ``DATABASE_URL`` names: (its URL, its name)."""
    import sqlalchemy as sa

    from app.config import database_url

    base = database_url("")  # from DATABASE_URL, with the psycopg driver
    name = f"handvat_bench_api_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.rsplit("/", 1)[0] + "/" + name, name


def drop_postgres_scratch(url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def seed(url: str) -> str:
    """Migrations, 50 regions of 20 conversations of 10 action points, the benchmark account
    (a member of every region) and its read token; returns the token."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app import create_app
    from app.accounts.operations import ensure_user, set_role
    from app.accounts.roles import Role
    from app.actions.models import ActionPoint, ActionPriority, ActionStatus
    from app.api.models import TokenScope
    from app.api.operations import create_token
    from app.conversations.models import Conversation, OrganisationType
    from app.conversations.operations import (
        ConversationDetails,
        ParticipantData,
        start_conversation,
    )
    from app.extensions import db
    from app.regions.operations import ensure_region

    app = create_app(config(url))
    with app.app_context():
        upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        user, _ = ensure_user(BENCH_EMAIL, "API-benchmark")
        regions = []
        for number in range(1, REGIONS + 1):
            region = ensure_region(f"Benchregio {number:02d}", [f"Gemeente {number:02d}"])
            set_role(user, region, Role.MEMBER)
            regions.append(region)
        db.session.commit()
        # One conversation the ordinary way, for its questionnaire snapshot; the rest in bulk.
        first = start_conversation(
            ConversationDetails("Gesprek 1", regions[0], date(2026, 1, 1), "verkennen"),
            [ParticipantData("Anna", "Gemeente", OrganisationType.MUNICIPALITY, "Wethouder")],
        ).conversation
        db.session.commit()
        now = datetime.now(UTC)
        rows = [
            {
                "region_id": region.id,
                "questionnaire_snapshot_id": first.questionnaire_snapshot_id,
                "title": f"Gesprek {r * CONVERSATIONS_PER_REGION + c + 1}",
                "held_on": date(2026, 1, 1) + timedelta(days=c),
                "current_phase_id": "verkennen",
                "created_dt": now,
                "updated_dt": now,
            }
            for r, region in enumerate(regions)
            for c in range(CONVERSATIONS_PER_REGION)
        ][1:]
        db.session.execute(insert(Conversation.__table__), rows)
        conversations = db.session.execute(
            db.select(Conversation.id, Conversation.region_id).order_by(Conversation.id)
        ).all()
        statuses = list(ActionStatus.open_statuses()) + [ActionStatus.DONE]
        actions = [
            {
                "region_id": region_id,
                "conversation_id": conversation_id,
                "position": position,
                "description": f"Actiepunt {position} van gesprek {conversation_id}: afspraken "
                "maken over de aansluiting tussen onderwijs en zorg.",
                "question_id": None,
                "phase_id": "verkennen",
                "owner_name": "Trekker",
                "owner_organisation": "Gemeente",
                "due_date": date(2026, 1, 1) + timedelta(days=position * 30),
                "status": statuses[position % len(statuses)],
                "priority": ActionPriority.NORMAL,
                "embedded_reference": "",
                "revision": 1,
                "created_dt": now,
                "updated_dt": now,
            }
            for conversation_id, region_id in conversations
            for position in range(1, ACTIONS_PER_CONVERSATION + 1)
        ]
        db.session.execute(insert(ActionPoint.__table__), actions)
        token = create_token(user, "Benchmark", TokenScope.READ).secret
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return token


@dataclass(frozen=True)
class Statements:
    """SQL statements of one listing: a page made and a page served again (the most
    parameters any of them carries)."""

    made: int
    served_again: int
    parameters: int


def statements_per_request(url: str, token: str) -> Statements:
    """The statements of a page made (after a first listing, which parses the questionnaire
    once per process, and with the kept pages dropped) and of the same page served again."""
    import sqlalchemy as sa

    from app import create_app
    from app.api.cache import page_cache
    from app.extensions import db

    app = create_app(config(url))
    counted: list[int] = []

    def count(_conn, _cursor, _statement, parameters, _context, _many):
        counted.append(len(parameters or ()))

    def listing() -> int:
        before = len(counted)
        response = client.get(PATH, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{PATH} answered {response.status_code}")
        return len(counted) - before

    with app.app_context():
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        client.get(PATH, headers=headers)
        page_cache().clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        made = listing()
        served_again = listing()
        sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
        db.engine.dispose()
    return Statements(made, served_again, max(counted))


def keep_a_tenth(url: str) -> int:
    """Delete nine in ten action points (all but the first 100 conversations'); how many are
    left."""
    import sqlalchemy as sa

    from app import create_app
    from app.actions.models import ActionPoint
    from app.extensions import db

    app = create_app(config(url))
    with app.app_context():
        db.session.execute(sa.delete(ActionPoint).where(ActionPoint.conversation_id > 100))
        db.session.commit()
        left = db.session.scalar(sa.select(sa.func.count()).select_from(ActionPoint))
        db.session.remove()
        db.engine.dispose()
    return left


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


def check_answer(base: str, token: str) -> int:
    request = urllib.request.Request(base + PATH, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        total = response.headers["X-Total-Count"]
    document = json.loads(body)
    shown = len(document["_embedded"]["actions"])
    if shown != 100 or total != str(REGIONS * CONVERSATIONS_PER_REGION * ACTIONS_PER_CONVERSATION):
        raise RuntimeError(f"{PATH} gave {shown} action points of {total}")
    return len(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3, help="per run (default 3)")
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="runs per app, baseline and Handvat taking turns (default 3)",
    )  # fmt: skip
    parser.add_argument("--warmup", type=float, default=1, help="warm-up run first (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument(
        "--connections", type=int, default=4, help="concurrent connections, one per wrk thread (4)"
    )
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="upper bound per run (100000)"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="make the page on every request (API_LIST_CACHE_BYTES=0): a first read, a change",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found; install it with: apt-get install -y wrk", file=sys.stderr)
        return 2
    server_url = os.environ.get("DATABASE_URL")
    database = "PostgreSQL" if server_url else "SQLite"
    served = "made on every request" if args.no_cache else "kept and served again"

    print(f"Handvat API benchmark ({database}, pages {served})")
    print("machine:", machine_summary(("gunicorn", "flask", "sqlalchemy", "psycopg")))
    print(f"{load_average()} at the start")
    print(
        f"gunicorn: {args.workers} sync workers, 1 thread each, on {HOST}. Load: wrk with "
        f"{args.connections} connections (one per wrk thread); a {args.warmup:g} s warm-up of "
        f"each app, then {args.rounds} rounds of {args.seconds:g} s, baseline and Handvat "
        "taking turns under the same load."
    )

    with scratch_dir() as scratch:
        scratch_name = None
        if server_url:
            url, scratch_name = postgres_scratch(server_url)
        else:
            url = f"sqlite:///{scratch / 'handvat.sqlite'}"
        servers = []
        try:
            started = time.perf_counter()
            token = seed(url)
            total = REGIONS * CONVERSATIONS_PER_REGION * ACTIONS_PER_CONVERSATION
            print(
                f"{total:,} action points in {REGIONS} regions and "
                f"{REGIONS * CONVERSATIONS_PER_REGION:,} conversations, stored in "
                f"{time.perf_counter() - started:.1f} s"
            )
            statements = statements_per_request(url, token)
            print(
                f"GET {PATH} at {total:,} action points: {statements.made} SQL statements for "
                f"a page made, {statements.served_again} for a page served again; at most "
                f"{statements.parameters} parameters in one (the token; the regions as one "
                "value, the page size and offset: never one per region or row)"
            )
            script = scratch / "api_load.lua"
            script.write_text(LOAD_SCRIPT)
            # ``run_wrk`` runs the module's load script; this benchmark needs the token in it.
            http_bench.LOAD_SCRIPT = script
            baseline = start_server("baseline", "hello_app:app", args.workers, {})
            servers.append(baseline)
            handvat = start_server(
                "Handvat",
                "api_bench:wsgi_app()",
                args.workers,
                {URL_ENV: url, CACHE_ENV: "0" if args.no_cache else "1"},
            )
            servers.append(handvat)
            size = check_answer(handvat.base, token)
            print(f"GET {PATH}: {size:,} bytes of JSON, 100 action points, X-Total-Count {total}")

            env = {"BENCH_TOKEN": token, "BENCH_EXPECT": "200"}
            common = dict(connections=args.connections, max_requests=args.max_requests)
            turns = [baseline, handvat]
            loads: dict[str, list[Load]] = {server.name: [] for server in turns}
            print(f"\nAPI action listing: GET {PATH}, pages {served}")
            for server in turns:
                if args.warmup > 0:
                    run_wrk(server, PATH, seconds=args.warmup, env=env, **common)
            for _ in range(args.rounds):
                for server in turns:
                    loads[server.name].append(
                        run_wrk(server, PATH, seconds=args.seconds, env=env, **common)
                    )
            for name, runs in loads.items():
                for n, load in enumerate(runs, start=1):
                    print(describe(f"{name} {n}", load))
            totals = {name: combined(runs) for name, runs in loads.items()}
            for name, load in totals.items():
                print(describe(name, load))
            for server in reversed(servers):
                stop_server(server)
            servers = []
            left = keep_a_tenth(url)
            fewer = statements_per_request(url, token)
            same = (fewer.made, fewer.served_again) == (statements.made, statements.served_again)
            print(
                f"\nGET {PATH} at {left:,} action points: {fewer.made} SQL statements for a "
                f"page made, {fewer.served_again} for a page served again; at {total:,}: "
                f"{statements.made} and {statements.served_again}: "
                + ("the same" if same else "NOT THE SAME")
            )
        finally:
            for server in reversed(servers):
                stop_server(server)
            if scratch_name:
                drop_postgres_scratch(url, scratch_name)

    print(f"{load_average()} at the end")
    handvat_load, baseline_load = totals["Handvat"], totals["baseline"]
    label = f"API listing ({database}{', no cache' if args.no_cache else ''})"
    rows: list[Row] = rows_for(label, handvat_load, baseline_load, MIN_RATIO)
    passed = print_table("Results (ratio = Handvat / baseline)", rows)
    if not same:
        print("\nWARNING: the number of statements per request depends on the number of rows.")
        passed = False
    if any(x.unexpected or x.socket_errors for x in totals.values()):
        print("\nWARNING: some requests got an unexpected status or a socket error (see above).")
        passed = False
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
