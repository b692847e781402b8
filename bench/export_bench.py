"""Export benchmark: the 1,000-action PDF from the export cache, and cheap requests during a
big export.

Two parts, on one scratch database (the demo conversation brought to 1,000 action points, as in
``pdf_bench.py``):

* **In process** (Flask test client, no network): ``GET /gesprekken/1/actielijst.pdf`` rendered
  every time (export cache off) and served from the export cache (the second and later
  downloads of unchanged content), beside the bare reportlab table of ``pdf_bench.py``.
* **Under gunicorn** (2 sync workers, loopback, as in ``http_bench.py``): the latency of a cheap
  request (``GET /``) while the server is idle, while one client downloads the 1,000-action PDF
  over and over (export cache off, so every download renders), and while two clients do so at
  the same time (for information: with one export slot, the second waits for it).

Every request carries a signed-in session of the benchmark account (``signed_in_cookie``), so
``GET /`` is the signed-in home page with the user's regions and conversations.

Run from the project root, with the virtualenv active (needs gunicorn: ``pip install -e
".[bench]"``)::

    python bench/export_bench.py            # about a minute
    python bench/export_bench.py --help
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    DB_ENV,
    Row,
    bench_config,
    load_average,
    machine_summary,
    prepare_database,
    print_table,
    scratch_dir,
    signed_in_client,
    signed_in_cookie,
)
from http_bench import HOST, start_server, stop_server

ACTION_COUNT = 1_000
PDF = "/gesprekken/1/actielijst.pdf"
CHEAP = "/"
#: The PDF target of ``pdf_bench.py``: at most 1.5 times the bare table's seconds.
MAX_RATIO = 1.5
#: A cheap request while a big export renders in another worker: p95 below this.
CHEAP_MAX_P95_MS = 50.0
#: Seconds between two cheap requests of the sampler.
SAMPLE_INTERVAL = 0.05
#: Where ``wsgi_app`` keeps its export cache (a folder in the scratch directory).
EXPORT_FOLDER_ENV = "BENCH_HANDVAT_EXPORT_FOLDER"


def wsgi_app():
    """Handvat for gunicorn: the scratch database, the export cache in the scratch directory and
    off (every download renders), export slots and waiting as configured by default."""
    from app import create_app

    return create_app(
        {
            **bench_config(Path(os.environ[DB_ENV])),
            "EXPORT_CACHE_FOLDER": os.environ[EXPORT_FOLDER_ENV],
            "EXPORT_CACHE_ENABLED": False,
        }
    )


# --------------------------------------------------------------------------------------------
# In process: rendered against cached
# --------------------------------------------------------------------------------------------


def prepare(scratch: Path, actions: int):
    """The scratch database with the demo conversation at ``actions`` action points; the app
    with its export cache in the scratch directory (never in ``instance/``)."""
    from pdf_bench import action_data

    app = prepare_database(scratch / "handvat.sqlite")
    app.config["EXPORT_CACHE_FOLDER"] = str(scratch / "export-cache")
    from app.actions.operations import add_action
    from app.actions.queries import actions_of
    from app.conversations.queries import get_conversation_or_404
    from app.exports.queries import action_list_document
    from app.extensions import db

    cookie = signed_in_cookie(app)
    # Signed in: every read of a conversation checks the user's role in its region.
    with app.test_request_context(headers={"Cookie": cookie}):
        conversation = get_conversation_or_404(1)
        for data in action_data(actions - len(actions_of(conversation))):
            add_action(conversation, data)
        db.session.commit()
        conversation = get_conversation_or_404(1)
        document = action_list_document(conversation, actions_of(conversation))
        db.session.remove()
        db.engine.dispose()
    return app, document, cookie


def in_process_rows(app, document, cookie: str, runs: int) -> list[Row]:
    from pdf_bench import baseline_pdf, timed

    import app.exports.routes as routes

    renders = []
    real = routes.render_action_list_pdf

    def counting(doc):
        renders.append(1)
        return real(doc)

    routes.render_action_list_pdf = counting
    client = signed_in_client(app, cookie)

    def download() -> bytes:
        response = client.get(PDF)
        if response.status_code != 200 or response.mimetype != "application/pdf":
            raise RuntimeError(f"{PDF} answered {response.status_code}")
        return response.data

    def rendered() -> bytes:
        app.config["EXPORT_CACHE_ENABLED"] = False
        try:
            return download()
        finally:
            app.config["EXPORT_CACHE_ENABLED"] = True

    try:
        makers = {
            "baseline (one bare Table)": lambda: baseline_pdf(document.actions),
            "Handvat GET, rendered (cache off)": rendered,
            "Handvat GET, from the export cache": download,
        }
        print(f"\nIn process, {len(document.actions):,} actions ({runs} rounds after a warm-up)")
        timings = timed(runs, makers)
    finally:
        routes.render_action_list_pdf = real
    # Warm-up and rounds: the rendered maker renders every time, the cached one only once.
    expected = (runs + 1) + 1
    if len(renders) != expected:
        raise RuntimeError(f"expected {expected} renders, counted {len(renders)}")
    for timing in timings.values():
        print(timing.describe())
    print(f"  renders counted: {len(renders)} (the cached downloads rendered once, in the warm-up)")
    base, rendered_t, cached_t = timings.values()
    n = f"{len(document.actions):,}"
    return [
        Row(f"PDF {n} actions: GET, rendered", rendered_t.median, base.median, "s",
            "max_ratio", MAX_RATIO),
        Row(f"PDF {n} actions: GET, from the cache", cached_t.median, base.median, "s"),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Under gunicorn: a cheap request during big exports
# --------------------------------------------------------------------------------------------


def get(port: int, path: str, cookie: str, timeout: float = 60) -> tuple[int, int]:
    """GET ``path`` on a new connection with the session ``cookie``; the status and the body's
    length."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    cheap_statuses: Counter = field(default_factory=Counter)
    export_statuses: Counter = field(default_factory=Counter)
    export_seconds: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def describe(self) -> str:
        exports = ""
        if self.export_statuses:
            statuses = ", ".join(f"{n}x {s}" for s, n in sorted(self.export_statuses.items()))
            exports = (
                f"; exports: {statuses}, median {statistics.median(self.export_seconds):.2f} s"
                if self.export_seconds
                else f"; exports: {statuses}"
            )
        return (
            f"  {self.name:<38} GET / x{len(self.latencies_ms)}: p50 {self.percentile(0.5):6.1f} "
            f"ms, p95 {self.percentile(0.95):6.1f} ms, max {max(self.latencies_ms):7.1f} ms"
            f" (statuses {dict(self.cheap_statuses)}){exports}"
        )


def run_phase(name: str, port: int, cookie: str, seconds: float, exporters: int) -> Phase:
    """``exporters`` clients download the big PDF over and over while the sampler sends a
    cheap request every ``SAMPLE_INTERVAL`` seconds. Bounded: every client stops after
    ``seconds`` (its last download may run on; it is awaited, at most 60 s)."""
    phase = Phase(name)
    stop = threading.Event()
    lock = threading.Lock()

    def export_loop() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            try:
                status, _ = get(port, PDF, cookie)
            except OSError as exc:
                status = type(exc).__name__
            with lock:
                phase.export_statuses[status] += 1
                if status == 200:
                    phase.export_seconds.append(time.perf_counter() - start)

    threads = [threading.Thread(target=export_loop, daemon=True) for _ in range(exporters)]
    for thread in threads:
        thread.start()
    if exporters:
        time.sleep(0.3)  # let the first export start rendering
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        status, _ = get(port, CHEAP, cookie, timeout=30)
        phase.latencies_ms.append((time.perf_counter() - start) * 1000)
        phase.cheap_statuses[status] += 1
        time.sleep(SAMPLE_INTERVAL)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return phase


def gunicorn_rows(scratch: Path, cookie: str, seconds: float, workers: int, two: bool) -> list[Row]:
    env = {
        DB_ENV: str(scratch / "handvat.sqlite"),
        EXPORT_FOLDER_ENV: str(scratch / "export-cache-gunicorn"),
    }
    server = start_server("Handvat", "export_bench:wsgi_app()", workers, env)
    try:
        # Warm up both workers: the first PDF in a worker loads reportlab and the fonts.
        warm = [threading.Thread(target=get, args=(server.port, PDF, cookie)) for _ in range(2)]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join(timeout=60)
        for _ in range(20):
            status, _ = get(server.port, CHEAP, cookie)
            if status != 200:  # e.g. 302 to the sign-in page: the session did not work
                raise RuntimeError(f"{CHEAP} answered {status} with the benchmark session")
        print(f"\nUnder gunicorn ({workers} sync workers, loopback), {seconds:g} s per phase")
        idle = run_phase("idle", server.port, cookie, seconds, 0)
        print(idle.describe())
        busy = run_phase("while one PDF renders", server.port, cookie, seconds, 1)
        print(busy.describe())
        phases = [idle, busy]
        if two:
            both = run_phase("while two PDFs are asked at once", server.port, cookie, seconds, 2)
            print(both.describe())
            phases.append(both)
    finally:
        stop_server(server)
    if busy.export_statuses.get(200, 0) < 1:
        raise RuntimeError("no PDF was rendered during the busy phase")
    rows = [
        Row("GET / p95, while one 1,000-action PDF renders", busy.percentile(0.95),
            idle.percentile(0.95), "ms", "max_value", CHEAP_MAX_P95_MS),
        Row("GET / max, while one 1,000-action PDF renders", max(busy.latencies_ms),
            max(idle.latencies_ms), "ms"),
    ]  # fmt: skip
    if two:
        rows.append(
            Row("GET / p95, while two PDFs are asked at once", both.percentile(0.95),
                idle.percentile(0.95), "ms")
        )  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="in-process rounds (default 5)")
    parser.add_argument("--actions", type=int, default=ACTION_COUNT, help="(default 1000)")
    parser.add_argument("--seconds", type=float, default=10, help="per gunicorn phase (10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--no-two-exports", action="store_true", help="skip the third phase")
    parser.add_argument("--no-gunicorn", action="store_true", help="in-process figures only")
    args = parser.parse_args()

    print("Handvat export benchmark")
    print("machine:", machine_summary(("reportlab", "flask", "gunicorn")))
    print(f"{load_average()} at the start")
    with scratch_dir() as scratch:
        app, document, cookie = prepare(scratch, args.actions)
        rows = in_process_rows(app, document, cookie, args.runs)
        if not args.no_gunicorn:
            rows += gunicorn_rows(
                scratch, cookie, args.seconds, args.workers, not args.no_two_exports
            )
    print(f"\n{load_average()} at the end")
    passed = print_table("Results (ratio = Handvat / baseline; for GET /: busy / idle)", rows)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
