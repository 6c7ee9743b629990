# ruff: noqa: E501  (Chinese text literals: ruff counts CJK characters as double width)
"""Seeding the demo corpus fills an empty database once; a second run writes nothing."""

from __future__ import annotations

from collections.abc import Callable

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
    # The corpus's recognitions and the 绿色设计产品 the extras apply for through the service.
    assert added["Recognition"] == len(corpus.recognitions) + first.counts["绿色设计产品"] > len(corpus.recognitions)
    assert added["CapabilityItem"] == sum(len(p.items) for p in corpus.providers)
    assert added["Organisation"] >= len(corpus.enterprises) + len(corpus.providers)
    # Every seeded object is audited and needs/providers are queued for the search index.
    assert added["AuditEntry"] > added["Need"] + added["Organisation"]
    search_jobs = session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.topic != "mail"))
    assert search_jobs == len(corpus.needs) + len(corpus.providers)


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


def test_dashboard_of_every_year_shows_progress_against_every_seed_target(session: Session) -> None:
    """Read through the progress service, as the bureau's dashboard does (as of the demo's today)."""
    import datetime as dt

    from demo.corpus import DEMO_TODAY
    from market.targets.progress import progress_report

    seed_demo(session, generate_corpus(2026), progress=False)
    seed_targets = {("needs_published", 2022, 200), ("needs_published", 2023, 300), ("needs_published", 2025, 500),
                    ("deals_signed", 2022, 100), ("first_of_kind_municipal", 2022, 80),
                    ("first_of_kind_provincial", 2023, 40), ("first_of_kind_provincial", 2025, 100)}  # fmt: skip
    shown: set[tuple[str, int, int]] = set()
    for year in range(2022, DEMO_TODAY.year + 1):
        as_of = min(DEMO_TODAY, dt.date(year, 12, 31))
        report = progress_report(session, year, as_of=as_of)
        assert report.targets, year
        for t in report.targets:
            assert t.actual > 0, (year, t.metric)
            shown.add((t.metric, t.year, t.target))
            # Every target is split over the counties and the 赛马 ranks them by completion rate.
            rates = {c.county: c.completion_rate for c in t.by_county if c.target}
            assert len(rates) == 7, (year, t.metric)
            if t.year == year and t.target >= 50:
                assert min(rates, key=lambda c: rates[c] or 0) == "海盐县", (year, t.metric, rates)
                if (t.completion_rate or 0) >= 1.0:  # some counties ahead, some behind
                    assert max(r or 0 for r in rates.values()) > 1.0 > min(r or 0 for r in rates.values())
        for metric, tyear, value in seed_targets:
            if tyear == year:
                met = next(t for t in report.targets if (t.metric, t.year) == (metric, tyear))
                assert met.target == value and met.actual >= value and met.status == "已完成", met
    assert seed_targets <= shown


def test_every_feature_is_in_use(session: Session) -> None:
    from demo.corpus import DEMO_EXPERT_LOGIN
    from market.attachments.models import Attachment
    from market.attachments.service import sniff
    from market.batches.models import Batch
    from market.deals.models import DealMilestone
    from market.needs.models import ExpertAssignment, NeedAccessGrant, NeedComment, NeedObjection
    from market.notifications.models import Notification, SavedSearch
    from market.responses.models import ResponseScore

    seed_demo(session, generate_corpus(2026), progress=False)

    def count(model: type, *where: object) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]

    expert = session.scalar(select(User).where(User.email == DEMO_EXPERT_LOGIN))
    assert expert is not None
    waiting = count(ExpertAssignment, ExpertAssignment.expert_id == expert.id, ExpertAssignment.submitted_at.is_(None))
    done = count(ExpertAssignment, ExpertAssignment.expert_id == expert.id, ExpertAssignment.submitted_at.is_not(None))
    assert waiting >= 3 and done >= 1
    assert count(ResponseScore, ResponseScore.expert_id == expert.id) >= 3
    assert count(NeedComment, NeedComment.suggested_changes.is_not(None)) >= 8
    assert count(NeedAccessGrant, NeedAccessGrant.kind == "nda_accepted") and count(NeedAccessGrant, NeedAccessGrant.kind == "invited")
    assert count(Response, Response.reason_code.is_not(None), Response.status == "declined") > 100
    teams = session.scalars(select(Response.partner_org_ids)).all()
    assert 0.05 < sum(1 for t in teams if t) / len(teams) < 0.25
    assert count(DealMilestone, DealMilestone.done_on.is_not(None)) and count(DealMilestone, DealMilestone.done_on.is_(None))
    assert count(Deal, Deal.stage == "failed", Deal.failure_reason != "") >= 10
    assert {s for (s,) in session.execute(select(Batch.status).distinct())} == {"draft", "notice", "scheduled", "published"}
    assert count(NeedObjection, NeedObjection.resolved.is_(False)) == 1 and count(NeedObjection) == 2
    assert count(SavedSearch) >= 10 and count(Notification, Notification.read_at.is_(None)) >= 10
    cats = {(c, lv) for c, lv in session.execute(select(Recognition.category, Recognition.level).where(Recognition.status == "recognised")).all()}
    assert {c for c, _ in cats} == {"equipment", "material", "software", "tech_center", "innovation_center", "innovation_project",
                                    "green_design"}
    assert {lv for c, lv in cats if c == "green_design"} == {"national"}
    assert {"municipal", "provincial", "national", "international", "provincial_new_product"} <= {lv for _, lv in cats}
    # Attachments are real files whose bytes match their names, the same on every run.
    atts = session.scalars(select(Attachment)).all()
    assert {a.owner_type for a in atts} == {"need", "response", "recognition", "message", "deal"}
    assert {a.content_type.split("/")[1][:5] for a in atts} >= {"pdf", "png", "vnd.o"}
    assert all(sniff(a.data, a.filename) == a.content_type and 500 < a.size < 50_000 for a in atts)
    from demo import files

    assert files.pdf("题", ["一"]) == files.pdf("题", ["一"]) and files.xlsx("x", ["a"], [[1]]) == files.xlsx("x", ["a"], [[1]])
    _check_later_features(session, count)


def _check_later_features(session: Session, count: Callable[..., int]) -> None:
    """Q&A, messages, policy versions, payouts, 公示 objections answered, mail and its preferences."""
    import datetime as dt

    from demo.corpus import DEMO_EXPERT_LOGIN, DEMO_TODAY
    from market.attachments.models import Attachment
    from market.mail.models import MailMessage, MailPreference
    from market.messages.models import ResponseMessage
    from market.needs.models import NeedObjection
    from market.notifications.models import Notification
    from market.questions.models import NeedQuestion
    from market.recognitions.models import PolicyVersion, RecognitionPayout

    # 答疑: asked by providers, most answered by the enterprise, one by the bureau, one hidden, some open.
    qs = session.scalars(select(NeedQuestion)).all()
    assert len(qs) >= 15 and len({q.need_id for q in qs}) >= 8
    answered = [q for q in qs if q.answer]
    assert sum(q.answered_as == "发榜企业" for q in answered) > len(answered) / 2
    assert sum(q.answered_as == "科技局" for q in answered) == 1
    assert [q.hidden_reason for q in qs if q.hidden_at] == ["与需求无关的广告内容"]
    assert any(q.answer is None and q.hidden_at is None for q in qs)
    assert all(q.created_at.date() <= DEMO_TODAY for q in qs) and len({q.created_at.date() for q in qs}) > 5
    # 对接沟通: a few threads, both sides writing, read receipts, one attachment.
    ms = session.scalars(select(ResponseMessage)).all()
    assert 3 <= len({m.response_id for m in ms}) <= 12 and {m.side for m in ms} == {"enterprise", "provider"}
    assert any(m.read_at for m in ms) and any(m.read_at is None for m in ms)
    assert count(Attachment, Attachment.owner_type == "message", Attachment.filename.endswith(".pdf")) == 1
    # The 2026 policy, drafted by one staff member and published by another, prices 2026.
    pv = session.scalars(select(PolicyVersion)).all()
    assert [(p.version, p.status) for p in pv] == [("jiaxing-2026.1", "published")] and pv[0].created_by != pv[0].reviewed_by
    recs_2026 = session.scalars(select(Recognition).where(Recognition.year == 2026, Recognition.status == "recognised")).all()
    assert recs_2026 and all(r.award_wan is not None and r.policy_version == "jiaxing-2026.1" for r in recs_2026), [(r.category, r.level, r.award_wan, r.policy_version) for r in recs_2026]
    # 奖补兑现: most past awards paid (some in two instalments), this year's still due.
    paid = dict(session.execute(select(RecognitionPayout.recognition_id, func.sum(RecognitionPayout.amount_wan))
                                .group_by(RecognitionPayout.recognition_id)).all())  # fmt: skip
    past = session.scalars(select(Recognition).where(Recognition.status == "recognised", Recognition.award_wan > 0,
                                                     Recognition.year < DEMO_TODAY.year)).all()  # fmt: skip
    full = [r for r in past if r.award_wan and abs(paid.get(r.id, 0) - r.award_wan) < 1e-6]
    part = [r for r in past if 0 < paid.get(r.id, 0) < (r.award_wan or 0) - 1e-6]
    assert len(full) > len(past) / 2 and part and any(r.id not in paid for r in past)
    assert not any(r.id in paid for r in recs_2026)
    # 公示: the bureau answered one objection in writing, one is open.
    (done,) = session.scalars(select(NeedObjection).where(NeedObjection.resolved.is_(True))).all()
    assert done.resolution and done.resolved_by and done.resolved_at
    # Raised and answered through the service: audited, and the objector was told the answer.
    assert {"need.objection", "need.objection_resolved"} <= set(session.scalars(select(AuditEntry.action)))
    assert session.scalar(select(Notification.id).where(Notification.user_id == done.user_id,
                                                       Notification.kind == "objection.answered"))  # fmt: skip
    # Recognitions at every step of this year's work, through the service: files, experts, 公示, objections.
    from market.deals.models import DealDocument
    from market.office.models import CalendarDay
    from market.recognitions.models import RecognitionExpertReview, RecognitionObjection
    from market.targets.models import ReportIssue

    statuses = {st for (st,) in session.execute(select(Recognition.status).where(Recognition.year == DEMO_TODAY.year))}
    assert {"applied", "reviewed", "scored", "on_notice"} <= statuses, statuses
    assert count(Attachment, Attachment.owner_type == "recognition") >= 6
    demo_expert = session.scalar(select(User.id).where(User.email == DEMO_EXPERT_LOGIN))
    assert count(RecognitionExpertReview, RecognitionExpertReview.expert_id == demo_expert,
                 RecognitionExpertReview.score.is_(None)) >= 1  # fmt: skip
    objections = session.scalars(select(RecognitionObjection)).all()
    assert sorted(o.resolved for o in objections) == [False, True]
    green = session.scalars(select(Recognition).where(Recognition.category == "green_design")).all()
    assert len(green) == 4 and all(r.status == "recognised" and r.notice_end for r in green)
    # Deal milestones keep their documents; the office calendar; the archived 晾晒通报.
    assert count(DealDocument) >= 5
    assert count(CalendarDay) > 30
    assert sorted(i.year for i in session.scalars(select(ReportIssue))) == list(range(2022, DEMO_TODAY.year + 1))
    # Every city-wide target is raced under a responsible department (seed §四(二)); county splits are not.
    from market.targets.models import Target

    city = session.scalars(select(Target).where(Target.county.is_(None))).all()
    assert city and all(t.department for t in city), [t.metric for t in city if not t.department]
    assert count(Target, Target.county.is_not(None), Target.department.is_not(None)) == 0
    # Mail: old events' mails count as sent long ago; only a handful of recent ones wait for the worker.
    pending = session.scalars(select(OutboxEntry).where(OutboxEntry.topic == "mail", OutboxEntry.status == "pending")).all()
    assert 1 <= len(pending) <= 30, len(pending)
    waiting = session.scalars(select(MailMessage).where(MailMessage.id.in_([p.record_id for p in pending]))).all()
    assert all(m.created_at.date() >= DEMO_TODAY - dt.timedelta(days=3) for m in waiting)
    assert count(MailMessage, MailMessage.sent_at.is_not(None)) > 50
    assert count(MailMessage, MailMessage.sent_at.is_(None), MailMessage.held.is_(False)) == len(pending)
    modes = {m for (m,) in session.execute(select(MailPreference.mode))}
    assert modes == {"digest", "off"}


def test_reset_removes_the_demo_and_keeps_real_records(session: Session) -> None:
    from demo.reset import remove_demo
    from tests import factories

    real_org = factories.create_org(session, name="嘉兴真实企业（重置测试）有限公司")
    real_user = factories.create_user(session, org=real_org)
    real_need = factories.create_need(session, org=real_org, user=real_user)
    session.flush()
    corpus = generate_corpus(2026)
    seed_demo(session, corpus, progress=False)
    seeded = _counts(session)

    assert remove_demo(session) > 0
    after = _counts(session)
    assert session.scalar(select(func.count()).select_from(Organisation).where(Organisation.demo_key.is_not(None))) == 0
    assert session.get(Need, real_need.id) is not None and session.get(Organisation, real_org.id) is not None
    assert after["Need"] == 1 and after["Deal"] == 0 and after["Recognition"] == 0

    again = seed_demo(session, corpus, progress=False)  # rebuilt on purpose, same figures
    assert not again.already_present
    rebuilt = _counts(session)
    for model in ("Organisation", "User", "CapabilityItem", "Need", "Response", "Deal", "Recognition", "Target"):
        assert rebuilt[model] == seeded[model], model
