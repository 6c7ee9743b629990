"""Award rules kept as data: the versioned policy tables in ``market/recognitions/policies/*.json``.

Nothing in this module knows an amount. Each JSON file is one policy version: its ``version``,
``effective_from`` date, level vocabulary, per-category award tables, the groups of categories
that exclude each other for one product (就高不重复), and the insurance subsidy parameters. A new
policy year is a new file; recognitions store the version they were priced under.

The engine is pure (no database): :func:`quote` prices one item and returns lines, each with its
rule id, amount and a Chinese explanation showing the arithmetic. Amounts are ``Decimal`` in 万元,
rounded half-up to 0.0001 万元 (one yuan), and the total is exactly the sum of the lines.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from market.errors import Invalid

POLICY_DIR = Path(__file__).resolve().parent / "policies"
WAN_QUANTUM = Decimal("0.0001")
ZERO = Decimal("0")


def q(value: Decimal) -> Decimal:
    """Round to one yuan (0.0001 万元), half up."""
    return value.quantize(WAN_QUANTUM, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """Show an amount with at least one decimal and no trailing zeros beyond it: 7.0, 8.4, 3.1416."""
    value = q(value)
    text = format(value.normalize(), "f")
    if "." not in text:
        return text + ".0"
    return text


def fmt_pct(rate: Decimal) -> str:
    text = format((rate * 100).normalize(), "f")
    return f"{text}%"


@dataclass(frozen=True)
class LevelDef:
    code: str
    label: str
    rank: int


@dataclass(frozen=True)
class AwardDef:
    level: str
    amount_wan: Decimal
    label: str
    rank: int  # 0 for a grade outside the level ladder (e.g. 省级新产品)


@dataclass(frozen=True)
class CategoryDef:
    code: str
    label: str
    group: str
    insurance: bool
    awards: Mapping[str, AwardDef]
    cap_wan_per_org: Decimal | None = None  # e.g. 绿色设计产品: at most 100 万元 per enterprise


@dataclass(frozen=True)
class InsuranceDef:
    label: str
    subsidy_rate: Decimal
    max_premium_rate: Decimal
    cap_wan: Decimal


@dataclass(frozen=True)
class Policy:
    version: str
    title: str
    effective_from: dt.date
    levels: Mapping[str, LevelDef]
    categories: Mapping[str, CategoryDef]
    exclusive_groups: tuple[frozenset[str], ...]
    insurance: InsuranceDef
    notes: tuple[str, ...] = ()
    valid_until: dt.date | None = None  # None: no end date stated
    validity_note: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def category(self, code: str) -> CategoryDef:
        try:
            return self.categories[code]
        except KeyError:
            raise Invalid.field("category", f"未知的认定类别：{code}") from None

    def award(self, category: str, level: str) -> AwardDef:
        cat = self.category(category)
        try:
            return cat.awards[level]
        except KeyError:
            raise Invalid.field("level", f"{cat.label}没有“{level}”这一级别的奖励") from None

    def level_label(self, category: str, level: str) -> str:
        return self.award(category, level).label

    def covers_year(self, year: int) -> bool:
        """In force at some point of ``year``."""
        if self.effective_from > dt.date(year, 12, 31):
            return False
        return self.valid_until is None or self.valid_until >= dt.date(year, 1, 1)

    def period_label(self) -> str:
        end = self.valid_until.isoformat() if self.valid_until else "未规定截止日期"
        return f"{self.title or self.version}（{self.version}，有效期 {self.effective_from.isoformat()} 至 {end}）"

    def exclusive_with(self, category: str) -> frozenset[str]:
        """Categories that share 就高不重复 with ``category`` for one product (itself included)."""
        for group in self.exclusive_groups:
            if category in group:
                return group
        return frozenset({category})


def _dec(value: Any, where: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{where}: not a number: {value!r}") from exc
    if not d.is_finite() or d < 0:
        raise ValueError(f"{where}: must be a finite non-negative number")
    return d


def parse_policy(data: Mapping[str, Any]) -> Policy:
    """Build a :class:`Policy` from its JSON form and check it is coherent.

    Checked: amounts are non-negative; within a category a higher level never pays less than a
    lower one (monotone in level); rates lie in [0, 1]; exclusive groups name known categories.
    """
    levels = {
        code: LevelDef(code=code, label=str(d["label"]), rank=int(d["rank"]))
        for code, d in data["levels"].items()
    }
    categories: dict[str, CategoryDef] = {}
    for code, c in data["categories"].items():
        awards: dict[str, AwardDef] = {}
        for lvl, a in c["awards"].items():
            base = levels.get(lvl)
            label = a.get("label") or (base.label if base else None)
            if label is None:
                raise ValueError(f"{code}.{lvl}: a grade outside the level ladder needs a label")
            rank = base.rank if base else 0
            awards[lvl] = AwardDef(
                level=lvl, amount_wan=_dec(a["amount_wan"], f"{code}.{lvl}"), label=str(label), rank=rank
            )
        ranked = sorted((a for a in awards.values() if a.rank > 0), key=lambda a: a.rank)
        for lower, higher in zip(ranked, ranked[1:], strict=False):
            if higher.rank > lower.rank and higher.amount_wan < lower.amount_wan:
                raise ValueError(f"{code}: {higher.level} pays less than {lower.level}")
        categories[code] = CategoryDef(
            code=code,
            label=str(c["label"]),
            group=str(c.get("group", code)),
            insurance=bool(c.get("insurance", False)),
            awards=awards,
            cap_wan_per_org=(
                _dec(c["cap_wan_per_org"], f"{code}.cap_wan_per_org") if c.get("cap_wan_per_org") is not None else None
            ),
        )
    groups = tuple(frozenset(g) for g in data.get("exclusive_groups", []))
    for g in groups:
        unknown = g - categories.keys()
        if unknown:
            raise ValueError(f"exclusive group names unknown categories: {sorted(unknown)}")
    ins = data["insurance"]
    insurance = InsuranceDef(
        label=str(ins.get("label", "保费补贴")),
        subsidy_rate=_dec(ins["subsidy_rate"], "insurance.subsidy_rate"),
        max_premium_rate=_dec(ins["max_premium_rate"], "insurance.max_premium_rate"),
        cap_wan=_dec(ins["cap_wan_per_set_per_year"], "insurance.cap_wan_per_set_per_year"),
    )
    if insurance.subsidy_rate > 1 or insurance.max_premium_rate > 1:
        raise ValueError("insurance rates must lie in [0, 1]")
    effective_from = dt.date.fromisoformat(str(data["effective_from"]))
    valid_until = dt.date.fromisoformat(str(data["valid_until"])) if data.get("valid_until") else None
    if valid_until is not None and valid_until < effective_from:
        raise ValueError("valid_until lies before effective_from")
    return Policy(
        version=str(data["version"]),
        title=str(data.get("title", "")),
        effective_from=effective_from,
        valid_until=valid_until,
        validity_note=str(data.get("validity_note", "")),
        levels=levels,
        categories=categories,
        exclusive_groups=groups,
        insurance=insurance,
        notes=tuple(data.get("notes", [])),
        raw=dict(data),
    )


@lru_cache(maxsize=1)
def load_policies() -> tuple[Policy, ...]:
    """Every shipped policy version, oldest first."""
    policies = [
        parse_policy(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(POLICY_DIR.glob("*.json"))
    ]
    if not policies:
        raise RuntimeError(f"no policy tables in {POLICY_DIR}")
    versions = [p.version for p in policies]
    if len(set(versions)) != len(versions):
        raise RuntimeError("duplicate policy versions")
    return tuple(sorted(policies, key=lambda p: p.effective_from))


class PolicyNotInForce(Invalid):
    """No policy version is in force in the year asked for: say so, and which versions exist."""

    code = "policy_not_in_force"


def select_policy(policies: Sequence[Policy], year: int) -> Policy | None:
    """The latest version (by effective date) in force at some point of ``year``, or None."""
    covering = [p for p in policies if p.covers_year(year)]
    return max(covering, key=lambda p: p.effective_from) if covering else None


def policy_for_year(year: int | None = None, policies: Sequence[Policy] | None = None) -> Policy:
    """The policy version that applies to ``year`` (the latest one in force at some point of it),
    from ``policies`` (default: the shipped tables; the service adds the versions the bureau
    published). ``year`` None gives the newest version. A year no version covers raises
    :class:`PolicyNotInForce` naming the versions and their periods, instead of pricing it under
    rules that were not in force."""
    pool = tuple(policies) if policies is not None else load_policies()
    if year is None:
        return max(pool, key=lambda p: p.effective_from)
    found = select_policy(pool, year)
    if found is None:
        known = "；".join(p.period_label() for p in sorted(pool, key=lambda p: p.effective_from))
        message = f"{year} 年不在任何已发布政策版本的有效期内，没有适用的奖励政策（现有版本：{known}）"
        raise PolicyNotInForce(message, details=[{"field": "year", "message": message}])
    return found


def policy_for_labels(year: int | None, policies: Sequence[Policy] | None = None) -> Policy:
    """A version to read category and level labels from: the one in force in ``year`` or, for a
    year none covers, the nearest one. Never used to price."""
    pool = tuple(policies) if policies is not None else load_policies()
    if year is not None:
        found = select_policy(pool, year)
        if found is not None:
            return found
        return min(pool, key=lambda p: abs(p.effective_from.year - year))
    return max(pool, key=lambda p: p.effective_from)


def policy_by_version(version: str, policies: Sequence[Policy] | None = None) -> Policy:
    for p in policies if policies is not None else load_policies():
        if p.version == version:
            return p
    raise Invalid.field("policy_version", f"未知的政策版本：{version}")


# ---------------------------------------------------------------------------------------------
# Pricing


def policy_label(version: str | None) -> str:
    """A policy version in words (its title), for people; the version id stays for machines."""
    if not version:
        return ""
    for p in load_policies():
        if p.version == version:
            return p.title or f"{p.effective_from.year} 年版奖励政策"
    return "已停用的政策版本"


def rule_label(rule: str) -> str:
    """An award line's rule id (``<version>:<category>.<level>`` or ``<version>:insurance_subsidy``)
    in words: the policy's title, the category and the level, never the id itself."""
    version, _, clause = rule.partition(":")
    policy = next((p for p in load_policies() if p.version == version), None)
    if policy is None:
        return "政策条款"
    title = policy_label(version)
    if clause == "insurance_subsidy":
        return f"{title} · {policy.insurance.label}"
    category, _, level = clause.partition(".")
    cat = policy.categories.get(category)
    if cat is None:
        return title
    award = cat.awards.get(level)
    return f"{title} · {cat.label}" + (f" · {award.label}" if award else "")


@dataclass(frozen=True)
class AwardLine:
    rule: str
    amount_wan: Decimal
    explanation: str

    @property
    def rule_label(self) -> str:
        return rule_label(self.rule)


@dataclass(frozen=True)
class Quote:
    policy_version: str
    lines: tuple[AwardLine, ...]

    @property
    def policy_label(self) -> str:
        return policy_label(self.policy_version)

    @property
    def total_wan(self) -> Decimal:
        return sum((line.amount_wan for line in self.lines), ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy_version": self.policy_version,
            "total_wan": float(self.total_wan),
            "lines": [
                {"rule": ln.rule, "amount_wan": float(ln.amount_wan), "explanation": ln.explanation}
                for ln in self.lines
            ],
        }


@dataclass(frozen=True)
class PriorAward:
    """An award already paid for the same product within the same exclusive group."""

    category: str
    level: str
    amount_wan: Decimal


def recognition_line(
    policy: Policy,
    category: str,
    level: str,
    prior: Sequence[PriorAward] = (),
    org_awarded_wan: Decimal = ZERO,
) -> AwardLine:
    """See :func:`_recognition_line`; then a category's per-enterprise cap (绿色设计产品: at most
    100 万元 per enterprise), of which ``org_awarded_wan`` is already used by the enterprise's
    other products."""
    line = _recognition_line(policy, category, level, prior)
    cap = policy.category(category).cap_wan_per_org
    if cap is None:
        return line
    room = max(ZERO, q(cap) - q(org_awarded_wan))
    if line.amount_wan <= room:
        return line
    text = (
        f"{line.explanation}；每家企业最高 {fmt(cap)} 万元，该企业已获 {fmt(org_awarded_wan)} 万元，"
        f"按剩余额度 {fmt(room)} 万元计"
    )
    return AwardLine(rule=line.rule, amount_wan=room, explanation=text)


def _recognition_line(
    policy: Policy, category: str, level: str, prior: Sequence[PriorAward] = ()
) -> AwardLine:
    """The recognition award, 就高不重复: pay the level's amount less what the product already got
    in the same exclusive group, never below zero. So an upgrade (市内 → 省内) pays the difference
    and the sum of all payments for one product equals the highest award it qualified for."""
    cat = policy.category(category)
    award = policy.award(category, level)
    base = award.amount_wan
    rule = f"{policy.version}:{category}.{level}"
    head = f"{cat.label}（{award.label}）认定奖励 {fmt(base)} 万元"
    already = q(sum((p.amount_wan for p in prior), ZERO))
    if not prior:
        return AwardLine(
            rule=rule, amount_wan=q(base), explanation=f"{head}，按政策标准全额奖励 = {fmt(base)} 万元"
        )
    names = "、".join(
        f"{policy.categories[p.category].label if p.category in policy.categories else p.category}"
        f"（{_prior_label(policy, p)}）"
        for p in prior
    )
    if base > already:
        amount = q(base - already)
        text = (
            f"{head}；已享受 {names} 共 {fmt(already)} 万元，就高不重复，"
            f"补差额 = {fmt(base)} − {fmt(already)} = {fmt(amount)} 万元"
        )
    else:
        amount = ZERO
        text = (
            f"{head}；已享受 {names} 共 {fmt(already)} 万元，不低于本次标准，就高不重复，"
            f"不再奖励 = {fmt(amount)} 万元"
        )
    return AwardLine(rule=rule, amount_wan=amount, explanation=text)


def _prior_label(policy: Policy, prior: PriorAward) -> str:
    cat = policy.categories.get(prior.category)
    if cat and prior.level in cat.awards:
        return cat.awards[prior.level].label
    lvl = policy.levels.get(prior.level)
    return lvl.label if lvl else prior.level


def insurance_line(
    policy: Policy,
    category: str,
    insured_value_wan: Decimal,
    premium_wan: Decimal,
    already_paid_this_year_wan: Decimal = ZERO,
) -> AwardLine:
    """保费补贴: 70% of the premium, the premium counted at most at a 2% rate on the insured value,
    capped per set per year (rates and cap from the policy table). What the same set already got
    as premium subsidy in the same year uses up the cap."""
    ins = policy.insurance
    cat = policy.category(category)
    if not cat.insurance:
        raise Invalid.field("premium_wan", f"{cat.label}不适用保费补贴")
    ceiling = insured_value_wan * ins.max_premium_rate
    counted = min(premium_wan, ceiling)
    raw = q(counted * ins.subsidy_rate)
    text = (
        f"{ins.label} = min(保费 {fmt(premium_wan)}, 投保金额 {fmt(insured_value_wan)} × "
        f"{fmt_pct(ins.max_premium_rate)}) × {fmt_pct(ins.subsidy_rate)} = {fmt(raw)} 万元"
    )
    amount = raw
    already = q(already_paid_this_year_wan)
    room = max(ZERO, q(ins.cap_wan) - already)
    if raw > room:
        amount = room
        if already > 0:
            text += (
                f"，本年度该台（套）已享受{ins.label} {fmt(already)} 万元，每台（套）每年上限 "
                f"{fmt(ins.cap_wan)} 万元，按剩余额度 {fmt(amount)} 万元计"
            )
        else:
            text += f"，超过每台（套）每年上限 {fmt(ins.cap_wan)} 万元，按 {fmt(amount)} 万元计"
    return AwardLine(rule=f"{policy.version}:insurance_subsidy", amount_wan=amount, explanation=text)


def _number(raw: Any, name: str, label: str, details: list[dict[str, str]]) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        details.append({"field": name, "message": f"{label}必须是数字"})
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        details.append({"field": name, "message": f"{label}必须是有限的数字"})
        return None
    try:
        d = Decimal(str(raw))
    except InvalidOperation:
        details.append({"field": name, "message": f"{label}必须是数字"})
        return None
    if not d.is_finite():
        details.append({"field": name, "message": f"{label}必须是有限的数字"})
        return None
    if d < 0:
        details.append({"field": name, "message": f"{label}不能为负数"})
        return None
    if d > Decimal("1e9"):
        details.append({"field": name, "message": f"{label}超出合理范围（不超过 10 亿万元）"})
        return None
    return d


def quote(
    policy: Policy,
    *,
    item: str,
    level: str,
    already_awarded_level: str | None = None,
    insured_value_wan: Any = None,
    premium_wan: Any = None,
    org_awarded_wan: Any = None,
) -> Quote:
    """Price one hypothetical item: its recognition award (less an award already paid at
    ``already_awarded_level`` in the same category, 就高不重复) and, when both insured value and
    premium are given, the insurance premium subsidy. Raises :class:`Invalid` naming every bad
    field at once."""
    details: list[dict[str, str]] = []
    cat = policy.categories.get(item)
    allowed_items = "、".join(f"{c}（{d.label}）" for c, d in policy.categories.items())
    if cat is None:
        details.append({"field": "item", "message": f"未知的认定类别“{item}”，可选：{allowed_items}"})
    else:
        allowed_levels = "、".join(f"{lv}（{a.label}）" for lv, a in cat.awards.items())
        if level not in cat.awards:
            details.append(
                {"field": "level", "message": f"{cat.label}没有“{level}”级别，可选：{allowed_levels}"}
            )
        if already_awarded_level is not None and already_awarded_level not in cat.awards:
            details.append(
                {
                    "field": "already_awarded_level",
                    "message": f"{cat.label}没有“{already_awarded_level}”级别，可选：{allowed_levels}",
                }
            )
    insured = _number(insured_value_wan, "insured_value_wan", "投保金额", details)
    premium = _number(premium_wan, "premium_wan", "保费", details)
    org_awarded = _number(org_awarded_wan, "org_awarded_wan", "该企业已获同类奖励", details)
    if (insured_value_wan is None) != (premium_wan is None):
        missing = "insured_value_wan" if insured_value_wan is None else "premium_wan"
        label = "投保金额" if missing == "insured_value_wan" else "保费"
        details.append({"field": missing, "message": f"计算保费补贴需要同时填写投保金额和保费，缺少{label}"})
    if cat is not None and not cat.insurance and premium_wan is not None:
        details.append({"field": "premium_wan", "message": f"{cat.label}不适用保费补贴"})
    if details:
        raise Invalid("输入有误：" + "；".join(d["message"] for d in details), details=details)
    assert cat is not None
    prior: list[PriorAward] = []
    if already_awarded_level is not None:
        prior.append(PriorAward(item, already_awarded_level, cat.awards[already_awarded_level].amount_wan))
    lines = [recognition_line(policy, item, level, prior, org_awarded or ZERO)]
    if insured is not None and premium is not None:
        lines.append(insurance_line(policy, item, insured, premium))
    return Quote(policy_version=policy.version, lines=tuple(lines))
