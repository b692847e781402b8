"""Which migration the database is at, and which the code expects.

The readiness check, the restore command and the upgrade path all ask the same two questions;
the answers come from Alembic's own bookkeeping (the ``alembic_version`` table and the scripts
in ``migrations/versions``), never from a number kept here by hand.
"""

from __future__ import annotations

from functools import lru_cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from ..config import PROJECT_ROOT

MIGRATIONS_FOLDER = PROJECT_ROOT / "migrations"


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    config = Config(str(MIGRATIONS_FOLDER / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER))
    return ScriptDirectory.from_config(config)


def code_heads() -> frozenset[str]:
    """The revision(s) the code's migrations end at."""
    return frozenset(_scripts().get_heads())


def known_revisions() -> frozenset[str]:
    """Every revision the code has a migration script for."""
    return frozenset(script.revision for script in _scripts().walk_revisions())


def database_revisions(connection: Connection) -> frozenset[str]:
    """The revision(s) the database is at; empty for a database no migration has touched."""
    try:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return frozenset(rows)
    except DBAPIError:
        if connection.in_transaction():
            connection.rollback()
        return frozenset()


def is_at_head(connection: Connection) -> bool:
    return database_revisions(connection) == code_heads()
