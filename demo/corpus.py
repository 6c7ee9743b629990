# ruff: noqa: E501  (Chinese text literals: ruff counts CJK characters as double width)
"""Deterministic demo corpus: plain dataclasses describing a realistic Jiaxing marketplace.

``generate_corpus(seed)`` builds enterprises, providers with capability profiles, needs composed
from industry problem archetypes, batches, responses, deals, first-of-kind recognitions, policy
targets and users. Entities refer to each other by stable string keys ("ent-017", "need-0123");
nothing here touches a database. The same seed always gives the same corpus: all randomness
comes from one local ``random.Random(seed)`` and no wall-clock time is read.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from demo import capabilities, vocab
from demo.capabilities import CAPABILITY_VOCAB
from demo.problems import Archetype, all_archetypes
from market.orgs import credit_code as uscc

T = TypeVar("T")

DEMO_PASSWORD = "Demo@2026"
DEMO_DOMAIN = "demo.jiebang.cn"
DEMO_TODAY = dt.date(2026, 12, 2)  # today in China Standard Time when the demo was written
BUREAU_KEY = "bureau-jx"  # also the marker the seeder looks for
DEMO_ENTERPRISE_LOGIN = f"qiye@{DEMO_DOMAIN}"
DEMO_PROVIDER_LOGIN = f"jiebang@{DEMO_DOMAIN}"
DEMO_BUREAU_LOGIN = f"kejiju@{DEMO_DOMAIN}"
DEMO_EXPERT_LOGIN = f"zhuanjia@{DEMO_DOMAIN}"
DEMO_PROVIDER_NAME = "禾城大学机电工程学院"

N_ENTERPRISES = 180
NEEDS_PER_INDUSTRY = 59


# ------------------------------------------------------------------------------------ dataclasses
@dataclass(frozen=True)
class DemoBureau:
    key: str
    kind: str  # "bureau"
    name: str
    county: str | None
    address: str
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    kind: str  # "enterprise"
    name: str
    short_name: str
    county: str
    industry: str
    credit_code: str
    address: str
    founded_year: int
    employees: int
    products: tuple[str, ...]
    scale: str
    intro: str
    contact_name: str
    contact_title: str
    contact_phone: str


@dataclass(frozen=True)
class DemoCapabilityItem:
    key: str
    kind: str  # project / paper / patent / product / case
    title: str
    description: str
    year: int
    industry: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DemoProvider:
    key: str
    kind: str  # university / institute / provider
    name: str
    parent_name: str | None  # the university a school belongs to
    category: str  # 高校院系 / 科研院所 / 工业互联网平台商 / 节能服务公司 ...
    city: str
    county: str | None  # set when located in Jiaxing
    credit_code: str
    fields: tuple[str, ...]
    industries: tuple[str, ...]
    summary: str
    team: str
    deal_min: int  # 万元
    deal_max: int  # 万元
    track_record: int  # completed cooperation projects
    contact_name: str
    contact_phone: str
    items: tuple[DemoCapabilityItem, ...]


@dataclass(frozen=True)
class DemoBatch:
    key: str
    year: int
    number: int
    title: str  # 2025年第2批
    status: str  # published / notice / scheduled / draft
    published_on: dt.date | None
    collect_from: dt.date
    collect_until: dt.date
    need_keys: tuple[str, ...]
    notice_start: dt.date | None = None  # 公示
    notice_end: dt.date | None = None
    publish_on: dt.date | None = None


@dataclass(frozen=True)
class DemoNeed:
    key: str
    enterprise_key: str
    archetype: str
    title: str
    summary: str
    description: str
    problem: str
    indicators: tuple[str, ...]
    tried: str
    current_state: str
    expected_outcome: str
    industry: str
    track: str  # digital / green / both
    county: str
    fields: tuple[str, ...]
    budget_min: int  # 万元
    budget_max: int  # 万元
    deadline: dt.date
    cooperation_mode: str
    contact_name: str
    contact_phone: str
    disclosure: str  # public / nda / invite
    anonymous: bool
    status: str
    batch_key: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    published_at: dt.datetime | None
    closed_at: dt.datetime | None
    review_note: str | None


@dataclass(frozen=True)
class DemoResponse:
    key: str
    need_key: str
    provider_key: str
    approach: str
    team: str
    track_record: str
    timeline: str
    price: int  # 万元
    duration_months: int
    status: str  # submitted / shortlisted / selected / declined / withdrawn
    decline_reason: str | None  # a label of market.vocab.DECLINE_REASONS
    decline_note: str | None
    submitted_at: dt.datetime
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class DemoDealEvent:
    stage: str
    on: dt.date
    note: str


@dataclass(frozen=True)
class DemoDeal:
    key: str
    need_key: str
    response_key: str
    enterprise_key: str
    provider_key: str
    title: str
    stage: str  # matched / intent / signed / in_progress / accepted / converted / failed
    amount: int | None  # contract amount, 万元; None before signing
    matched_on: dt.date
    signed_on: dt.date | None
    closed_on: dt.date | None
    failure_reason: str | None
    conversion_note: str | None
    history: tuple[DemoDealEvent, ...]


@dataclass(frozen=True)
class DemoRecognition:
    key: str
    enterprise_key: str
    category: str  # equipment / material / software / tech_center / innovation_center / innovation_project
    level: str  # international / national / provincial / municipal
    product_name: str
    description: str
    year: int
    status: str  # applied / reviewed / recognised / rejected
    certificate_no: str | None
    deal_key: str | None
    applied_on: dt.date
    decided_on: dt.date | None
    insured_value: float | None = None  # 万元, for the insurance subsidy (保费补贴)
    premium: float | None = None


@dataclass(frozen=True)
class DemoTarget:
    key: str
    metric: str  # a market.targets.metrics code: needs_published, deals_signed, first_of_kind_...
    year: int
    value: int
    cumulative: bool
    description: str
    county: str | None = None  # a county's split of the city-wide target
    source: str = "policy"  # policy / bureau


@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    display_name: str
    org_key: str
    role: str  # org_admin / member / bureau_admin / bureau_reviewer / expert
    password: str
    well_known: bool = False


@dataclass(frozen=True)
class DemoCorpus:
    seed: int
    bureaus: list[DemoBureau]
    enterprises: list[DemoEnterprise]
    providers: list[DemoProvider]
    batches: list[DemoBatch]
    needs: list[DemoNeed]
    responses: list[DemoResponse]
    deals: list[DemoDeal]
    recognitions: list[DemoRecognition]
    targets: list[DemoTarget]
    users: list[DemoUser]
    stats: dict[str, int] = field(default_factory=dict)

    def org_keys(self) -> set[str]:
        return (
            {o.key for o in self.bureaus}
            | {o.key for o in self.enterprises}
            | {o.key for o in self.providers}
        )


# ------------------------------------------------------------------------------- small utilities
_NUM = re.compile(r"\{(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\}")
_SLOT = re.compile(r"\{(\w+)\}")


def _number(rng: random.Random, lo_s: str, hi_s: str) -> str:
    decimals = max(len(s.split(".")[1]) if "." in s else 0 for s in (lo_s, hi_s))
    lo, hi = float(lo_s), float(hi_s)
    if decimals == 0:
        value = rng.randint(int(lo), int(hi))
        # Large quantities are quoted round ("约15000卷", not "15730卷").
        step = 10 ** (len(str(int(hi))) - 2) if hi >= 1000 else 10 if hi >= 200 and int(lo) % 10 == 0 else 1
        return str(max(int(lo), round(value / step) * step))
    return f"{rng.uniform(lo, hi):.{decimals}f}"


def fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    """Fill ``{slot}`` and ``{a-b}`` placeholders; an unknown placeholder is a data bug."""
    text = _NUM.sub(lambda m: _number(rng, m.group(1), m.group(2)), template)
    text = _SLOT.sub(lambda m: slots[m.group(1)], text)
    if "{" in text or "}" in text:
        raise ValueError(f"unfilled placeholder in {template!r}")
    return text


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    return seq[rng.randrange(len(seq))]


def _person(rng: random.Random) -> str:
    return _pick(rng, vocab.SURNAMES) + _pick(rng, vocab.GIVEN_NAMES)


def _phone(rng: random.Random, landline: bool = True) -> str:
    if landline and rng.random() < 0.6:
        return f"0573-8{rng.randint(2000000, 9999999)}"
    return f"1{_pick(rng, '35789')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59), tzinfo=dt.UTC)


def _clamp(day: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    return max(lo, min(hi, day))


# 统一社会信用代码 (GB 32100-2015) with an embedded 组织机构代码 (GB 11714). The 18th character is
# correct (market.orgs.credit_code), so registration accepts the code; the embedded organisation
# code's own check character is deliberately wrong, so no demo code can be one a registry issued.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body8: str) -> str:
    c9 = 11 - sum(int(ch) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def credit_code(rng: random.Random, division: str, registry: str = "91") -> str:
    body = "".join(str(rng.randint(0, 9)) for _ in range(8))
    right = org_code_check(body)
    wrong = _pick(rng, [c for c in "0123456789" if c != right])
    first17 = registry + division + body + wrong
    return first17 + uscc.check_digit(first17)


def credit_code_is_valid(code: str) -> bool:
    return uscc.is_valid(code)


def credit_code_is_fictional(code: str) -> bool:
    """A valid 18-character code whose embedded organisation code fails its GB 11714 check."""
    body = code[8:16]
    return uscc.is_valid(code) and body.isdigit() and org_code_check(body) != code[16]


# --------------------------------------------------------------------------------------- orgs
def _make_bureau(rng: random.Random) -> DemoBureau:
    return DemoBureau(
        key=BUREAU_KEY,
        kind="bureau",
        name="嘉兴市科学技术局",
        county=None,
        address="嘉兴市南湖区广益路1000号",
        contact_name=_person(rng),
        contact_phone="0573-82521000",
    )


def _make_enterprises(rng: random.Random) -> list[DemoEnterprise]:
    counties = list(vocab.COUNTIES)
    pairs: list[tuple[str, str]] = []
    # Every industry gets at least six firms, drawn from the counties known for it.
    for industry in vocab.INDUSTRIES:
        homes = {c: w[industry] for c, w in vocab.COUNTY_INDUSTRY_WEIGHTS.items() if industry in w}
        for _ in range(6):
            pairs.append((_weighted(rng, homes), industry))
    while len(pairs) < N_ENTERPRISES:
        county = _pick(rng, counties)
        pairs.append((county, _weighted(rng, vocab.COUNTY_INDUSTRY_WEIGHTS[county])))
    # The demo enterprise (qiye@) is a 南湖区 auto-parts maker with a full history.
    pairs[0] = ("南湖区", "汽车制造")
    rest = pairs[1:]
    rng.shuffle(rest)
    pairs = [pairs[0], *rest]

    used_names: set[str] = set()
    out: list[DemoEnterprise] = []
    for i, (county, industry) in enumerate(pairs, start=1):
        profile = vocab.INDUSTRY_PROFILES[industry]
        while True:
            short = _pick(rng, vocab.TRADE_CHARS) + _pick(rng, vocab.TRADE_CHARS)
            if short[0] == short[1] or short in used_names:
                continue
            used_names.add(short)
            break
        prefix = (
            _pick(rng, vocab.COUNTY_NAME_PREFIX[county])
            if rng.random() < 0.3
            else vocab.COUNTY_NAME_PREFIX[county][0]
        )
        name = f"{prefix}{short}{_pick(rng, profile.name_suffixes)}"
        products = tuple(rng.sample(profile.products, 2))
        scale = fill(_pick(rng, profile.scale), {}, rng)
        founded = rng.randint(1993, 2019)
        employees = rng.choice([rng.randint(80, 400), rng.randint(300, 1500), rng.randint(1200, 6000)])
        intro = _pick(
            rng,
            (
                f"{name}成立于{founded}年，主要产品为{products[0]}和{products[1]}，{scale}，是{county}重点{profile.short}企业。",
                f"公司专业从事{products[0]}研发与制造，兼营{products[1]}，{scale}，现有员工{employees}人。",
                f"{short}（{county}）创建于{founded}年，{scale}，产品{products[0]}远销欧美及东南亚，为国家高新技术企业。",
                f"公司位于{county}，{scale}，主导产品{products[0]}，近年来持续推进数字化、绿色化改造。",
            ),
        )
        out.append(
            DemoEnterprise(
                key=f"ent-{i:03d}",
                kind="enterprise",
                name=name,
                short_name=short,
                county=county,
                industry=industry,
                credit_code=credit_code(rng, vocab.COUNTIES[county]),
                address=f"浙江省嘉兴市{county}{_pick(rng, vocab.COUNTY_STREETS[county])}{rng.randint(1, 2999)}号",
                founded_year=founded,
                employees=employees,
                products=products,
                scale=scale,
                intro=intro,
                contact_name=_person(rng),
                contact_title=_pick(rng, vocab.CONTACT_TITLES),
                contact_phone=_phone(rng),
            )
        )
    return out


_BRANDS = ("智衡", "慧眼", "云枢", "睿控", "擎天", "绿擎", "碳迹", "衡能", "析微", "织云", "禾芯", "峰测")


def _capability_items(
    rng: random.Random, pkey: str, fields: tuple[str, ...], industries: tuple[str, ...], is_firm: bool
) -> tuple[DemoCapabilityItem, ...]:
    """A provider's items, written from its fields' own vocabulary (``demo.capabilities``), not
    from the need archetypes: topics, methods, equipment and results as a lab or firm puts them."""
    n = rng.randint(3, 12)
    kinds = ("product", "case", "case", "project", "patent") if is_firm else ("paper", "patent", "project", "project", "case")
    items: list[DemoCapabilityItem] = []
    seen: set[str] = set()
    brand = _pick(rng, _BRANDS)
    for _ in range(n * 4):
        if len(items) >= n:
            break
        f = _pick(rng, fields)
        topics, methods, equipment, results = CAPABILITY_VOCAB[f]
        topic, method, kit = _pick(rng, topics), _pick(rng, methods), _pick(rng, equipment)
        r1, r2 = (fill(r, {}, rng) for r in rng.sample(list(results), 2))
        year = rng.randint(2017, 2026)
        kind = _pick(rng, kinds)
        sector = _pick(rng, capabilities.SECTORS)
        if kind == "paper":
            title = _pick(rng, (f"{topic}中的{method}研究", f"基于{method}的{topic}方法", f"{method}在{topic}中的应用与实验验证"))
            desc = f"发表于{_pick(rng, capabilities.JOURNALS)}{year}年第{rng.randint(1, 12)}期。利用{kit}开展实验，{r1}。"
        elif kind == "patent":
            title = _pick(rng, (f"一种{topic}装置及方法", f"一种基于{method}的{topic}系统", f"一种{topic}用{kit.split('与')[0]}"))
            desc = f"发明专利，{year}年授权；核心为{method}，{r1}。"
        elif kind == "project":
            source = _pick(rng, capabilities.PROJECT_SOURCES)
            title = f"{source}：{topic}关键技术" if "横向" not in source else f"{sector}{topic}技术服务"
            desc = f"{'牵头' if rng.random() < 0.6 else '参与'}承担，经费{rng.randint(30, 600)}万元，{year - rng.randint(0, 2)}—{year}年。采用{method}，{r1}，{r2}。"
        elif kind == "product":
            title = f"{brand}{topic}{_pick(rng, ('系统', '平台', '装置', '工作站'))} V{rng.randint(1, 5)}.{rng.randint(0, 9)}"
            desc = f"自主研发，核心技术为{method}，配套{kit}；已在{rng.randint(3, 40)}家{sector}应用，{r1}。"
        else:
            title = f"某{sector}{topic}项目"
            desc = f"{year}年实施，合同额{rng.randint(20, 500)}万元。以{method}为主线，现场部署{kit}；{r1}，{r2}，已通过验收。"
        if title in seen:
            continue
        seen.add(title)
        items.append(
            DemoCapabilityItem(
                key=f"{pkey}-cap-{len(items) + 1:02d}", kind=kind, title=title, description=desc, year=year,
                industry=_pick(rng, industries), fields=(f,),
            )
        )  # fmt: skip
    return tuple(items)


def _provider_texts(
    rng: random.Random, name: str, kind: str, fields: tuple[str, ...], industries: tuple[str, ...]
) -> tuple[str, str, int, int, int]:
    f_text = "、".join(fields)
    i_text = "、".join(industries[:3])
    leader = _person(rng)
    if kind == "university":
        summary = _pick(
            rng,
            (
                f"{name}长期从事{f_text}方向研究，面向{i_text}等行业开展产学研合作。",
                f"团队聚焦{fields[0]}，兼顾{'、'.join(fields[1:]) or '工程应用'}，与嘉兴及长三角{i_text}企业建有联合实验室。",
            ),
        )
        team = (
            f"学科带头人{leader}教授（博士生导师），团队教授{rng.randint(2, 6)}人、副教授{rng.randint(3, 9)}人，"
            f"博士后及在读研究生{rng.randint(15, 60)}人，拥有{_pick(rng, ('省级重点实验室', '省级工程研究中心', '国家级实验教学示范中心', '校企联合研发中心'))}。"
        )
        lo, hi = rng.choice([(20, 200), (30, 300), (50, 500)])
    elif kind == "institute":
        summary = _pick(
            rng,
            (
                f"{name}是面向嘉兴产业的新型研发机构，重点方向为{f_text}，提供中试验证与工程化服务。",
                f"{name}围绕{i_text}行业共性技术需求，开展{fields[0]}等技术攻关和成果转化。",
            ),
        )
        team = (
            f"专职研发人员{rng.randint(30, 200)}人，其中高级职称{rng.randint(10, 60)}人；"
            f"建有{_pick(rng, ('中试基地', '检测认证平台', '工程技术中心', '概念验证中心'))}{rng.randint(1000, 12000)}平方米。"
        )
        lo, hi = rng.choice([(30, 300), (50, 600), (80, 800)])
    else:
        summary = _pick(
            rng,
            (
                f"{name}专注{f_text}，为{i_text}等行业提供从诊断、方案设计到交付运维的整体服务。",
                f"公司是{fields[0]}领域的解决方案提供商，累计服务制造企业{rng.randint(40, 400)}家，核心产品已在长三角广泛应用。",
            ),
        )
        honours = ["国家高新技术企业", "浙江省专精特新中小企业", "浙江省科技型中小企业"]
        if "工业互联网平台" in fields:
            honours.append("省级工业互联网平台服务商")
        if "能源管理与碳核算" in fields or "余热余压利用" in fields:
            honours.append("节能服务公司备案企业")
        team = (
            f"员工{rng.randint(40, 600)}人，研发人员占比{rng.randint(30, 70)}%，项目经理{rng.randint(6, 40)}人；"
            f"{_pick(rng, honours)}。"
        )
        lo, hi = rng.choice([(10, 150), (20, 300), (50, 600)])
    return summary, team, lo, hi, rng.randint(3, 60)


def _make_providers(rng: random.Random, archetypes: list[Archetype]) -> list[DemoProvider]:
    by_field: dict[str, list[Archetype]] = defaultdict(list)
    for a in archetypes:
        for f in a.fields:
            by_field[f].append(a)

    def industries_for(fields: tuple[str, ...]) -> tuple[str, ...]:
        counts: dict[str, int] = defaultdict(int)
        for f in fields:
            for a in by_field.get(f, []):
                counts[a.industry] += 1
        return tuple(sorted(counts, key=lambda k: (-counts[k], vocab.INDUSTRIES.index(k)))[:5])

    specs: list[tuple[str, str, str | None, str, str, str | None, tuple[str, ...]]] = []
    # (kind, name, parent, category, city, county, fields)
    unis = list(vocab.UNIVERSITIES.items())
    unis.sort(key=lambda kv: kv[0] != "禾城大学")  # the demo provider's university first
    for uni, schools in unis:
        local = uni in ("禾城大学", "鸳湖学院", "禾城工程学院")
        city = (
            "嘉兴"
            if local
            else (
                "上海"
                if uni in ("申城工程大学", "沪东科技大学", "吴淞纺织大学", "东海化工大学", "淞沪大学")
                else "无锡"
                if uni == "太湖轻工大学"
                else "杭州"
            )
        )
        for school, fields in schools.items():
            specs.append(
                ("university", f"{uni}{school}", uni, "高校院系", city, "南湖区" if local else None, fields)
            )
    for name, fields in vocab.INSTITUTES:
        specs.append(("institute", name, None, "科研院所", "嘉兴", _pick(rng, list(vocab.COUNTIES)), fields))
    used: set[str] = set()
    n_firms = 80
    for i in range(n_firms):
        category, suffixes, cat_fields = vocab.SERVICE_CATEGORIES[i % len(vocab.SERVICE_CATEGORIES)]
        while True:
            trade = _pick(rng, vocab.TRADE_CHARS) + _pick(rng, vocab.TRADE_CHARS)
            city = _pick(rng, vocab.SERVICE_CITY_PREFIX)
            name = f"{city}{trade}{_pick(rng, suffixes)}"
            if trade[0] != trade[1] and name not in used:
                used.add(name)
                break
        k = rng.randint(2, min(4, len(cat_fields)))
        fields = tuple(rng.sample(cat_fields, k))
        county = None
        for c, prefixes in vocab.COUNTY_NAME_PREFIX.items():
            if city == prefixes[0]:
                county = c if city != "嘉兴" else _pick(rng, ("南湖区", "秀洲区"))
        specs.append(("provider", name, None, category, city if city != "浙江" else "杭州", county, fields))

    out: list[DemoProvider] = []
    for i, (kind, name, parent, category, city, county, fields) in enumerate(specs, start=1):
        key = f"pro-{i:03d}"
        industries = industries_for(fields)
        summary, team, lo, hi, record = _provider_texts(rng, name, kind, fields, industries)
        division = vocab.COUNTIES[county] if county else _pick(rng, ("330106", "310104", "310110", "320214"))
        registry = "12" if kind in ("university", "institute") else "91"
        out.append(
            DemoProvider(
                key=key,
                kind=kind,
                name=name,
                parent_name=parent,
                category=category,
                city=city,
                county=county,
                credit_code=credit_code(rng, division, registry),
                fields=fields,
                industries=industries,
                summary=summary,
                team=team,
                deal_min=lo,
                deal_max=hi,
                track_record=record,
                contact_name=_person(rng),
                contact_phone=_phone(rng, landline=False),
                items=_capability_items(rng, key, fields, industries, kind == "provider"),
            )
        )
    return out


# ------------------------------------------------------------------------------------- batches
# (year, number, publication day, needs published in it). 2022 publishes 215 needs (target 200),
# 2023 another 110 (cumulative 325 ≥ 300), 2024–2025 another 200 (cumulative 525 ≥ 500), 2026 110.
_BATCH_PLAN: tuple[tuple[int, int, dt.date, int], ...] = (
    (2022, 1, dt.date(2022, 2, 28), 75),
    (2022, 2, dt.date(2022, 5, 16), 75),
    (2022, 3, dt.date(2022, 8, 18), 65),
    (2023, 1, dt.date(2023, 4, 12), 58),
    (2023, 2, dt.date(2023, 9, 14), 52),
    (2024, 1, dt.date(2024, 4, 18), 50),
    (2024, 2, dt.date(2024, 10, 22), 45),
    (2025, 1, dt.date(2025, 3, 26), 35),
    (2025, 2, dt.date(2025, 7, 15), 35),
    (2025, 3, dt.date(2025, 11, 12), 35),
    (2026, 1, dt.date(2026, 3, 20), 38),
    (2026, 2, dt.date(2026, 6, 18), 36),
    (2026, 3, dt.date(2026, 9, 24), 36),
)
# Batches not yet published, one in each remaining state: (year, number, status, notice start,
# notice end, publication day, approved needs in it).
_OPEN_BATCHES: tuple[tuple[int, int, str, dt.date | None, dt.date | None, dt.date | None, int], ...] = (
    (2026, 4, "scheduled", dt.date(2026, 11, 13), dt.date(2026, 11, 22), dt.date(2026, 12, 8), 12),
    (2026, 5, "notice", dt.date(2026, 11, 27), dt.date(2026, 12, 6), dt.date(2026, 12, 16), 10),
    (2027, 1, "draft", None, None, None, 0),
)
# Needs never published: their status and how many.
_UNPUBLISHED = {"draft": 14, "submitted": 14, "returned": 10, "approved": 6, "withdrawn": 5}
# Share of a batch's needs that end in a deal, by publication year (older lists had more time).
_DEAL_SHARE = {2022: 0.56, 2023: 0.55, 2024: 0.55, 2025: 0.5, 2026: 0.45}
# --------------------------------------------------------------------------------------- needs
_DRIVERS = {
    "digital": (
        "客户对质量追溯和交付周期的要求不断提高",
        "一线招工难、人工成本逐年上升",
        "订单向多品种、小批量、快交付转变",
        "主机厂推行供应商数字化评价",
        "公司入选市级数字化改造试点",
    ),
    "green": (
        "能耗双控逐步转向碳排放双控",
        "园区环保排放标准持续收紧",
        "能源和原材料价格上涨挤压利润",
        "出口客户要求提供产品碳足迹",
        "公司列入重点用能单位节能监察名单",
    ),
}
_PROBLEM_LEADS = ("目前的主要问题是：", "突出问题在于，", "", "", "存在的痛点：", "问题集中在：")
_CLOSINGS = (
    "",
    "",
    "本需求已列入公司{year}年技改计划，配套资金已落实。",
    "希望与高校院所或专业服务商合作，在我司现场完成验证。",
    "可提供现场试验条件和历史数据（脱敏后）。",
    "欢迎具有同类项目经验的团队揭榜，可先行开展技术交流。",
    "项目完成后拟在集团内其他{n}个生产基地推广。",
    "该问题已困扰公司{n}年以上，前期投入未见明显成效。",
)
_TRIED_GENERIC = (
    "内部成立过专项攻关小组，但缺少专业算法和建模能力。",
    "曾与设备供应商沟通，对方只提供标准产品，无法定制。",
    "参加过行业交流会，了解到同行也未完全解决。",
    "",
)
_OUT_TAILS = (
    "合作周期不超过{n}个月，分阶段验收。",
    "成果须在我司产线稳定运行{n}个月以上并通过第三方检测。",
    "知识产权归属可协商，优先考虑联合申报专利。",
    "需提供完整技术文档并完成人员培训。",
    "希望形成可复制的方案，争取申报首台（套）或省级示范项目。",
    "",
)


def _need_texts(
    rng: random.Random, arch: Archetype, use: int, ent: DemoEnterprise, anonymous: bool, title_taken: set[str]
) -> dict[str, object]:
    slots = {k: v[(use + rng.randrange(len(v))) % len(v)] for k, v in arch.slots.items()}
    product = ent.products[use % 2]
    ctx = fill(arch.ctx[use % len(arch.ctx)], slots, rng)
    prob = fill(arch.prob[(use + use // 2) % len(arch.prob)], slots, rng)

    title = ""
    order = [(use + k) % len(arch.titles) for k in range(len(arch.titles))]
    for attempt in range(12):
        ti = order[attempt % len(order)]
        if attempt >= len(order):
            slots = {k: _pick(rng, v) for k, v in arch.slots.items()}
        cand = fill(arch.titles[ti], slots, rng)
        if attempt >= 2 * len(order):
            cand = f"{cand}（{product}）"
        if cand not in title_taken:
            title = cand
            break
    if not title:
        title = f"{fill(arch.titles[0], slots, rng)}（{ent.short_name}{product}）"
    title_taken.add(title)

    track = arch.track
    driver_track = track if track != "both" else _pick(rng, ("digital", "green"))
    me = "公司" if anonymous else _pick(rng, (ent.short_name, "我司", "公司"))
    opener = _pick(
        rng,
        (
            f"{me}主营{product}，{ent.scale}。",
            f"我司是{ent.county}一家{vocab.INDUSTRY_PROFILES[ent.industry].short}企业，主要产品为{ent.products[0]}、{ent.products[1]}。",
            f"随着{_pick(rng, _DRIVERS[driver_track])}，这一问题愈发突出。",
            f"在{product}生产过程中，",
            "",
            f"{me}成立于{ent.founded_year}年，{ent.scale}。",
            f"近年来{_pick(rng, _DRIVERS[driver_track])}。",
        ),
    )
    lead = _pick(rng, _PROBLEM_LEADS)
    closing = fill(
        _pick(rng, _CLOSINGS).replace("{year}", str(rng.choice((2025, 2026, 2027)))).replace("{n}", "{2-5}"),
        {},
        rng,
    )
    if len(ctx) + len(prob) < 60:  # thin variants get the archetype's other observation too
        other = fill(arch.prob[(use + use // 2 + 1) % len(arch.prob)], slots, rng)
        prob = f"{prob}；此外，{other}"
    structure = rng.randrange(3)
    if structure == 0:
        description = f"{opener}{ctx}。{lead}{prob}。{closing}"
    elif structure == 1:
        description = f"{opener}{prob}。{_pick(rng, ('现状：', '从现场情况看，', '目前'))}{ctx}。{closing}"
    else:
        description = f"{opener}{ctx}；{prob}。{closing}"
    description = description.replace("，。", "。").replace("。。", "。").replace("：但", "：").strip()

    n_ind = rng.randint(3, min(5, len(arch.ind)))
    ind_templates = rng.sample(list(arch.ind), n_ind)
    indicators = tuple(fill(t, slots, rng) for t in ind_templates)
    tried_parts = [
        fill(t, slots, rng) for t in rng.sample(list(arch.tried), rng.randint(1, min(2, len(arch.tried))))
    ]
    generic = _pick(rng, _TRIED_GENERIC)
    tried = "；".join(tried_parts) + "。" + generic
    outcome = (
        fill(_pick(rng, arch.out), slots, rng)
        + "。"
        + fill(_pick(rng, _OUT_TAILS).replace("{n}", "{3-18}"), {}, rng)
    )

    first_clause = re.split(r"[，；]", prob)[0]
    summary = _pick(
        rng,
        (
            f"{first_clause}，寻求{arch.tech}方面的解决方案。",
            f"面向{product}生产，征集{arch.tech}技术，目标{indicators[0]}。",
            f"征集{arch.tech}方案，要求{indicators[0]}、{indicators[1]}。",
            f"{first_clause}。希望通过{arch.prod}等手段解决，{indicators[0]}。",
        ),
    )
    return {
        "title": title,
        "summary": summary,
        "description": description,
        "problem": prob,
        "indicators": indicators,
        "tried": tried.rstrip("。") + "。" if not generic else tried,
        "current_state": ctx + "。",
        "expected_outcome": outcome.rstrip("。") + "。",
    }


def _grams5(text: str) -> set[str]:
    return {text[i : i + 5] for i in range(len(text) - 4)}


def _budget(rng: random.Random, track: str, energy_intensive: bool) -> tuple[int, int]:
    base = rng.choice((20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300))
    if track != "digital" and energy_intensive:
        base = min(500, int(base * rng.choice((1.5, 2, 2.5))))
    lo = int(round(base / 10.0) * 10) or 20
    hi = min(800, int(round(lo * rng.uniform(1.5, 3.0) / 10.0) * 10))
    return lo, max(hi, lo + 10)


def _make_needs(
    rng: random.Random, enterprises: list[DemoEnterprise], archetypes: list[Archetype]
) -> list[dict[str, object]]:
    by_ind_ent: dict[str, list[DemoEnterprise]] = defaultdict(list)
    for e in enterprises:
        by_ind_ent[e.industry].append(e)
    by_ind_arch: dict[str, list[Archetype]] = defaultdict(list)
    for a in archetypes:
        by_ind_arch[a.industry].append(a)

    titles: set[str] = set()
    use_count: dict[str, int] = defaultdict(int)
    written: dict[str, list[set[str]]] = defaultdict(list)
    drafts: list[dict[str, object]] = []
    for industry in vocab.INDUSTRIES:
        ents = list(by_ind_ent[industry])
        rng.shuffle(ents)
        if industry == enterprises[0].industry:  # the demo enterprise posts several needs
            ents = [enterprises[0], *[e for e in ents if e.key != enterprises[0].key]]
        arch_cycle = list(by_ind_arch[industry])
        rng.shuffle(arch_cycle)
        for n in range(NEEDS_PER_INDUSTRY):
            arch = arch_cycle[n % len(arch_cycle)]
            ent = enterprises[0] if industry == enterprises[0].industry and n < 8 else ents[n % len(ents)]
            use = use_count[arch.key]
            use_count[arch.key] += 1
            anonymous = rng.random() < 0.15
            # An archetype is used several times; a description too close to an earlier one of
            # the same archetype is written again (another opener, structure and closing).
            for attempt in range(12):
                texts = _need_texts(rng, arch, use + attempt, ent, anonymous, titles)
                grams = _grams5(str(texts["description"]))
                if all(len(grams & g) / len(grams | g) < 0.4 for g in written[arch.key]):
                    break
                titles.discard(str(texts["title"]))
            else:
                titles.add(str(texts["title"]))
            written[arch.key].append(grams)
            lo, hi = _budget(rng, arch.track, industry in vocab.ENERGY_INTENSIVE)
            drafts.append(
                {
                    **texts,
                    "enterprise_key": ent.key,
                    "archetype": arch.key,
                    "industry": industry,
                    "track": arch.track,
                    "county": ent.county,
                    "fields": arch.fields,
                    "budget_min": lo,
                    "budget_max": hi,
                    "cooperation_mode": rng.choices(vocab.COOPERATION_MODES, weights=(40, 10, 8, 22, 20))[0],
                    "contact_name": ent.contact_name if rng.random() < 0.7 else _person(rng),
                    "contact_phone": ent.contact_phone if rng.random() < 0.7 else _phone(rng),
                    "disclosure": rng.choices(("public", "nda", "invite"), weights=(80, 15, 5))[0],
                    "anonymous": anonymous,
                }
            )
    rng.shuffle(drafts)
    return drafts


_RETURN_NOTES = (
    "技术指标表述笼统，请补充可量化的验收指标（如检测精度、节能率）及测试条件。",
    "需求描述中包含企业内部工艺配方信息，建议改为保密披露或删减后再提交。",
    "预算区间与攻关内容明显不匹配，请核实后重新填报。",
    "请补充已尝试的技术路线及失败原因，便于揭榜方判断。",
    "该需求属于设备采购，不属于技术攻关范畴，请调整为技术开发或联合攻关内容。",
)


def _publish_at(day: dt.date) -> dt.datetime:
    """09:00 China Standard Time on ``day`` (01:00 UTC), so the local publication day is ``day``."""
    return dt.datetime(day.year, day.month, day.day, 1, 0, tzinfo=dt.UTC)


def _assign_lifecycle(
    rng: random.Random, drafts: list[dict[str, object]], batches_meta: list[tuple[str, int, int, dt.date | None, int]]
) -> None:
    """Give every draft its batch, dates and a provisional status: ``published`` for a need in a
    published batch (its outcome is simulated later from responses and deals), ``approved`` for a
    need in a batch not yet public, else one of the pre-publication states."""
    demo_idx = [i for i, d in enumerate(drafts) if d["enterprise_key"] == "ent-001"]
    order = [i for i in range(len(drafts)) if i not in demo_idx]
    # The demo enterprise: a draft, one waiting for review, one returned, the rest published
    # across the years (so its history shows every later stage too).
    slots: list[tuple[str, str | None]] = []  # (status, batch key)
    for status, n in _UNPUBLISHED.items():
        slots += [(status, None)] * n
    for key, _y, _n, _day, count in batches_meta:
        slots += [("published" if _day is not None else "approved", key)] * count
    demo_slots: list[tuple[str, str | None]] = [("draft", None), ("submitted", None), ("returned", None)]
    published_keys = [b[0] for b in batches_meta if b[3] is not None]
    for k in range(len(demo_idx) - 3):
        demo_slots.append(("published", published_keys[(k * 3) % len(published_keys)]))
    for slot in demo_slots:
        slots.remove(slot)
    rng.shuffle(slots)
    if len(slots) > len(order):
        raise ValueError("the batch plan has more places than there are needs")
    assignment = dict(zip(demo_idx, demo_slots, strict=True)) | dict(zip(order, slots, strict=False))
    meta = {b[0]: b for b in batches_meta}
    open_meta = {f"batch-{y}-{n}": (st, ns) for y, n, st, ns, _ne, _p, _c in _OPEN_BATCHES}
    for i, d in enumerate(drafts):
        status, bkey = assignment.get(i, ("draft", None))
        d["status"] = status
        d["batch_key"] = bkey
        d["review_note"] = None
        d["closed_at"] = None
        d["reviewed_at"] = None
        d["published_at"] = None
        if bkey is not None and meta[bkey][3] is not None:
            published_on = meta[bkey][3]
            assert published_on is not None
            submitted = published_on - dt.timedelta(days=rng.randint(25, 80))
            created = submitted - dt.timedelta(days=rng.randint(1, 20))
            d["created_at"] = _at(created, rng)
            d["submitted_at"] = _at(submitted, rng)
            d["reviewed_at"] = _at(submitted + dt.timedelta(days=rng.randint(3, 15)), rng)
            d["published_at"] = _publish_at(published_on)
            d["deadline"] = min(dt.date(2027, 12, 31), published_on + dt.timedelta(days=rng.randint(300, 600)))
            continue
        if bkey is not None:  # approved and waiting in a batch that is on notice or scheduled
            st, notice_start = open_meta[bkey]
            anchor = notice_start or DEMO_TODAY
            created = anchor - dt.timedelta(days=rng.randint(30, 70))
        else:
            created = DEMO_TODAY - dt.timedelta(days=rng.randint(5, 110))
        d["created_at"] = _at(created, rng)
        d["submitted_at"] = None if status == "draft" else _at(created + dt.timedelta(days=rng.randint(1, 4)), rng)
        if status in ("returned", "approved"):
            d["reviewed_at"] = _at(min(DEMO_TODAY, created + dt.timedelta(days=rng.randint(5, 12))), rng)
        if status == "returned":
            d["review_note"] = _pick(rng, _RETURN_NOTES)
        if status == "withdrawn":
            d["closed_at"] = _at(min(DEMO_TODAY, created + dt.timedelta(days=rng.randint(3, 30))), rng)
        d["deadline"] = _clamp(DEMO_TODAY + dt.timedelta(days=rng.randint(120, 400)), DEMO_TODAY, dt.date(2027, 12, 31))


# ------------------------------------------------------------------------ responses and deals
_STEPS = {
    "digital": (
        "现场调研与数据采集，梳理工艺流程和设备接口",
        "围绕{x}搭建模型并用历史数据离线验证",
        "在一条产线部署试运行并迭代优化",
        "与MES/ERP系统集成，形成标准化部署包",
        "编写技术文档并培训企业工程师",
    ),
    "green": (
        "开展能源审计与现场测试，建立能量/物料平衡",
        "完成{x}方案比选和详细设计",
        "实施改造并开展调试、性能测试",
        "委托第三方开展节能量（减排量）核定",
        "运行维护与持续优化",
    ),
}
_DECLINE_NOTES = {
    "能力不匹配": ("团队主要方向与本需求差异较大。", "方案侧重整线新建，超出本次改造范围，现有团队缺少现场实施经验。"),
    "方案不满足指标要求": (
        "方案未承诺需求中的关键指标，仅给出定性描述。",
        "验收指标与我方需求口径不一致，未给出测试方法。",
        "方案对核心算法和实施路径描述过于笼统，无法评估可行性。",
    ),
    "报价超出预算": ("报价超出预算上限较多，且无法分期实施。", "报价明显高于同类方案，性价比不足。"),
    "周期不满足要求": ("方案工期超过我方停产检修窗口。", "交付周期比需求要求晚半年以上。"),
}
_FAIL_REASONS = (
    "试点阶段关键指标未达到合同约定，双方协商终止。",
    "企业经营调整，项目暂停实施。",
    "核心技术人员变动，揭榜方无法按期交付。",
    "现场条件与前期调研不符，改造方案无法落地。",
)
_CONVERSION_NOTES = (
    "成果已在企业{n}条产线推广应用，年新增效益约{m}万元。",
    "形成产品并对外销售，已服务{n}家同行企业。",
    "完成技术许可，企业实现年节能约{m}吨标准煤。",
    "成果入选嘉兴市科技成果转化典型案例，带动产值{m}万元。",
)


def _fit_score(provider: DemoProvider, need: DemoNeed) -> int:
    overlap = len(set(provider.fields) & set(need.fields))
    return overlap * 3 + (1 if need.industry in provider.industries else 0)


_DEAL_ORDER = ("matched", "intent", "signed", "in_progress", "accepted", "converted")
_EVENT_NOTES = {
    "matched": "科技局组织供需对接会，双方完成首轮技术交流。",
    "intent": "双方签署合作意向书，明确技术路线和验收指标。",
    "signed": "签订技术合同并完成技术合同登记。",
    "in_progress": "项目进入实施阶段，完成现场调研和方案设计。",
    "accepted": "项目通过企业组织的专家验收。",
    "converted": "成果在企业实现转化应用。",
    "failed": "项目终止。",
}
# Days from one stage to the next (the first: from the selection).
_STAGE_GAPS = {
    "matched": (2, 7), "intent": (7, 25), "signed": (10, 35), "in_progress": (5, 20),
    "accepted": (150, 330), "converted": (60, 240),
}  # fmt: skip
# Where a deal is heading: the last stage it would reach given time, or a failure after signing.
_DEAL_AIMS = {"converted": 40, "accepted": 28, "in_progress": 12, "failed": 12, "intent": 8}


def _response_texts(
    rng: random.Random, need: DemoNeed, provider: DemoProvider, tech: str
) -> dict[str, object]:
    method = _pick(rng, vocab.DIGITAL_METHODS if need.track == "digital" else vocab.GREEN_METHODS)
    steps = _STEPS["digital" if need.track == "digital" else "green"]
    months = rng.randint(4, 18)
    n_steps = rng.randint(3, 5)
    cut = sorted(rng.sample(range(1, months), n_steps - 1)) if months > n_steps else list(range(1, n_steps))
    bounds = [0, *cut, months]
    timeline = (
        "；".join(
            f"第{bounds[k] + 1}{'–' + str(bounds[k + 1]) if bounds[k + 1] > bounds[k] + 1 else ''}月：{steps[k].replace('{x}', tech)}"
            for k in range(n_steps)
        )
        + "。"
    )
    item = _pick(rng, provider.items)
    approach = _pick(
        rng,
        (
            f"针对“{need.title}”，拟采用{method}路线：{steps[0].replace('{x}', tech)}，在此基础上{steps[1].replace('{x}', tech)}，确保{need.indicators[0]}。",
            f"我方在{tech}方面有成熟积累，建议分两期实施：一期完成诊断与方案验证，二期推广。核心技术为{method}，可对标{need.indicators[-1]}。",
            f"结合{item.title}的成果，提出“{method}+现场迭代”的方案，重点解决{re.split(r'[，；]', need.problem)[0]}。",
        ),
    )
    team = (
        f"项目负责人{_person(rng)}（{_pick(rng, ('教授', '研究员', '高级工程师', '正高级工程师', '副教授', '技术总监'))}），"
        f"团队{rng.randint(4, 15)}人，其中博士{rng.randint(1, 5)}人、现场工程师{rng.randint(2, 6)}人。"
    )
    record = f"近五年完成同类项目{rng.randint(2, 20)}项；代表成果：{item.title}（{item.year}年）。"
    price = max(10, int(round(rng.uniform(need.budget_min * 0.8, need.budget_max * 1.15) / 5.0) * 5))
    return {"approach": approach, "team": team, "track_record": record, "timeline": timeline, "price": price,
            "duration_months": months}  # fmt: skip


def _live_history(
    rng: random.Random, needs: list[DemoNeed], providers: list[DemoProvider]
) -> tuple[list[DemoNeed], list[DemoResponse], list[DemoDeal]]:
    """What happened to every published need up to ``DEMO_TODAY``: responses, a selection, a deal
    moving through its stages on realistic gaps (stopping at today), failures, withdrawals and
    expiries. The need's final status follows from that story, never the other way round."""
    responses: list[DemoResponse] = []
    deals: list[DemoDeal] = []
    demo_provider = next(p for p in providers if p.name == DEMO_PROVIDER_NAME)
    tech_by_arch = {a.key: a.tech for a in all_archetypes()}
    out: list[DemoNeed] = []

    def candidates(need: DemoNeed, k: int) -> list[DemoProvider]:
        scored = sorted(providers, key=lambda p: (-_fit_score(p, need), rng.random()))
        top = [p for p in scored[:12] if _fit_score(p, need) > 0] or scored[:12]
        if demo_provider in scored[:25] and _fit_score(demo_provider, need) > 0 and rng.random() < 0.3:
            return [demo_provider, *[p for p in top if p is not demo_provider]][:k]
        return rng.sample(top, min(k, len(top)))

    def respond(
        need: DemoNeed, provider: DemoProvider, status: str, submitted: dt.date, decided: dt.date | None,
        reason: str | None = None,
    ) -> DemoResponse:  # fmt: skip
        texts = _response_texts(rng, need, provider, tech_by_arch[need.archetype])
        note = None
        if status != "declined":
            reason = None
        else:
            if reason is None:
                reason = _pick(rng, vocab.DECLINE_REASONS)
                if int(texts["price"]) > need.budget_max and rng.random() < 0.6:  # type: ignore[call-overload]
                    reason = "报价超出预算"
            note = _pick(rng, _DECLINE_NOTES[reason]) if reason in _DECLINE_NOTES else None
        r = DemoResponse(
            key=f"resp-{len(responses) + 1:04d}", need_key=need.key, provider_key=provider.key, status=status,
            decline_reason=reason, decline_note=note, submitted_at=_at(submitted, rng),
            decided_at=_at(decided, rng) if decided else None, **texts,  # type: ignore[arg-type]
        )  # fmt: skip
        responses.append(r)
        return r

    for need in needs:
        if need.published_at is None:
            out.append(need)
            continue
        pub = need.published_at.date()
        year = pub.year
        roll = rng.random()
        deal_share = _DEAL_SHARE[year]
        first_response = pub + dt.timedelta(days=rng.randint(5, 30))
        if roll < deal_share and first_response < DEMO_TODAY - dt.timedelta(days=15):
            ps = candidates(need, rng.randint(1, 3))
            decided = min(DEMO_TODAY, first_response + dt.timedelta(days=rng.randint(10, 30)))
            chosen = respond(need, ps[0], "selected", first_response, decided)
            for p in ps[1:]:
                sub = first_response + dt.timedelta(days=rng.randint(0, 8))
                own = rng.random() < 0.5
                respond(need, p, "declined", sub, decided, None if own else "已选定其他揭榜方")
            aims = _DEAL_AIMS if year >= 2025 else {k: v for k, v in _DEAL_AIMS.items() if k != "intent"}
            aim = _weighted(rng, aims)
            deal = _simulate_deal(rng, len(deals) + 1, need, chosen, decided, aim)
            deals.append(deal)
            status = {"matched": "selected", "intent": "selected", "signed": "contracted",
                      "in_progress": "contracted", "accepted": "contracted", "converted": "converted",
                      "failed": "closed"}[deal.stage]  # fmt: skip
            closed = deal.closed_on if deal.stage in ("converted", "failed") else None
            out.append(replace(need, status=status, closed_at=_at(closed, rng) if closed else None))
            continue
        # No deal: a few withdrawals and owner closures, the rest open until their deadline.
        fate = rng.random()
        n_resp = rng.choice((0, 0, 1, 1, 2))
        if fate < 0.05:
            end = min(DEMO_TODAY, pub + dt.timedelta(days=rng.randint(20, 150)))
            for p in candidates(need, n_resp):
                sub = min(end, pub + dt.timedelta(days=rng.randint(3, 20)))
                gone = rng.random() < 0.3  # the provider withdrew first; else the platform declines
                respond(need, p, "withdrawn" if gone else "declined", sub, end, None if gone else "需求已撤回")
            out.append(replace(need, status="withdrawn", closed_at=_at(end, rng)))
            continue
        if fate < 0.1 and year <= 2024:
            end = pub + dt.timedelta(days=rng.randint(60, 300))
            for p in candidates(need, n_resp):
                respond(need, p, "declined", pub + dt.timedelta(days=rng.randint(3, 40)), end)
            out.append(replace(need, status="closed", closed_at=_at(end, rng)))
            continue
        if need.deadline < DEMO_TODAY:
            end = need.deadline + dt.timedelta(days=1)
            for p in candidates(need, n_resp):
                sub = pub + dt.timedelta(days=rng.randint(3, 60))
                respond(need, p, "declined", sub, end, _pick(rng, ("需求已过截止日期", "方案不满足指标要求")))
            out.append(replace(need, status="expired", closed_at=_at(end, rng)))
            continue
        ps = candidates(need, n_resp) if first_response < DEMO_TODAY else []
        for p in ps:
            sub = min(DEMO_TODAY, pub + dt.timedelta(days=rng.randint(3, 60)))
            st = rng.choice(("submitted", "submitted", "shortlisted", "declined"))
            answered = min(DEMO_TODAY, sub + dt.timedelta(days=rng.randint(5, 30))) if st != "submitted" else None
            respond(need, p, st, sub, answered)
        out.append(replace(need, status="taken_up" if ps else "published"))
    return out, responses, deals


def _simulate_deal(
    rng: random.Random, n: int, need: DemoNeed, resp: DemoResponse, selected: dt.date, aim: str
) -> DemoDeal:
    """The deal's stages from the selection on, each after a realistic gap, stopping at today."""
    last = {"converted": "converted", "accepted": "accepted", "in_progress": "in_progress",
            "failed": _pick(rng, ("signed", "in_progress")), "intent": "intent"}[aim]  # fmt: skip
    history: list[DemoDealEvent] = []
    day = selected
    for st in _DEAL_ORDER[: _DEAL_ORDER.index(last) + 1]:
        lo, hi = _STAGE_GAPS[st]
        nxt = day + dt.timedelta(days=rng.randint(lo, hi))
        if nxt > DEMO_TODAY:
            break
        day = nxt
        history.append(DemoDealEvent(stage=st, on=day, note=_EVENT_NOTES[st]))
    if not history:  # selected a few days ago: the deal opens on the day of selection
        history.append(DemoDealEvent(stage="matched", on=selected, note=_EVENT_NOTES["matched"]))
    stage = history[-1].stage
    failure = conversion = None
    closed_on = None
    if aim == "failed" and stage == last:
        end = day + dt.timedelta(days=rng.randint(20, 120))
        if end <= DEMO_TODAY:
            failure = _pick(rng, _FAIL_REASONS)
            history.append(DemoDealEvent(stage="failed", on=end, note=failure))
            stage, closed_on = "failed", end
    if stage == "converted":
        closed_on = day
        conversion = fill(
            _pick(rng, _CONVERSION_NOTES).replace("{n}", "{2-12}").replace("{m}", "{200-5000}"), {}, rng
        )
    signed_on = next((e.on for e in history if e.stage == "signed"), None)
    amount = int(round(resp.price * rng.uniform(0.85, 1.02) / 5.0) * 5) if signed_on else None
    return DemoDeal(
        key=f"deal-{n:03d}", need_key=need.key, response_key=resp.key, enterprise_key=need.enterprise_key,
        provider_key=resp.provider_key, title=need.title, stage=stage, amount=amount, matched_on=history[0].on,
        signed_on=signed_on, closed_on=closed_on, failure_reason=failure, conversion_note=conversion,
        history=tuple(history),
    )  # fmt: skip


# ------------------------------------------------------------------------------- recognitions
_EQUIPMENT = {
    "汽车制造": (
        "一体化压铸件柔性精加工单元",
        "新能源汽车电驱壳体智能加工线",
        "EPS转向器智能装配检测线",
        "高压线束端子智能压接机",
    ),
    "电子信息": (
        "高速MLCC六面外观分选机",
        "光模块多通道自动耦合设备",
        "PCB AI复判工作站",
        "功率模块银烧结设备",
    ),
    "家电": (
        "集成灶智能总装检测线",
        "家电整机声学智能检测系统",
        "冰箱箱体环保发泡成套装备",
        "空调换热器自动钎焊机",
    ),
    "光伏": ("TOPCon电池激光SE设备", "光伏组件三腔层压机", "组件EL/外观一体化检测设备", "0BB电池串焊机"),
    "造纸": ("纸机热泵供汽系统成套装备", "单级高速透平真空泵", "纸卷自动包装线", "纸病在线检测与剔除装置"),
    "经编": (
        "高速经编机机上疵点检测装置",
        "蕾丝花边视觉自动裁剪机",
        "电子送经张力闭环控制装置",
        "经编间隔织物双针床经编机",
    ),
    "化工化纤": (
        "化纤丝饼外观自动检测线",
        "纺丝卷绕自动生头机器人",
        "废丝增黏造粒成套装备",
        "加弹全锭位在线张力监测系统",
    ),
    "石化": (
        "加热炉智能燃烧优化装置",
        "火炬气回收压缩机组",
        "VOCs泄漏光学成像在线监测仪",
        "副产氢PSA提纯装置",
    ),
    "化工": (
        "硝化反应微通道连续流成套装置",
        "渗透汽化溶剂脱水装置",
        "防爆型危化品自动灌装线",
        "结晶过程在线PAT监测系统",
    ),
    "建材": (
        "水泥窑替代燃料预处理与计量喂料系统",
        "PC构件智能布模机器人",
        "岩棉电熔炉",
        "混凝土配合比智能控制系统",
    ),
    "钢铁": ("网带炉智能热处理线", "废钢智能判级系统", "精密钢管在线测量探伤一体机", "无人化智能行车"),
    "有色": (
        "竖炉铜杆智能燃烧控制系统",
        "再生铝LIBS智能分选机",
        "锂电铜箔在线测厚与缺陷检测装置",
        "高真空压铸真空系统",
    ),
}
_MATERIALS = {
    "汽车制造": ("免热处理高强韧压铸铝合金", "高导热电机灌封材料"),
    "电子信息": ("车规级低温银烧结浆料", "高频低损耗覆铜板"),
    "家电": ("家电用高比例再生ABS改性料", "低导热环戊烷聚氨酯硬泡组合料"),
    "光伏": ("N型电池用抗PID POE胶膜", "0BB低温合金镀层焊带", "光伏用镀锌铝镁钢边框"),
    "造纸": ("高强低克重瓦楞原纸", "无氟防油食品包装纸", "高透气卷烟纸"),
    "经编": ("单一材质可回收汽车座椅间隔织物", "可吸收医用经编网片", "低VOC汽车内饰经编面料"),
    "化工化纤": ("化学法再生细旦涤纶长丝", "高模低收缩涤纶工业丝", "原液着色抗菌锦纶6纤维", "生物基PTT纤维"),
    "石化": ("高熔指低灰分聚丙烯专用料", "医用级ABS树脂"),
    "化工": ("电子级低氯环氧树脂", "G5级电子级双氧水", "水性自交联聚氨酯分散体", "生物基多元醇"),
    "建材": ("低熟料系数低碳水泥", "建筑垃圾再生骨料透水砖", "固废基蒸压加气混凝土砌块"),
    "钢铁": ("高纯净GCr15轴承钢棒材", "12.9级高强度冷镦钢盘条", "超细晶精密冷拔钢管"),
    "有色": (
        "4.5μm极薄锂电铜箔",
        "C7025高强高导铜合金带",
        "保级利用再生变形铝合金",
        "3D打印用球形钛合金粉末",
    ),
}
_SOFTWARE = (
    "工业互联网平台",
    "数字孪生工厂系统",
    "智能排产（APS）软件",
    "能碳管理平台",
    "设备预测性维护系统",
    "质量追溯与SPC分析系统",
    "视觉检测AI软件",
    "MES制造执行系统",
    "安全风险监测预警平台",
)
_SOFTWARE_INDUSTRIES = ("汽车制造", "电子信息", "家电", "光伏", "经编", "造纸")
_LEVEL_PREFIX = {
    "municipal": "嘉经信",
    "provincial": "浙经信",
    "national": "工信部",
    "international": "国际首台",
}


# Per recognition year: new first-of-kind products recognised at 市内 level or higher, of which at
# 省内 or higher (the 2022 target is 80 municipal+; cumulative provincial+ 40 by 2023, 100 by 2025).
_RECOGNITION_PLAN = {2022: (90, 24), 2023: (72, 22), 2024: (74, 28), 2025: (80, 32), 2026: (64, 22)}
_TECH_CENTRES_2022 = 86  # the seed's task 9 asks for 80 or more
_UPGRADES_PER_YEAR = 6  # earlier 市内 products recognised again at 省内 (就高不重复: the difference is paid)
_OTHER_CATEGORIES = (  # (category, level, weight, product-name pattern)
    ("tech_center", "municipal", 6, "{s}市级企业技术中心"),
    ("tech_center", "provincial", 3, "{s}省级企业技术中心"),
    ("tech_center", "national", 1, "{s}国家企业技术中心"),
    ("innovation_center", "provincial", 1, "浙江省{i}制造业创新中心（{s}牵头）"),
    ("innovation_center", "national", 1, "国家{i}制造业创新中心（{s}参建）"),
    ("innovation_project", "municipal", 4, "{s}{p}技术创新项目"),
    ("innovation_project", "provincial", 2, "{s}{p}省级重点技术创新项目"),
    ("innovation_project", "provincial_new_product", 3, "{s}{p}（省级新产品）"),
)
_TECH_CENTER_PREFIX = {"municipal": "嘉经信", "provincial": "浙经信", "national": "发改高技"}


def _make_recognitions(
    rng: random.Random,
    enterprises: list[DemoEnterprise],
    deals: list[DemoDeal],
    needs_by_key: dict[str, DemoNeed],
) -> list[DemoRecognition]:
    out: list[DemoRecognition] = []
    used_names: set[tuple[str, str]] = set()
    ent_by_key = {e.key: e for e in enterprises}

    def product_for(ent: DemoEnterprise, category: str) -> str:
        pool = {"software": _SOFTWARE, "material": _MATERIALS[ent.industry], "equipment": _EQUIPMENT[ent.industry]}
        base = _pick(rng, pool[category])
        names = [base, f"{ent.short_name}{base}"] + [f"{ent.short_name}{base}（第{k}代）" for k in range(2, 40)]
        name = next(n for n in names if (ent.key, n) not in used_names)
        used_names.add((ent.key, name))
        return name

    def add(
        ent: DemoEnterprise, category: str, level: str, product: str, year: int, status: str,
        deal_key: str | None, desc: str,
    ) -> DemoRecognition:  # fmt: skip
        applied = min(dt.date(year, rng.randint(3, 8), rng.randint(1, 28)), DEMO_TODAY - dt.timedelta(days=20))
        decided = None
        if status != "applied":
            decided = min(DEMO_TODAY, dt.date(year, 12, 28), applied + dt.timedelta(days=rng.randint(40, 110)))
        cert = None
        if status == "recognised":
            prefix = _TECH_CENTER_PREFIX[level] if category == "tech_center" else _LEVEL_PREFIX.get(level, "浙经信")
            cert = (
                f"{prefix}〔{year}〕{rng.randint(10, 180)}号"
                if level != "international"
                else f"CHN-FIRST-{year}-{rng.randint(100, 999)}"
            )
        insured = premium = None
        # Only 首台（套） carries the insurance subsidy (the policy has none for 首批次); the draw
        # stays so the rest of the corpus is as before.
        if category in ("equipment", "material") and rng.random() < 0.3 and category == "equipment":
            insured = float(rng.choice((200, 300, 500, 800, 1200)))
            premium = round(insured * rng.uniform(0.008, 0.02), 1)
        rec = DemoRecognition(
            key=f"rec-{len(out) + 1:03d}", enterprise_key=ent.key, category=category, level=level,
            product_name=product, description=desc, year=year, status=status, certificate_no=cert,
            deal_key=deal_key, applied_on=applied, decided_on=decided, insured_value=insured, premium=premium,
        )  # fmt: skip
        out.append(rec)
        return rec

    def desc_for() -> str:
        return _pick(
            rng,
            (
                f"产品关键性能指标达到{_pick(rng, ('国内领先', '省内首创', '国际先进'))}水平，已在{rng.randint(2, 30)}家用户应用。",
                f"打破国外垄断，实现进口替代，首年销售{rng.randint(3, 80)}台（套/吨）。",
                f"填补{_pick(rng, ('省内', '国内', '市内'))}空白，相关技术已申请发明专利{rng.randint(2, 12)}件。",
            ),
        )

    def category_for(ent: DemoEnterprise) -> str:
        cat = rng.choices(("equipment", "material", "software"), weights=(48, 37, 15))[0]
        if cat == "software" and ent.industry not in _SOFTWARE_INDUSTRIES:
            cat = "equipment"
        return cat

    # Products grown out of accepted or converted deals come first, in the year after acceptance.
    from_deals: dict[int, list[tuple[DemoEnterprise, str, str]]] = defaultdict(list)
    for deal in deals:
        if deal.stage not in ("converted", "accepted") or rng.random() > 0.6:
            continue
        need = needs_by_key[deal.need_key]
        ent = ent_by_key[deal.enterprise_key]
        year = min(2026, deal.history[-1].on.year + rng.randint(0, 1))
        from_deals[year].append((ent, deal.key, f"依托揭榜项目“{need.title}”研制，{need.indicators[0]}。"))
    municipal_only: list[DemoRecognition] = []
    for year, (total, provincial) in _RECOGNITION_PLAN.items():
        levels = ["municipal"] * (total - provincial) + [
            rng.choices(("provincial", "national", "international"), weights=(74, 21, 5))[0] for _ in range(provincial)
        ]
        rng.shuffle(levels)
        linked = from_deals.get(year, [])
        for k, level in enumerate(levels):
            if k < len(linked):
                ent, deal_key, desc = linked[k]
            else:
                ent, deal_key, desc = _pick(rng, enterprises), None, desc_for()
            cat = category_for(ent)
            rec = add(ent, cat, level, product_for(ent, cat), year, "recognised", deal_key, desc)
            if level == "municipal":
                municipal_only.append(rec)
        # Upgrades of earlier municipal products (not a second municipal+ product).
        earlier = [r for r in municipal_only if r.year < year]
        for prev in rng.sample(earlier, min(_UPGRADES_PER_YEAR, len(earlier))):
            municipal_only.remove(prev)
            add(ent_by_key[prev.enterprise_key], prev.category, "provincial", prev.product_name, year, "recognised",
                prev.deal_key, f"在{prev.year}年市内首台（套）认定基础上升级认定为省内首台（套）。")  # fmt: skip
        # Applications that did not pass, and (this year) some still under way.
        for status, n in (("rejected", 7), ("applied", 14 if year == DEMO_TODAY.year else 0),
                          ("reviewed", 10 if year == DEMO_TODAY.year else 0)):  # fmt: skip
            for _ in range(n):
                ent = _pick(rng, enterprises)
                cat = category_for(ent)
                level = rng.choices(("municipal", "provincial", "national"), weights=(60, 32, 8))[0]
                add(ent, cat, level, product_for(ent, cat), year, status, None, desc_for())
        # Other recognised categories: enterprise technology centres, innovation centres, projects.
        for _ in range(14):
            ent = _pick(rng, enterprises)
            category, level, _w, pattern = rng.choices(_OTHER_CATEGORIES, weights=[c[2] for c in _OTHER_CATEGORIES])[0]
            product = pattern.format(s=ent.short_name, i=vocab.INDUSTRY_PROFILES[ent.industry].short,
                                     p=_pick(rng, vocab.INDUSTRY_PROFILES[ent.industry].products))  # fmt: skip
            if (ent.key, product) in used_names:
                continue
            used_names.add((ent.key, product))
            add(ent, category, level, product, year, "recognised", None, f"{ent.name}经认定为{product}。")
    # Seed task 9: 80+ new municipal enterprise technology centres in 2022, a campaign of its own
    # (its own random stream, so the draws above stay as they were), counties by their performance.
    centre_rng = random.Random("tech-centres-2022")
    have_centre = {r.enterprise_key for r in out if r.category == "tech_center"}
    candidates = [e for e in enterprises if e.key not in have_centre]
    weights = [COUNTY_PERFORMANCE.get(e.county, 1.0) ** 3 for e in candidates]
    chosen: list[DemoEnterprise] = []
    while candidates and len(chosen) < _TECH_CENTRES_2022:
        i = centre_rng.choices(range(len(candidates)), weights=weights)[0]
        chosen.append(candidates.pop(i))
        weights.pop(i)
    for ent in chosen:
        product = f"{ent.short_name}市级企业技术中心"
        used_names.add((ent.key, product))
        add(ent, "tech_center", "municipal", product, 2022, "recognised", None, f"{ent.name}经认定为{product}。")
    out.sort(key=lambda r: (r.year, r.decided_on or r.applied_on, r.key))
    return out


# How each county performs against its share (1.0 = exactly its share): some ahead, some behind,
# 海盐县 clearly lagging. County targets are set so that completion rates follow these factors.
COUNTY_PERFORMANCE = {"南湖区": 1.15, "秀洲区": 1.04, "嘉善县": 0.96, "平湖市": 1.09, "海盐县": 0.58, "海宁市": 0.9,
                      "桐乡市": 1.02}  # fmt: skip
# Yearly targets the bureau set for the years the policy names none (metric, year, value).
_BUREAU_TARGETS = (
    ("needs_published", 2024, 100), ("needs_published", 2026, 110),
    ("deals_signed", 2023, 60), ("deals_signed", 2024, 55), ("deals_signed", 2025, 55), ("deals_signed", 2026, 60),
    ("first_of_kind_municipal", 2023, 70), ("first_of_kind_municipal", 2024, 70),
    ("first_of_kind_municipal", 2025, 75), ("first_of_kind_municipal", 2026, 75),
    ("first_of_kind_provincial", 2026, 25),
)  # fmt: skip
_POLICY_TARGETS = (
    ("needs_published", 2022, 200, False, "2022年发布企业技术需求200项"),
    ("needs_published", 2023, 300, True, "到2023年累计发布技术需求300项"),
    ("needs_published", 2025, 500, True, "到2025年累计发布技术需求500项"),
    ("deals_signed", 2022, 100, False, "2022年实现揭榜对接转化100项"),
    ("first_of_kind_municipal", 2022, 80, False, "2022年认定市级及以上首台（套）、首批次、首版次产品80项"),
    ("first_of_kind_provincial", 2023, 40, True, "到2023年累计认定省级及以上首台（套）等产品40项"),
    ("first_of_kind_provincial", 2025, 100, True, "到2025年累计认定省级及以上首台（套）等产品100项"),
    ("tech_centers_municipal", 2022, 80, False, "2022年新增市级以上企业技术中心80家以上"),
)
_METRIC_LABEL = {"needs_published": "发布技术需求", "deals_signed": "揭榜对接转化", "first_of_kind_municipal":
                 "市级及以上首台（套）等认定", "first_of_kind_provincial": "省级及以上首台（套）等认定",
                 "tech_centers_municipal": "新增市级以上企业技术中心"}  # fmt: skip
_RANK = {"municipal": 1, "provincial": 2, "national": 3, "international": 4}


def metric_events(corpus_parts: tuple[list[DemoNeed], list[DemoDeal], list[DemoRecognition]],
                  counties: dict[str, str]) -> dict[str, list[tuple[int, str]]]:  # fmt: skip
    """(year, county) of every event each target metric counts, as market.targets.metrics
    defines them (for the county splits; the dashboard reads the database itself)."""
    needs, deals, recs = corpus_parts
    by_key = {n.key: n for n in needs}
    out: dict[str, list[tuple[int, str]]] = {m: [] for m in _METRIC_LABEL}
    out["needs_published"] = [(n.published_at.year, n.county) for n in needs if n.published_at]
    out["deals_signed"] = [(d.signed_on.year, by_key[d.need_key].county) for d in deals if d.signed_on]
    for metric, rank in (("first_of_kind_municipal", 1), ("first_of_kind_provincial", 2)):
        seen: set[tuple[str, str, str]] = set()
        for r in sorted(recs, key=lambda r: (r.year, r.decided_on or r.applied_on)):
            if r.status != "recognised" or r.category not in ("equipment", "material", "software"):
                continue
            if _RANK[r.level] < rank or (r.enterprise_key, r.category, r.product_name) in seen:
                continue
            seen.add((r.enterprise_key, r.category, r.product_name))
            out[metric].append((r.year, counties[r.enterprise_key]))
    seen_centres: set[str] = set()
    for r in sorted(recs, key=lambda r: (r.year, r.decided_on or r.applied_on)):
        if r.status == "recognised" and r.category == "tech_center" and r.enterprise_key not in seen_centres:
            seen_centres.add(r.enterprise_key)
            out["tech_centers_municipal"].append((r.year, counties[r.enterprise_key]))
    return out


def _split(value: int, actual: Counter[str]) -> dict[str, int]:
    weights = {c: max(actual.get(c, 0), 1) / p for c, p in COUNTY_PERFORMANCE.items()}
    total = sum(weights.values())
    split = {c: max(1, round(value * w / total)) for c, w in weights.items()}
    biggest = max(split, key=lambda c: split[c])
    split[biggest] += value - sum(split.values())
    return split


def _make_targets(events: dict[str, list[tuple[int, str]]]) -> list[DemoTarget]:
    specs = [(m, y, v, cum, note, "policy") for m, y, v, cum, note in _POLICY_TARGETS]
    specs += [(m, y, v, False, f"{y}年{_METRIC_LABEL[m]}{v}项（年度工作目标）", "bureau") for m, y, v in _BUREAU_TARGETS]
    out: list[DemoTarget] = []
    for metric, year, value, cumulative, note, source in specs:
        key = f"tgt-{metric}-{year}"
        out.append(DemoTarget(key, metric, year, value, cumulative, note, source=source))
        actual = Counter(c for y, c in events[metric] if (2022 <= y <= year if cumulative else y == year))
        for county, part in _split(value, actual).items():
            out.append(DemoTarget(f"{key}-{vocab.COUNTIES[county]}", metric, year, part, cumulative,
                                  f"{county}分解任务", county=county, source="bureau"))  # fmt: skip
    return out


def _make_users(
    rng: random.Random, bureau: DemoBureau, enterprises: list[DemoEnterprise], providers: list[DemoProvider]
) -> list[DemoUser]:
    users: list[DemoUser] = []

    def add(email: str, name: str, org: str, role: str, well_known: bool = False) -> None:
        users.append(
            DemoUser(f"user-{len(users) + 1:04d}", email, name, org, role, DEMO_PASSWORD, well_known)
        )

    add(DEMO_BUREAU_LOGIN, f"{_person(rng)}（科技局管理员）", bureau.key, "bureau_admin", True)
    add(f"shenhe@{DEMO_DOMAIN}", f"{_person(rng)}（需求审核）", bureau.key, "bureau_reviewer")
    add(f"shenhe02@{DEMO_DOMAIN}", f"{_person(rng)}（需求审核）", bureau.key, "bureau_reviewer")
    add(DEMO_EXPERT_LOGIN, f"{_person(rng)}（评审专家）", bureau.key, "expert", True)
    for i in range(2, 9):
        add(f"zhuanjia{i:02d}@{DEMO_DOMAIN}", f"{_person(rng)}（评审专家）", bureau.key, "expert")
    for i, e in enumerate(enterprises, start=1):
        add(f"ent{i:03d}@{DEMO_DOMAIN}", e.contact_name, e.key, "org_admin")
    add(
        DEMO_ENTERPRISE_LOGIN,
        f"{_person(rng)}（{enterprises[0].short_name}）",
        enterprises[0].key,
        "org_admin",
        True,
    )
    demo_provider = next(p for p in providers if p.name == DEMO_PROVIDER_NAME)
    for i, p in enumerate(providers, start=1):
        add(f"pro{i:03d}@{DEMO_DOMAIN}", p.contact_name, p.key, "org_admin")
    add(DEMO_PROVIDER_LOGIN, f"{_person(rng)}（{demo_provider.name}）", demo_provider.key, "org_admin", True)
    return users


# ------------------------------------------------------------------------------------ assembly
def generate_corpus(seed: int = 2026) -> DemoCorpus:
    """Build the whole demo corpus from ``seed``; identical seeds give identical corpora."""
    rng = random.Random(seed)
    archetypes = all_archetypes()
    bureau = _make_bureau(rng)
    enterprises = _make_enterprises(rng)
    providers = _make_providers(rng, archetypes)

    batches_meta: list[tuple[str, int, int, dt.date | None, int]] = [
        (f"batch-{y}-{n}", y, n, day, count) for y, n, day, count in _BATCH_PLAN
    ] + [(f"batch-{y}-{n}", y, n, None, count) for y, n, _st, _ns, _ne, _p, count in _OPEN_BATCHES]
    drafts = _make_needs(rng, enterprises, archetypes)
    _assign_lifecycle(rng, drafts, batches_meta)
    drafts.sort(key=lambda d: (d["created_at"], d["title"]))
    needs = [DemoNeed(key=f"need-{i:04d}", **d) for i, d in enumerate(drafts, start=1)]  # type: ignore[arg-type]

    batches: list[DemoBatch] = []
    for y, number, day, _count in _BATCH_PLAN:
        bkey = f"batch-{y}-{number}"
        batches.append(
            DemoBatch(
                key=bkey, year=y, number=number, title=f"{y}年第{number}批", status="published", published_on=day,
                collect_from=day - dt.timedelta(days=100), collect_until=day - dt.timedelta(days=21),
                need_keys=tuple(n.key for n in needs if n.batch_key == bkey), notice_start=day - dt.timedelta(days=14),
                notice_end=day - dt.timedelta(days=7), publish_on=day,
            )
        )  # fmt: skip
    for y, number, status, notice_start, notice_end, publish_on, _count in _OPEN_BATCHES:
        bkey = f"batch-{y}-{number}"
        collect_until = (notice_start or DEMO_TODAY + dt.timedelta(days=60)) - dt.timedelta(days=10)
        batches.append(
            DemoBatch(
                key=bkey, year=y, number=number, title=f"{y}年第{number}批", status=status, published_on=None,
                collect_from=collect_until - dt.timedelta(days=80), collect_until=collect_until,
                need_keys=tuple(n.key for n in needs if n.batch_key == bkey), notice_start=notice_start,
                notice_end=notice_end, publish_on=publish_on,
            )
        )  # fmt: skip

    needs, responses, deals = _live_history(rng, needs, providers)
    needs_by_key = {n.key: n for n in needs}
    recognitions = _make_recognitions(rng, enterprises, deals, needs_by_key)
    users = _make_users(rng, bureau, enterprises, providers)
    corpus = DemoCorpus(
        seed=seed,
        bureaus=[bureau],
        enterprises=enterprises,
        providers=providers,
        batches=batches,
        needs=needs,
        responses=responses,
        deals=deals,
        recognitions=recognitions,
        targets=_make_targets(metric_events((needs, deals, recognitions), {e.key: e.county for e in enterprises})),
        users=users,
    )
    corpus.stats.update(
        {
            "enterprises": len(enterprises),
            "providers": len(providers),
            "capability_items": sum(len(p.items) for p in providers),
            "needs": len(needs),
            "batches": len(batches),
            "responses": len(responses),
            "deals": len(deals),
            "recognitions": len(recognitions),
            "users": len(users),
        }
    )
    return corpus
