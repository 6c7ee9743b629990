# ruff: noqa: E501  (Chinese text literals: ruff counts CJK characters as double width)
"""Loading the demo corpus into the database, once.

The corpus carries a history (needs published in 2024, deals signed in 2025), so rows are inserted
with their historical timestamps rather than replayed through the services, which stamp "now"
and refuse past deadlines. What the services would leave behind is written alongside: every
seeded object gets an audit entry, lifecycle rows (need transitions, deal stage changes,
recognition transitions) tell the story, needs and providers are queued in the outbox for the
search worker, recognised first-of-kind products get their award priced by the recognitions
service, and the policy targets go in through the targets service.

Idempotent: when the demo marker organisation (``BUREAU_KEY`` or ``ent-001``) is already there,
nothing is written. The caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from demo.corpus import BUREAU_KEY, DEMO_PASSWORD, DemoCorpus, DemoNeed, DemoResponse
from market.audit import service as audit
from market.batches.models import Batch
from market.deals.models import Deal, DealStageChange
from market.needs.models import Need, NeedTransition
from market.orgs.models import CapabilityItem, Organisation, ProviderProfile, User
from market.orgs.security import hash_password
from market.outbox import service as outbox
from market.recognitions.models import Recognition, RecognitionTransition
from market.responses.models import Response
from market.targets.models import Target
from market.vocab import DECLINE_REASONS

T = TypeVar("T")

SEED_ACTION = "demo.seeded"
_REASON_CODE_BY_LABEL = {label: code for code, label in DECLINE_REASONS.items()}
_GREEN_FIELDS = {"能源管理与碳核算", "余热余压利用", "电机系统节能", "水处理与回用", "VOCs与废气治理", "固废资源化",
                 "印染节能减排", "储能与微电网"}  # fmt: skip
_RETURN_CODES = ("indicators_unclear", "unclear", "other", "unclear", "out_of_scope")


@dataclass
class SeedReport:
    already_present: bool
    counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.already_present:
            return "演示数据已存在，未重复写入。"
        parts = "，".join(f"{k} {v}" for k, v in self.counts.items())
        return f"演示数据已写入：{parts}。演示账号密码：{DEMO_PASSWORD}"


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC)


def _progress(items: Iterable[T], desc: str, enabled: bool) -> Iterator[T]:
    yield from tqdm(items, desc=desc, disable=not enabled, leave=False)


def demo_present(session: Session) -> bool:
    return (
        session.scalar(
            select(Organisation.id).where(Organisation.demo_key.in_((BUREAU_KEY, "ent-001"))).limit(1)
        )
        is not None
    )


def seed_demo(session: Session, corpus: DemoCorpus, *, progress: bool = True) -> SeedReport:
    """Insert ``corpus`` unless demo data is already present. Flushes, never commits."""
    if demo_present(session):
        return SeedReport(already_present=True)
    counts: dict[str, int] = {}

    def note(obj_type: str, obj_id: int, key: str) -> None:
        audit.record(session, None, SEED_ACTION, obj_type, obj_id, {"demo_key": key})

    # ---- organisations -----------------------------------------------------------------------
    org_id: dict[str, int] = {}
    for b in corpus.bureaus:
        existing = session.scalar(select(Organisation).where(Organisation.name == b.name))
        if existing is not None:  # a real bureau org is reused, never renamed
            org_id[b.key] = existing.id
            continue
        org = Organisation(
            name=b.name, kind=b.kind, county=b.county, description=f"{b.address}；联系人{b.contact_name} {b.contact_phone}",
            verification="verified", verified_at=_at(dt.date(2024, 1, 2)), demo_key=b.key,
            created_at=_at(dt.date(2024, 1, 2)),
        )  # fmt: skip
        session.add(org)
        session.flush()
        org_id[b.key] = org.id
        note("organisation", org.id, b.key)
    for e in _progress(corpus.enterprises, "企业", progress):
        created = _at(dt.date(2024, 1, 5) + dt.timedelta(days=int(e.key[-3:]) * 3))
        org = Organisation(
            name=e.name, kind=e.kind, credit_code=e.credit_code, county=e.county, industry=e.industry,
            description=f"{e.intro}地址：{e.address}。", verification="verified", verified_at=created,
            demo_key=e.key, created_at=created,
        )  # fmt: skip
        session.add(org)
        session.flush()
        org_id[e.key] = org.id
        note("organisation", org.id, e.key)
    items_total = 0
    for p in _progress(corpus.providers, "揭榜方", progress):
        created = _at(dt.date(2024, 1, 8) + dt.timedelta(days=int(p.key[-3:]) * 2))
        org = Organisation(
            name=p.name, kind=p.kind, credit_code=p.credit_code, county=p.county, industry=None,
            description=p.summary, verification="verified", verified_at=created, demo_key=p.key, created_at=created,
        )  # fmt: skip
        session.add(org)
        session.flush()
        org_id[p.key] = org.id
        tracks = (
            ["green"]
            if set(p.fields) <= _GREEN_FIELDS
            else ["digital"]
            if not set(p.fields) & _GREEN_FIELDS
            else ["digital", "green"]
        )
        profile = ProviderProfile(
            org_id=org.id, fields=list(p.fields), industries=list(p.industries), tracks=tracks, summary=p.summary,
            team=p.team, typical_deal_min_wan=float(p.deal_min), typical_deal_max_wan=float(p.deal_max),
            track_record=p.track_record,
        )  # fmt: skip
        profile.items = [
            CapabilityItem(kind=i.kind, title=i.title, description=i.description, year=i.year)
            for i in p.items
        ]
        items_total += len(p.items)
        session.add(profile)
        session.flush()
        note("organisation", org.id, p.key)
        outbox.enqueue(session, "provider", org.id)
    counts["单位"] = len(org_id)
    counts["能力条目"] = items_total

    # ---- users (one argon2 hash: every demo account shares the documented password) ------------
    pw_hash = hash_password(DEMO_PASSWORD)
    user_id: dict[str, int] = {}
    admin_of: dict[str, int] = {}
    for u in _progress(corpus.users, "账号", progress):
        if session.scalar(select(User.id).where(User.email == u.email)) is not None:
            continue
        user = User(org_id=org_id[u.org_key], email=u.email, display_name=u.display_name, password_hash=pw_hash,
                    roles=[u.role])  # fmt: skip
        session.add(user)
        session.flush()
        user_id[u.key] = user.id
        admin_of.setdefault(u.org_key, user.id)
        note("user", user.id, u.key)
    counts["账号"] = len(user_id)
    bureau_actor = admin_of.get(BUREAU_KEY)
    reviewer = next(
        (user_id[u.key] for u in corpus.users if u.role == "bureau_reviewer" and u.key in user_id),
        bureau_actor,
    )

    # ---- batches ------------------------------------------------------------------------------
    batch_id: dict[str, int] = {}
    for bt in corpus.batches:
        existing_batch = session.scalar(select(Batch).where(Batch.year == bt.year, Batch.seq == bt.number))
        if existing_batch is not None:
            batch_id[bt.key] = existing_batch.id
            continue
        batch = Batch(
            year=bt.year, seq=bt.number, status=bt.status, notice_start=bt.notice_start, notice_end=bt.notice_end,
            publish_on=bt.publish_on, published_at=_at(bt.published_on, 1) if bt.published_on else None,
            created_by=bureau_actor, created_at=_at(bt.collect_until),
        )  # fmt: skip
        session.add(batch)
        session.flush()
        batch_id[bt.key] = batch.id
        note("batch", batch.id, bt.key)
    counts["榜单"] = len(batch_id)

    # ---- needs ----------------------------------------------------------------------------------
    responses_by_need: dict[str, list[DemoResponse]] = {}
    for r in corpus.responses:
        responses_by_need.setdefault(r.need_key, []).append(r)
    deal_by_need = {d.need_key: d for d in corpus.deals}
    need_id: dict[str, int] = {}
    for n in _progress(corpus.needs, "需求", progress):
        need = Need(
            org_id=org_id[n.enterprise_key], created_by=admin_of[n.enterprise_key], title=n.title, summary=n.summary,
            industry=n.industry, track=n.track, county=n.county, budget_min_wan=float(n.budget_min),
            budget_max_wan=float(n.budget_max), deadline=n.deadline, cooperation_mode=n.cooperation_mode,
            anonymous=n.anonymous, description=n.description, problem=n.problem, indicators="；".join(n.indicators),
            tried=n.tried, current_state=n.current_state, expected_outcome=n.expected_outcome,
            contact_name=n.contact_name, contact_phone=n.contact_phone, disclosure=n.disclosure,
            confidentiality_terms="揭榜方须对需求详情及企业提供的数据承担保密义务，不得用于本项目以外的用途。" if n.disclosure != "public" else "",
            status=n.status, batch_id=batch_id[n.batch_key] if n.batch_key else None, published_at=n.published_at,
            demo_key=n.key, created_at=n.created_at, updated_at=n.closed_at or n.published_at or n.created_at,
        )  # fmt: skip
        session.add(need)
        session.flush()
        need_id[n.key] = need.id
        for step in _need_history(n, responses_by_need.get(n.key, []), deal_by_need.get(n.key)):
            from_s, to_s, at, actor_kind, code, text = step
            actor = (
                admin_of[n.enterprise_key]
                if actor_kind == "owner"
                else reviewer
                if actor_kind == "reviewer"
                else bureau_actor
            )
            session.add(NeedTransition(need_id=need.id, actor_id=actor, from_status=from_s, to_status=to_s,
                                       reason_code=code, reason_text=text, at=at))  # fmt: skip
        note("need", need.id, n.key)
        outbox.enqueue(session, "need", need.id)
    counts["需求"] = len(need_id)

    # ---- responses ------------------------------------------------------------------------------
    response_id: dict[str, int] = {}
    for r in _progress(corpus.responses, "揭榜方案", progress):
        resp = Response(
            need_id=need_id[r.need_key], org_id=org_id[r.provider_key], created_by=admin_of[r.provider_key],
            approach=r.approach, team=r.team, track_record=r.track_record, timeline=r.timeline,
            price_wan=float(r.price), status=r.status,
            reason_code=_REASON_CODE_BY_LABEL.get(r.decline_reason or "", "other") if r.decline_reason else None,
            reason_text=r.decline_note or "", demo_key=r.key, created_at=r.submitted_at,
            updated_at=r.decided_at or r.submitted_at,
        )  # fmt: skip
        session.add(resp)
        session.flush()
        response_id[r.key] = resp.id
        note("response", resp.id, r.key)
    counts["揭榜方案"] = len(response_id)

    # ---- deals ----------------------------------------------------------------------------------
    deal_id: dict[str, int] = {}
    for d in _progress(corpus.deals, "对接项目", progress):
        accepted = next((e.on for e in d.history if e.stage == "accepted"), None)
        converted = next((e.on for e in d.history if e.stage == "converted"), None)
        deal = Deal(
            need_id=need_id[d.need_key], response_id=response_id[d.response_key],
            enterprise_org_id=org_id[d.enterprise_key], provider_org_id=org_id[d.provider_key], stage=d.stage,
            contract_amount_wan=float(d.amount) if d.amount is not None else None, signed_on=d.signed_on,
            accepted_on=accepted, converted_on=converted, outcome=d.conversion_note or "",
            failure_reason=d.failure_reason or "", demo_key=d.key, created_at=_at(d.matched_on),
            updated_at=_at(d.history[-1].on),
        )  # fmt: skip
        previous = "matched"
        for event in d.history[1:]:
            deal.stage_changes.append(DealStageChange(actor_id=admin_of[d.enterprise_key], from_stage=previous,
                                                      to_stage=event.stage, note=event.note, at=_at(event.on, 15)))  # fmt: skip
            previous = event.stage
        session.add(deal)
        session.flush()
        deal_id[d.key] = deal.id
        note("deal", deal.id, d.key)
    counts["对接项目"] = len(deal_id)

    # ---- recognitions ---------------------------------------------------------------------------
    deal_need = {d.key: d.need_key for d in corpus.deals}
    priced = 0
    for rec in _progress(corpus.recognitions, "认定", progress):
        row = Recognition(
            org_id=org_id[rec.enterprise_key], product_name=rec.product_name, category=rec.category,
            level=rec.level, year=rec.year, status=rec.status, insured_value_wan=rec.insured_value,
            premium_wan=rec.premium,
            need_id=need_id[deal_need[rec.deal_key]] if rec.deal_key else None,
            deal_id=deal_id[rec.deal_key] if rec.deal_key else None, description=rec.description,
            review_notes=f"证书编号：{rec.certificate_no}" if rec.certificate_no else "",
            reason="经专家评审，产品创新性及首台（套）认定条件论证不足。" if rec.status == "rejected" else "",
            applied_by=admin_of[rec.enterprise_key],
            reviewed_by=reviewer if rec.status != "applied" else None,
            decided_by=bureau_actor if rec.status in ("recognised", "rejected") else None,
            reviewed_at=_at(rec.decided_on) if rec.decided_on and rec.status != "applied" else None,
            recognised_at=_at(rec.decided_on) if rec.decided_on and rec.status == "recognised" else None,
            decided_at=_at(rec.decided_on) if rec.decided_on and rec.status in ("recognised", "rejected") else None,
            created_at=_at(rec.applied_on), updated_at=_at(rec.decided_on or rec.applied_on),
        )  # fmt: skip
        path = {"applied": [], "reviewed": ["reviewed"], "recognised": ["reviewed", "recognised"],
                "rejected": ["reviewed", "rejected"]}[rec.status]  # fmt: skip
        previous = "applied"
        for to_s in path:
            row.transitions.append(RecognitionTransition(
                actor_id=reviewer if to_s == "reviewed" else bureau_actor, from_status=previous, to_status=to_s,
                note=row.reason if to_s == "rejected" else "", at=_at(rec.decided_on or rec.applied_on, 16),
            ))  # fmt: skip
            previous = to_s
        session.add(row)
        session.flush()
        if rec.status == "recognised":
            priced += _price_award(session, row)
        note("recognition", row.id, rec.key)
    counts["认定"] = len(corpus.recognitions)
    counts["已核算奖补"] = priced

    # ---- targets --------------------------------------------------------------------------------
    from market.targets import service as target_service

    added = target_service.seed_policy_targets(session, bureau_actor)
    # The year's own city-wide targets are raced under the department the policy names for the metric.
    department_of = dict(session.execute(select(Target.metric, Target.department).where(Target.department.is_not(None))).tuples().all())
    for t in corpus.targets:
        county_is = Target.county.is_(None) if t.county is None else Target.county == t.county
        found = session.scalar(select(Target.id).where(Target.metric == t.metric, Target.year == t.year, county_is))
        if found is None:
            target = Target(metric=t.metric, year=t.year, cumulative=t.cumulative, base_year=2022 if t.cumulative else None,
                            county=t.county, value=t.value, note=t.description, source=t.source, updated_by=bureau_actor,
                            department=department_of.get(t.metric) if t.county is None else None)  # fmt: skip
            session.add(target)
            session.flush()
            note("target", target.id, t.key)
            added += 1
    counts["目标任务"] = added

    # ---- the features around the story (demo.extras: one small step each) --------------------
    from demo.extras import seed_extras

    session.flush()
    counts.update(seed_extras(session, corpus))

    audit.record(session, None, "demo.seed_completed", "demo", None, {"seed": corpus.seed, **corpus.stats})
    session.flush()
    return SeedReport(already_present=False, counts=counts)


def _price_award(session: Session, row: Recognition) -> int:
    """Store the award the recognitions service prices for a recognised product, as ``recognise``
    would; a level the policy does not fund leaves the award empty rather than failing the seed."""
    from market.errors import DomainError
    from market.recognitions.service import price

    try:
        quote = price(session, row)
    except (DomainError, KeyError, ValueError):
        return 0
    row.award_lines = [
        {
            "rule": ln.rule,
            "kind": "insurance" if ln.rule.endswith(":insurance_subsidy") else "recognition",
            "amount_wan": float(ln.amount_wan),
            "explanation": ln.explanation,
        }
        for ln in quote.lines
    ]
    row.award_wan = float(sum(ln.amount_wan for ln in quote.lines))
    row.policy_version = quote.policy_version
    return 1


def _need_history(
    n: DemoNeed, responses: list[DemoResponse], deal: object
) -> list[tuple[str, str, dt.datetime, str, str | None, str]]:
    """The need's transitions, in order, reconstructed from its dates and final status."""
    steps: list[tuple[str, str, dt.datetime, str, str | None, str]] = []
    if n.submitted_at is None:
        return steps
    steps.append(("draft", "submitted", n.submitted_at, "owner", None, ""))
    if n.status == "returned":
        assert n.reviewed_at is not None
        code = _RETURN_CODES[len(n.title) % len(_RETURN_CODES)]
        steps.append(("submitted", "returned", n.reviewed_at, "reviewer", code, n.review_note or ""))
        return steps
    if n.status == "submitted":
        return steps
    if n.status == "withdrawn" and n.published_at is None:
        assert n.closed_at is not None
        steps.append(
            ("submitted", "withdrawn", n.closed_at, "owner", None, "企业内部技术路线调整，撤回需求。")
        )
        return steps
    reviewed = n.reviewed_at or n.submitted_at
    steps.append(
        ("submitted", "approved", reviewed, "reviewer", None, "需求描述清晰，指标可量化，同意发布。")
    )
    if n.published_at is None:
        return steps
    steps.append(("approved", "published", n.published_at, "bureau", None, ""))
    current = "published"
    if responses:
        first = min(r.submitted_at for r in responses)
        if n.status not in ("expired", "withdrawn", "published"):
            steps.append((current, "taken_up", first, "owner", None, ""))
            current = "taken_up"
    selected = next((r for r in responses if r.status == "selected"), None)
    if selected is not None and selected.decided_at is not None:
        steps.append((current, "selected", selected.decided_at, "owner", None, ""))
        current = "selected"
        history = getattr(deal, "history", ())
        signed = next((e.on for e in history if e.stage == "signed"), None)
        if signed is not None:
            steps.append((current, "contracted", _at(signed), "owner", None, ""))
            current = "contracted"
        converted = next((e.on for e in history if e.stage == "converted"), None)
        if converted is not None:
            steps.append((current, "converted", _at(converted), "owner", None, ""))
            current = "converted"
        failed = next((e.on for e in history if e.stage == "failed"), None)
        if failed is not None:
            steps.append((current, "closed", _at(failed), "owner", "other", "合作终止，需求关闭。"))
            current = "closed"
    final_at = n.closed_at or n.published_at
    if n.status != current and n.status in ("closed", "withdrawn", "expired"):
        text = {
            "closed": "企业已通过其他渠道解决，关闭需求。",
            "withdrawn": "企业撤回需求。",
            "expired": "已过揭榜截止日期。",
        }[n.status]
        steps.append(
            (current, n.status, final_at, "bureau" if n.status == "expired" else "owner", None, text)
        )
    return steps
