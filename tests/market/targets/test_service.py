"""Only the bureau sets targets; one per metric, year and county; splits agree with the city row."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.errors import Conflict, Forbidden, Invalid, NotFound
from market.orgs.models import User
from market.targets import service
from market.targets.schemas import TargetCreate, TargetUpdate


def test_seed_then_edit_and_add_years(session: Session, bureau: User) -> None:
    assert service.seed_policy_targets(session) == 8
    rows = {(t.metric, t.year): t for t in service.list_targets(session)}
    # Seed task 9: "2022 年新增市级以上企业技术中心 80 家以上".
    assert rows[("tech_centers_municipal", 2022)].value == 80
    assert rows[("needs_published", 2022)].value == 200 and not rows[("needs_published", 2022)].cumulative
    assert rows[("needs_published", 2025)].cumulative and rows[("needs_published", 2025)].base_year == 2022
    assert rows[("first_of_kind_provincial", 2023)].value == 40
    t = service.update(session, bureau, rows[("deals_signed", 2022)].id, TargetUpdate(value=120))
    assert t.value == 120
    assert service.seed_policy_targets(session) == 0 and t.value == 120  # reseeding keeps the edit
    new = service.create(session, bureau, TargetCreate(metric="deals_signed", year=2026, value=150))
    split = service.create(
        session, bureau, TargetCreate(metric="deals_signed", year=2026, county="平湖市", value=20)
    )
    assert new.base_year is None and split.county == "平湖市"
    later = service.create(session, bureau, TargetCreate(metric="first_of_kind_provincial", year=2030, value=160))
    assert later.year == 2030  # the bureau adds targets for years after 2025
    service.delete(session, bureau, split.id)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "target")).all()
    assert actions.count("target.seeded") == 8
    assert {"target.updated", "target.created", "target.deleted"} <= set(actions)


def test_unique_per_metric_year_county(session: Session, bureau: User) -> None:
    service.create(session, bureau, TargetCreate(metric="needs_published", year=2026, value=100))
    with pytest.raises(Conflict):
        service.create(session, bureau, TargetCreate(metric="needs_published", year=2026, value=120))
    service.create(
        session, bureau, TargetCreate(metric="needs_published", year=2026, county="海盐县", value=10)
    )
    with pytest.raises(Conflict):
        service.create(
            session, bureau, TargetCreate(metric="needs_published", year=2026, county="海盐县", value=11)
        )


def test_split_must_match_city_target_kind(session: Session, bureau: User) -> None:
    service.create(
        session, bureau, TargetCreate(metric="needs_published", year=2027, cumulative=True, value=900)
    )
    with pytest.raises(Invalid) as exc:
        service.create(
            session, bureau, TargetCreate(metric="needs_published", year=2027, county="嘉善县", value=10)
        )
    assert exc.value.details[0]["field"] == "cumulative"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"metric": "happiness"}, "metric"),
        ({"county": "杭州市"}, "county"),
        ({"cumulative": True, "base_year": 2030}, "base_year"),
        ({"base_year": 2022}, "base_year"),
    ],
)
def test_invalid_targets_name_the_field(
    session: Session, bureau: User, kw: dict[str, object], field: str
) -> None:
    data: dict[str, object] = {"metric": "needs_published", "year": 2026, "value": 10, **kw}
    with pytest.raises(Invalid) as exc:
        service.create(session, bureau, TargetCreate.model_validate(data))
    assert exc.value.details[0]["field"] == field


def test_only_bureau_sets_targets(session: Session, bureau: User, enterprise: User) -> None:
    with pytest.raises(Forbidden):
        service.create(session, enterprise, TargetCreate(metric="needs_published", year=2026, value=1))
    with pytest.raises(NotFound):
        service.update(session, bureau, 999, TargetUpdate(value=1))


def test_county_splits_add_up_to_at_most_the_city_target(session: Session, bureau: User) -> None:
    city = service.create(session, bureau, TargetCreate(metric="deals_signed", year=2027, value=100))
    a = service.create(session, bureau, TargetCreate(metric="deals_signed", year=2027, county="南湖区", value=60))
    with pytest.raises(Invalid) as exc:
        service.create(session, bureau, TargetCreate(metric="deals_signed", year=2027, county="海宁市", value=41))
    assert exc.value.details[0]["field"] == "value" and "最多可分解 40" in exc.value.message
    service.create(session, bureau, TargetCreate(metric="deals_signed", year=2027, county="海宁市", value=40))
    with pytest.raises(Invalid):  # raising a split over what is left
        service.update(session, bureau, a.id, TargetUpdate(value=61))
    with pytest.raises(Invalid) as low:  # lowering the city figure below the splits
        service.update(session, bureau, city.id, TargetUpdate(value=99))
    assert "已分解的合计 100" in low.value.message
    assert service.update(session, bureau, a.id, TargetUpdate(value=50)).value == 50
    assert service.update(session, bureau, city.id, TargetUpdate(value=90)).value == 90


def test_responsible_department_from_the_list_on_city_targets_only(session: Session, bureau: User) -> None:
    assert {"市科技局", "市经信局"} <= set(service.departments())
    t = service.create(
        session, bureau, TargetCreate(metric="needs_published", year=2028, value=300, department="市科技局")
    )
    assert t.department == "市科技局"
    with pytest.raises(Invalid) as exc:
        service.create(session, bureau, TargetCreate(metric="deals_signed", year=2028, value=9, department="市某局"))
    assert exc.value.details[0]["field"] == "department"
    with pytest.raises(Invalid):
        service.create(
            session, bureau,
            TargetCreate(metric="needs_published", year=2028, county="南湖区", value=9, department="市经信局"),
        )  # fmt: skip
    assert service.update(session, bureau, t.id, TargetUpdate(department="市经信局")).department == "市经信局"
    assert service.update(session, bureau, t.id, TargetUpdate(note="只改备注")).department == "市经信局"
    assert service.update(session, bureau, t.id, TargetUpdate(department=None)).department is None
    service.seed_policy_targets(session)
    seeded = {x.metric: x.department for x in service.list_targets(session, 2022) if x.county is None}
    assert seeded["needs_published"] == "市科技局" and seeded["first_of_kind_municipal"] == "市经信局"
