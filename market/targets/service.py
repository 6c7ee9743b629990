"""Setting targets. Only bureau staff set, change or remove targets; the policy's own targets are
seeded from ``policy_targets.json`` and may then be edited like any other.

County splits (县（市、区）分解目标) of one metric and year add up to at most the city-wide target:
a split that would take their sum over it is refused, and so is lowering the city-wide figure
below what is already split (splits may stay below it while not every county has one). The
responsible department (责任部门) is set on the city-wide target, one of ``DEPARTMENTS``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.audit import service as audit
from market.errors import Conflict, Forbidden, Invalid, NotFound
from market.orgs.models import User
from market.targets.metrics import METRICS
from market.targets.models import Target
from market.targets.progress import DEFAULT_BASE_YEAR
from market.targets.schemas import TargetCreate, TargetUpdate
from market.vocab import COUNTIES

POLICY_TARGETS = Path(__file__).resolve().parent / "policy_targets.json"
OBJECT_TYPE = "target"


@cache
def departments() -> tuple[str, ...]:
    """The 市级机关部门 a target can be assigned to (the seed's 责任单位), from the policy data."""
    return tuple(json.loads(POLICY_TARGETS.read_text(encoding="utf-8"))["departments"])


def _department_error(department: str | None, county: str | None) -> dict[str, str] | None:
    if department is None:
        return None
    if county is not None:
        return {"field": "department", "message": "责任部门在全市目标上设置，县（市、区）分解目标不另设"}
    if department not in departments():
        return {"field": "department", "message": "请选择责任部门：" + "、".join(departments())}
    return None


def _split_total(session: Session, metric: str, year: int, without: int | None = None) -> int:
    stmt = select(func.coalesce(func.sum(Target.value), 0)).where(
        Target.metric == metric, Target.year == year, Target.county.is_not(None)
    )
    if without is not None:
        stmt = stmt.where(Target.id != without)
    return int(session.scalar(stmt) or 0)


def _check_splits(session: Session, metric: str, year: int, county: str | None, value: int, target_id: int | None) -> None:
    """County splits add up to at most the city-wide target."""
    if county is None:
        split = _split_total(session, metric, year)
        if split > value:
            raise Invalid.field("value", f"全市目标不能低于各县（市、区）已分解的合计 {split}")
        return
    city = _find(session, metric, year, None)
    if city is None:
        return  # without a city-wide row the target is the splits' sum
    split = _split_total(session, metric, year, without=target_id) + value
    if split > city.value:
        raise Invalid.field(
            "value",
            f"各县（市、区）分解目标合计 {split} 将超过全市目标 {city.value}，"
            f"本县（市、区）最多可分解 {city.value - split + value}",
        )


def ensure_bureau(user: User) -> None:
    """Only bureau staff set targets."""
    if not user.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以设置目标任务")


def _find(session: Session, metric: str, year: int, county: str | None) -> Target | None:
    county_clause = Target.county.is_(None) if county is None else Target.county == county
    return session.scalar(select(Target).where(Target.metric == metric, Target.year == year, county_clause))


def create(session: Session, actor: User, target_in: TargetCreate) -> Target:
    """One target per metric, year and county. A county split must agree with its city-wide
    target on yearly vs cumulative and on the base year."""
    ensure_bureau(actor)
    details = []
    if target_in.metric not in METRICS:
        details.append({"field": "metric", "message": "请选择指标：" + "、".join(m.label for m in METRICS.values())})
    if target_in.county is not None and target_in.county not in COUNTIES:
        details.append({"field": "county", "message": f"请选择县（市、区）：{'、'.join(COUNTIES)}"})
    base_year = (target_in.base_year or DEFAULT_BASE_YEAR) if target_in.cumulative else None
    if base_year is not None and base_year > target_in.year:
        details.append({"field": "base_year", "message": "累计目标的起算年度不能晚于目标年度"})
    if not target_in.cumulative and target_in.base_year is not None:
        details.append({"field": "base_year", "message": "年度目标不设起算年度"})
    if (dep_error := _department_error(target_in.department, target_in.county)) is not None:
        details.append(dep_error)
    if details:
        raise Invalid("；".join(d["message"] for d in details), details=details)
    if _find(session, target_in.metric, target_in.year, target_in.county):
        raise Conflict(
            "该指标、年度和地区的目标已存在，请修改原目标",
            details=[{"field": "county" if target_in.county else "year", "message": "已存在"}],
        )
    siblings = session.scalars(
        select(Target).where(Target.metric == target_in.metric, Target.year == target_in.year)
    ).all()
    for s in siblings:
        if s.cumulative != target_in.cumulative or (s.base_year if s.cumulative else None) != base_year:
            raise Invalid.field(
                "cumulative",
                "同一指标同一年度的全市目标与县（市、区）分解目标须同为年度或同为累计（且起算年度相同）",
            )
    _check_splits(session, target_in.metric, target_in.year, target_in.county, target_in.value, None)
    target = Target(
        metric=target_in.metric,
        year=target_in.year,
        cumulative=target_in.cumulative,
        base_year=base_year,
        county=target_in.county,
        value=target_in.value,
        note=target_in.note,
        department=target_in.department,
        source="bureau",
        updated_by=actor.id,
    )
    session.add(target)
    session.flush()
    audit.record(session, actor.id, "target.created", OBJECT_TYPE, target.id, target_in.model_dump())
    return target


def update(session: Session, actor: User, target_id: int, target_up: TargetUpdate) -> Target:
    """Only bureau staff change a target's figure, note or responsible department; what it
    measures (metric, year, county) stays fixed: to change that, remove it and add another."""
    ensure_bureau(actor)
    target = session.get(Target, target_id)
    if target is None:
        raise NotFound("目标不存在")
    before = {"value": target.value, "note": target.note, "department": target.department}
    set_department = "department" in target_up.model_fields_set
    department = target_up.department or None
    if set_department and (dep_error := _department_error(department, target.county)) is not None:
        raise Invalid(dep_error["message"], details=[dep_error])
    if target_up.value is not None:
        _check_splits(session, target.metric, target.year, target.county, target_up.value, target.id)
        target.value = target_up.value
    if target_up.note is not None:
        target.note = target_up.note
    if set_department:
        target.department = department
    target.updated_by = actor.id
    session.flush()
    audit.record(
        session,
        actor.id,
        "target.updated",
        OBJECT_TYPE,
        target.id,
        {"before": before, "after": target_up.model_dump(exclude_unset=True)},
    )
    return target


def delete(session: Session, actor: User, target_id: int) -> None:
    """Only bureau staff remove a target; the audit entry keeps what it was."""
    ensure_bureau(actor)
    target = session.get(Target, target_id)
    if target is None:
        raise NotFound("目标不存在")
    data = {
        "metric": target.metric,
        "year": target.year,
        "county": target.county,
        "value": target.value,
        "department": target.department,
    }
    session.delete(target)
    session.flush()
    audit.record(session, actor.id, "target.deleted", OBJECT_TYPE, target_id, data)


def get(session: Session, target_id: int) -> Target:
    target = session.get(Target, target_id)
    if target is None:
        raise NotFound("目标不存在")
    return target


def target_years(session: Session) -> list[int]:
    """The years that have a target, newest first."""
    return list(session.scalars(select(Target.year).distinct().order_by(Target.year.desc())).all())


def list_targets(session: Session, year: int | None = None) -> list[Target]:
    stmt = select(Target).order_by(Target.year, Target.metric, Target.county.is_not(None), Target.county)
    if year is not None:
        stmt = stmt.where(Target.year == year)
    return list(session.scalars(stmt).all())


def seed_policy_targets(session: Session, actor_id: int | None = None) -> int:
    """Insert the policy's targets that are not there yet (never overwrites an edited figure).
    Returns how many were added."""
    data = json.loads(POLICY_TARGETS.read_text(encoding="utf-8"))
    added = 0
    for t in data["targets"]:
        if _find(session, t["metric"], t["year"], None):
            continue
        target = Target(
            metric=t["metric"],
            year=t["year"],
            cumulative=t["cumulative"],
            base_year=data["base_year"] if t["cumulative"] else None,
            county=None,
            value=t["value"],
            note=t.get("note", ""),
            department=t.get("department"),
            source="policy",
            updated_by=actor_id,
        )
        session.add(target)
        session.flush()
        audit.record(session, actor_id, "target.seeded", OBJECT_TYPE, target.id, t)
        added += 1
    return added
