"""The region-wide action list at scale: 10,000 actions in 50 regions and 1,000 conversations.

Four figures, each beside a bare baseline from the same run:

1. **Statements per request**, in process (Flask test client, a SQLAlchemy event listener on the
   engine), for the list, a filtered list, "Mijn acties" and the board, once with 1,000 actions
   and again with 10,000: they must be the same (a fixed number of queries per page).
2. **The list page and the board under load**: Handvat (``wsgi_app()`` below) and the bare
   hello-world app (``hello_app.py``) under gunicorn with the same settings, driven by wrk
   (``load.lua``) with the same load in turns, as ``http_bench.py`` does. Target: at least 20%
   of the hello-world requests/s, for the pages as served (from the page cache while nothing
   in the user's regions changed: one cheap query decides). A second Handvat with the page
   cache off renders every request, for information. The benchmark account is coordinator in
   all 50 regions, so the list spans all 10,000 actions.
3. **The PDF of a 1,000-action filtered list** (``/acties/export.pdf?regio=...`` of five regions,
   export cache off): rendering alone and end to end through the test client, against one bare
   reportlab ``Table`` of the same rows. Target: at most 1.5 times the baseline's seconds.

The data are inserted in bulk (``INSERT ... VALUES`` of many rows at once), with a fixed seed:
every action has a trekker, most a due date (a tenth of them late), a phase, and a third a
progress update.

Runs on the embedded SQLite default (a scratch file) and on PostgreSQL: with ``DATABASE_URL``
set (``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) it creates a scratch database
``handvat_bench_<random>`` on that server and drops it at the end. Run from the project root,
with the virtualenv active (needs wrk and gunicorn)::

    python bench/action_list_bench.py                       # SQLite, about two minutes
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        python bench/action_list_bench.py                   # PostgreSQL
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from xml.sax.saxutils import escape

from _common import (
    BENCH_EMAIL,
    BENCH_NAME,
    BENCH_PASSWORD,
    BENCH_SECRET_KEY,
    Row,
    load_average,
    machine_summary,
    print_table,
    scratch_dir,
    signed_in_client,
    signed_in_cookie,
)
from http_bench import (
    combined,
    describe,
    fetch,
    rows_for,
    run_wrk,
    sign_in,
    start_server,
    stop_server,
)
from pdf_bench import timed

#: Where ``wsgi_app()`` finds the database (the gunicorn workers read it).
URL_ENV = "BENCH_ACTION_LIST_DB_URL"
CACHE_ENV = "BENCH_ACTION_LIST_PAGE_CACHE"
REGIONS = 50
CONVERSATIONS = 1_000
ACTIONS = 10_000
#: The first measurement of the statements, before the rest is added.
SMALL_ACTIONS = 1_000
PDF_REGIONS = 5  #: 5 of 50 regions: 1,000 of 10,000 actions
MIN_RATIO = 0.20
PDF_MAX_RATIO = 1.5

#: For comparison, under the same load: the cached conversation page (``http_bench.py`` (2)),
#: which passes the same target; its demo conversation is in the 51st region.
COMPARISON = {"conversation page (comparison)": "/gesprekken/1"}
PAGES = {
    "list": "/acties",
    "list, late, sorted by trekker": "/acties?status=open-alle&termijn=te-laat&sorteer=trekker",
    "mijn acties": "/acties/mijn",
    "board": "/acties/bord",
}


# --------------------------------------------------------------------------------------------
# The app, for gunicorn and in process
# --------------------------------------------------------------------------------------------


def config(url: str) -> dict:
    """As ``_common.bench_config``, for any database URL."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": BENCH_SECRET_KEY,
        "AUTO_UPGRADE_EMBEDDED_DB": False,
        "REQUIRE_TWO_FACTOR": False,
        # Each worker counts its own limits: with a PostgreSQL URL the app would otherwise ask
        # for a shared store (Redis), which the pages measured here do not touch.
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def wsgi_app():
    """The app gunicorn serves (``action_list_bench:wsgi_app()``), on ``URL_ENV``'s database;
    ``CACHE_ENV=0`` turns the page cache off, so every page is rendered."""
    from app import create_app

    page_cache = os.environ.get(CACHE_ENV, "1") != "0"
    return create_app({**config(os.environ[URL_ENV]), "PAGE_CACHE_ENABLED": page_cache})


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty database: a SQLite file, or a database on ``DATABASE_URL``'s server."""
    server = os.environ.get("DATABASE_URL")
    if not server:
        with scratch_dir() as folder:
            yield f"sqlite:///{folder / 'handvat.sqlite'}"
        return
    import sqlalchemy as sa

    name = f"handvat_bench_{uuid.uuid4().hex[:10]}"
    url = sa.make_url(server)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def prepare(url: str):
    """Migrations, the demo and the benchmark account, as ``_common.prepare_database`` does."""
    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.operations import ensure_user, set_password, set_role
    from app.accounts.roles import Role
    from app.demo.commands import load_demo
    from app.extensions import db

    app = create_app(config(url))
    with app.app_context():
        upgrade()
        demo = load_demo()
        user, _ = ensure_user(BENCH_EMAIL, BENCH_NAME)
        set_role(user, demo.region, Role.COORDINATOR)
        set_password(user, BENCH_PASSWORD)
        db.session.commit()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


# --------------------------------------------------------------------------------------------
# The data, in bulk
# --------------------------------------------------------------------------------------------

SUBJECTS = [
    "Werkgroep met de zorgverzekeraar starten over ggz voor studenten van 18 jaar en ouder",
    "Proces- en financieringsvoorstel opstellen voor de inzet van hulpverleners op het ROC",
    "Analyse zorg binnen het mbo afronden met cijfers van mbo en gemeenten",
    "Vast overleg starten tussen Loopbaancentrum, jeugdconsulenten en hulpverleners",
    "Afspraken maken over de overgang van 18- naar 18+ (Jeugdwet, Wmo, zorgverzekering)",
    "Contactpersoon per gemeente aanwijzen voor signalen van het mbo",
    "Privacyafspraken over gegevensdeling tussen school en wijkteam op papier zetten",
]
OWNERS = [
    ("P. Bosch", "Menzis"),
    ("K. Mulder", "OZJT (Samen14)"),
    ("A. de Vries", "Kennispunt Twente"),
    ("S. Kamphuis", "Gemeente Almelo"),
    ("M. Nijhuis", "ROC van Twente"),
    ("E. Scholten", "Mediant"),
]


def _batches(rows: list[dict], size: int = 1_000) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(model, rows: list[dict]) -> None:
    from sqlalchemy import insert

    from app.extensions import db

    for batch in _batches(rows):
        db.session.execute(insert(model), batch)


class Seeder:
    """Adds regions, conversations, actions and updates in bulk; knows what it made."""

    def __init__(self, app):
        self.app = app
        self.rng = random.Random(20261123)
        self.regions: list[int] = []
        self.conversations: list[tuple[int, int]] = []  #: (id, region id)
        self.actions = 0

    def regions_and_roles(self, count: int) -> None:
        from sqlalchemy import select

        from app.accounts.models import Membership, User
        from app.accounts.roles import Role
        from app.extensions import db
        from app.regions.models import Region

        with self.app.app_context():
            _insert(Region, [{"name": f"Benchregio {n:02d}", "slug": f"bench-{n:02d}"}
                             for n in range(1, count + 1)])  # fmt: skip
            self.regions = list(db.session.scalars(
                select(Region.id).where(Region.slug.like("bench-%")).order_by(Region.id)
            ))  # fmt: skip
            user_id = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
            _insert(Membership, [{"user_id": user_id, "region_id": r, "role": Role.COORDINATOR}
                                 for r in self.regions])  # fmt: skip
            db.session.commit()

    def conversations_and_actions(self, conversations: int, actions: int) -> None:
        """``conversations`` more conversations spread over the regions, and ``actions`` more
        actions spread over all conversations made so far."""
        from sqlalchemy import func, select

        from app.accounts.models import User
        from app.actions.models import ActionPoint, ActionUpdate
        from app.conversations.models import Conversation
        from app.core.formatting import local_now
        from app.extensions import db
        from app.questionnaires.registry import current_questionnaire

        with self.app.app_context():
            snapshot = db.session.scalar(select(Conversation.questionnaire_snapshot_id).limit(1))
            user_id = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
            questionnaire = current_questionnaire().questionnaire
            phases = [p.id for p in questionnaire.phases]
            first = len(self.conversations)
            _insert(Conversation, [
                {"region_id": self.regions[n % len(self.regions)], "title": f"Overleg {n + 1}",
                 "questionnaire_snapshot_id": snapshot, "held_on": date(2026, 1, 1)
                 + timedelta(days=n % 300), "current_phase_id": phases[n % len(phases)]}
                for n in range(first, first + conversations)
            ])  # fmt: skip
            self.conversations = [tuple(row) for row in db.session.execute(
                select(Conversation.id, Conversation.region_id)
                .where(Conversation.title.like("Overleg %")).order_by(Conversation.id)
            )]  # fmt: skip
            today = local_now().date()
            before = db.session.scalar(select(func.coalesce(func.max(ActionPoint.id), 0)))
            _insert(ActionPoint, [self._action(n, today, phases, user_id) for n in range(actions)])
            self.actions += actions
            added = db.session.execute(
                select(ActionPoint.id, ActionPoint.region_id).where(ActionPoint.id > before)
            ).all()
            _insert(ActionUpdate, [
                {"action_id": a, "region_id": r, "written_on": today - timedelta(days=a % 30),
                 "text": "Overleg gehouden; volgende stap afgesproken."}
                for a, r in added if a % 3 == 0
            ])  # fmt: skip
            db.session.commit()

    def _action(self, n: int, today: date, phases: list[str], user_id: int) -> dict:
        from app.actions.models import ActionStatus

        rng = self.rng
        conversation_id, region_id = self.conversations[
            (self.actions + n) % len(self.conversations)
        ]
        owner, organisation = rng.choice(OWNERS)
        number = self.actions + n + 1
        return {
            "region_id": region_id,
            "conversation_id": conversation_id,
            # Unique per conversation is all the list needs; the page does not renumber.
            "position": number,
            "description": f"{rng.choice(SUBJECTS)} (punt {number}).",
            "phase_id": rng.choice([*phases, None]),
            "owner_name": owner,
            "owner_organisation": organisation,
            "owner_user_id": user_id if n % 10 == 0 else None,
            "due_date": today + timedelta(days=rng.randrange(-60, 540))
            if rng.random() < 0.85 else None,
            "status": rng.choice([ActionStatus.OPEN, ActionStatus.OPEN, ActionStatus.IN_PROGRESS,
                                  ActionStatus.DONE, ActionStatus.EMBEDDED,
                                  ActionStatus.CANCELLED]),
            "creation_token": f"bench-{number}",
            "revision": 1,
        }  # fmt: skip


# --------------------------------------------------------------------------------------------
# (1) Statements per request
# --------------------------------------------------------------------------------------------


def statements_per_request(app, client) -> dict[str, int]:
    from sqlalchemy import event

    from app.extensions import db

    counts = {}
    with app.app_context():
        engine = db.engine
    for label, path in PAGES.items():
        client.get(path)  # warm up
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args, seen=seen):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts[label] = len(seen)
    return counts


# --------------------------------------------------------------------------------------------
# (3) The PDF against a bare table
# --------------------------------------------------------------------------------------------


def bare_table_pdf(rows) -> bytes:
    """SimpleDocTemplate + one Table of the same rows and columns as Handvat's filtered list:
    Paragraphs only where text must wrap, plain strings elsewhere (as ``pdf_bench.py``)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    style = getSampleStyleSheet()["BodyText"].clone("cell", fontSize=9, leading=11.5)

    def para(text: str) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    data: list[list] = [["Nr.", "Actie", "Gesprek / fase", "Trekker", "Uiterlijk", "Status"]]
    for r in rows:
        update = f"\nLaatste voortgang: {r.latest_update.text}" if r.latest_update else ""
        data.append([
            str(r.number),
            para(r.description + update),
            para("\n".join(t for t in (r.conversation, r.phase) if t)),
            "\n".join(t for t in (r.owner_name, r.owner_organisation) if t) or "-",
            r.due_date.strftime("%d-%m-%Y") if r.due_date else "-",
            r.status,
        ])  # fmt: skip
    widths = [w * cm for w in (0.9, 6.1, 3.8, 3.0, 1.7, 1.5)]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
    ]))  # fmt: skip
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
        bottomMargin=2 * cm,
    ).build([table])  # fmt: skip
    return buffer.getvalue()


def pdf_rows(app, client, cookie: str, seeder: Seeder, runs: int) -> list[Row]:
    from app.accounts.access import current_access
    from app.core.formatting import local_now
    from app.exports.overview_pdf import render_overview_pdf
    from app.extensions import db
    from app.questionnaires.registry import current_questionnaire
    from app.regions.models import Region
    from app.tracking import queries
    from app.tracking.documents import overview_document
    from app.tracking.filters import ActionFilter
    from app.tracking.queries import Viewer

    with app.app_context():
        slugs = list(db.session.scalars(
            db.select(Region.slug).where(Region.id.in_(seeder.regions[:PDF_REGIONS]))
        ))  # fmt: skip
    query = "&".join(f"regio={slug}" for slug in slugs)
    with app.test_request_context(headers={"Cookie": cookie}):
        user = current_access().user
        viewer = Viewer(user.id, local_now().date())
        f = ActionFilter(regions=tuple(slugs))
        document = overview_document(
            queries.export_rows(f, viewer), description="regio's", regions=slugs,
            today=viewer.today, questionnaire=current_questionnaire().questionnaire,
        )  # fmt: skip
        db.session.remove()
    print(f"\n(3) PDF of a filtered list: {len(document.rows):,} actions ({PDF_REGIONS} regions)")

    def end_to_end() -> bytes:
        response = client.get(f"/acties/export.pdf?{query}")
        if response.status_code != 200:
            raise RuntimeError(f"export.pdf answered {response.status_code}")
        return response.data

    makers: dict[str, Callable[[], bytes]] = {
        "baseline (one bare Table)": lambda: bare_table_pdf(document.rows),
        "Handvat render only": lambda: render_overview_pdf(document),
        "Handvat end to end (GET export.pdf)": end_to_end,
    }
    timings = timed(runs, makers)
    for timing in timings.values():
        print(timing.describe())
    base, render, e2e = timings.values()
    n = f"{len(document.rows):,}"
    return [
        Row(f"PDF {n} actions: render only", render.median, base.median, "s", "max_ratio",
            PDF_MAX_RATIO),
        Row(f"PDF {n} actions: end to end", e2e.median, base.median, "s", "max_ratio",
            PDF_MAX_RATIO),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# (2) Under load
# --------------------------------------------------------------------------------------------


def http_rows(url: str, args) -> list[Row]:
    """The pages as served (from the page cache while the data are unchanged) and rendered on
    every request (a second Handvat with the page cache off), the baseline taking turns."""
    servers = []
    rows: list[Row] = []
    try:
        baseline = start_server("baseline", "hello_app:app", args.workers, {})
        servers.append(baseline)
        handvat = start_server(
            "Handvat", "action_list_bench:wsgi_app()", args.workers, {URL_ENV: url}
        )
        servers.append(handvat)
        uncached = start_server(
            "Handvat, cache off", "action_list_bench:wsgi_app()", args.workers,
            {URL_ENV: url, CACHE_ENV: "0"},
        )  # fmt: skip
        servers.append(uncached)
        env = {"BENCH_COOKIE": _session(handvat), "BENCH_MODE": "get", "BENCH_EXPECT": "200"}
        common = dict(connections=args.connections, max_requests=args.max_requests)
        turns = (baseline, handvat, uncached)
        for label, path in {**PAGES, **COMPARISON}.items():
            if label not in ("list", "board", *COMPARISON) and not args.all_pages:
                continue
            print(f"\n(2) {label}: GET {path}")
            loads: dict[str, list] = {server.name: [] for server in turns}
            for server in turns:
                run_wrk(server, path, seconds=args.warmup, env={**env, "BENCH_RUN": "warm"},
                        **common)  # fmt: skip
            for n in range(args.rounds):
                for server in turns:
                    loads[server.name].append(run_wrk(
                        server, path, seconds=args.seconds, env={**env, "BENCH_RUN": str(n)},
                        **common,
                    ))  # fmt: skip
            totals = {name: combined(runs) for name, runs in loads.items()}
            for name, load in totals.items():
                print(describe(name, load))
                if load.unexpected or load.socket_errors:
                    print(f"WARNING: {name} had unexpected answers or socket errors")
            base = totals["baseline"]
            target = None if label in COMPARISON else MIN_RATIO
            rows += rows_for(label, totals["Handvat"], base, target)
            rows += rows_for(f"{label}, cache off", totals["Handvat, cache off"], base, None)
    finally:
        for server in reversed(servers):
            stop_server(server)
    return [r for r in rows if "p50" not in r.metric and "p99" not in r.metric]


def _session(server) -> str:
    """A signed-in session cookie that already holds its CSRF token (the sign-out form stores
    it with the first page), as a browser would send it from the second page on."""
    cookie = sign_in(server)
    for _ in range(2):
        status, _page, new_cookie = fetch(server, "/acties", cookie)
        if status != 200:
            raise RuntimeError(f"/acties answered {status}")
        cookie = new_cookie or cookie
    return cookie


# --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3, help="per wrk run (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per app (default 3)")
    parser.add_argument("--warmup", type=float, default=1, help="warm-up run (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per run (100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed PDF runs (default 3)")
    parser.add_argument("--all-pages", action="store_true",
                        help="also load the filtered list and Mijn acties")  # fmt: skip
    parser.add_argument("--no-http", action="store_true", help="skip the load test")
    args = parser.parse_args()
    if not args.no_http and shutil.which("wrk") is None:
        print("wrk not found; install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    print("Handvat action list benchmark")
    print("machine:", machine_summary(("gunicorn", "flask", "sqlalchemy", "reportlab")))
    print(f"{load_average()} at the start")
    rows: list[Row] = []
    with scratch_database() as url, scratch_dir() as scratch:
        print("database:", url.split("://", 1)[0], "(scratch)")
        app = prepare(url)
        # Render on every request, and keep the app out of ``instance/``.
        app.config["EXPORT_CACHE_ENABLED"] = False
        app.config["EXPORT_CACHE_FOLDER"] = str(scratch / "export-cache")
        seeder = Seeder(app)
        seeder.regions_and_roles(REGIONS)
        seeder.conversations_and_actions(CONVERSATIONS // 10, SMALL_ACTIONS)
        cookie = signed_in_cookie(app)
        client = signed_in_client(app, cookie)
        app.config["PAGE_CACHE_ENABLED"] = False  # count what rendering a page costs
        small = statements_per_request(app, client)
        seeder.conversations_and_actions(
            CONVERSATIONS - CONVERSATIONS // 10, ACTIONS - SMALL_ACTIONS
        )
        large = statements_per_request(app, client)
        app.config["PAGE_CACHE_ENABLED"] = True
        served = statements_per_request(app, client)
        print(f"\n(1) Statements per request ({REGIONS} regions, signed in as coordinator of all)")
        print("  rendered (page cache off), and as served again (page cache on):")
        for label in PAGES:
            print(f"  {label:<32} {SMALL_ACTIONS:,} actions: {small[label]:>2}"
                  f"   {seeder.actions:,} actions: {large[label]:>2}"
                  f"   served again: {served[label]:>2}")  # fmt: skip
        constant = small == large
        print("  constant: " + ("yes" if constant else "NO"))
        rows += pdf_rows(app, client, cookie, seeder, args.runs)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        if not args.no_http:
            rows += http_rows(url, args)
    print(f"\n{load_average()} at the end")
    passed = print_table("Results (ratio = Handvat / baseline)", rows) and constant
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
