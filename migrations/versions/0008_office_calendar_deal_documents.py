"""office calendar (holidays, 调休 working days) and deal milestone documents

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('office_calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_office_calendar_days_updated_by_users')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_office_calendar_days'))
    )
    op.create_table('deal_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], name=op.f('fk_deal_documents_attachment_id_attachments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_documents_deal_id_deals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['deal_milestones.id'], name=op.f('fk_deal_documents_milestone_id_deal_milestones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_documents')),
    sa.UniqueConstraint('attachment_id', name=op.f('uq_deal_documents_attachment_id'))
    )
    with op.batch_alter_table('deal_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_documents_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_documents_milestone_id'), ['milestone_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deal_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_documents_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_deal_documents_deal_id'))
    op.drop_table('deal_documents')
    op.drop_table('office_calendar_days')
