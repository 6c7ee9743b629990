"""scale indexes: the needs list's "newest" order, the progress aggregates

GET /needs pages the "newest" order by keyset (published_at DESC, id DESC ranges per status);
ix_needs_status_published_id serves them as a backward scan on SQLite and PostgreSQL. The
progress figures group needs by publication day, county and industry and deals by signing day in
SQL (ix_needs_published_county_industry, ix_deals_signed_on) (issue 15).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:10:00
"""
from __future__ import annotations

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_status_published_id', ['status', 'published_at', 'id'], unique=False)
        # Its prefix: the planner picked it and sorted for the id tie-break.
        batch_op.drop_index('ix_needs_status_published')
        batch_op.create_index('ix_needs_published_county_industry', ['published_at', 'county', 'industry'], unique=False)
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deals_signed_on'), ['signed_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_signed_on'))
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_published_county_industry')
        batch_op.create_index('ix_needs_status_published', ['status', 'published_at'], unique=False)
        batch_op.drop_index('ix_needs_status_published_id')
