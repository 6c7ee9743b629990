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

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from demo import files
from demo.corpus import DEMO_ENTERPRISE_LOGIN, DEMO_EXPERT_LOGIN, DEMO_PROVIDER_LOGIN, DEMO_TODAY, DemoCorpus
from market.attachments.models import Attachment
from market.batches import service as batches
from market.batches.models import Batch
from market.deals.models import Deal, DealMilestone
from market.mail.models import MailMessage
from market.needs.models import ExpertAssignment, Need, NeedAccessGrant, NeedComment
from market.notifications.models import Notification, SavedSearch
from market.orgs.models import Organisation, User
from market.outbox.models import OutboxEntry
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
    # Through the service, as a person would (notice window, audit, the bureau and the objector told);
    # then dated to when it happened in the demo's story.
    for need, user, body, resolved, resolution in rows:
        objection = batches.raise_objection(ctx.session, _user(ctx, user), need.id, body, today=DEMO_TODAY)
        objection.at = _at(DEMO_TODAY - dt.timedelta(days=3))
        if resolved:
            batches.resolve_objection(ctx.session, _user(ctx, ctx.bureau_admin), objection.id, resolution)
            objection.resolved_at = _at(DEMO_TODAY - dt.timedelta(days=1))
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


# ---- steps through the services (Q&A, messages, policy versions, payouts, mail) ------------------
# A service stamps what it writes with the clock; these steps move each event's rows (and the
# notifications and mails it queued) back to the event's demo date. A mail of an event older than
# RECENT_MAIL counts as delivered long ago (step ``mail_history``): the first start delivers only
# the handful of recent ones into the Maildir, never years of old mail.
RECENT_MAIL = dt.timedelta(days=2)


class _Stamp:
    """Rows of notifications and mails queued inside the block are dated ``moment``."""

    def __init__(self, ctx: Context, moment: dt.datetime) -> None:
        self.ctx, self.moment = ctx, moment

    def __enter__(self) -> None:
        self.n0 = self.ctx.session.scalar(select(func.max(Notification.id))) or 0
        self.m0 = self.ctx.session.scalar(select(func.max(MailMessage.id))) or 0

    def __exit__(self, *exc: object) -> None:
        s = self.ctx.session
        s.flush()
        read = self.moment + dt.timedelta(hours=3) if self.moment.date() < DEMO_TODAY - dt.timedelta(days=20) else None
        s.execute(update(Notification).where(Notification.id > self.n0).values(created_at=self.moment, read_at=read)
                  .execution_options(synchronize_session=False))  # fmt: skip
        s.execute(update(MailMessage).where(MailMessage.id > self.m0).values(created_at=self.moment)
                  .execution_options(synchronize_session=False))  # fmt: skip


def _user(ctx: Context, uid: int) -> User:
    user = ctx.session.get(User, uid)
    assert user is not None
    return user


def mail_preferences(ctx: Context) -> None:
    """A few users chose how they get mail: the demo enterprise reads proposals and Q&A in a daily
    digest, the demo provider turned off mail of new matching needs, two more followed suit."""
    from market.mail import preferences

    ent = ctx.session.scalar(select(User.id).where(User.email == DEMO_ENTERPRISE_LOGIN))
    prov = ctx.session.scalar(select(User.id).where(User.email == DEMO_PROVIDER_LOGIN))
    rows = [(ent, "responses", "digest"), (prov, "matching", "off"),
            (ctx.admin_of[ctx.org_id[ctx.corpus.enterprises[3].key]], "decisions", "digest"),
            (ctx.admin_of[ctx.org_id[ctx.corpus.providers[7].key]], "reminders", "off")]  # fmt: skip
    for uid, category, mode in rows:
        if uid is not None:
            preferences.set_mode(ctx.session, uid, category, mode)
    ctx.counts["邮件偏好"] = len(rows)


_QUESTIONS = (
    ("现有设备的型号和数量是多少？改造期间是否允许停机？", "现有同类设备 12 台，可安排在周末分批停机改造，每次不超过 48 小时。"),
    ("验收时以哪家检测机构的报告为准？是否接受第三方检测？", "接受具有 CMA 资质的第三方检测机构出具的报告，检测费用由我方承担。"),
    ("现场能否提供历史生产数据用于建模？大约有多长时间的数据？", "可提供近两年的工艺参数和质检记录，签订保密协议后开放。"),
    ("项目经费是否可以分阶段支付？首付比例大约多少？", "按里程碑分三期支付，合同签订后首付 30%。"),
    ("是否要求揭榜方在嘉兴设立项目团队或驻场人员？", "试运行阶段需要至少 1 名工程师驻场，其余工作可远程完成。"),
    ("知识产权如何归属？双方共有是否可以接受？", "背景知识产权归各自所有，项目形成的成果双方共有，具体在合同中约定。"),
)
_HIDDEN_QUESTION = "我公司代理各类进口检测设备，价格优惠，欢迎联系销售热线了解详情。"


def questions(ctx: Context) -> None:
    """答疑 on some needs taking responses: providers ask, the enterprise answers most, the bureau
    one it was asked about, one advertisement hidden with a reason, some still waiting."""
    from market.errors import DomainError
    from market.questions import service as qa
    from market.questions.schemas import AnswerIn, HideIn, QuestionIn

    rng = ctx.rng("questions")
    providers = [ctx.admin_of[ctx.org_id[p.key]] for p in ctx.corpus.providers]
    asked = answered = 0
    hidden = by_bureau = False
    open_needs = [n for n in _needs(ctx, "published", "taken_up") if n.disclosure == "public"]
    for k, need in enumerate(open_needs[:30]):
        if k % 3 == 2:
            continue
        pub = _day(need.published_at)
        for j in range(rng.randint(1, 3)):
            body, reply = _QUESTIONS[(k + j) % len(_QUESTIONS)]
            asker = _user(ctx, rng.choice(providers))
            when = _at(min(DEMO_TODAY, pub + dt.timedelta(days=2 + 3 * j)), 9)
            try:
                with _Stamp(ctx, when):
                    q = qa.ask(ctx.session, asker, need.id, QuestionIn(body=body))
            except DomainError:
                continue
            q.created_at = when
            asked += 1
            if when.date() >= DEMO_TODAY - dt.timedelta(days=1) or rng.random() < 0.15:
                continue  # still waiting for an answer
            answer_at = _at(min(DEMO_TODAY, when.date() + dt.timedelta(days=rng.randint(1, 3))), 15)
            who = ctx.reviewer if not by_bureau else ctx.admin_of[need.org_id]
            by_bureau = True
            with _Stamp(ctx, answer_at):
                qa.answer(ctx.session, _user(ctx, who), q.id, AnswerIn(body=reply if who != ctx.reviewer else "经与企业确认：" + reply))
            q.answered_at = answer_at
            answered += 1
        if not hidden:
            asker = _user(ctx, providers[-1])
            when = _at(min(DEMO_TODAY, pub + dt.timedelta(days=4)), 11)
            try:
                with _Stamp(ctx, when):
                    q = qa.ask(ctx.session, asker, need.id, QuestionIn(body=_HIDDEN_QUESTION))
                    qa.hide(ctx.session, _user(ctx, ctx.bureau_admin), q.id, HideIn(reason="与需求无关的广告内容"))
            except DomainError:
                continue
            q.created_at = when
            q.hidden_at = when + dt.timedelta(hours=2)
            hidden = True
            asked += 1
    # Yesterday's questions, not answered yet: their mails are the recent ones the first start sends.
    for k, need in enumerate(open_needs[30:34]):
        when = _at(DEMO_TODAY - dt.timedelta(days=1), 9 + k)
        try:
            with _Stamp(ctx, when):
                q = qa.ask(ctx.session, _user(ctx, providers[k * 7 % len(providers)]), need.id, QuestionIn(body=_QUESTIONS[k][0]))
        except DomainError:
            continue
        q.created_at = when
        asked += 1
    ctx.counts["答疑提问"] = asked
    ctx.counts["答疑答复"] = answered


_THREAD = (
    ("provider", "贵方提出的检测节拍要求，是否包含上下料时间？"),
    ("enterprise", "包含上下料，整体节拍按 12 秒/件计算。"),
    ("provider", "明白。我们下周安排工程师到现场采集样件，方便的话请提供联系人。"),
    ("enterprise", "可以，联系人为设备部王工，现场时间周二或周四均可。"),
)


def messages(ctx: Context) -> None:
    """对接沟通 on some selected and shortlisted proposals: short threads, the older messages read
    by the other side (read receipts), one with the provider's test report attached (PDF)."""
    from market.errors import DomainError
    from market.messages import service as msg
    from market.messages.schemas import MessageIn

    rng = ctx.rng("messages")
    rows = ctx.session.scalars(select(Response).where(Response.status.in_(("shortlisted", "selected"))).order_by(Response.id.desc())).all()
    threads = posted = 0
    attached = False
    for resp in rows[:60]:
        if rng.random() > 0.3:
            continue
        need = ctx.session.get(Need, resp.need_id)
        assert need is not None
        sides = {"provider": _user(ctx, ctx.admin_of[resp.org_id]), "enterprise": _user(ctx, ctx.admin_of[need.org_id])}
        start = min(DEMO_TODAY, _day(resp.created_at) + dt.timedelta(days=3))
        n = 0
        for j, (side, body) in enumerate(_THREAD[: rng.randint(2, 4)]):
            when = _at(min(DEMO_TODAY, start + dt.timedelta(days=2 * j)), 10 + j)
            try:
                with _Stamp(ctx, when):
                    m = msg.post(ctx.session, sides[side], resp.id, MessageIn(body=body))
                    if not attached and side == "provider" and j == 2:
                        msg.add_attachment(ctx.session, sides[side], m.id, filename="样件检测报告.pdf", max_bytes=5_000_000,
                                           data=files.pdf("样件检测报告", [need.title, "检测节拍：11.6 s/件", "误判率：0.8%"]))  # fmt: skip
                        attached = True
            except DomainError:
                break
            m.created_at = when
            n += 1
            # The other side opened the thread the next day unless it is the latest message.
            if when.date() < DEMO_TODAY - dt.timedelta(days=1) and j < 3:
                m.read_at = when + dt.timedelta(hours=20)
        threads += n > 0
        posted += n
        if threads >= 12:
            break
    ctx.counts["对接沟通"] = posted
    ctx.counts["附件"] = ctx.counts.get("附件", 0) + int(attached)


def policy_2026(ctx: Context) -> None:
    """The 2026 policy: the bureau's reviewer drafts the new table, its administrator publishes it
    (two people, as the policy-versions service requires); the year's recognitions are priced."""
    import json
    from importlib import resources

    from demo.seed import _price_award
    from market.recognitions import policy_versions

    data = json.loads(resources.files("market.recognitions").joinpath("policies/jiaxing-2022.json").read_text("utf-8"))
    data.update(version="jiaxing-2026.1", effective_from="2026-01-01", valid_until="2028-12-31",
                title="嘉兴市首台（套）装备、首批次新材料、首版次软件及创新平台奖励政策（2026 年版）",
                validity_note="自 2026 年 1 月 1 日起施行，有效期至 2028 年 12 月 31 日")  # fmt: skip
    from market.recognitions.models import PolicyVersion

    if ctx.session.scalar(select(PolicyVersion.id).where(PolicyVersion.version == data["version"])) is not None:
        return  # the bureau already has it
    row = policy_versions.draft(ctx.session, _user(ctx, ctx.reviewer), data)
    row.created_at = _at(dt.date(2026, 1, 8))
    policy_versions.publish(ctx.session, _user(ctx, ctx.bureau_admin), row.id, "与 2022 年版金额一致，延续三年。")
    row.published_at = _at(dt.date(2026, 1, 12))
    priced = 0
    for rec in ctx.session.scalars(select(Recognition).where(Recognition.status == "recognised", Recognition.award_wan.is_(None),
                                                         Recognition.year >= 2026).order_by(Recognition.id)):  # fmt: skip
        priced += _price_award(ctx.session, rec)
    ctx.counts["政策版本"] = 1
    ctx.counts["2026年认定定价"] = priced


def _to_notice(ctx: Context, rec_id: int, start: dt.date, experts: list[int], *, score: int = 86) -> None:
    """初审 (where still open), the experts assigned and scoring, 专家评审 completed and 公示 from
    ``start`` for ten days: the recognitions service's own steps, as the bureau and experts take them."""
    from market.recognitions import service as rec_service
    from market.recognitions.models import Recognition
    from market.recognitions.schemas import ExpertScoreIn, NoticeIn, RecognitionReview

    staff = _user(ctx, ctx.bureau_admin)
    rec = ctx.session.get(Recognition, rec_id)
    assert rec is not None
    if rec.status == "applied":
        rec_service.review(ctx.session, _user(ctx, ctx.reviewer), rec_id, RecognitionReview(notes="材料齐全，进入专家评审。"))
    for k, e in enumerate(experts):
        rec_service.assign_expert(ctx.session, staff, rec_id, e)
        rec_service.submit_score(ctx.session, _user(ctx, e), rec_id, ExpertScoreIn(
            score=score - 3 * k, comment=("技术指标国内领先，应用案例充分。", "创新性突出，建议关注售后保障。")[k % 2]))  # fmt: skip
    rec_service.finish_review(ctx.session, staff, rec_id)
    rec_service.put_on_notice(ctx.session, staff, rec_id, NoticeIn(notice_start=start, notice_end=start + dt.timedelta(days=9)),
                              today=start)  # fmt: skip


_GREEN = ("低能耗永磁同步电机", "可回收铝合金门窗型材", "水性环保涂料", "节能型商用冷柜")


def green_design(ctx: Context) -> None:
    """国家级绿色设计产品: four enterprises' products, applied for and taken the whole way through the
    recognitions service — 初审, two experts' scores, 公示, 认定 after the notice (the policy funds the
    national level only)."""
    from market.recognitions import service as rec_service
    from market.recognitions.schemas import RecognitionCreate, RecognitionDecision

    n = 0
    for k, (product, year) in enumerate(zip(_GREEN, (2024, 2025, 2025, 2026), strict=True)):
        ent = ctx.corpus.enterprises[(k * 9 + 2) % len(ctx.corpus.enterprises)]
        applicant = _user(ctx, ctx.admin_of[ctx.org_id[ent.key]])
        applied = _at(dt.date(year, 5, 10 + k))
        decided_on = min(DEMO_TODAY - dt.timedelta(days=10), dt.date(year, 9, 20 + k))
        notice_start = decided_on - dt.timedelta(days=16)
        with _Stamp(ctx, applied):
            rec = rec_service.apply(ctx.session, applicant, RecognitionCreate(
                product_name=product, category="green_design", level="national", year=year,
                description=f"{product}入选工业和信息化部绿色设计产品名单。"))  # fmt: skip
        with _Stamp(ctx, _at(notice_start)):
            _to_notice(ctx, rec.id, notice_start, ctx.experts[1 + k % 3: 3 + k % 3])
        with _Stamp(ctx, _at(decided_on)):
            rec_service.recognise(ctx.session, _user(ctx, ctx.bureau_admin), rec.id,
                                  RecognitionDecision(notes=f"证书编号：工信部绿色设计〔{year}〕{31 + k}号"),
                                  today=decided_on)  # fmt: skip
        rec.created_at, rec.reviewed_at, rec.recognised_at, rec.decided_at = applied, applied, _at(decided_on), _at(decided_on)
        n += 1
    ctx.counts["绿色设计产品"] = n


def recognition_reviews(ctx: Context) -> None:
    """This year's open applications at every step the bureau works through: evidence files on
    the first, one waiting for the demo expert's score, one scored and ready for 公示, one on 公示 now
    with an open objection, and one whose 公示 has ended with its objection answered (ready for 认定)."""
    from market.recognitions import service as rec_service
    from market.recognitions.schemas import ExpertScoreIn, ObjectionIn, RecognitionReview

    open_recs = ctx.session.scalars(select(Recognition).where(Recognition.status.in_(("applied", "reviewed")),
                                                              Recognition.year == DEMO_TODAY.year).order_by(Recognition.id)).all()  # fmt: skip
    if len(open_recs) < 5:
        return
    demo_expert, others = ctx.experts[0], ctx.experts[1:]
    files_added = 0
    for rec in open_recs[:3]:
        applicant = _user(ctx, ctx.admin_of[rec.org_id])
        for title, lines in (("首台套认定申报书.pdf", [rec.product_name, rec.description]),
                             ("第三方检测报告.pdf", [rec.product_name, "检测结论：各项指标符合企业标准及申报要求。"])):  # fmt: skip
            rec_service.add_evidence_file(ctx.session, applicant, rec.id, filename=title, data=files.pdf(title[:-4], lines),
                                          max_bytes=10 * 1024 * 1024)  # fmt: skip
            files_added += 1
    waiting, ready, on_notice, served = open_recs[1], open_recs[2], open_recs[3], open_recs[4]
    staff = _user(ctx, ctx.bureau_admin)
    with _Stamp(ctx, _at(DEMO_TODAY - dt.timedelta(days=6))):
        if waiting.status == "applied":
            rec_service.review(ctx.session, _user(ctx, ctx.reviewer), waiting.id, RecognitionReview(notes="材料齐全，进入专家评审。"))
        rec_service.assign_expert(ctx.session, staff, waiting.id, demo_expert)
        rec_service.assign_expert(ctx.session, staff, waiting.id, others[0])
    with _Stamp(ctx, _at(DEMO_TODAY - dt.timedelta(days=4))):
        if ready.status == "applied":
            rec_service.review(ctx.session, _user(ctx, ctx.reviewer), ready.id, RecognitionReview(notes="材料齐全，进入专家评审。"))
        for k, e in enumerate(others[:2]):
            rec_service.assign_expert(ctx.session, staff, ready.id, e)
            rec_service.submit_score(ctx.session, _user(ctx, e), ready.id, ExpertScoreIn(score=88 - 4 * k, comment="产品性能达到国内先进水平，用户评价良好。"))
        rec_service.finish_review(ctx.session, staff, ready.id)
    objector = _user(ctx, ctx.admin_of[ctx.org_id[ctx.corpus.providers[3].key]])
    with _Stamp(ctx, _at(DEMO_TODAY - dt.timedelta(days=3))):
        _to_notice(ctx, on_notice.id, DEMO_TODAY - dt.timedelta(days=3), others[1:3])
        rec_service.raise_objection(ctx.session, objector, on_notice.id, ObjectionIn(
            body="据了解该型号产品 2023 年已在省外销售，请核实是否仍属首台（套）。"), today=DEMO_TODAY)  # fmt: skip
    start = DEMO_TODAY - dt.timedelta(days=16)
    with _Stamp(ctx, _at(start)):
        _to_notice(ctx, served.id, start, others[2:4])
        objection = rec_service.raise_objection(ctx.session, objector, served.id, ObjectionIn(
            body="申报材料中的销售合同日期与首次销售时间不一致，请核实。"), today=start + dt.timedelta(days=2))  # fmt: skip
    with _Stamp(ctx, _at(start + dt.timedelta(days=5))):
        rec_service.resolve_objection(ctx.session, staff, objection.id, "经核实，合同签订在前、交付在后，首次销售时间以交付验收为准，符合认定条件。")
    ctx.counts["认定证明文件"] = files_added
    ctx.counts["认定专家评审/公示"] = 4


def deal_documents(ctx: Context) -> None:
    """Open signed deals keep their contract (合同) on the first milestone, uploaded by the
    enterprise through the deals service; a few add an interim acceptance report (验收报告)."""
    from market.deals import service as deal_service

    n = 0
    deals = ctx.session.scalars(select(Deal).where(Deal.stage.in_(("signed", "in_progress"))).order_by(Deal.id)).all()
    for k, deal in enumerate(deals[:12]):
        first = ctx.session.scalar(select(DealMilestone).where(DealMilestone.deal_id == deal.id).order_by(DealMilestone.id))
        if first is None:
            continue
        party = _user(ctx, ctx.admin_of[deal.enterprise_org_id])
        deal_service.attach_document(ctx.session, party, deal.id, first.id, kind="contract", filename="技术开发合同.pdf",
                                     data=files.pdf("技术开发合同", [f"合同金额：{deal.contract_amount_wan or 0} 万元", "甲乙双方按里程碑分期付款。"]),
                                     max_bytes=10 * 1024 * 1024)  # fmt: skip
        n += 1
        if k % 4 == 0 and first.done_on:
            provider = _user(ctx, ctx.admin_of[deal.provider_org_id])
            deal_service.attach_document(ctx.session, provider, deal.id, first.id, kind="acceptance", filename="阶段验收报告.pdf",
                                         data=files.pdf("阶段验收报告", ["第一阶段任务已按期完成，主要指标达到合同约定。"]),
                                         max_bytes=10 * 1024 * 1024)  # fmt: skip
            n += 1
    ctx.counts["里程碑文件"] = n


def office_calendar(ctx: Context) -> None:
    """The bureau's holiday calendar for 2026 (the State Council's notice): public holidays and the
    调休 working weekends, which every 公示 window counts."""
    from market.office import service as office

    holidays = [dt.date(2026, 1, 1), dt.date(2026, 1, 2), *(dt.date(2026, 2, d) for d in range(15, 24)),
                *(dt.date(2026, 4, d) for d in range(4, 7)), *(dt.date(2026, 5, d) for d in range(1, 6)),
                dt.date(2026, 6, 19), dt.date(2026, 6, 20), dt.date(2026, 6, 21), dt.date(2026, 9, 25),
                dt.date(2026, 9, 26), dt.date(2026, 9, 27), *(dt.date(2026, 10, d) for d in range(1, 8))]  # fmt: skip
    workdays = [dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 5, 9),
                dt.date(2026, 9, 20), dt.date(2026, 10, 10)]  # fmt: skip
    office.set_calendar(ctx.session, _user(ctx, ctx.bureau_admin), holidays, workdays)
    ctx.counts["节假日与调休"] = len(holidays) + len(workdays)


def report_issues(ctx: Context) -> None:
    """The 晾晒通报 issued at each year's end, 2022 to 2025, and this year's latest, archived as
    generated (dated when the bureau issued them in the demo's story)."""
    from market.targets import issues
    from market.targets.models import ReportIssue

    staff = _user(ctx, ctx.bureau_admin)
    for year in range(2022, DEMO_TODAY.year + 1):
        as_of = min(dt.date(year, 12, 31), DEMO_TODAY - dt.timedelta(days=2))
        row = issues.issue_report(ctx.session, staff, year, as_of)
        # An archived issue is never changed through the ORM; its date in the story is set once, here.
        ctx.session.execute(update(ReportIssue).where(ReportIssue.id == row.id)
                            .values(issued_at=_at(min(DEMO_TODAY, as_of + dt.timedelta(days=8))))
                            .execution_options(synchronize_session=False))  # fmt: skip
    ctx.counts["晾晒通报"] = DEMO_TODAY.year - 2022 + 1


def payouts(ctx: Context) -> None:
    """奖补兑现: most awards of past years are paid (in the spring payment batch of the next year,
    a few in two instalments); this year's are still due."""
    from market.recognitions import service as rec_service
    from market.recognitions.schemas import PayoutIn

    rng = ctx.rng("payouts")
    staff = _user(ctx, ctx.bureau_admin)
    n = 0
    recs = ctx.session.scalars(select(Recognition).where(Recognition.status == "recognised", Recognition.award_wan > 0,
                                                         Recognition.year < DEMO_TODAY.year).order_by(Recognition.id)).all()  # fmt: skip
    for rec in recs:
        assert rec.award_wan is not None
        if rng.random() < 0.12:
            continue  # not paid yet
        first = dt.date(rec.year + 1, 4, rng.randint(10, 28))
        if first > DEMO_TODAY:
            continue
        parts = [round(rec.award_wan * 0.6, 2), round(rec.award_wan - round(rec.award_wan * 0.6, 2), 2)] if rng.random() < 0.2 else [rec.award_wan]
        for k, amount in enumerate(parts):
            paid_on = first if k == 0 else dt.date(rec.year + 2, 4, 20)
            if paid_on > DEMO_TODAY:
                break
            with _Stamp(ctx, _at(paid_on, 14)):
                row = rec_service.record_payout(ctx.session, staff, rec.id, PayoutIn(
                    amount_wan=amount, paid_on=paid_on, payment_batch=f"{paid_on.year} 年第{'一' if k == 0 else '二'}批奖补资金",
                    note="" if len(parts) == 1 else f"分两期兑现，第{k + 1}期"))  # fmt: skip
            row.created_at = _at(paid_on, 14)
            n += 1
    ctx.counts["奖补兑现"] = n


def mail_history(ctx: Context) -> None:
    """The mails of old events went out when they happened: marked sent with their outbox jobs
    done, and held ones counted as in a past digest. Only the last RECENT_MAIL days' mails wait
    for the mail worker, so the first start delivers a handful of examples."""
    s = ctx.session
    s.flush()
    cutoff = _at(DEMO_TODAY) - RECENT_MAIL
    old = select(MailMessage.id).where(MailMessage.created_at < cutoff)
    s.execute(update(OutboxEntry).where(OutboxEntry.topic == "mail", OutboxEntry.record_id.in_(old), OutboxEntry.status == "pending")
              .values(status="done", processed_at=_at(DEMO_TODAY), attempts=1).execution_options(synchronize_session=False))  # fmt: skip
    s.execute(update(MailMessage).where(MailMessage.created_at < cutoff).values(sent_at=MailMessage.created_at, held=False)
              .execution_options(synchronize_session=False))  # fmt: skip
    ctx.counts["邮件（历史，已发送）"] = s.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.sent_at.is_not(None))) or 0
    ctx.counts["邮件（待发送）"] = s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.topic == "mail", OutboxEntry.status == "pending")) or 0


STEPS: tuple[Callable[[Context], None], ...] = (
    office_calendar, refine_together, expert_reviews, access_grants, team_proposals, milestones, deal_documents,
    objections, saved_searches, notifications, attachments, mail_preferences, questions, messages, policy_2026,
    green_design, recognition_reviews, payouts, report_issues, mail_history,
)  # fmt: skip


def seed_extras(session: Session, corpus: DemoCorpus) -> dict[str, int]:
    ctx = context(session, corpus)
    for step in STEPS:
        step(ctx)
        session.flush()
    return ctx.counts
