"""What a record's page shows of its audit history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

# Chinese names of the recorded actions; an action not named here shows as recorded.
ACTION_LABELS: dict[str, str] = {
    "need.created": "创建需求",
    "need.updated": "修改需求",
    "need.corrected": "更正需求",
    "need.imported": "导入需求",
    "need.transition": "需求状态变更",
    "need.revision_proposed": "提交修改申请",
    "need.revision_approved": "修改审核通过",
    "need.revision_returned": "修改被退回",
    "need.commented": "审核意见",
    "need.suggestion_accepted": "采纳凝练建议",
    "need.expert_assigned": "分配评审专家",
    "need.scored": "专家评分",
    "need.terms_accepted": "接受揭榜条款",
    "need.invited": "邀请揭榜",
    "need.objection": "公示异议",
    "need.objection_resolved": "答复公示异议",
    "batch.created": "创建榜单",
    "batch.needs_added": "加入需求",
    "batch.need_removed": "移出需求",
    "batch.transition": "榜单状态变更",
    "response.submitted": "提交揭榜方案",
    "response.transition": "方案状态变更",
    "response.scored": "专家评分",
    "message.posted": "对接沟通留言",
    "deal.stage": "对接阶段变更",
    "deal.milestone_added": "添加里程碑",
    "deal.milestone_done": "完成里程碑",
    "deal.document_added": "添加里程碑文件",
    "attachment.added": "添加附件",
    "org.registered": "单位注册",
    "org.verification": "认证审核",
    "org.leading": "龙头企业标记",
    "expert.conflict_declared": "专家声明回避",
    "profile.updated": "更新能力画像",
    "recognition.applied": "提交认定申报",
    "recognition.payout": "奖补兑现",
    "recognition.reviewed": "认定申报通过初审",
    "recognition.rejected": "认定申报不予认定",
    "recognition.expert_assigned": "安排认定评审专家",
    "recognition.expert_scored": "专家提交认定评分",
    "recognition.scored": "完成认定专家评审",
    "recognition.on_notice": "认定开始公示",
    "recognition.objection": "认定公示收到异议",
    "recognition.objection_resolved": "书面答复认定异议",
    "recognition.recognised": "认定通过",
    "target.created": "新增目标",
    "target.updated": "修改目标",
    "target.deleted": "删除目标",
    "target.seeded": "导入政策目标",
}


# Chinese names of the kinds of record the log names (its object_type), for the audit search.
OBJECT_LABELS: dict[str, str] = {
    "need": "需求",
    "batch": "榜单",
    "response": "揭榜方案",
    "deal": "对接项目",
    "organisation": "单位",
    "provider": "揭榜方",
    "user": "用户",
    "invitation": "邀请",
    "need_question": "答疑",
    "saved_search": "需求订阅",
    "recognition": "认定申报",
    "policy_version": "政策版本",
    "target": "目标",
    "target_report_issue": "晾晒通报",
    "office_setting": "办公设置",
    "demo": "演示数据",
}


# Each action starts with its concept (need.…, batch.…): the audit search's 操作类别 filter.
ACTION_PREFIXES: dict[str, str] = {
    "need": "需求", "batch": "榜单", "response": "揭榜方案", "deal": "对接项目", "org": "单位", "user": "用户",
    "recognition": "认定申报", "policy_version": "政策版本", "target": "目标", "office": "办公设置",
    "question": "答疑", "message": "对接沟通", "attachment": "附件", "expert": "评审专家", "saved_search": "需求订阅",
}  # fmt: skip


def action_label(action: str) -> str:
    """The action in words where it has a name; otherwise as recorded."""
    return ACTION_LABELS.get(action, action)


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type)


# The words people wrote or named (titles, notes, reasons, answers, file names) shown beside an
# entry on a record's page; codes and ids stay in the audit search, never on the record's page.
TEXT_KEYS: dict[str, str] = {
    "title": "标题",
    "filename": "文件",
    "note": "备注",
    "reason_text": "理由",
    "resolution": "答复",
    "notes": "意见",
    "payment_batch": "兑现批次",
    "notice_start": "公示开始",
    "notice_end": "公示结束",
    "publish_on": "发布日期",
    "due_on": "到期日",
    "done_on": "完成日期",
    "kind_label": "文件类型",
}


def summary_of(data: dict[str, Any]) -> str:
    """The readable part of an entry's data, e.g. ``标题：…；备注：…``."""
    return "；".join(f"{label}：{data[k]}" for k, label in TEXT_KEYS.items() if data.get(k) not in (None, ""))


class HistoryEntry(BaseModel):
    at: dt.datetime
    actor_name: str
    action: str
    action_label: str
    summary: str


class RecordHistory(BaseModel):
    """A record's latest audit entries (newest first) and where the rest are searched."""

    object_type: str
    object_id: int
    entries: list[HistoryEntry]
    more: bool
    search_url: str
