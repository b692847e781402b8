"""Where a request's time goes: SQL statements and CPU per request, in process.

The requests of ``http_bench.py``, sent through the Flask test client with the signed-in session
of the benchmark account (CSRF on, the same scratch database: migrations, demo, benchmark
account), without gunicorn and network. For each request it prints

* the SQL statements it runs (counted with a SQLAlchemy ``before_cursor_execute`` listener),
* the CPU time per request (``time.process_time``, the median of several batches),
* the CPU time of the parts that a signed-in request and a save pay, measured by wrapping the
  functions with a stopwatch (``STOPWATCHES``): the session row with its user (Flask-Login's
  user loader), the user's roles (the first ``current_access()`` of a request calls the loader,
  then runs the roles query: the roles are the difference), and the ORM flush and commit (for a
  save: the audit event, the only ORM object it writes),
* for comparison, the public sign-in page without a session,
* with ``--profile``: the share of the time spent in the parts of a request that accounts
  added or that dominate (cProfile's cumulative time, so the parts overlap; cProfile slows
  everything down, so read the shares, not the milliseconds).

On SQLite and on PostgreSQL (``--database sqlite|postgresql|both``, default both; PostgreSQL in
a scratch database on the local server, created and dropped by the run).

Run from the project root, with the virtualenv active::

    python bench/request_profile.py             # about a minute
    python bench/request_profile.py --database sqlite --profile
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import html
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from _common import (
    DATABASES,
    databases_of,
    load_average,
    machine_summary,
    prepare_database_url,
    scratch_database,
    signed_in_client,
    signed_in_cookie,
)

CONVERSATION = "/gesprekken/1"
QUESTION_PREFIX = "/gesprekken/1/vragen/"
QUESTION_PAGE = QUESTION_PREFIX + "vormgeven-kwaliteitseisen"

#: (label, module file suffix, function name): what ``--profile`` reports, in this order.
PARTS = [
    ("whole request (Flask wsgi_app)", "flask/app.py", "wsgi_app"),
    ("session cookie: open", "flask/sessions.py", "open_session"),
    ("session cookie: save", "flask/sessions.py", "save_session"),
    ("sign-in check (before_request)", "app/accounts/access.py", "require_sign_in"),
    ("  session row + user (load_user)", "app/accounts/access.py", "load_user"),
    ("  current_access (load_user + roles)", "app/accounts/access.py", "current_access"),
    ("rate limiter (before_request)", "flask_limiter/_extension.py", "_check_request_limit"),
    ("CSRF check (protect)", "flask_wtf/csrf.py", "protect"),
    ("view: save answer / question page", "app/conversations/routes.py", "answer"),
    ("  save_answer", "app/conversations/operations.py", "save_answer"),
    ("  audit record", "app/audit/operations.py", "record"),
    ("  commit", "sqlalchemy/orm/session.py", "commit"),
    ("  question page (read and render)", "app/conversations/routes.py", "_answer_page"),
    ("    figures beside the question", "app/indicators/queries.py", "figures_for_question"),
    ("view: conversation page", "app/conversations/routes.py", "show"),
    ("  render (cache miss)", "app/conversations/routes.py", "_render_show"),
    ("    chosen questions and answers", "app/conversations/queries.py", "page_steps"),
    ("    action points", "app/conversations/queries.py", "page_actions"),
    ("    participants", "app/conversations/queries.py", "page_participants"),
    ("    action points' figures", "app/indicators/queries.py", "action_figures"),
    ("view: home page", "app/core/routes.py", "home"),
    ("  newest conversations per region", "app/conversations/queries.py",
     "latest_conversations_by_region"),
    ("render_template", "flask/templating.py", "render_template"),
    ("url_for", "flask/app.py", "url_for"),
    ("SQL executed (cursor.execute)", "sqlalchemy/engine/default.py", "do_execute"),
]  # fmt: skip


class Stopwatch:
    """Wraps a function and adds up the CPU time spent in it (outermost calls only)."""

    def __init__(self, function: Callable) -> None:
        self.function = function
        self.seconds = 0.0
        self._depth = 0

    def __get__(self, instance, owner=None):
        """As a method on a class (``Session.flush``): bound to the instance."""
        return self if instance is None else functools.partial(self, instance)

    def __call__(self, *args, **kwargs):
        if self._depth:
            return self.function(*args, **kwargs)
        self._depth += 1
        start = time.process_time()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.process_time() - start
            self._depth -= 1


def install_stopwatches() -> dict[str, Stopwatch]:
    """Wrap the parts to time; returns them by label."""
    from sqlalchemy.orm import Session

    import app.accounts.access as access

    watches = {}

    def wrap(label: str, owner, name: str) -> None:
        watch = Stopwatch(getattr(owner, name))
        setattr(owner, name, watch)
        watches[label] = watch

    # Flask-Login calls the loader it was given; ``require_sign_in`` (the first caller of
    # every request) looks ``current_access`` up in its own module; later calls read ``g``.
    wrap("session row + user (user loader)", access.login_manager, "_user_callback")
    wrap("current_access (user loader + roles)", access, "current_access")
    wrap("ORM flush (autoflush included; a save: the audit event)", Session, "flush")
    wrap("commit (flush included)", Session, "commit")
    return watches


@dataclass
class Measured:
    label: str
    statements: list[str]
    cpu_ms: float
    #: CPU ms per request in each stopwatch.
    parts: dict[str, float]

    def describe(self) -> str:
        loader = self.parts["session row + user (user loader)"]
        access = self.parts["current_access (user loader + roles)"]
        flush = self.parts["ORM flush (autoflush included; a save: the audit event)"]
        commit = self.parts["commit (flush included)"]
        return (
            f"{self.label}: {len(self.statements)} statements, {self.cpu_ms:.2f} ms CPU per "
            f"request; signed-in session {access:.2f} ms (session row + user {loader:.2f} ms, "
            f"roles {access - loader:.2f} ms); ORM flush {flush:.2f} ms; commit {commit:.2f} ms"
        )


def _input_value(page: str, name: str) -> str:
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            match = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(match.group(1)) if match else ""
    raise RuntimeError(f"no <input name={name!r}> on the page")


def _short(statement: str) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= 150 else text[:147] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", choices=[*DATABASES, "both"], default="both",
        help="the embedded SQLite, PostgreSQL, or both (default)",
    )  # fmt: skip
    parser.add_argument("--requests", type=int, default=200, help="per batch (default 200)")
    parser.add_argument("--batches", type=int, default=5, help="timed batches (default 5)")
    parser.add_argument("--profile", action="store_true", help="cProfile shares per part")
    parser.add_argument("--sql", action="store_true", help="print every statement in full")
    args = parser.parse_args()

    print("Handvat request profile (in process, Flask test client, signed in, CSRF on)")
    print("machine:", machine_summary(("flask", "sqlalchemy", "psycopg")))
    print(f"{load_average()} at the start")
    watches = install_stopwatches()
    for database in databases_of(args.database):
        print(f"\n=== {database} ===")
        profile_database(database, args, watches)
    print(f"\n{load_average()} at the end")
    return 0


def profile_database(database: str, args, watches: dict[str, Stopwatch]) -> None:
    """Every scenario on one (scratch) database; prints the results."""
    with scratch_database(database) as url:
        app = prepare_database_url(url)
        cookie = signed_in_cookie(app)
        client = signed_in_client(app, cookie)
        from sqlalchemy import event

        from app.extensions import db

        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        @event.listens_for(engine, "before_cursor_execute")
        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        page = client.get(QUESTION_PAGE)
        if page.status_code != 200:
            raise RuntimeError(f"{QUESTION_PAGE} answered {page.status_code}")
        csrf = _input_value(page.text, "csrf_token")
        revision = int(_input_value(page.text, "revision") or 0)
        counter = 0

        def save() -> None:
            """A new text every time, with the revision the previous save produced."""
            nonlocal revision, counter
            counter += 1
            response = client.post(
                QUESTION_PAGE,
                data={
                    "csrf_token": csrf,
                    "text": f"Antwoord {counter} " + "tekst " * 50,
                    "assessment_id": "first_steps",
                    "revision": str(revision),
                },
            )
            if response.status_code != 302:
                raise RuntimeError(f"save answered {response.status_code}")
            revision += 1

        def get(path: str, through=client) -> Callable[[], None]:
            def run() -> None:
                response = through.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")

            return run

        def uncached(path: str) -> Callable[[], None]:
            def run() -> None:
                app.config["PAGE_CACHE_ENABLED"] = False
                try:
                    get(path)()
                finally:
                    app.config["PAGE_CACHE_ENABLED"] = True

            return run

        scenarios: list[tuple[str, Callable[[], None]]] = [
            (f"save answer: POST {QUESTION_PAGE}", save),
            (f"conversation page, cache hit: GET {CONVERSATION}", get(CONVERSATION)),
            (f"conversation page, rendered: GET {CONVERSATION}", uncached(CONVERSATION)),
            (f"question page: GET {QUESTION_PAGE} (cache off)", uncached(QUESTION_PAGE)),
            ("home page, cache hit: GET /", get("/")),
            ("home page, rendered: GET / (cache off)", uncached("/")),
            ("sign-in page, no session: GET /inloggen", get("/inloggen", app.test_client())),
        ]
        results: list[Measured] = []
        for label, run in scenarios:
            run()  # warm-up (and the cache entry for the cache hit)
            run()
            statements.clear()
            run()
            seen = list(statements)
            for watch in watches.values():
                watch.seconds = 0.0
            batches = []
            for _ in range(args.batches):
                start = time.process_time()
                for _ in range(args.requests):
                    run()
                batches.append((time.process_time() - start) * 1000 / args.requests)
            total = args.batches * args.requests
            parts = {name: 1000 * watch.seconds / total for name, watch in watches.items()}
            results.append(Measured(label, seen, statistics.median(batches), parts))
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(args.requests):
                    run()
                profile.disable()
                _print_parts(label, pstats.Stats(profile), args.requests)

        print()
        for measured in results:
            print(measured.describe())
            for statement in measured.statements:
                print(f"    {statement if args.sql else _short(statement)}")
        event.remove(engine, "before_cursor_execute", count)


def _print_parts(label: str, stats: pstats.Stats, requests: int) -> None:
    """cProfile's cumulative time of each part in ``PARTS``, as a share of the whole request."""
    cumulative: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for part, suffix, name in PARTS:
            if function == name and filename.replace("\\", "/").endswith(suffix):
                cumulative[part] = cumulative.get(part, 0.0) + ct
    whole = cumulative.get(PARTS[0][0])
    if not whole:
        return
    print(f"\n{label} (cProfile, {requests} requests)")
    for part, _suffix, _name in PARTS:
        if part in cumulative:
            share = cumulative[part] / whole
            print(f"  {part:<40} {share:6.1%}  ({1000 * cumulative[part] / requests:.2f} ms)")


if __name__ == "__main__":
    sys.exit(main())
