"""login failures per e-mail and address

Wrong passwords are counted per (e-mail, client address) with a growing delay instead of a fixed
account lock anyone could trigger (issue 14, finding 11; market/orgs/models.py LoginFailure).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=100), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email', 'address', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_last_failed_at'), ['last_failed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_last_failed_at'))
    op.drop_table('login_failures')
