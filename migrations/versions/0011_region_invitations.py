"""A role in a region offered to an existing account waits until its owner accepts it

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 20:31:30.680116

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('region_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('coordinator', 'facilitator', 'project-leader', 'member', name='role', native_enum=False), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('invited_by_name', sa.String(length=120), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_region_invitation_invited_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_region_invitation_region_id_region'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_region_invitation_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region_invitation')),
    sa.UniqueConstraint('user_id', 'region_id', name=op.f('uq_region_invitation_user_id')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('region_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_region_invitation_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_region_invitation_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('region_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_invitation_user_id'))
        batch_op.drop_index(batch_op.f('ix_region_invitation_region_id'))

    op.drop_table('region_invitation')
