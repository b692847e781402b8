"""A facilitator can remove a workshop participant (and let them back in); a workshop numbers its participants apart from the seats taken now

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_count', sa.Integer(), server_default='0', nullable=False))

    # Nobody was removed before: everyone who joined holds a seat, numbered 1 ... count.
    op.execute('UPDATE workshop SET joined_count = participant_count')

    with op.batch_alter_table('workshop_participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_dt', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('workshop_participant', schema=None) as batch_op:
        batch_op.drop_column('removed_dt')

    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('joined_count')
