"""bureau office

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 03:42:40.637120
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('expert_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('declared_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_expert_conflicts_expert_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_expert_conflicts_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_conflicts')),
    sa.UniqueConstraint('expert_id', 'org_id', name='uq_expert_conflicts_expert_org')
    )
    with op.batch_alter_table('expert_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_conflicts_expert_id'), ['expert_id'], unique=False)

    op.create_table('office_settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_office_settings_updated_by_users')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_office_settings'))
    )
    op.create_table('policy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('published_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_policy_versions_created_by_users')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_policy_versions_reviewed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_policy_versions_version'))
    )
    op.create_table('recognition_payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recognition_id', sa.Integer(), nullable=False),
    sa.Column('amount_wan', sa.Double(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('payment_batch', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recognition_id'], ['recognitions.id'], name=op.f('fk_recognition_payouts_recognition_id_recognitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_recognition_payouts_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_payouts'))
    )
    with op.batch_alter_table('recognition_payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognition_payouts_recognition_id'), ['recognition_id'], unique=False)

    with op.batch_alter_table('need_objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', market.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_need_objections_resolved_by_users'), 'users', ['resolved_by'], ['id'])

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leading', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_code', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.drop_column('product_code')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('leading')

    with op.batch_alter_table('need_objections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_need_objections_resolved_by_users'), type_='foreignkey')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('resolved_by')

    with op.batch_alter_table('recognition_payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognition_payouts_recognition_id'))

    op.drop_table('recognition_payouts')
    op.drop_table('policy_versions')
    op.drop_table('office_settings')
    with op.batch_alter_table('expert_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_conflicts_expert_id'))

    op.drop_table('expert_conflicts')
