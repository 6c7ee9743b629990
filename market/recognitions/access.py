"""Who may see a recognition application and what the bureau may do with it."""

from __future__ import annotations

from market.actions import Action, allow, deny, refuse_state
from market.orgs.models import User
from market.recognitions.models import Recognition
from market.recognitions.schemas import RecognitionActions
from market.recognitions.states import RecognitionStatus, recognition_machine

S = RecognitionStatus


def can_view(user: User | None, rec: Recognition) -> bool:
    """The bureau sees every application; an organisation sees its own."""
    return user is not None and (user.is_bureau_staff or user.org_id == rec.org_id)


def decide(user: User | None, rec: Recognition, target: str, what: str) -> Action:
    """Only bureau staff (审核员 or 管理员) review, recognise or reject, as the lifecycle allows."""
    if user is None or not user.is_bureau_staff:
        return deny(f"只有科技局工作人员可以{what}")
    if not recognition_machine.can(rec.status, target):
        return refuse_state(f"认定申报当前状态为「{recognition_machine.label(rec.status)}」，不能{what}")
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


def recognition_actions(user: User | None, rec: Recognition, paid_wan: float = 0.0) -> RecognitionActions:
    return RecognitionActions(
        review=decide(user, rec, S.reviewed, "初审认定申报"),
        recognise=decide(user, rec, S.recognised, "认定"),
        reject=decide(user, rec, S.rejected, "驳回认定申报"),
        pay=pay(user, rec, paid_wan),
    )
