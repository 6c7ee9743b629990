"""mail, questions, messages, password resets, invitations, mail preferences, reminders

A mail is queued with the change it tells about: its content here, its delivery state in the
outbox entry of topic ``mail`` (market/mail/). Public Q&A on needs (market/questions/) and the
private thread on a response (market/messages/).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 03:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_addr', sa.String(length=200), nullable=False),
    sa.Column('to_name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('link_label', sa.String(length=40), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_messages_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_messages'))
    )
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_messages_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_mail_messages_held', ['held', 'user_id'], unique=False)
    op.create_table('mail_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('updated_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_preferences')),
    sa.UniqueConstraint('user_id', 'category', name=op.f('uq_mail_preferences_user_id'))
    )
    op.create_table('need_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('asker_org_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_as', sa.String(length=10), nullable=True),
    sa.Column('answered_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_by', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_questions_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['asker_id'], ['users.id'], name=op.f('fk_need_questions_asker_id_users')),
    sa.ForeignKeyConstraint(['asker_org_id'], ['organisations.id'], name=op.f('fk_need_questions_asker_org_id_organisations')),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_need_questions_answered_by_users')),
    sa.ForeignKeyConstraint(['hidden_by'], ['users.id'], name=op.f('fk_need_questions_hidden_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_questions'))
    )
    with op.batch_alter_table('need_questions', schema=None) as batch_op:
        batch_op.create_index('ix_need_questions_need', ['need_id', 'created_at'], unique=False)
    op.create_table('response_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('sender_org_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('read_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_messages_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_response_messages_sender_id_users')),
    sa.ForeignKeyConstraint(['sender_org_id'], ['organisations.id'], name=op.f('fk_response_messages_sender_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_messages'))
    )
    with op.batch_alter_table('response_messages', schema=None) as batch_op:
        batch_op.create_index('ix_response_messages_thread', ['response_id', 'created_at'], unique=False)
    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'], unique=False)
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_invitations_org_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], name=op.f('fk_invitations_invited_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_org_id'), ['org_id'], unique=False)

    op.create_table('reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=80), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
    sa.UniqueConstraint('event', name=op.f('uq_reminders_sent_event'))
    )


def downgrade() -> None:
    op.drop_table('reminders_sent')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_org_id'))
        batch_op.drop_index(batch_op.f('ix_invitations_email'))
    op.drop_table('invitations')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))
    op.drop_table('password_resets')
    with op.batch_alter_table('response_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_response_messages_thread')
    op.drop_table('response_messages')
    with op.batch_alter_table('need_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_need_questions_need')
    op.drop_table('need_questions')
    op.drop_table('mail_preferences')
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_messages_held')
        batch_op.drop_index(batch_op.f('ix_mail_messages_user_id'))
    op.drop_table('mail_messages')
