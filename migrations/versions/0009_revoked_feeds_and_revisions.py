"""A revoked calendar feed stays known (its URL never works again); a revision per action-indicator link; a region's conversations revision

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 03:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conversations_revision', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_dt', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('action_indicator_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('action_indicator_link', schema=None) as batch_op:
        batch_op.drop_column('revision')

    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_column('revoked_dt')

    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_column('conversations_revision')
