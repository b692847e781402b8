"""A failed ``flask db upgrade`` leaves the database exactly as it was, on SQLite and PostgreSQL.

Each test copies ``migrations/`` (``env.py`` included, which is what is under test) to a
temporary folder, adds a revision after the code's head that changes the schema and the data
and then fails, and runs the upgrade against a database of its own.
"""

from __future__ import annotations

import shutil
import textwrap
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.config import PROJECT_ROOT
from app.core.schema import code_heads
from app.extensions import db

from .conftest import BASE_TEST_CONFIG, create_postgres_database, drop_postgres_database

FAILING_REVISION = '''
"""Fails halfway: a new column (a full table rebuild on SQLite), a new table, rows, then an error.

Revision ID: failing
Revises: {head}
"""
from alembic import op
import sqlalchemy as sa

revision = "failing"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("region", recreate=recreate) as batch_op:
        batch_op.add_column(sa.Column("motto", sa.String(80), nullable=True))
        batch_op.create_index("ix_region_motto", ["motto"])
    op.create_table(
        "half_done",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id")),
    )
    op.execute("INSERT INTO half_done (id, region_id) SELECT id, id FROM region")
    op.execute("UPDATE region SET motto = 'half', name = name || ' (half)'")
    op.execute("DELETE FROM municipality")
    {failure}


def downgrade():
    pass
'''

#: The newest revision of the code's migrations, which the failing one builds on.
(HEAD,) = code_heads()

FAIL_WITH_SQL_ERROR = 'op.execute("INSERT INTO no_such_table (id) VALUES (1)")'
FAIL_WITH_EXCEPTION = 'raise ValueError("0009 fails on purpose")'


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_app(request, tmp_path):
    """An app on a new, empty database of its own (not the session's shared test database)."""
    name = f"handvat_test_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrating.sqlite'}"
    else:
        url = create_postgres_database(name)
    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(name)


@pytest.fixture
def migrations_copy(tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(
        PROJECT_ROOT / "migrations", folder, ignore=shutil.ignore_patterns("__pycache__")
    )
    return folder


def add_failing_revision(folder, failure: str):
    path = folder / "versions" / "zzzz_fails_halfway.py"
    text = FAILING_REVISION.replace("{head}", HEAD)
    path.write_text(text.replace("{failure}", textwrap.dedent(failure)))
    return path


def add_rows() -> None:
    db.session.execute(
        sa.text(
            "INSERT INTO region (id, name, slug, created_dt, updated_dt) "
            "VALUES (1, 'Twente', 'twente', :now, :now)"
        ),
        {"now": datetime(2026, 11, 24, 9, 30, tzinfo=UTC)},
    )
    db.session.execute(
        sa.text("INSERT INTO municipality (region_id, name) VALUES (1, 'Almelo'), (1, 'Hengelo')")
    )
    db.session.commit()


def database_state() -> dict:
    """Everything a migration can change: tables, columns, keys, indexes, the revision, rows."""
    engine = db.engine
    inspector = sa.inspect(engine)
    state: dict = {}
    for table in sorted(inspector.get_table_names()):
        state[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(repr(fk) for fk in inspector.get_foreign_keys(table)),
            "indexes": sorted(repr(ix) for ix in inspector.get_indexes(table)),
            "unique": sorted(repr(uq) for uq in inspector.get_unique_constraints(table)),
        }
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            state["sqlite_master"] = connection.exec_driver_sql(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            ).all()
        state["rows"] = {
            table: connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").all()
            for table in ("alembic_version", "region", "municipality")
        }
    return state


def assert_foreign_keys_on() -> None:
    """On SQLite the migration switches foreign keys off; the pooled connection gets them back."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_failed_revision_on_top_of_head_changes_nothing(fresh_app, migrations_copy):
    upgrade(directory=str(migrations_copy))
    add_rows()
    before = database_state()
    assert before["rows"]["alembic_version"] == [(HEAD,)]
    failing = add_failing_revision(migrations_copy, FAIL_WITH_SQL_ERROR)

    with pytest.raises(sa.exc.DBAPIError, match="no_such_table"):
        upgrade(directory=str(migrations_copy))

    db.engine.dispose()
    assert database_state() == before
    assert "half_done" not in sa.inspect(db.engine).get_table_names()
    assert_foreign_keys_on()
    failing.unlink()
    upgrade(directory=str(migrations_copy))  # the database still takes a normal upgrade
    assert database_state() == before


def test_failed_revision_takes_the_pending_ones_before_it_back(fresh_app, migrations_copy):
    upgrade(directory=str(migrations_copy), revision="0007")  # 0008 brings the workshops
    add_rows()
    before = database_state()
    assert before["rows"]["alembic_version"] == [("0007",)]
    assert "workshop" not in before
    failing = add_failing_revision(migrations_copy, FAIL_WITH_EXCEPTION)

    with pytest.raises(ValueError, match="fails on purpose"):
        upgrade(directory=str(migrations_copy))  # 0008 and later, then the failing one

    db.engine.dispose()
    assert database_state() == before
    assert_foreign_keys_on()
    failing.unlink()
    upgrade(directory=str(migrations_copy))
    after = database_state()
    assert after["rows"]["alembic_version"] == [(HEAD,)]
    assert "workshop" in after
    assert after["rows"]["municipality"] == before["rows"]["municipality"]
