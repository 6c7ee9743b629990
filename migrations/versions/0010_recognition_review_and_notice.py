"""recognition review and notice: 专家评审 and 公示 of first-of-kind recognitions

recognition_expert_reviews holds the experts the bureau assigned to an application and their
score and comment; recognition_objections the objections raised while it is on public notice and
the bureau's written answers; recognitions.notice_start / notice_end its notice window (China
Standard Time dates). Existing rows keep their status (applied / reviewed / recognised /
rejected are still states of the lifecycle).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:48:41.600592
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recognition_expert_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recognition_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('submitted_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], name=op.f('fk_recognition_expert_reviews_assigned_by_users')),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_recognition_expert_reviews_expert_id_users')),
    sa.ForeignKeyConstraint(['recognition_id'], ['recognitions.id'], name=op.f('fk_recognition_expert_reviews_recognition_id_recognitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_expert_reviews')),
    sa.UniqueConstraint('recognition_id', 'expert_id', name='uq_recognition_expert_reviews_rec_expert')
    )
    with op.batch_alter_table('recognition_expert_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognition_expert_reviews_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognition_expert_reviews_recognition_id'), ['recognition_id'], unique=False)

    op.create_table('recognition_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recognition_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolved_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recognition_id'], ['recognitions.id'], name=op.f('fk_recognition_objections_recognition_id_recognitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_recognition_objections_resolved_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recognition_objections_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_objections'))
    )
    with op.batch_alter_table('recognition_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognition_objections_recognition_id'), ['recognition_id'], unique=False)

    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('notice_end', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.drop_column('notice_end')
        batch_op.drop_column('notice_start')

    with op.batch_alter_table('recognition_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognition_objections_recognition_id'))

    op.drop_table('recognition_objections')
    with op.batch_alter_table('recognition_expert_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognition_expert_reviews_recognition_id'))
        batch_op.drop_index(batch_op.f('ix_recognition_expert_reviews_expert_id'))

    op.drop_table('recognition_expert_reviews')
