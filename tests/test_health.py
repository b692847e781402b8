"""``/health/live`` and ``/health/ready`` (``app/health/``): cheap, public, never cached, never
a 500, and saying nothing about the installation."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from sqlalchemy import text

from app import create_app
from app.core.schema import _scripts, code_heads
from app.extensions import db

from .conftest import BASE_TEST_CONFIG
from .database import statements

#: A PostgreSQL server that is not there (nothing listens on port 1).
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/handvat"
OK = b'{"status":"ok"}\n'
NOT_READY = b'{"status":"niet gereed"}\n'


def assert_bare_answer(response, status: int, body: bytes) -> None:
    assert response.status_code == status
    assert response.data == body
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_live_answers_without_the_database(client):
    with statements() as sent:
        response = client.get("/health/live")

    assert_bare_answer(response, 200, OK)
    assert sent == []


def test_ready_when_the_database_is_at_the_newest_migration(client):
    """A signed-in browser's cookie is not even looked at: no session, no user."""
    with statements() as sent:
        response = client.get("/health/ready")

    assert_bare_answer(response, 200, OK)
    assert len(sent) == 2
    assert not any("user" in statement.lower() for statement in sent)
    assert not any(
        word in statement.upper() for statement in sent for word in ("INSERT", "UPDATE", "DELETE")
    )


def test_head_answers_too(anonymous_client):
    for path in ("/health/live", "/health/ready"):
        assert anonymous_client.head(path).status_code == 200


@pytest.fixture
def one_migration_behind(app):
    (head,) = code_heads()
    previous = _scripts().get_revision(head).down_revision
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    db.session.commit()


def test_not_ready_one_migration_behind(anonymous_client, one_migration_behind, caplog):
    with caplog.at_level(logging.WARNING, logger="handvat.health"):
        response = anonymous_client.get("/health/ready")

    assert_bare_answer(response, 503, NOT_READY)
    assert anonymous_client.get("/health/live").status_code == 200
    assert "flask db upgrade" in caplog.text


def make_app(uri: str):
    return create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})


def test_not_ready_when_the_database_does_not_answer(caplog):
    app = make_app(UNREACHABLE)
    client = app.test_client()

    with caplog.at_level(logging.WARNING, logger="handvat.health"):
        response = client.get("/health/ready")

    assert_bare_answer(response, 503, NOT_READY)
    # Why is in the log, not in the answer.
    assert "does not answer" in caplog.text
    assert client.get("/health/live").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_not_ready_on_a_database_without_a_schema(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")

    response = app.test_client().get("/health/ready")

    assert_bare_answer(response, 503, NOT_READY)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_health_is_never_rate_limited(tmp_path, path):
    app = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}",
            "RATELIMIT_ENABLED": True,
        }
    )
    client = app.test_client()

    statuses = {client.get(path).status_code for _ in range(150)}

    assert 429 not in statuses
    assert "X-RateLimit-Limit" not in client.get(path).headers
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def silent_server():
    """A port that takes TCP connections and then says nothing, like a hung database host."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_not_ready_within_the_connect_timeout_when_the_server_says_nothing(silent_server):
    app = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/x",
            "DATABASE_CONNECT_TIMEOUT": 2,
        }
    )
    started = time.monotonic()
    response = app.test_client().get("/health/ready")
    assert_bare_answer(response, 503, NOT_READY)
    assert time.monotonic() - started < 10
    with app.app_context():
        db.engine.dispose()


def test_a_connect_timeout_in_the_url_wins():
    url = "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=7"
    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    app = make_app(UNREACHABLE)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5}
