"""need revisions

An edit of a published need is reviewed as a revision while the published version stays
visible; corrections of contact details apply at once. Both are kept (market/needs/models.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('need_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('previous', sa.JSON(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason_code', sa.String(length=30), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_revisions_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], name=op.f('fk_need_revisions_proposed_by_users')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_need_revisions_reviewed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_revisions'))
    )
    with op.batch_alter_table('need_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_revisions_need_id'), ['need_id'], unique=False)
        batch_op.create_index('ix_need_revisions_status', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('need_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_need_revisions_status')
        batch_op.drop_index(batch_op.f('ix_need_revisions_need_id'))
    op.drop_table('need_revisions')
