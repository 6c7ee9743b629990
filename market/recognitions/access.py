"""Who may see a recognition application and what each person may do with it: one answer for
the API, the pages and the services.

The applicant organisation and the bureau see an application; an expert the bureau assigned sees
the one they review. An application on public notice (公示) is public in the fields the notice
shows (``queries.on_notice``). Only the bureau moves it on; only an assigned expert who is not
recused scores it; only the applicant adds evidence files while it is open; anyone signed in may
object during the notice window (China Standard Time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.actions import Action, allow, deny, refuse_state
from market.batches.access import today_local
from market.office import service as office
from market.orgs import access as org_access
from market.orgs.models import User
from market.recognitions.models import Recognition, RecognitionExpertReview, RecognitionObjection
from market.recognitions.schemas import RecognitionActions
from market.recognitions.states import OPEN_STATUSES, RecognitionStatus, recognition_machine

S = RecognitionStatus


def is_assigned_expert(session: Session, user: User | None, rec: Recognition) -> bool:
    if user is None or not user.is_expert:
        return False
    return (
        session.scalar(
            select(RecognitionExpertReview.id).where(
                RecognitionExpertReview.recognition_id == rec.id, RecognitionExpertReview.expert_id == user.id
            )
        )
        is not None
    )


def can_view(user: User | None, rec: Recognition, *, assigned: bool = False) -> bool:
    """The bureau sees every application; an organisation sees its own; an expert the ones
    assigned to them (``assigned``: ``is_assigned_expert``)."""
    return user is not None and (user.is_bureau_staff or user.org_id == rec.org_id or assigned)


def can_read_files(session: Session, user: User | None, rec: Recognition) -> bool:
    """Evidence files open for the applicant organisation, bureau staff and the experts assigned
    to this recognition; nobody else (not the public while it is on notice)."""
    return can_view(user, rec, assigned=is_assigned_expert(session, user, rec))


@dataclass(frozen=True)
class Facts:
    """What the rules read besides the record: the day (China Standard Time), the experts' work,
    the office's minimum, open objections, and the viewer's assignment and recusal."""

    today: dt.date
    pending_reviews: int = 0
    scored: int = 0
    min_scores: int = 0
    open_objections: int = 0
    assigned: bool = False
    recused: bool = False

    @classmethod
    def read(cls, session: Session, user: User | None, rec: Recognition, today: dt.date | None = None) -> Facts:
        counts = dict(
            session.execute(
                select(RecognitionExpertReview.submitted_at.is_not(None), func.count(RecognitionExpertReview.id))
                .where(RecognitionExpertReview.recognition_id == rec.id)
                .group_by(RecognitionExpertReview.submitted_at.is_not(None))
            ).all()
        )
        open_objections = session.scalar(
            select(func.count(RecognitionObjection.id)).where(
                RecognitionObjection.recognition_id == rec.id, RecognitionObjection.resolved.is_(False)
            )
        )
        assigned = is_assigned_expert(session, user, rec)
        return cls(
            today=today or today_local(),
            pending_reviews=int(counts.get(False, 0)),
            scored=int(counts.get(True, 0)),
            min_scores=office.get(session, office.MIN_EXPERT_SCORES),
            open_objections=int(open_objections or 0),
            assigned=assigned,
            recused=assigned and user is not None and org_access.is_recused(session, user, rec.org_id),
        )


def _state(rec: Recognition, what: str) -> Action:
    return refuse_state(f"认定申报当前状态为「{recognition_machine.label(rec.status)}」，不能{what}")


def _bureau(user: User | None, what: str) -> Action | None:
    if user is None or not user.is_bureau_staff:
        return deny(f"只有科技局工作人员可以{what}")
    return None


def decide(user: User | None, rec: Recognition, target: str, what: str) -> Action:
    """Only bureau staff (审核员 or 管理员) move an application, as the lifecycle allows."""
    if refusal := _bureau(user, what):
        return refusal
    if not recognition_machine.can(rec.status, target):
        return _state(rec, what)
    return allow()


def assign_expert(user: User | None, rec: Recognition) -> Action:
    """The bureau assigns experts after 初审, until the expert review is completed."""
    if refusal := _bureau(user, "安排专家评审"):
        return refusal
    if rec.status != S.reviewed:
        return refuse_state("初审通过后、专家评审完成前才能安排专家评审")
    return allow()


def score(user: User | None, rec: Recognition, f: Facts) -> Action:
    """Only an assigned expert scores, who is not recused, until the expert review is completed."""
    if not f.assigned:
        return deny("没有分配给您的评审任务")
    if f.recused:
        return deny("您与申报企业属于同一单位或已申报利益冲突，须回避")
    if rec.status != S.reviewed:
        return refuse_state("专家评审已结束，不能再修改评分")
    return allow()


def finish_review(user: User | None, rec: Recognition, f: Facts) -> Action:
    """专家评审完成: every assigned expert scored, and at least the office's minimum (the setting
    needs use as well, default two)."""
    answer = decide(user, rec, S.scored, "完成专家评审")
    if not answer.allowed:
        return answer
    if f.pending_reviews:
        return refuse_state(f"还有 {f.pending_reviews} 位专家未完成评分，不能完成专家评审")
    if f.scored < f.min_scores:
        return refuse_state(f"须至少 {f.min_scores} 位专家完成评分后才能完成专家评审（目前 {f.scored} 位）")
    return allow()


def put_on_notice(user: User | None, rec: Recognition) -> Action:
    return decide(user, rec, S.on_notice, "开始公示")


def on_notice(rec: Recognition, today: dt.date) -> bool:
    """Within the notice window (inclusive, China Standard Time dates)."""
    return (
        rec.status == S.on_notice
        and rec.notice_start is not None
        and rec.notice_end is not None
        and rec.notice_start <= today <= rec.notice_end
    )


def recognise(user: User | None, rec: Recognition, f: Facts) -> Action:
    """认定 waits for the end of the notice period and every objection answered."""
    answer = decide(user, rec, S.recognised, "认定")
    if not answer.allowed:
        if rec.status in (S.applied, S.reviewed, S.scored) and user is not None and user.is_bureau_staff:
            return refuse_state("须经初审、专家评审和公示后才能认定")
        return answer
    if rec.notice_end is None:
        return refuse_state("认定申报未经公示，不能认定")
    if f.today <= rec.notice_end:
        return refuse_state(f"公示期至 {rec.notice_end.isoformat()}（中国标准时间）结束，公示期满后才能认定")
    if f.open_objections:
        return refuse_state(f"还有 {f.open_objections} 条公示异议未答复，不能认定")
    return allow()


def upload(user: User | None, rec: Recognition) -> Action:
    """The applicant adds evidence files while the application is open."""
    if user is None or user.org_id != rec.org_id:
        return deny("只有申报企业可以上传证明材料")
    if rec.status not in OPEN_STATUSES:
        return _state(rec, "再补充证明材料")
    return allow()


def object_to(user: User | None, rec: Recognition, today: dt.date) -> Action:
    """Anyone signed in may object to a recognition during its notice window."""
    if rec.status != S.on_notice or rec.notice_start is None or rec.notice_end is None:
        return refuse_state("该认定申报不在公示期内")
    if not on_notice(rec, today):
        return refuse_state(
            f"公示期为 {rec.notice_start.isoformat()} 至 {rec.notice_end.isoformat()}（中国标准时间），当前不在公示期内"
        )
    if user is None:
        return deny("请先登录后提出异议")
    return allow()


def resolve(user: User | None, objection: RecognitionObjection) -> Action:
    if refusal := _bureau(user, "答复公示异议"):
        return refusal
    if objection.resolved:
        return refuse_state("该异议已答复")
    return allow()


def pay(user: User | None, rec: Recognition, paid_wan: float = 0.0) -> Action:
    """Bureau staff record payouts of a recognised item's award, up to the award."""
    if user is None or not user.is_bureau_staff:
        return deny("只有科技局工作人员可以登记奖补兑现")
    if rec.status != S.recognised or rec.award_wan is None:
        return refuse_state("认定后才能登记奖补兑现")
    if rec.award_wan <= 0:
        return refuse_state("该认定没有奖补资金（就高不重复或已达上限），无需兑现")
    if paid_wan >= rec.award_wan - 1e-9:
        return refuse_state("奖补已全部兑现")
    return allow()


def recognition_actions(
    session: Session, user: User | None, rec: Recognition, paid_wan: float = 0.0, today: dt.date | None = None
) -> RecognitionActions:
    f = Facts.read(session, user, rec, today)
    return RecognitionActions(
        review=decide(user, rec, S.reviewed, "初审认定申报"),
        assign_expert=assign_expert(user, rec),
        score=score(user, rec, f),
        finish_review=finish_review(user, rec, f),
        put_on_notice=put_on_notice(user, rec),
        object=object_to(user, rec, f.today),
        recognise=recognise(user, rec, f),
        reject=decide(user, rec, S.rejected, "驳回认定申报"),
        upload=upload(user, rec),
        pay=pay(user, rec, paid_wan),
    )
