"""Reading and changing the office settings. Each setting has a default, a range and a Chinese
label; only bureau staff change one, and every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit import service as audit
from market.errors import Forbidden, Invalid
from market.office.models import OfficeSetting
from market.orgs.models import User


@dataclass(frozen=True)
class SettingDef:
    key: str
    label: str
    default: int
    minimum: int
    maximum: int
    help: str


SETTINGS: dict[str, SettingDef] = {
    s.key: s
    for s in (
        SettingDef(
            "min_expert_scores",
            "需求审核通过前至少评分的专家人数",
            2,
            0,
            9,
            "至少这么多位评审专家提交评分后，科技局才能审核通过需求；首台（套）等认定申报同样至少这么多位专家评分后才能进入公示",
        ),
        SettingDef(
            "notice_min_working_days",
            "公示期最少工作日",
            5,
            1,
            30,
            "榜单和认定申报的公示期（按中国标准时间计的起止日期，含首尾）至少包含的工作日（周一至周五）数",
        ),
    )
}
MIN_EXPERT_SCORES = "min_expert_scores"
NOTICE_MIN_WORKING_DAYS = "notice_min_working_days"


def get(session: Session, key: str) -> int:
    row = session.get(OfficeSetting, key)
    return row.value if row is not None else SETTINGS[key].default


def all_settings(session: Session) -> list[dict[str, object]]:
    rows = {r.key: r for r in session.scalars(select(OfficeSetting)).all()}
    return [
        {
            "key": d.key,
            "label": d.label,
            "help": d.help,
            "value": rows[d.key].value if d.key in rows else d.default,
            "default": d.default,
            "minimum": d.minimum,
            "maximum": d.maximum,
        }
        for d in SETTINGS.values()
    ]


def set_value(session: Session, actor: User, key: str, value: int) -> int:
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以修改办公设置")
    d = SETTINGS.get(key)
    if d is None:
        raise Invalid.field("key", f"未知的设置项：{key}")
    if not d.minimum <= value <= d.maximum:
        raise Invalid.field(key, f"{d.label}须在 {d.minimum}–{d.maximum} 之间")
    row = session.get(OfficeSetting, key)
    old = row.value if row is not None else d.default
    if row is None:
        row = OfficeSetting(key=key, value=value, updated_by=actor.id)
        session.add(row)
    else:
        row.value = value
        row.updated_by = actor.id
    session.flush()
    audit.record(session, actor.id, "office.setting", "office_setting", None, {"key": key, "from": old, "to": value})
    return value
