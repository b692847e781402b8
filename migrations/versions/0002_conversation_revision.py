"""conversation revision

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 04:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("revision")
