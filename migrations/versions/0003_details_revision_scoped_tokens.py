"""details revision; action form tokens unique per conversation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("details_revision", sa.Integer(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("action_point", schema=None) as batch_op:
        batch_op.drop_constraint("uq_action_point_creation_token", type_="unique")
        batch_op.create_unique_constraint(
            "uq_action_point_conversation_id", ["conversation_id", "creation_token"]
        )


def downgrade():
    with op.batch_alter_table("action_point", schema=None) as batch_op:
        batch_op.drop_constraint("uq_action_point_conversation_id", type_="unique")
        batch_op.create_unique_constraint("uq_action_point_creation_token", ["creation_token"])
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("details_revision")
