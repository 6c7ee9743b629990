"""The outbox worker sends mail jobs with its handler for topic ``mail``, beside the indexes, and
goes on sending while Meilisearch is away."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market.db import session_scope
from market.mail.sender import MailSender
from market.mail.transport import SmtpTransport
from market.notifications import service as notify
from market.outbox.models import OutboxEntry
from market.settings import MailSettings
from matching.embedders import HashEmbedder
from search.client import MeiliClient
from search.indexes import NEEDS, ensure_indexes, index_uid
from search.outbox import OutboxWorker, WorkerConfig, drain_once
from tests import factories
from tests.factories import make_need
from tests.support.smtp import SmtpServer


def test_worker_sends_mail_and_indexes_needs_side_by_side(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder,
    smtp_server: SmtpServer,
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        user = factories.create_user(s, factories.create_org(s))
        need_id = make_need(s).id
        notify.notify_users(s, [user.id], "need.published", "您的需求已发榜", link=f"/needs/{need_id}")
    # The index drain leaves mail jobs alone.
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    with session_scope(db_factory) as s:
        assert s.scalar(select(OutboxEntry.status).where(OutboxEntry.topic == "mail")) == "pending"
    sender = MailSender(db_factory, SmtpTransport.from_url(smtp_server.url), MailSettings())
    with OutboxWorker(db_factory, search_client, embedder, WorkerConfig(prefix=prefix), poll_interval=0.05, handlers=[sender]):
        [got] = smtp_server.wait_for(1)
    assert got.message["Subject"] == "【揭榜挂帅】您的需求已发榜"
    assert search_client.get_document(index_uid(prefix, NEEDS), need_id) is not None
    with session_scope(db_factory) as s:
        assert set(s.scalars(select(OutboxEntry.status))) == {"done"}


def test_mail_goes_out_while_meilisearch_is_down(
    db_factory: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory, embedder: HashEmbedder,
    smtp_server: SmtpServer,
) -> None:
    from tests.support.meili import client_for, start_test_meili

    server = start_test_meili(tmp_path_factory)
    client = client_for(server, timeout=2)
    try:
        server.stop()
        with session_scope(db_factory) as s:
            user = factories.create_user(s, factories.create_org(s))
            make_need(s)
            notify.notify_users(s, [user.id], "need.approved", "需求已通过审核")
        sender = MailSender(db_factory, SmtpTransport.from_url(smtp_server.url), MailSettings())
        with OutboxWorker(db_factory, client, embedder, WorkerConfig(prefix="down_"), poll_interval=0.05, handlers=[sender]):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not smtp_server.received:
                time.sleep(0.05)
        assert len(smtp_server.received) == 1
        with session_scope(db_factory) as s:
            assert s.scalar(select(OutboxEntry.status).where(OutboxEntry.topic == "need")) == "pending"
    finally:
        client.close()
        server.stop()
