"""targets: the responsible department (责任部门) and the archive of issued 晾晒通报

Seed §四(二) races the 市级机关部门 as well as the counties: a city-wide target names its
responsible department. Each issued 晾晒通报 is kept exactly as generated (the HTML page and the
Excel workbook), append-only (issue 17).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
import market.db
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=40), nullable=True))
    op.create_table(
        'target_report_issues',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('xlsx', sa.LargeBinary(), nullable=False),
        sa.Column('issued_by', sa.Integer(), nullable=True),
        sa.Column('issued_at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_target_report_issues_issued_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_target_report_issues')),
        sa.UniqueConstraint('year', 'number', name='uq_target_report_issues_year_number'),
    )
    with op.batch_alter_table('target_report_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_report_issues_year'), ['year'], unique=False)
        batch_op.create_index(batch_op.f('ix_target_report_issues_issued_at'), ['issued_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('target_report_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_report_issues_issued_at'))
        batch_op.drop_index(batch_op.f('ix_target_report_issues_year'))
    op.drop_table('target_report_issues')
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_column('department')
