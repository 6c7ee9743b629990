"""Fixed vocabularies of the domain, with their Chinese labels. One place for every list."""

from __future__ import annotations

COUNTIES = ("南湖区", "秀洲区", "嘉善县", "平湖市", "海盐县", "海宁市", "桐乡市")
# Administrative division code of each county (digits 3–8 of a 统一社会信用代码 registered there).
COUNTY_CODES = {
    "南湖区": "330402", "秀洲区": "330411", "嘉善县": "330421", "平湖市": "330482",
    "海盐县": "330424", "海宁市": "330481", "桐乡市": "330483",
}

INDUSTRIES = (
    "汽车制造", "电子信息", "家电", "光伏", "造纸", "经编", "化工化纤",
    "石化", "化工", "建材", "钢铁", "有色", "装备制造", "生物医药", "纺织服装", "其他",
)
ENERGY_INTENSIVE = frozenset({"石化", "化工", "建材", "钢铁", "有色"})
# What the industries that read alike each cover (shown beside the industry filter and field).
INDUSTRY_NOTES = {
    "化工化纤": "化学纤维制造（涤纶、锦纶、氨纶等）及其上游聚酯、纺丝",
    "化工": "化学原料和化学制品（基础化工、精细化工、新材料等），不含化纤",
    "石化": "石油炼制与石油化工",
    "经编": "经编织物及制品",
    "纺织服装": "纺纱、织造、印染与服装",
}

TRACKS = {"digital": "数字化改造", "green": "绿色化改造", "both": "数字化+绿色化"}

COOPERATION_MODES = ("技术开发", "技术转让", "技术许可", "技术服务", "联合攻关")

DISCLOSURES = {"public": "公开", "nda": "签署保密承诺后可见", "invite": "仅受邀方可见"}
# Exactly who may read a published need's details (needs.access.details_refusal); the title and
# summary of every published need are public.
DISCLOSURE_READERS = {
    "public": "摘要对所有人公开；详情需登录，向通过科技局认证的单位公开",
    "nda": "摘要对所有人公开；详情向通过认证、并签署保密承诺的单位公开",
    "invite": "摘要对所有人公开；详情仅向发榜企业邀请的单位公开",
}

# Structured reasons for every return, rejection or decline: no party is left without feedback.
# Each decision has its own reasons. Returning or rejecting a need under review:
REVIEW_REASONS = {
    "unclear": "描述不清",
    "indicators_unclear": "指标不明确",
    "out_of_scope": "超出范围",
    "mature_solution_exists": "已有成熟方案",
    "duplicate": "重复需求",
    "other": "其他",
}
# Declining a proposal (揭榜方案未入选), chosen by the enterprise or set by the platform when the
# need closes or another partner is selected:
DECLINE_REASONS = {
    "capability_mismatch": "能力不匹配",
    "approach_insufficient": "方案不满足指标要求",
    "budget_mismatch": "报价超出预算",
    "timeline_mismatch": "周期不满足要求",
    "partner_selected": "已选定其他揭榜方",
    "need_withdrawn": "需求已撤回",
    "need_expired": "需求已过截止日期",
    "other": "其他",
}
# Reasons the platform sets itself; the enterprise does not pick these from the list.
SYSTEM_DECLINE_REASONS = frozenset({"partner_selected", "need_withdrawn", "need_expired"})
# Labels of every stored reason code (old records included), for timelines and exports.
REASON_LABELS = {**REVIEW_REASONS, **DECLINE_REASONS}

# Expert review criteria for needs (and responses), each scored 0–100.
REVIEW_CRITERIA = {
    "industry_impact": "产业带动作用",
    "research_basis": "研究基础",
    "technical_indicators": "技术指标",
    "financial_indicators": "财务指标",
}

ORG_KIND_LABELS = {
    "enterprise": "企业",
    "university": "高校",
    "institute": "科研院所",
    "provider": "服务商",
    "bureau": "科技局",
}

ROLE_LABELS = {
    "member": "成员",
    "org_admin": "单位管理员",
    "bureau_reviewer": "科技局审核员",
    "bureau_admin": "科技局管理员",
    "expert": "评审专家",
}

# A provider's capability items (能力画像 → 代表成果).
CAPABILITY_KINDS = {"project": "项目", "paper": "论文", "patent": "专利", "product": "产品", "case": "案例"}
# Bureau verification of an organisation.
VERIFICATION_LABELS = {"pending": "待认证", "verified": "已认证", "rejected": "未通过认证"}
