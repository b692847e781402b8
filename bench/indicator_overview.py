"""HTTP benchmark: a region's indicator overview, ``GET /regio/<slug>/indicatoren``, under gunicorn.

The region holds 50 indicators × 10 years (yearly periods), each year 5 categories and a
"Totaal": 3,000 figures. They are read in the way a region reads them in: a long CSV as Dutch
Excel saves it, through ``read_indicator_file`` and ``store_plan``, in a scratch database that
also has the migrations, the demo and the benchmark account (coordinator of this region too).

Handvat and the bare hello-world Flask app (``hello_app.py``) run side by side under gunicorn
with the same settings as in ``http_bench.py`` (2 sync workers, 1 thread each, on loopback);
wrk (``load.lua``, plain GETs) drives both with the same load, in turns, in the same run. The
benchmark signs in through the sign-in form, so every request is a signed-in request.

Run from the project root, with the virtualenv active::

    python bench/indicator_overview.py            # about 30 seconds
    python bench/indicator_overview.py --help

Needs wrk (``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time

from _common import (
    BENCH_EMAIL,
    DB_ENV,
    Row,
    journal_mode,
    load_average,
    machine_summary,
    prepare_database,
    print_table,
    scratch_dir,
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

REGION = "Benchregio Indicatoren"
INDICATORS = 50
YEARS = list(range(2015, 2025))
CATEGORIES = ["Almelo", "Enschede", "Hengelo", "Oldenzaal", "Overige gemeenten"]
TOTAL = "Totaal"

#: The target of the issue: at least this share of the baseline's requests/s.
MIN_RATIO = 0.20


def indicator_csv(indicators: int = INDICATORS, years: list[int] = YEARS) -> bytes:
    """A long CSV as Dutch Excel saves it (";", decimal comma, UTF-8 with BOM): per indicator
    and year one row per category and a "Totaal" row (their sum). Every fifth indicator is a
    percentage with one decimal; the others are counts. Fixed values: no randomness needed."""
    lines = ["Indicator;Periode;Categorie;Waarde"]
    for i in range(1, indicators + 1):
        name = f"Indicator {i:02d}: jongeren met jeugdhulp in het mbo, variant {i}"
        rate = i % 5 == 0
        for year in years:
            values = [
                ((i * 7 + year * 3 + c * 11) % 90 + 10) / (10 if rate else 1)
                for c in range(len(CATEGORIES))
            ]
            rows = list(zip(CATEGORIES, values, strict=True))
            rows.append((TOTAL, sum(values) / len(values) if rate else sum(values)))
            for category, value in rows:
                text = f"{value:.1f}".replace(".", ",") + "%" if rate else f"{value:.0f}"
                lines.append(f"{name};{year};{category};{text}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def add_region_with_indicators(app) -> tuple[str, int, int]:
    """The benchmark region with the figures of ``indicator_csv``, the benchmark account its
    coordinator. Returns the region's slug, the indicators and the figures stored."""
    from sqlalchemy import func, select

    from app.accounts.models import User
    from app.accounts.operations import set_role
    from app.accounts.roles import Role
    from app.extensions import db
    from app.indicators.importer import read_indicator_file
    from app.indicators.models import Indicator, Observation
    from app.indicators.operations import store_plan
    from app.regions.operations import ensure_region

    with app.app_context():
        region = ensure_region(REGION, [])
        user = db.session.scalar(select(User).where(User.email == BENCH_EMAIL))
        set_role(user, region, Role.COORDINATOR)
        plan = read_indicator_file(indicator_csv(), "benchmark-indicatoren.csv")
        if not plan.can_import:
            raise RuntimeError(f"the benchmark file is refused: {plan.refusals[:3]}")
        store_plan(region, plan)
        db.session.commit()
        slug = region.slug
        indicators = db.session.scalar(
            select(func.count()).select_from(Indicator).where(Indicator.region_id == region.id)
        )
        figures = db.session.scalar(
            select(func.count()).select_from(Observation).where(Observation.region_id == region.id)
        )
        db.session.remove()
    return slug, indicators, figures


def open_session(server: Server, path: str) -> tuple[str, str]:
    """Sign in through the form, then read the overview once; the latest session cookie and
    the page (the first page after signing in stores a CSRF token and sets the cookie again)."""
    cookie = sign_in(server)
    status, page, new_cookie = fetch(server, path, cookie)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return new_cookie or cookie, page


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
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found; install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    print("Handvat indicator overview benchmark")
    print("machine:", machine_summary(("gunicorn", "flask", "sqlalchemy")))
    print(f"{load_average()} at the start")
    print(
        f"gunicorn: {args.workers} sync workers, 1 thread each, on {HOST}. Load: wrk with "
        f"{args.connections} connections (one per wrk thread); a {args.warmup:g} s warm-up of "
        f"each app, then {args.rounds} rounds of {args.seconds:g} s, baseline and Handvat "
        "taking turns under the same load."
    )

    with scratch_dir() as scratch:
        db_path = scratch / "handvat.sqlite"
        app = prepare_database(db_path)
        started = time.perf_counter()
        slug, indicators, figures = add_region_with_indicators(app)
        print(
            f"Region {REGION!r} ({slug}): {indicators} indicators, {figures:,} figures, "
            f"read in and stored in {time.perf_counter() - started:.1f} s"
        )
        path = f"/regio/{slug}/indicatoren"
        servers: list[Server] = []
        try:
            baseline = start_server("baseline", "hello_app:app", args.workers, {})
            servers.append(baseline)
            handvat = start_server(
                "Handvat", "handvat_wsgi:app", args.workers, {DB_ENV: str(db_path)}
            )
            servers.append(handvat)
            cookie, page = open_session(handvat, path)
            shown = len(re.findall(rf'<th scope="row"><a href="{re.escape(path)}/', page))
            print(f"GET {path}: {len(page.encode()):,} bytes, {shown} indicator links")
            if shown != indicators:
                raise RuntimeError(f"the overview shows {shown} indicators, not {indicators}")
            print(f"SQLite journal mode: {journal_mode(db_path)}")

            env = {"BENCH_COOKIE": cookie, "BENCH_MODE": "get", "BENCH_EXPECT": "200"}
            common = dict(connections=args.connections, max_requests=args.max_requests)
            turns = [baseline, handvat]
            loads: dict[str, list[Load]] = {server.name: [] for server in turns}
            print(f"\nIndicator overview: GET {path}")
            for server in turns:
                if args.warmup > 0:
                    run_wrk(server, path, seconds=args.warmup, env=env, **common)
            for _ in range(args.rounds):
                for server in turns:
                    loads[server.name].append(
                        run_wrk(server, path, seconds=args.seconds, env=env, **common)
                    )
            for name, runs in loads.items():
                for n, load in enumerate(runs, start=1):
                    print(describe(f"{name} {n}", load))
            totals = {name: combined(runs) for name, runs in loads.items()}
            for name, load in totals.items():
                print(describe(name, load))
        finally:
            for server in reversed(servers):
                stop_server(server)

    print(f"{load_average()} at the end")
    handvat_load, baseline_load = totals["Handvat"], totals["baseline"]
    rows: list[Row] = rows_for("indicator overview", handvat_load, baseline_load, MIN_RATIO)
    passed = print_table("Results (ratio = Handvat / baseline)", rows)
    if any(x.unexpected or x.socket_errors for x in totals.values()):
        print("\nWARNING: some requests got an unexpected status or a socket error (see above).")
        passed = False
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
