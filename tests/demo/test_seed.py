# ruff: noqa: E501  (Chinese text literals: ruff counts CJK characters as double width)
"""Seeding the demo corpus fills an empty database once; a second run writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from demo.corpus import DEMO_ENTERPRISE_LOGIN, DEMO_PASSWORD, DEMO_PROVIDER_LOGIN, generate_corpus
from demo.seed import seed_demo
from market.audit.models import AuditEntry
from market.deals.models import Deal
from market.needs.models import Need, NeedTransition
from market.orgs import service as org_service
from market.orgs.models import CapabilityItem, Organisation, User
from market.outbox.models import OutboxEntry
from market.recognitions.models import Recognition
from market.responses.models import Response
from market.targets.models import Target

MODELS = (Organisation, User, CapabilityItem, Need, NeedTransition, Response, Deal, Recognition, Target, AuditEntry,
          OutboxEntry)  # fmt: skip


def _counts(session: Session) -> dict[str, int]:
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in MODELS}


def test_seed_twice_does_not_double(session: Session) -> None:
    corpus = generate_corpus(2026)
    before = _counts(session)

    first = seed_demo(session, corpus, progress=False)
    after_first = _counts(session)
    second = seed_demo(session, corpus, progress=False)
    after_second = _counts(session)

    assert not first.already_present and second.already_present
    assert "已存在" in str(second)
    assert after_second == after_first
    added = {k: after_first[k] - before[k] for k in after_first}
    assert added["Need"] == len(corpus.needs)
    assert added["Response"] == len(corpus.responses)
    assert added["Deal"] == len(corpus.deals)
    assert added["Recognition"] == len(corpus.recognitions)
    assert added["CapabilityItem"] == sum(len(p.items) for p in corpus.providers)
    assert added["Organisation"] >= len(corpus.enterprises) + len(corpus.providers)
    # Every seeded object is audited and needs/providers are queued for the search index.
    assert added["AuditEntry"] > added["Need"] + added["Organisation"]
    assert added["OutboxEntry"] == len(corpus.needs) + len(corpus.providers)


def test_seeded_data_is_usable(session: Session) -> None:
    corpus = generate_corpus(2026)
    seed_demo(session, corpus, progress=False)

    user = org_service.authenticate(session, DEMO_ENTERPRISE_LOGIN, DEMO_PASSWORD)
    assert user is not None and user.org.demo_key == "ent-001"
    assert org_service.authenticate(session, DEMO_PROVIDER_LOGIN, DEMO_PASSWORD) is not None

    need = session.scalar(select(Need).where(Need.demo_key == "need-0001"))
    assert need is not None and need.status == corpus.needs[0].status
    published = session.scalars(select(Need).where(Need.status == "published")).all()
    assert all(n.batch_id is not None and n.published_at is not None for n in published)
    deal = session.scalar(select(Deal).where(Deal.stage == "converted"))
    assert deal is not None and deal.contract_amount_wan and deal.converted_on
    recognised = session.scalars(select(Recognition).where(Recognition.status == "recognised")).all()
    assert recognised and any(r.award_wan for r in recognised)
