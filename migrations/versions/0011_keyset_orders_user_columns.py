"""keyset indexes for the needs list's other orders; drop users.failed_logins / locked_until

GET /needs pages every order (updated, deadline, budget, as "newest" since 0007) by keyset: one
range per status on (status, <column>, id) (issue 15). Sign-in failures are counted per
(e-mail, address) in login_failures since 0004 (issue 14, finding 11); the two columns on users
were only ever reset, never read.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_status_updated_id', ['status', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_needs_status_deadline_id', ['status', 'deadline', 'id'], unique=False)
        batch_op.create_index('ix_needs_status_budget_id', ['status', 'budget_max_wan', 'id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', market.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_status_budget_id')
        batch_op.drop_index('ix_needs_status_deadline_id')
        batch_op.drop_index('ix_needs_status_updated_id')
