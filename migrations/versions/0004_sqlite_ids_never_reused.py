"""SQLite: ids of conversations and action points are never reused

Without AUTOINCREMENT, SQLite gives the id of a deleted last row to the next new one, so a form
left open in an older tab would change a newer conversation or action point with the same id.
PostgreSQL's sequences never reuse an id; there this migration does nothing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:30:00

"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("conversation", "action_point")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always"):
            pass
