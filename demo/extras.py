# ruff: noqa: E501  (Chinese text literals: ruff counts CJK characters as double width)
"""The features around the core story, each a small seeding step over the rows ``demo.seed``
wrote: refine-together comments on reviews, expert assignments and scores, NDA and invitation
grants, team (联合) proposals, milestones, 公示 objections, saved searches, notifications and
attachments (small real files). A new feature adds one function to ``STEPS``.

Every step draws from its own ``random.Random`` (the corpus seed and the step's name), so adding
or changing one step leaves the others' data as it was.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo import files
from demo.corpus import DEMO_EXPERT_LOGIN, DEMO_PROVIDER_LOGIN, DEMO_TODAY, DemoCorpus
from market.attachments.models import Attachment
from market.batches.models import Batch
from market.deals.models import Deal, DealMilestone
from market.needs.models import ExpertAssignment, Need, NeedAccessGrant, NeedComment, NeedObjection
from market.notifications.models import Notification, SavedSearch
from market.orgs.models import Organisation, User
from market.recognitions.models import Recognition
from market.responses.models import Response, ResponseScore
from market.vocab import REVIEW_CRITERIA


@dataclass
class Context:
    session: Session
    corpus: DemoCorpus
    org_id: dict[str, int]  # demo key → id
    admin_of: dict[int, int]  # org id → its first user
    reviewer: int
    bureau_admin: int
    experts: list[int]  # the demo expert first
    counts: dict[str, int] = field(default_factory=dict)

    def rng(self, step: str) -> random.Random:
        return random.Random(zlib.crc32(f"{self.corpus.seed}:{step}".encode()))


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC)


def _day(moment: dt.datetime | None) -> dt.date:
    assert moment is not None
    return moment.date()


def context(session: Session, corpus: DemoCorpus) -> Context:
    orgs = session.execute(select(Organisation.demo_key, Organisation.id).where(Organisation.demo_key.is_not(None))).all()
    org_id = {k: i for k, i in orgs if k}
    admin_of: dict[int, int] = {}
    for uid, oid in session.execute(select(User.id, User.org_id).order_by(User.id)).all():
        admin_of.setdefault(oid, uid)
    users = session.scalars(select(User).where(User.org_id == org_id["bureau-jx"]).order_by(User.id)).all()
    experts = sorted((u for u in users if u.is_expert), key=lambda u: (u.email != DEMO_EXPERT_LOGIN, u.id))
    reviewer = next(u.id for u in users if "bureau_reviewer" in u.roles)
    admin = next(u.id for u in users if "bureau_admin" in u.roles)
    return Context(session, corpus, org_id, admin_of, reviewer, admin, [u.id for u in experts])


def _needs(ctx: Context, *statuses: str) -> list[Need]:
    return list(ctx.session.scalars(select(Need).where(Need.status.in_(statuses), Need.demo_key.is_not(None)).order_by(Need.id)))


_SUGGESTIONS = (
    ("indicators", "请把“精度明显提高”改为可验收的数值，例如：检测精度≤0.05 mm，节拍≤12 s/件。", "检测精度≤0.05 mm；单件检测节拍≤12 s；误判率≤1%"),
    ("problem", "建议把问题聚焦到一个工序，写清楚现在的做法和卡在哪里。", "问题集中在精加工工序：现有人工抽检无法覆盖全部工件，漏检导致客户投诉。"),
    ("tried", "请补充已经试过的方案和效果，便于揭榜方判断。", "2025年曾试用一套商用视觉系统，受反光影响误报率超过15%，已停用。"),
    ("expected_outcome", "成果形式建议写明交付物和验收方式。", "交付可在产线连续运行的系统一套，经3个月试运行并由第三方检测验收。"),
)


def refine_together(ctx: Context) -> None:
    """Review returns and needs under review carry the reviewer's suggestions (凝练技术问题) and
    the enterprise's replies; one returned need shows a suggestion the enterprise already took."""
    rng = ctx.rng("refine")
    n = 0
    for need in _needs(ctx, "returned", "submitted"):
        if need.status == "submitted" and rng.random() < 0.5:
            continue
        start = _day(need.updated_at) if need.status == "returned" else _day(need.created_at) + dt.timedelta(days=3)
        start = min(start, DEMO_TODAY)
        fld, body, value = rng.choice(_SUGGESTIONS)
        ctx.session.add(NeedComment(need_id=need.id, author_id=ctx.reviewer, body=body, suggested_changes={fld: value}, at=_at(start, 2)))
        ctx.session.add(NeedComment(need_id=need.id, author_id=ctx.admin_of[need.org_id],
                                    body=rng.choice(("收到，我们按建议修改后重新提交。", "指标数值需要和车间确认，本周内回复。",
                                                     "已补充试用情况，请再看一下是否清楚。")),
                                    at=_at(min(DEMO_TODAY, start + dt.timedelta(days=rng.randint(1, 4))), 6)))  # fmt: skip
        n += 2
    ctx.counts["凝练意见"] = n


def expert_reviews(ctx: Context) -> None:
    """Experts score needs under review and proposals on shortlists; the demo expert has some
    scored and some waiting (no scores yet)."""
    rng = ctx.rng("experts")
    demo_expert = ctx.experts[0]
    assigned = scored = 0
    for k, need in enumerate(_needs(ctx, "submitted", "approved")):
        team = [demo_expert] if k % 2 == 0 else []
        team += rng.sample(ctx.experts[1:], 2)
        for e in team:
            at = _day(need.created_at) + dt.timedelta(days=2)
            done = need.status == "approved" or (e != demo_expert and rng.random() < 0.6)
            ctx.session.add(ExpertAssignment(
                need_id=need.id, expert_id=e, assigned_by=ctx.reviewer, at=_at(min(at, DEMO_TODAY)),
                scores={c: rng.randint(62, 95) for c in REVIEW_CRITERIA} if done else None,
                comment=rng.choice(("技术指标明确，具备产业带动作用。", "建议补充财务指标和配套资金来源。", "问题凝练到位，可发布。")) if done else "",
                submitted_at=_at(min(DEMO_TODAY, at + dt.timedelta(days=rng.randint(2, 9)))) if done else None,
            ))  # fmt: skip
            assigned += 1
            scored += done
    shortlisted = ctx.session.scalars(select(Response).where(Response.status == "shortlisted").order_by(Response.id)).all()
    for k, resp in enumerate(shortlisted[:40]):
        e = demo_expert if k % 3 == 0 else rng.choice(ctx.experts[1:])
        done = k % 3 != 0 or k % 2 == 0
        ctx.session.add(ResponseScore(
            response_id=resp.id, expert_id=e, scores={c: rng.randint(60, 96) for c in REVIEW_CRITERIA} if done else None,
            comment="方案可行，团队有同类经验。" if done else "", submitted_at=resp.updated_at if done else None,
        ))  # fmt: skip
    ctx.counts["专家评审"] = assigned + len(shortlisted[:40])
    ctx.counts["已评分"] = scored


def access_grants(ctx: Context) -> None:
    """Providers that read an NDA need's details accepted its terms; invite-only needs list
    their invited providers (every responder was among them)."""
    rng = ctx.rng("grants")
    providers = [ctx.org_id[p.key] for p in ctx.corpus.providers]
    n = 0
    for need in ctx.session.scalars(select(Need).where(Need.disclosure != "public", Need.published_at.is_not(None)).order_by(Need.id)):
        responders = list(ctx.session.scalars(select(Response.org_id).where(Response.need_id == need.id)))
        extra = rng.sample([p for p in providers if p not in responders], rng.randint(1, 3))
        kind = "nda_accepted" if need.disclosure == "nda" else "invited"
        pub = _day(need.published_at)
        for org in responders + extra:
            ctx.session.add(NeedAccessGrant(need_id=need.id, org_id=org, kind=kind,
                                            user_id=ctx.admin_of[org] if kind == "nda_accepted" else ctx.admin_of[need.org_id],
                                            terms_version=need.version if kind == "nda_accepted" else None,
                                            at=_at(pub + dt.timedelta(days=rng.randint(0 if kind == "invited" else 1, 3)))))  # fmt: skip
            n += 1
    ctx.counts["保密/邀请授权"] = n


def team_proposals(ctx: Context) -> None:
    """About one proposal in eight is a team (联合揭榜): a university with a service firm, say."""
    rng = ctx.rng("teams")
    kinds = {ctx.org_id[p.key]: p.kind for p in ctx.corpus.providers}
    firms = [o for o, k in kinds.items() if k == "provider"]
    labs = [o for o, k in kinds.items() if k != "provider"]
    n = 0
    for resp in ctx.session.scalars(select(Response).order_by(Response.id)):
        if rng.random() >= 0.125:
            continue
        pool = firms if kinds.get(resp.org_id) != "provider" else labs
        resp.partner_org_ids = rng.sample([o for o in pool if o != resp.org_id], rng.randint(1, 2))
        n += 1
    ctx.counts["联合揭榜方案"] = n


_MILESTONES = ("完成现场调研与技术方案评审", "样机（系统）开发完成并通过内部测试", "产线试运行与参数优化", "项目验收与技术资料移交")


def milestones(ctx: Context) -> None:
    """Signed deals plan four milestones; those passed are done (with a note), the next is due."""
    rng = ctx.rng("milestones")
    n = 0
    for deal in ctx.session.scalars(select(Deal).where(Deal.signed_on.is_not(None)).order_by(Deal.id)):
        assert deal.signed_on is not None
        end = deal.accepted_on or (deal.signed_on + dt.timedelta(days=rng.randint(200, 360)))
        span = max(40, (end - deal.signed_on).days)
        for k, title in enumerate(_MILESTONES, start=1):
            due = deal.signed_on + dt.timedelta(days=span * k // 4)
            finished = deal.stage in ("accepted", "converted") or (deal.stage != "failed" and due + dt.timedelta(days=10) < DEMO_TODAY)
            done = min(DEMO_TODAY, due + dt.timedelta(days=rng.randint(-10, 12))) if finished else None
            ctx.session.add(DealMilestone(deal_id=deal.id, title=title, due_on=due, done_on=done,
                                          note="按期完成。" if done and done <= due else ("延期完成，已说明原因。" if done else "")))  # fmt: skip
            n += 1
    ctx.counts["里程碑"] = n


def objections(ctx: Context) -> None:
    """The batch on 公示 now has objections: one answered, one still open."""
    batch_ids = list(ctx.session.scalars(select(Batch.id).where(Batch.status == "notice")))
    notice = list(ctx.session.scalars(select(Need).where(Need.batch_id.in_(batch_ids)).order_by(Need.id)))
    if len(notice) < 2:
        return
    provider = ctx.session.scalar(select(User.id).where(User.email == DEMO_PROVIDER_LOGIN))
    other = ctx.admin_of[ctx.org_id[ctx.corpus.providers[5].key]]
    rows = [
        (notice[0], other, "该需求的部分指标与我单位已公开的专利方案相同，建议核实是否属于已解决的技术问题。", True,
         "经核实，企业需求针对的是不同工况，指标已补充说明，维持发布。"),
        (notice[1], provider or other, "预算区间明显低于同类项目的市场价格，建议企业复核。", False, ""),
    ]  # fmt: skip
    for need, user, body, resolved, resolution in rows:
        ctx.session.add(NeedObjection(need_id=need.id, user_id=user, body=body, resolved=resolved, resolution=resolution,
                                      at=_at(DEMO_TODAY - dt.timedelta(days=3))))  # fmt: skip
    ctx.counts["公示异议"] = len(rows)


def saved_searches(ctx: Context) -> None:
    """Provider users subscribe to what they work on (the demo provider to two lists)."""
    rng = ctx.rng("saved")
    n = 0
    demo_user = ctx.session.scalar(select(User.id).where(User.email == DEMO_PROVIDER_LOGIN))
    for p in ctx.corpus.providers:
        uid = ctx.admin_of[ctx.org_id[p.key]]
        if uid != ctx.admin_of.get(ctx.org_id[ctx.corpus.providers[0].key]) and rng.random() > 0.25:
            continue
        industry = p.industries[0] if p.industries else None
        ctx.session.add(SavedSearch(user_id=uid, name=f"{industry or '全部'}·{p.fields[0]}", query="",
                                    filters={"industry": industry} if industry else {}, notify=True, created_at=_at(dt.date(2025, 3, 1))))  # fmt: skip
        n += 1
    if demo_user is not None:
        ctx.session.add(SavedSearch(user_id=demo_user, name="机器视觉（南湖区）", query="视觉", filters={"county": "南湖区"},
                                    notify=True, created_at=_at(dt.date(2025, 6, 1))))  # fmt: skip
        ctx.session.add(SavedSearch(user_id=demo_user, name="绿色低碳", query="", filters={"track": "green"}, notify=False,
                                    created_at=_at(dt.date(2025, 6, 1))))  # fmt: skip
        n += 2
    ctx.counts["订阅"] = n


def notifications(ctx: Context) -> None:
    """What the well-known accounts find in their inbox: the latest events of their own records,
    the older ones read."""
    n = 0
    recent = DEMO_TODAY - dt.timedelta(days=120)
    for resp in ctx.session.scalars(select(Response).where(Response.status.in_(("selected", "declined", "shortlisted"))).order_by(Response.id)):
        day = _day(resp.updated_at)
        if day < recent:
            continue
        label = {"selected": "您的方案已被选定", "declined": "您的方案未入选", "shortlisted": "您的方案已进入候选"}[resp.status]
        ctx.session.add(Notification(user_id=ctx.admin_of[resp.org_id], kind=f"response.{resp.status}", title=label,
                                     body=resp.reason_text or "", link=f"/responses/{resp.id}",
                                     read_at=_at(day, 12) if day < DEMO_TODAY - dt.timedelta(days=20) else None,
                                     created_at=_at(day, 9)))  # fmt: skip
        n += 1
    for e in ctx.experts:
        waiting = ctx.session.scalars(select(ExpertAssignment).where(ExpertAssignment.expert_id == e, ExpertAssignment.submitted_at.is_(None))).all()
        for a in waiting:
            ctx.session.add(Notification(user_id=e, kind="expert.assigned", title="您有一项需求待评审", link=f"/needs/{a.need_id}",
                                         created_at=a.at))  # fmt: skip
            n += 1
    ctx.counts["站内通知"] = n


def attachments(ctx: Context) -> None:
    """Small real files: a technical specification (PDF) and a process chart (PNG) on some needs,
    a proposal (PDF) with a budget sheet (Excel) on some proposals, a certificate (PDF) as the
    evidence of recognised products."""
    rng = ctx.rng("files")
    n = 0

    def add(owner_type: str, owner_id: int, name: str, data: bytes, user: int, at: dt.datetime | None) -> Attachment:
        import hashlib

        ctype = {"pdf": "application/pdf", "png": "image/png",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[name.rsplit(".", 1)[1]]  # fmt: skip
        att = Attachment(owner_type=owner_type, owner_id=owner_id, filename=name, content_type=ctype, size=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by=user, at=at or _at(DEMO_TODAY))  # fmt: skip
        ctx.session.add(att)
        return att

    for need in ctx.session.scalars(select(Need).where(Need.demo_key.is_not(None)).order_by(Need.id)):
        if rng.random() > 0.12:
            continue
        user = ctx.admin_of[need.org_id]
        add("need", need.id, "技术需求说明.pdf", files.pdf(need.title, [need.summary, "现状：" + need.current_state, "指标：" + need.indicators]), user, need.created_at)
        if rng.random() < 0.5:
            add("need", need.id, "工序能耗统计.png", files.png_bars([rng.randint(20, 100) for _ in range(8)]), user, need.created_at)
        n += 1
    for resp in ctx.session.scalars(select(Response).order_by(Response.id)):
        if rng.random() > 0.1:
            continue
        user = ctx.admin_of[resp.org_id]
        add("response", resp.id, "揭榜方案.pdf", files.pdf("揭榜方案", [resp.approach, resp.team, resp.timeline]), user, resp.created_at)
        price = resp.price_wan or 50.0
        add("response", resp.id, "经费预算.xlsx", files.xlsx("经费预算", ("科目", "金额（万元）"),
            [("设备费", round(price * 0.35, 1)), ("材料费", round(price * 0.2, 1)), ("测试化验加工费", round(price * 0.15, 1)),
             ("劳务费", round(price * 0.2, 1)), ("其他", round(price * 0.1, 1))]), user, resp.created_at)  # fmt: skip
        n += 1
    ctx.session.flush()
    for rec in ctx.session.scalars(select(Recognition).where(Recognition.status == "recognised").order_by(Recognition.id)):
        if rng.random() > 0.2:
            continue
        cert = rec.review_notes.removeprefix("证书编号：")
        att = add("recognition", rec.id, "认定证书.pdf", files.pdf("认定证书", [rec.product_name, f"{rec.year}年", cert]),
                  ctx.admin_of[rec.org_id], rec.recognised_at)  # fmt: skip
        ctx.session.flush()
        rec.evidence = [{"title": "认定证书", "attachment_id": att.id, "url": None}]
        n += 1
    ctx.counts["附件"] = n


STEPS: tuple[Callable[[Context], None], ...] = (
    refine_together, expert_reviews, access_grants, team_proposals, milestones, objections, saved_searches,
    notifications, attachments,
)  # fmt: skip


def seed_extras(session: Session, corpus: DemoCorpus) -> dict[str, int]:
    ctx = context(session, corpus)
    for step in STEPS:
        step(ctx)
        session.flush()
    return ctx.counts
