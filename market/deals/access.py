"""Who may see and move a deal: its two parties and the bureau (on the parties' behalf); who
writes its milestones and their documents: the two parties only (``edit_milestones``)."""

from __future__ import annotations

from market.actions import Action, allow, deny, refuse_state
from market.deals.models import Deal
from market.deals.schemas import DealActions
from market.deals.states import FINAL, ORDER, DealStage, deal_machine
from market.orgs.models import User


def is_party(user: User | None, deal: Deal) -> bool:
    return user is not None and user.org_id in (deal.enterprise_org_id, deal.provider_org_id)


def can_view(user: User | None, deal: Deal) -> bool:
    """Only the two parties and the bureau know a deal exists."""
    return user is not None and (user.is_bureau_staff or is_party(user, deal))


def record(user: User | None, deal: Deal) -> Action:
    """Both parties record progress while the deal is open; the bureau may record for them."""
    if not can_view(user, deal):
        return deny("只有对接双方和科技局可以记录对接进展")
    if deal.stage in FINAL:
        return refuse_state(f"对接项目当前阶段为「{deal_machine.label(deal.stage)}」，不能再修改")
    return allow()


def advance_to(user: User | None, deal: Deal, stage: str) -> Action:
    answer = record(user, deal)
    if answer.allowed and not deal_machine.can(deal.stage, stage):
        return refuse_state(
            f"对接项目当前阶段为「{deal_machine.label(deal.stage)}」，不能变为「{deal_machine.label(stage)}」"
        )
    return answer


def edit_milestones(user: User | None, deal: Deal) -> Action:
    """Milestones and their documents (合同, 验收报告) are the two parties' own project record: only
    they plan a milestone, mark it done and attach its documents, while the deal is open. The
    bureau reads them with the deal (``can_view``) but does not write them: unlike a stage, which
    it may record on the parties' behalf, a contract or an acceptance report comes from a party."""
    if not can_view(user, deal):
        return deny("只有对接双方和科技局可以查看对接项目")
    if not is_party(user, deal):
        return deny("里程碑及其文件由对接双方填写，科技局只能查看")
    if deal.stage in FINAL:
        return refuse_state(f"对接项目当前阶段为「{deal_machine.label(deal.stage)}」，不能再修改里程碑")
    return allow()


def deal_actions(user: User | None, deal: Deal) -> DealActions:
    recording = record(user, deal)
    milestones = edit_milestones(user, deal)
    nexts = [str(s) for s in ORDER if deal_machine.can(deal.stage, s)] if recording.allowed else []
    return DealActions(
        advance=recording if not recording.allowed or nexts else refuse_state("没有可推进的阶段"),
        next_stages=nexts,
        fail=advance_to(user, deal, DealStage.failed),
        plan_milestone=milestones,
        complete_milestone=milestones,
        attach_document=milestones,
    )
