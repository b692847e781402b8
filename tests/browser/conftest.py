"""Browser fixtures: a live Handvat server per database and one headless Chromium.

The server runs the real app (CSRF on, real forms, rate limits on), with the demo loaded, on a
database built by the committed migrations: a temporary SQLite file, and then a scratch
database on the PostgreSQL test server (the production database), so every browser test runs
on both, as the tests of ``tests/conftest.py`` do. Without a reachable PostgreSQL server the
PostgreSQL half is skipped locally and fails in CI (``CI=true``).

Every page needs a signed-in user. ``browser_context`` (and so ``page``) is signed in as
``BROWSER_USER_EMAIL``, coordinator of the demo region Twente, by a session cookie made the way
the sign-in form makes it; ``anonymous_context`` is not signed in, for the tests of the sign-in
form itself (``test_accounts.py``).

Without ``/usr/bin/chromium`` these tests are skipped locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.conftest import create_postgres_database, drop_postgres_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
#: Playwright waits at most this long (ms) for an element or a navigation.
DEFAULT_TIMEOUT_MS = 10_000
#: The user the browser tests are signed in as: coordinator of Twente, the demo region.
BROWSER_USER_EMAIL = "browsertest@handvat.test"
BROWSER_USER_NAME = "Bram Browsertest"


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask
    demo_conversation_id: int
    demo_action_id: int

    def __call__(self, path: str) -> str:
        return self.url + path

    def session_cookie(self, email: str = BROWSER_USER_EMAIL) -> dict:
        """A cookie for Playwright with a new live session of the user with ``email``."""
        from app.accounts.operations import find_user
        from tests.accounts import session_cookie

        with self.app.app_context():
            name, value = session_cookie(self.app, find_user(email))
            db.session.remove()
        return {"name": name, "value": value, "url": self.url, "httpOnly": True, "sameSite": "Lax"}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'browser.sqlite'}"
        return
    name = f"handvat_browser_{uuid.uuid4().hex[:12]}"
    url = create_postgres_database(name)
    try:
        yield url
    finally:
        drop_postgres_database(name)


@pytest.fixture(scope="session")
def live_server(live_database_url) -> LiveServer:
    from flask_migrate import upgrade

    from app.accounts.roles import Role
    from app.actions.queries import actions_of
    from app.demo.commands import load_demo
    from tests.accounts import make_user

    flask_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret",
            "SQLALCHEMY_DATABASE_URI": live_database_url,
            "AUTO_UPGRADE_EMBEDDED_DB": False,
            "WTF_CSRF_ENABLED": True,
            # As in the embedded default: a coordinator may work without a second factor.
            "REQUIRE_TWO_FACTOR": False,
        }
    )
    with flask_app.app_context():
        upgrade()
        demo = load_demo()
        demo_id, demo_action_id = demo.id, actions_of(demo)[0].id
        db.session.commit()
        make_user(BROWSER_USER_EMAIL, BROWSER_USER_NAME, region=demo.region, role=Role.COORDINATOR)
        db.session.remove()

    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="handvat-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(
            f"http://127.0.0.1:{server.server_port}", flask_app, demo_id, demo_action_id
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with flask_app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def chromium_browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def anonymous_context(chromium_browser):
    """A fresh browser context without a session: every page but the public ones sends it to
    the sign-in page."""
    context = chromium_browser.new_context(
        locale="nl-NL", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def browser_context(anonymous_context, live_server):
    """A browser context signed in as the coordinator of Twente (``BROWSER_USER_EMAIL``)."""
    anonymous_context.add_cookies([live_server.session_cookie()])
    return anonymous_context


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def render_pdf_page(pdf: Path, target_stem: Path) -> Path | None:
    """Page 1 of ``pdf`` as ``<target_stem>-1.png`` at 50 dpi, when pdftoppm is installed."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return None
    subprocess.run(
        [pdftoppm, "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(target_stem)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    matches = sorted(target_stem.parent.glob(f"{target_stem.name}-*1.png"))
    return matches[0] if matches else None


@pytest.fixture
def seed_conversation(live_server):
    """A fresh conversation straight in the database, so a test does not disturb the demo;
    in Twente unless ``region_name`` names another region (created when new)."""
    from datetime import date

    from app.conversations.models import OrganisationType
    from app.conversations.operations import (
        ConversationDetails,
        ParticipantData,
        select_questions,
        start_conversation,
    )
    from app.regions.operations import ensure_region

    def make(title: str, question_ids: list[str], region_name: str = "Twente") -> int:
        with live_server.app.app_context():
            region = ensure_region(region_name, [])
            conversation = start_conversation(
                ConversationDetails(title, region, date(2026, 11, 12), "verkennen"),
                [
                    ParticipantData(
                        "Anna de Vries",
                        "Gemeente Enschede",
                        OrganisationType.MUNICIPALITY,
                        "Wethouder",
                    )
                ],
            ).conversation
            select_questions(conversation, question_ids)
            db.session.commit()
            conversation_id = conversation.id
            db.session.remove()
        return conversation_id

    return make
