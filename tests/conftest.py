"""Fixtures in the flaskr tradition (app, client, runner) plus factories.

Every test that uses ``app`` runs twice: on SQLite and on PostgreSQL. Both schemas are built by
the committed migrations, so the migrations are tested too. Without a reachable PostgreSQL
server the PostgreSQL half is skipped locally and fails in CI (``CI=true``).
"""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from app import create_app
from app.core.page_cache import forget_cached_pages
from app.extensions import db
from app.questionnaires.models import forget_parsed_snapshots

POSTGRES_SERVER_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
#: One database per test run, so two runs at once (two developers, a helper) never drop each
#: other's database.
POSTGRES_TEST_DATABASE = f"handvat_test_{uuid.uuid4().hex[:12]}"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

BASE_TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "AUTO_UPGRADE_EMBEDDED_DB": False,
    # The rate-limit tests switch it on for themselves.
    "RATELIMIT_ENABLED": False,
    "REQUIRE_TWO_FACTOR": False,
}


def _on_postgres_server(*statements: str) -> None:
    engine = sa.create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def create_postgres_database(name: str) -> str:
    """A new, empty database ``name`` on the test server, and its URL. Skips the test when
    the server cannot be reached, except in CI, where that is a failure."""
    try:
        _on_postgres_server(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
        )
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL not reachable at {POSTGRES_SERVER_URL}: {exc.orig}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(name: str) -> None:
    _on_postgres_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'handvat-test.sqlite'}"
    else:
        url = create_postgres_database(POSTGRES_TEST_DATABASE)
    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if request.param == "postgresql":
        drop_postgres_database(POSTGRES_TEST_DATABASE)


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            # Every export in the tests goes through the cache and its slots, as in production.
            "EXPORT_CACHE_FOLDER": str(tmp_path / "export-cache"),
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        forget_parsed_snapshots()
        forget_cached_pages()
        db.engine.dispose()


@pytest.fixture
def tester(app):
    """The signed-in user of ``client``: coordinator of every region ``make_region`` makes."""
    from .accounts import make_user

    return make_user("tess@handvat.test", "Tess Tester")


@pytest.fixture
def client(app, tester):
    from .accounts import sign_in

    client = app.test_client()
    sign_in(client, tester)
    return client


@pytest.fixture
def anonymous_client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------------------


@pytest.fixture
def make_region(app, tester):
    from app.accounts.operations import set_role
    from app.accounts.roles import Role
    from app.regions.operations import ensure_region

    def make(
        name="Twente", municipalities=("Almelo", "Enschede", "Hengelo"), role=Role.COORDINATOR
    ):
        region = ensure_region(name, list(municipalities))
        if role is not None:
            set_role(tester, region, role)
        db.session.commit()
        return region

    return make


@pytest.fixture
def make_conversation(app, make_region):
    from app.conversations.models import OrganisationType
    from app.conversations.operations import (
        ConversationDetails,
        ParticipantData,
        start_conversation,
    )

    def make(
        title="Bestuurlijk overleg mbo",
        region=None,
        held_on=date(2026, 10, 8),
        current_phase_id="verkennen",
        participants=None,
    ):
        region = region or make_region()
        if participants is None:
            participants = [
                ParticipantData(
                    "Anna de Vries", "Gemeente Enschede", OrganisationType.MUNICIPALITY, "Wethouder"
                )
            ]
        conversation = start_conversation(
            ConversationDetails(title, region, held_on, current_phase_id), participants
        ).conversation
        db.session.commit()
        return conversation

    return make


@pytest.fixture
def make_action(app):
    from app.actions.operations import ActionData, add_action

    def make(conversation, description="Bestuurlijk overleg plannen", **fields):
        action = add_action(conversation, ActionData(description=description, **fields)).action
        db.session.commit()
        return action

    return make


@pytest.fixture
def mailbox(app, monkeypatch):
    """A mail server is configured, and every message "sent" is kept in this list."""
    from .accounts import FakeSMTP

    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.gemeente.test")
    return FakeSMTP.sent


@pytest.fixture
def fresh_g_per_request(app):
    """Each request gets an empty ``g``, as in production.

    The ``app`` fixture keeps an application context open, and Flask reuses it for every test
    request, so ``g`` (Flask-Login's user, ``current_access()``) would carry over from one
    client's request to the next client's. Tests where several people take turns use it.
    """
    from flask import g, request_started

    def clear(_sender, **_extra):
        g.__dict__.clear()

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def make_workshop(make_conversation, tester):
    """``make_workshop(chosen, opened=None)``: a live workshop, led by the tester, on a new
    conversation with the ``chosen`` questions, of which ``opened`` (default: the first) are
    open on the phones."""
    from app.conversations.operations import select_questions
    from app.workshops import operations

    def make(chosen: list[str], opened: list[str] | None = None):
        conversation = make_conversation()
        select_questions(conversation, chosen)
        workshop = operations.open_workshop(conversation, tester, operations.WorkshopSettings())
        operations.open_questions(workshop, opened or chosen[:1])
        db.session.commit()
        return workshop

    return make
