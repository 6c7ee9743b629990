"""Recognition rules and state changes.

Who may act: an enterprise applies for its own products; the bureau may also register an
application on an organisation's behalf; only bureau staff review, recognise or reject. The
award is priced from the policy table of the recognition's year when it is recognised, 就高不重复
against what the same product already received.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from market.attachments import queries as attachment_queries
from market.attachments import service as attachments
from market.attachments.models import Attachment
from market.audit import service as audit
from market.batches.access import today_local
from market.db import CST, utcnow
from market.deals.models import Deal
from market.errors import Conflict, Forbidden, Invalid, NotFound
from market.needs.models import Need
from market.notifications import service as notify
from market.office import service as office
from market.orgs import access as org_access
from market.orgs.models import Organisation, OrgKind, User
from market.recognitions import access
from market.recognitions.models import (
    Recognition,
    RecognitionExpertReview,
    RecognitionObjection,
    RecognitionPayout,
    RecognitionTransition,
)
from market.recognitions.policy import (
    ZERO,
    AwardLine,
    Policy,
    PolicyNotInForce,
    PriorAward,
    Quote,
    insurance_line,
    policy_by_version,
    policy_for_year,
    q,
    quote,
    recognition_line,
)
from market.recognitions.policy_versions import policies
from market.recognitions.schemas import (
    AwardQuoteIn,
    ExpertScoreIn,
    NoticeIn,
    ObjectionIn,
    PayoutIn,
    RecognitionCreate,
    RecognitionDecision,
    RecognitionRejection,
    RecognitionReview,
)
from market.recognitions.states import RecognitionStatus as S
from market.recognitions.states import recognition_machine

OBJECT_TYPE = "recognition"


def normalise_product(name: str) -> str:
    """The product name with whitespace collapsed."""
    return " ".join(name.split())


def normalise_code(code: str | None) -> str | None:
    """The product model / code, without spaces, upper case; None when blank."""
    if code is None:
        return None
    text = "".join(code.split()).upper()
    return text or None


def same_product(rec: Recognition) -> ColumnElement[bool]:
    """Product identity for 就高不重复: the same organisation and the same model / code, or (for an
    application without one) the same normalised name — so renaming a product with a code does
    not make it a new product."""
    same_name = Recognition.product_name == rec.product_name
    if rec.product_code:
        return and_(Recognition.org_id == rec.org_id, or_(Recognition.product_code == rec.product_code, same_name))
    return and_(Recognition.org_id == rec.org_id, same_name)


def _tell(session: Session, rec: Recognition, kind: str, title: str, body: str = "") -> None:
    """Every step of an application is told to the enterprise (in-app)."""
    notify.notify_org(session, rec.org_id, kind, title, body, f"/enterprise/recognitions/{rec.id}")


def get_for_view(session: Session, user: User, rec_id: int) -> Recognition:
    """The application for its organisation, the bureau and the experts assigned to it."""
    rec = session.get(Recognition, rec_id)
    if rec is None or not access.can_view(user, rec, assigned=access.is_assigned_expert(session, user, rec)):
        # Another organisation's application is not revealed to exist.
        raise NotFound("认定申报不存在")
    return rec


def _policy_problems(policy: Policy, category: str | None, level: str | None, has_insurance: bool) -> list[dict[str, str]]:
    """Category, level and insurance against the policy table; an empty field is left to the
    schema's own message (None: not given)."""
    details: list[dict[str, str]] = []
    if not category:
        return details
    cat = policy.categories.get(category)
    if cat is None:
        details.append({"field": "category", "message": "请选择认定类别：" + "、".join(c.label for c in policy.categories.values())})
    else:
        if level and level not in cat.awards:
            labels = "、".join(a.label for a in cat.awards.values())
            details.append({"field": "level", "message": f"请选择{cat.label}的级别：{labels}"})
        if has_insurance and not cat.insurance:
            details.append({"field": "premium_wan", "message": f"{cat.label}不适用保费补贴"})
    return details


def _check_against_policy(policy: Policy, category: str, level: str, has_insurance: bool) -> None:
    details = _policy_problems(policy, category, level, has_insurance)
    if details:
        raise Invalid("；".join(d["message"] for d in details), details=details)


def application_problems(
    year: int | None,
    category: str | None,
    level: str | None,
    insured_value_wan: float | None,
    premium_wan: float | None,
    *,
    policies: Sequence[Policy] | None = None,
) -> list[dict[str, str]]:
    """The rules across fields of an application (insurance in pairs; category, level and
    insurance allowed by the year's policy), each with its field; they need no stored data, so a
    form can report them together with the schema's messages. ``apply`` enforces the same."""
    details: list[dict[str, str]] = []
    if (insured_value_wan is None) != (premium_wan is None):
        missing = "premium_wan" if premium_wan is None else "insured_value_wan"
        details.append({"field": missing, "message": "投保金额和保费须同时填写或同时留空"})
    if year is not None and 2000 <= year <= 2100:
        has_insurance = premium_wan is not None and "premium_wan" not in {d["field"] for d in details}
        try:
            policy = policy_for_year(year, policies)
        except PolicyNotInForce as exc:
            details += exc.details or []
        else:
            details += _policy_problems(policy, category, level, has_insurance)
    return details


def apply(session: Session, actor: User, rec_in: RecognitionCreate) -> Recognition:
    """An enterprise applies for its own product; bureau staff may register one for any
    enterprise (``org_id``). A linked need or deal must belong to the same enterprise."""
    if actor.is_bureau_staff:
        if rec_in.org_id is None:
            raise Invalid.field("org_id", "科技局代为登记时须指定企业")
        org_id = rec_in.org_id
    else:
        if actor.is_bureau:
            raise Forbidden("只有科技局工作人员可以代为登记认定")
        if rec_in.org_id is not None and rec_in.org_id != actor.org_id:
            raise Forbidden("只能为本单位的产品申报认定")
        org_id = actor.org_id
    org = session.get(Organisation, org_id)
    if org is None:
        raise Invalid.field("org_id", "企业不存在")
    if org.kind == OrgKind.bureau:
        raise Invalid.field("org_id", "科技局不能作为认定主体")
    in_force = policies(session)
    policy_for_year(rec_in.year, in_force)  # outside every version: PolicyNotInForce, naming them
    problems = application_problems(
        rec_in.year, rec_in.category, rec_in.level, rec_in.insured_value_wan, rec_in.premium_wan, policies=in_force
    )
    if problems:
        raise Invalid("；".join(d["message"] for d in problems), details=problems)
    if rec_in.need_id is not None:
        need = session.get(Need, rec_in.need_id)
        if need is None or need.org_id != org_id:
            raise Invalid.field("need_id", "关联的需求不存在或不属于该企业")
    if rec_in.deal_id is not None:
        deal = session.get(Deal, rec_in.deal_id)
        if deal is None or org_id not in (deal.enterprise_org_id, deal.provider_org_id):
            raise Invalid.field("deal_id", "关联的对接项目不存在或与该企业无关")
        if rec_in.need_id is not None and deal.need_id != rec_in.need_id:
            raise Invalid.field("deal_id", "关联的对接项目不属于所填需求")
    rec = Recognition(
        org_id=org_id,
        product_name=normalise_product(rec_in.product_name),
        product_code=normalise_code(rec_in.product_code),
        category=rec_in.category,
        level=rec_in.level,
        year=rec_in.year,
        status=S.applied,
        insured_value_wan=rec_in.insured_value_wan,
        premium_wan=rec_in.premium_wan,
        need_id=rec_in.need_id,
        deal_id=rec_in.deal_id,
        evidence=[e.model_dump(exclude_none=True) for e in rec_in.evidence],
        description=rec_in.description,
        applied_by=actor.id,
    )
    session.add(rec)
    session.flush()
    _transition_row(session, rec, actor, "", S.applied, "")
    audit.record(
        session,
        actor.id,
        "recognition.applied",
        OBJECT_TYPE,
        rec.id,
        {"org_id": org_id, "category": rec.category, "level": rec.level, "year": rec.year},
    )
    return rec


def _transition_row(
    session: Session, rec: Recognition, actor: User, from_s: str, to_s: str, note: str
) -> None:
    session.add(
        RecognitionTransition(
            recognition_id=rec.id, actor_id=actor.id, from_status=from_s, to_status=to_s, note=note
        )
    )


def _move(
    session: Session, rec: Recognition, actor: User, target: S, note: str, data: dict[str, Any]
) -> None:
    recognition_machine.check(rec.status, target)
    before = rec.status
    rec.status = target
    _transition_row(session, rec, actor, before, target, note)
    session.flush()
    audit.record(
        session,
        actor.id,
        f"recognition.{target}",
        OBJECT_TYPE,
        rec.id,
        {"from": before, "to": str(target), **data},
    )


def review(session: Session, actor: User, rec_id: int, review_in: RecognitionReview) -> Recognition:
    """Only the bureau passes an application's first review (applied → reviewed)."""
    rec = get_for_view(session, actor, rec_id)
    access.decide(actor, rec, S.reviewed, "初审认定申报").require()
    rec.review_notes = review_in.notes
    rec.reviewed_by = actor.id
    rec.reviewed_at = utcnow()
    _move(session, rec, actor, S.reviewed, review_in.notes, {})
    _tell(session, rec, "recognition.reviewed", f"认定申报已通过初审：{rec.product_name}", review_in.notes)
    return rec


def reject(session: Session, actor: User, rec_id: int, rejection: RecognitionRejection) -> Recognition:
    """Only the bureau rejects, and always says why."""
    rec = get_for_view(session, actor, rec_id)
    access.decide(actor, rec, S.rejected, "驳回认定申报").require()
    rec.reason = rejection.reason
    rec.decided_by = actor.id
    rec.decided_at = utcnow()
    _move(session, rec, actor, S.rejected, rejection.reason, {"reason": rejection.reason})
    _tell(session, rec, "recognition.rejected", f"认定申报未通过：{rec.product_name}", rejection.reason)
    return rec


def prior_awards(session: Session, policy: Policy, rec: Recognition) -> list[PriorAward]:
    """Recognition awards already paid to the same product of the same organisation in the same
    exclusive group (就高不重复), from recognitions decided before this one."""
    group = policy.exclusive_with(rec.category)
    rows = session.scalars(
        select(Recognition)
        .where(
            same_product(rec),
            Recognition.category.in_(sorted(group)),
            Recognition.status == S.recognised,
            Recognition.id != rec.id,
        )
        .order_by(Recognition.recognised_at, Recognition.id)
    ).all()
    prior = []
    for other in rows:
        paid = sum(
            (
                Decimal(str(ln["amount_wan"]))
                for ln in other.award_lines or []
                if ln.get("kind") == "recognition"
            ),
            ZERO,
        )
        prior.append(PriorAward(other.category, other.level, paid))
    return prior


def _awarded(session: Session, rec: Recognition, kind: str, *where: ColumnElement[bool]) -> Decimal:
    """The ``kind`` award lines (insurance / recognition) of the other recognised rows matching ``where``."""
    rows = session.scalars(
        select(Recognition).where(*where, Recognition.status == S.recognised, Recognition.id != rec.id)
    ).all()
    return sum(
        (Decimal(str(ln["amount_wan"])) for r in rows for ln in r.award_lines or [] if ln.get("kind") == kind), ZERO
    )


def insurance_paid_in_year(session: Session, rec: Recognition) -> Decimal:
    """Premium subsidy the same set already received in the same year (the cap is per set per year)."""
    return _awarded(session, rec, "insurance", same_product(rec), Recognition.year == rec.year)


def org_awarded_in_category(session: Session, rec: Recognition) -> Decimal:
    """Recognition awards the enterprise already received in ``rec``'s category (for a category
    with a per-enterprise cap: 绿色设计产品 at most 100 万元 per enterprise)."""
    return _awarded(session, rec, "recognition", Recognition.org_id == rec.org_id, Recognition.category == rec.category)


def price(session: Session, rec: Recognition, level: str | None = None) -> Quote:
    """What recognising ``rec`` (at ``level``, default the level applied for) would pay now, under
    the policy version in force in its year (none: :class:`PolicyNotInForce`)."""
    policy = policy_for_year(rec.year, policies(session))
    level = level or rec.level
    _check_against_policy(policy, rec.category, level, rec.premium_wan is not None)
    org_awarded = (
        org_awarded_in_category(session, rec) if policy.category(rec.category).cap_wan_per_org is not None else ZERO
    )
    lines: list[AwardLine] = [
        recognition_line(policy, rec.category, level, prior_awards(session, policy, rec), org_awarded)
    ]
    if rec.insured_value_wan is not None and rec.premium_wan is not None:
        lines.append(
            insurance_line(
                policy,
                rec.category,
                Decimal(str(rec.insured_value_wan)),
                Decimal(str(rec.premium_wan)),
                insurance_paid_in_year(session, rec),
            )
        )
    return Quote(policy_version=policy.version, lines=tuple(lines))


def recognise(
    session: Session, actor: User, rec_id: int, decision: RecognitionDecision, today: dt.date | None = None
) -> Recognition:
    """Only the bureau recognises (on_notice → recognised), after the notice period ends (China
    Standard Time) and with every objection answered, optionally at another level; the award is
    computed from the policy table and stored with its lines and policy version."""
    rec = get_for_view(session, actor, rec_id)
    access.recognise(actor, rec, access.Facts.read(session, actor, rec, today)).require()
    result = price(session, rec, decision.level)
    if decision.level is not None:
        rec.level = decision.level
    rec.award_lines = [
        {
            "rule": ln.rule,
            "kind": "insurance" if ln.rule.endswith(":insurance_subsidy") else "recognition",
            "amount_wan": float(ln.amount_wan),
            "explanation": ln.explanation,
        }
        for ln in result.lines
    ]
    rec.award_wan = float(q(result.total_wan))
    rec.policy_version = result.policy_version
    rec.decided_by = actor.id
    now = utcnow()
    rec.decided_at = now
    rec.recognised_at = now
    if decision.notes:
        rec.review_notes = (rec.review_notes + "\n" + decision.notes).strip()
    _move(
        session,
        rec,
        actor,
        S.recognised,
        decision.notes,
        {"level": rec.level, "award_wan": rec.award_wan, "policy_version": rec.policy_version},
    )
    _tell(
        session, rec, "recognition.recognised",
        f"产品已认定：{rec.product_name}", f"奖补合计 {rec.award_wan:g} 万元，待兑现",
    )  # fmt: skip
    return rec


def payouts_of(session: Session, rec_id: int) -> list[RecognitionPayout]:
    return list(
        session.scalars(
            select(RecognitionPayout).where(RecognitionPayout.recognition_id == rec_id).order_by(RecognitionPayout.id)
        )
    )


def paid_wan(session: Session, rec_id: int) -> float:
    return float(
        session.scalar(
            select(func.coalesce(func.sum(RecognitionPayout.amount_wan), 0)).where(
                RecognitionPayout.recognition_id == rec_id
            )
        )
        or 0
    )


def payout_problems(rec: Recognition, paid: float, payout_in: PayoutIn) -> list[dict[str, str]]:
    """What is wrong with a payout of ``rec`` (already ``paid``), each with its field: more than
    is still due, or dated in the future (China Standard Time)."""
    details: list[dict[str, str]] = []
    award = rec.award_wan or 0.0
    due = round(award - paid, 4)
    if payout_in.amount_wan > due + 1e-9:
        details.append({
            "field": "amount_wan",
            "message": f"本次兑现 {payout_in.amount_wan:g} 万元超过待兑现金额（{due:g} 万元：奖补 {award:g} 万元，"
            f"已兑现 {paid:g} 万元），不能超额兑现",
        })  # fmt: skip
    # Not checked against the recognition's date: the bureau also registers recognitions decided
    # (and paid) before they were entered here.
    if payout_in.paid_on > dt.datetime.now(CST).date():
        details.append({"field": "paid_on", "message": "兑现日期不能晚于今天"})
    return details


def record_payout(session: Session, actor: User, rec_id: int, payout_in: PayoutIn) -> RecognitionPayout:
    """奖补兑现: the bureau records a payment (amount, date, payment batch) of a recognised item's
    award, never more than what is still due; the enterprise is told. The recognition's row is
    locked while the paid sum is read, so two payouts recorded at once cannot together exceed
    the award."""
    rec = get_for_view(session, actor, rec_id)
    session.execute(select(Recognition.id).where(Recognition.id == rec.id).with_for_update())
    paid = paid_wan(session, rec.id)
    access.pay(actor, rec, paid).require()
    assert rec.award_wan is not None
    problems = payout_problems(rec, paid, payout_in)
    if problems:
        raise Invalid("；".join(d["message"] for d in problems), details=problems)
    due = round(rec.award_wan - paid, 4)
    row = RecognitionPayout(
        recognition_id=rec.id,
        amount_wan=payout_in.amount_wan,
        paid_on=payout_in.paid_on,
        payment_batch=payout_in.payment_batch,
        note=payout_in.note,
        recorded_by=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor.id, "recognition.payout", OBJECT_TYPE, rec.id,
        {"amount_wan": row.amount_wan, "paid_on": row.paid_on.isoformat(), "payment_batch": row.payment_batch},
    )  # fmt: skip
    left = round(due - row.amount_wan, 4)
    _tell(
        session, rec, "recognition.paid", f"奖补已兑现 {row.amount_wan:g} 万元：{rec.product_name}",
        f"{row.payment_batch}，{row.paid_on.isoformat()}；" + (f"尚待兑现 {left:g} 万元" if left > 0 else "已全部兑现"),
    )  # fmt: skip
    return row


def quote_case(session: Session, quote_in: AwardQuoteIn) -> Quote:
    """Price a hypothetical case under the version in force in its year; stores nothing."""
    return quote(
        policy_for_year(quote_in.year, policies(session)),
        item=quote_in.item,
        level=quote_in.level,
        already_awarded_level=quote_in.already_awarded_level,
        insured_value_wan=quote_in.insured_value_wan,
        premium_wan=quote_in.premium_wan,
        org_awarded_wan=quote_in.org_awarded_wan,
    )


def stored_policy(session: Session, rec: Recognition) -> Policy:
    """The policy version a recognised award was priced under."""
    pool = policies(session)
    return policy_by_version(rec.policy_version, pool) if rec.policy_version else policy_for_year(rec.year, pool)


# --- evidence files -------------------------------------------------------------------------------


def check_evidence_files(
    session: Session, actor: User, files: Sequence[tuple[str, bytes]], max_bytes: int, quota_bytes: int | None = None
) -> list[dict[str, str]]:
    """Each file of an application form checked as ``add_evidence_file`` will store it (size, type,
    the organisation's quota counting the files before it): the problems, each naming the file, so
    a form with one refused file stores nothing."""
    problems: list[dict[str, str]] = []
    pending = 0
    for name, data in files:
        try:
            attachments.check(
                session, filename=name, data=data, max_bytes=max_bytes, uploaded_by=actor.id, pending=pending,
                quota_bytes=quota_bytes,
            )  # fmt: skip
        except Invalid as exc:
            problems.append({"field": "file", "message": f"「{name}」：{exc.message}"})
        pending += len(data)
    return problems


def add_evidence_file(
    session: Session, actor: User, rec_id: int, *, filename: str, data: bytes, max_bytes: int, quota_bytes: int | None = None
) -> Attachment:
    """The applicant attaches an evidence file (认定文件、检测报告、销售合同…) while the application
    is open; the attachment store checks size, type and quota. The bureau is told of a file added
    after 初审 began."""
    rec = get_for_view(session, actor, rec_id)
    access.upload(actor, rec).require()
    att = attachments.store(
        session, owner_type=OBJECT_TYPE, owner_id=rec.id, filename=filename, data=data, max_bytes=max_bytes,
        uploaded_by=actor.id, quota_bytes=quota_bytes,
    )  # fmt: skip
    return att


def evidence_files(session: Session, actor: User, rec: Recognition) -> Sequence[Attachment]:
    """The application's evidence files (names and sizes) for a viewer who may read them; none for
    anyone else."""
    if not access.can_read_files(session, actor, rec):
        return []
    return attachment_queries.list_for(session, OBJECT_TYPE, rec.id)


def evidence_file_for_viewer(session: Session, actor: User, rec_id: int, attachment_id: int) -> Attachment:
    """One evidence file for the applicant organisation, bureau staff and the assigned experts; to
    anyone else, and through another application's link, it does not exist."""
    rec = get_for_view(session, actor, rec_id)
    att = attachment_queries.get(session, attachment_id)
    if att.owner_type != OBJECT_TYPE or att.owner_id != rec.id or not access.can_read_files(session, actor, rec):
        raise NotFound("附件不存在或无权查看")
    return att


# --- 专家评审 ---------------------------------------------------------------------------------------


def assign_expert(session: Session, actor: User, rec_id: int, expert_id: int) -> RecognitionExpertReview:
    """The bureau assigns an expert after 初审; an expert of the applicant's own organisation, or one
    who declared a conflict of interest with it, is recused (market.orgs.access)."""
    rec = get_for_view(session, actor, rec_id)
    access.assign_expert(actor, rec).require()
    expert = session.get(User, expert_id)
    if expert is None or not expert.is_expert or not expert.is_active:
        raise Invalid.field("expert_id", "该用户不是评审专家")
    if expert.org_id == rec.org_id:
        raise Conflict("专家与申报企业属于同一单位，须回避", code="expert_recused")
    if org_access.is_recused(session, expert, rec.org_id):
        raise Conflict("专家已申报与申报企业存在利益冲突，须回避", code="expert_recused")
    exists = session.scalar(
        select(RecognitionExpertReview.id).where(
            RecognitionExpertReview.recognition_id == rec.id, RecognitionExpertReview.expert_id == expert.id
        )
    )
    if exists:
        raise Conflict("该专家已分配到此认定申报")
    first = not session.scalar(select(RecognitionExpertReview.id).where(RecognitionExpertReview.recognition_id == rec.id).limit(1))
    row = RecognitionExpertReview(recognition_id=rec.id, expert_id=expert.id, assigned_by=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor.id, "recognition.expert_assigned", OBJECT_TYPE, rec.id, {"expert_id": expert.id})
    notify.notify_users(
        session, [expert.id], "expert.assigned", f"请评审认定申报：{rec.product_name}", link=f"/expert/recognitions/{rec.id}"
    )
    if first:
        _tell(session, rec, "recognition.expert_review", f"认定申报进入专家评审：{rec.product_name}")
    return row


def submit_score(session: Session, actor: User, rec_id: int, score_in: ExpertScoreIn) -> RecognitionExpertReview:
    """Only an assigned expert who is not recused scores, until the bureau completes the expert
    review; a resubmission replaces the score."""
    rec = get_for_view(session, actor, rec_id)
    access.score(actor, rec, access.Facts.read(session, actor, rec)).require()
    row = session.scalar(
        select(RecognitionExpertReview).where(
            RecognitionExpertReview.recognition_id == rec.id, RecognitionExpertReview.expert_id == actor.id
        )
    )
    assert row is not None  # access.score: assigned
    row.score = score_in.score
    row.comment = score_in.comment
    row.submitted_at = utcnow()
    session.flush()
    audit.record(session, actor.id, "recognition.expert_scored", OBJECT_TYPE, rec.id, {"score": row.score})
    return row


def expert_reviews(session: Session, actor: User, rec: Recognition) -> list[tuple[RecognitionExpertReview, str]]:
    """The bureau sees every assignment with the expert's name and organisation; an expert only
    their own; the applicant none (scores are the bureau's working papers)."""
    from market.orgs.models import Organisation as Org

    stmt = (
        select(RecognitionExpertReview, User.display_name, Org.name)
        .join(User, User.id == RecognitionExpertReview.expert_id)
        .join(Org, Org.id == User.org_id)
        .where(RecognitionExpertReview.recognition_id == rec.id)
        .order_by(RecognitionExpertReview.id)
        .limit(100)
    )
    if not actor.is_bureau_staff:
        stmt = stmt.where(RecognitionExpertReview.expert_id == actor.id)
    return [(row, f"{name}（{org}）") for row, name, org in session.execute(stmt).all()]


def finish_review(session: Session, actor: User, rec_id: int) -> Recognition:
    """专家评审完成 (reviewed → scored): every assigned expert scored, at least the office's minimum."""
    rec = get_for_view(session, actor, rec_id)
    f = access.Facts.read(session, actor, rec)
    access.finish_review(actor, rec, f).require()
    _move(session, rec, actor, S.scored, "", {"scored": f.scored})
    _tell(session, rec, "recognition.scored", f"认定申报已完成专家评审：{rec.product_name}", "下一步将进行公示")
    return rec


# --- 公示 -------------------------------------------------------------------------------------------

HOW_TO_OBJECT = "公示期内，任何单位和个人登录平台后可在本页对公示项目提出异议并说明理由；科技局将书面答复，并通过站内通知告知异议人。"


def put_on_notice(session: Session, actor: User, rec_id: int, notice_in: NoticeIn, today: dt.date | None = None) -> Recognition:
    """公示 (scored → on_notice): a window that starts today or later (China Standard Time) and
    holds at least the office's minimum of working days (the one rule, office.check_notice_window)."""
    rec = get_for_view(session, actor, rec_id)
    access.put_on_notice(actor, rec).require()
    start, end = notice_in.notice_start, notice_in.notice_end
    office.check_notice_window(session, start, end, today or today_local())
    rec.notice_start, rec.notice_end = start, end
    _move(session, rec, actor, S.on_notice, f"公示期 {start.isoformat()} 至 {end.isoformat()}",
          {"notice_start": start.isoformat(), "notice_end": end.isoformat()})  # fmt: skip
    _tell(
        session, rec, "recognition.on_notice", f"认定申报进入公示：{rec.product_name}",
        f"公示期 {start.isoformat()} 至 {end.isoformat()}（中国标准时间）",
    )  # fmt: skip
    return rec


def raise_objection(
    session: Session, actor: User, rec_id: int, objection_in: ObjectionIn, today: dt.date | None = None
) -> RecognitionObjection:
    """Anyone signed in may object during the notice window (China Standard Time), with a reason;
    audited; the bureau is told, and the enterprise learns an objection is being handled (not who
    raised it)."""
    rec = session.get(Recognition, rec_id)
    if rec is None or (
        rec.status != S.on_notice and not access.can_view(actor, rec, assigned=access.is_assigned_expert(session, actor, rec))
    ):
        raise NotFound("该认定申报不在公示中")  # only what is on notice is public
    access.object_to(actor, rec, today or today_local()).require()
    row = RecognitionObjection(recognition_id=rec.id, user_id=actor.id, body=objection_in.body)
    session.add(row)
    session.flush()
    audit.record(session, actor.id, "recognition.objection", OBJECT_TYPE, rec.id, {"objection_id": row.id})
    notify.notify_bureau(
        session, "recognition.objection", f"认定公示异议：{rec.product_name}", objection_in.body[:200],
        f"/bureau/recognitions/{rec.id}#objections",
    )  # fmt: skip
    _tell(session, rec, "recognition.objection", f"认定公示收到异议：{rec.product_name}", "科技局核实并书面答复后再作认定")
    return row


def resolve_objection(session: Session, actor: User, objection_id: int, resolution: str) -> RecognitionObjection:
    """The bureau answers an objection in writing; the objector and the enterprise are told."""
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以答复公示异议")
    row = session.get(RecognitionObjection, objection_id)
    if row is None:
        raise NotFound("异议不存在")
    access.resolve(actor, row).require()
    resolution = resolution.strip()
    if len(resolution) < 2:
        raise Invalid.field("resolution", "请填写书面答复")
    row.resolved = True
    row.resolution = resolution
    row.resolved_by = actor.id
    row.resolved_at = utcnow()
    session.flush()
    rec = session.get(Recognition, row.recognition_id)
    assert rec is not None
    audit.record(
        session, actor.id, "recognition.objection_resolved", OBJECT_TYPE, rec.id,
        {"objection_id": row.id, "resolution": resolution},
    )  # fmt: skip
    notify.notify_users(
        session, [row.user_id], "objection.answered", f"您对「{rec.product_name}」认定公示的异议已答复",
        resolution[:500], "/recognition-notices",
    )  # fmt: skip
    _tell(session, rec, "recognition.objection_resolved", f"认定公示异议已答复：{rec.product_name}", resolution[:500])
    return row


def objections_of(session: Session, actor: User, rec: Recognition) -> list[RecognitionObjection]:
    """The bureau reads every objection of an application (the objector's identity stays with it)."""
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以查看公示异议")
    return list(
        session.scalars(
            select(RecognitionObjection)
            .where(RecognitionObjection.recognition_id == rec.id)
            .order_by(RecognitionObjection.id)
            .limit(500)
        )
    )
