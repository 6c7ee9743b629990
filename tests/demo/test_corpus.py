# ruff: noqa: E501  (Chinese text literals: ruff counts CJK characters as double width)
"""The demo corpus is deterministic, large enough, varied, and internally consistent."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter

import pytest

from demo import vocab
from demo.corpus import (
    DEMO_BUREAU_LOGIN,
    DEMO_ENTERPRISE_LOGIN,
    DEMO_EXPERT_LOGIN,
    DEMO_PASSWORD,
    DEMO_PROVIDER_LOGIN,
    DEMO_TODAY,
    DemoCorpus,
    DemoNeed,
    credit_code_is_fictional,
    credit_code_is_valid,
    generate_corpus,
)
from demo.problems import all_archetypes
from market import vocab as market_vocab
from market.orgs import credit_code as uscc

NEED_STATUSES = {
    "draft",
    "submitted",
    "returned",
    "approved",
    "published",
    "taken_up",
    "selected",
    "contracted",
    "converted",
    "closed",
    "withdrawn",
    "expired",
}
RESPONSE_STATUSES = {"submitted", "shortlisted", "selected", "declined", "withdrawn"}
DEAL_STAGES = {"matched", "intent", "signed", "in_progress", "accepted", "converted", "failed"}


@pytest.fixture(scope="module")
def corpus() -> DemoCorpus:
    return generate_corpus(2026)


def test_same_seed_gives_identical_corpus(corpus: DemoCorpus) -> None:
    assert generate_corpus(2026) == corpus


def test_other_seed_gives_other_corpus(corpus: DemoCorpus) -> None:
    other = generate_corpus(7)
    assert [n.title for n in other.needs] != [n.title for n in corpus.needs]


def test_counts_and_coverage(corpus: DemoCorpus) -> None:
    assert 170 <= len(corpus.enterprises) <= 200
    assert len(corpus.providers) >= 150
    assert len(corpus.needs) >= 700
    assert 700 <= len(corpus.responses) <= 1200
    assert 250 <= len(corpus.deals) <= 450
    assert 400 <= len(corpus.recognitions) <= 650
    assert {n.county for n in corpus.needs} == set(vocab.COUNTIES)
    assert {n.industry for n in corpus.needs} == set(vocab.INDUSTRIES)
    assert {n.track for n in corpus.needs} == {"digital", "green", "both"}
    assert {p.kind for p in corpus.providers} == {"university", "institute", "provider"}
    assert all(3 <= len(p.items) <= 12 for p in corpus.providers)
    assert {n.status for n in corpus.needs} == NEED_STATUSES
    assert {d.stage for d in corpus.deals} == DEAL_STAGES
    assert {r.category for r in corpus.recognitions} == {
        "equipment", "material", "software", "tech_center", "innovation_center", "innovation_project"
    }  # fmt: skip
    assert {r.level for r in corpus.recognitions} == {
        "international", "national", "provincial", "municipal", "provincial_new_product"
    }  # fmt: skip
    assert {r.status for r in corpus.recognitions} == {"applied", "reviewed", "recognised", "rejected"}


def test_every_industry_has_fifteen_problem_archetypes() -> None:
    per_industry = Counter(a.industry for a in all_archetypes())
    assert set(per_industry) == set(vocab.INDUSTRIES)
    assert min(per_industry.values()) >= 14


def test_most_needs_are_published_in_batches(corpus: DemoCorpus) -> None:
    statuses = Counter(n.status for n in corpus.needs)
    in_batches = sum(1 for n in corpus.needs if n.batch_key)
    assert in_batches / len(corpus.needs) > 0.75
    assert statuses["published"] > statuses["draft"]
    assert Counter(n.disclosure for n in corpus.needs).most_common(1)[0][0] == "public"
    assert 0 < sum(n.anonymous for n in corpus.needs) < len(corpus.needs) / 3
    published_batches = [b for b in corpus.batches if b.status == "published"]
    assert {b.year for b in published_batches} == {2022, 2023, 2024, 2025, 2026}
    assert all(b.need_keys for b in published_batches)
    # Every batch state: one on 公示 now, one scheduled, one being compiled.
    assert {b.status for b in corpus.batches} == {"draft", "notice", "scheduled", "published"}
    notice = next(b for b in corpus.batches if b.status == "notice")
    assert notice.notice_start and notice.notice_end and notice.notice_start <= DEMO_TODAY <= notice.notice_end
    assert notice.need_keys


def test_need_fields_are_concrete(corpus: DemoCorpus) -> None:
    for n in corpus.needs:
        assert "{" not in n.description + n.title + "".join(n.indicators)
        assert 3 <= len(n.indicators) <= 5
        assert any(re.search(r"\d", ind) for ind in n.indicators)
        assert 20 <= n.budget_min < n.budget_max <= 800
        assert (n.published_at or n.created_at).date() < n.deadline <= dt.date(2027, 12, 31)
        assert (n.deadline < DEMO_TODAY) <= (n.status in {"expired", "contracted", "converted", "closed",
                                                          "withdrawn", "selected"})  # fmt: skip
        assert n.cooperation_mode in vocab.COOPERATION_MODES
        assert n.disclosure in {"public", "nda", "invite"}
        assert len(n.summary) < 120 and len(n.description) > 40


def test_titles_are_distinct(corpus: DemoCorpus) -> None:
    titles = [n.title for n in corpus.needs]
    assert len(set(titles)) == len(titles)


def _grams(text: str, n: int = 5) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def test_descriptions_do_not_share_a_skeleton(corpus: DemoCorpus) -> None:
    """No two needs read as the same template with nouns swapped: low pairwise 5-gram overlap."""
    grams = [_grams(n.description) for n in corpus.needs]
    worst = max(len(a & b) / len(a | b) for a, b in itertools.combinations(grams, 2))
    assert worst < 0.5
    # Skeleton: the description with every number and every CJK run longer than 3 chars masked.
    skeletons = [re.sub(r"[\u4e00-\u9fff]{4,}|\d+(\.\d+)?", "·", n.description) for n in corpus.needs]
    assert len(set(skeletons)) / len(skeletons) > 0.95


def _unique_5grams(needs: list[DemoNeed]) -> float:
    grams = [g for n in needs for g in (n.description[i : i + 5] for i in range(len(n.description) - 4))]
    return len(set(grams)) / len(grams)


def test_description_5gram_diversity(corpus: DemoCorpus) -> None:
    # What a visitor browses is a year's lists: each year's needs keep the bar the 336-need corpus
    # had (> 0.55). Over all five years (708 needs from 180 archetypes) the share is lower.
    by_year: dict[int, list[DemoNeed]] = {}
    for n in corpus.needs:
        by_year.setdefault(n.published_at.year if n.published_at else 0, []).append(n)
    assert all(_unique_5grams(ns) > 0.55 for ns in by_year.values())
    assert _unique_5grams(corpus.needs) > 0.35


def test_referential_integrity(corpus: DemoCorpus) -> None:
    ents = {e.key for e in corpus.enterprises}
    provs = {p.key for p in corpus.providers}
    needs = {n.key: n for n in corpus.needs}
    batches = {b.key for b in corpus.batches}
    responses = {r.key: r for r in corpus.responses}
    deals = {d.key for d in corpus.deals}
    all_keys = [*ents, *provs, *needs, *batches, *responses, *deals, *(r.key for r in corpus.recognitions)]
    assert len(all_keys) == len(set(all_keys))
    for n in corpus.needs:
        assert n.enterprise_key in ents
        assert n.batch_key is None or n.batch_key in batches
    for b in corpus.batches:
        assert all(needs[k].batch_key == b.key for k in b.need_keys)
    assert len({(r.need_key, r.provider_key) for r in corpus.responses}) == len(corpus.responses)
    for r in corpus.responses:
        assert r.provider_key in provs and r.status in RESPONSE_STATUSES
        assert needs[r.need_key].published_at is not None
        assert (r.decline_reason is not None) == (r.status == "declined")
        assert r.decline_reason is None or r.decline_reason in market_vocab.DECLINE_REASONS.values()
    for d in corpus.deals:
        resp = responses[d.response_key]
        assert (
            resp.status == "selected" and resp.need_key == d.need_key and resp.provider_key == d.provider_key
        )
        assert needs[d.need_key].enterprise_key == d.enterprise_key
        assert (d.amount is not None) == (d.signed_on is not None)
        assert [e.on for e in d.history] == sorted(e.on for e in d.history)
    for rec in corpus.recognitions:
        assert rec.enterprise_key in ents
        assert rec.deal_key is None or rec.deal_key in deals
        assert (rec.certificate_no is not None) == (rec.status == "recognised")
    org_keys = corpus.org_keys()
    assert all(u.org_key in org_keys for u in corpus.users)


def test_need_status_matches_deals(corpus: DemoCorpus) -> None:
    deal_by_need = {d.need_key: d for d in corpus.deals}
    for n in corpus.needs:
        deal = deal_by_need.get(n.key)
        if n.status == "converted":
            assert deal is not None and deal.stage == "converted"
        elif n.status == "contracted":
            assert deal is not None and deal.stage in {"signed", "in_progress", "accepted"}
        elif n.status == "selected":
            assert deal is not None and deal.stage in {"matched", "intent"}
        elif n.status != "closed":
            assert deal is None


def test_responders_fit_the_need(corpus: DemoCorpus) -> None:
    providers = {p.key: p for p in corpus.providers}
    needs = {n.key: n for n in corpus.needs}
    fitting = sum(
        1 for r in corpus.responses if set(providers[r.provider_key].fields) & set(needs[r.need_key].fields)
    )
    assert fitting / len(corpus.responses) > 0.9


def test_credit_codes_are_well_formed(corpus: DemoCorpus) -> None:
    codes = [e.credit_code for e in corpus.enterprises] + [p.credit_code for p in corpus.providers]
    assert all(credit_code_is_valid(c) for c in codes)
    assert len(set(codes)) == len(codes)
    assert all(e.credit_code[2:8] == vocab.COUNTIES[e.county] for e in corpus.enterprises)
    # Registration accepts them (the one check-digit rule) ...
    assert all(uscc.is_valid(c) for c in codes)
    # ... yet none can be a code a registry issued: the embedded 组织机构代码 fails its own check.
    assert all(credit_code_is_fictional(c) for c in codes)


def test_no_real_institution_appears(corpus: DemoCorpus) -> None:
    texts = [p.name for p in corpus.providers] + [p.parent_name or "" for p in corpus.providers]
    texts += [p.summary + p.team for p in corpus.providers]
    texts += [i.title + i.description for p in corpus.providers for i in p.items]
    texts += [r.team + r.track_record + r.approach for r in corpus.responses]
    found = {real for real in vocab.REAL_INSTITUTIONS for t in texts if real in t}
    assert not found


def test_demo_logins(corpus: DemoCorpus) -> None:
    by_email = {u.email: u for u in corpus.users}
    assert len(by_email) == len(corpus.users)
    assert by_email[DEMO_ENTERPRISE_LOGIN].org_key == "ent-001"
    assert by_email[DEMO_BUREAU_LOGIN].role == "bureau_admin"
    assert by_email[DEMO_EXPERT_LOGIN].role == "expert"
    provider = by_email[DEMO_PROVIDER_LOGIN]
    assert provider.org_key.startswith("pro-")
    assert all(u.password == DEMO_PASSWORD == "Demo@2026" for u in corpus.users)
    assert by_email["ent001@demo.jiebang.cn"].org_key == "ent-001"
    # The well-known accounts have something to look at.
    assert len({n.status for n in corpus.needs if n.enterprise_key == "ent-001"}) >= 6
    assert sum(1 for r in corpus.responses if r.provider_key == provider.org_key) >= 5


def test_targets_follow_the_policy(corpus: DemoCorpus) -> None:
    t = {(x.metric, x.year): x for x in corpus.targets if x.county is None}
    assert t[("needs_published", 2022)].value == 200
    assert t[("needs_published", 2023)].value == 300 and t[("needs_published", 2023)].cumulative
    assert t[("needs_published", 2025)].value == 500
    assert t[("deals_signed", 2022)].value == 100
    assert t[("first_of_kind_municipal", 2022)].value == 80
    assert t[("first_of_kind_provincial", 2023)].value == 40
    assert t[("first_of_kind_provincial", 2025)].value == 100


def test_capability_items_do_not_reuse_the_need_templates(corpus: DemoCorpus) -> None:
    """Items are written from the providers' own vocabulary: no item carries an archetype's
    technology phrase, which every need of that archetype repeats."""
    phrases = {a.tech for a in all_archetypes() if len(a.tech) >= 6}
    items = [i.title + i.description for p in corpus.providers for i in p.items]
    assert not [t for t in items if any(ph in t for ph in phrases)]


def test_bridge_is_not_shorter_than_in_real_data(corpus: DemoCorpus) -> None:
    """Share of a need title's words found in its partner's closest capability item, against the
    same share in the nsfc evaluation set (project title → the funded institution's closest
    project). Before the items had their own vocabulary the demo figure was 0.19 (and 0.54 for
    the closest item of any provider); the real set gives about 0.27."""
    import os
    from pathlib import Path

    from demo.bridge import demo_bridge, nsfc_bridge

    folder = Path(os.environ.get("JIEBANG_EVAL_DATA", "/work/shared/data")) / "nsfc"
    demo = demo_bridge(corpus)
    assert 0.03 < demo < 0.2  # some words shared, most not
    # Like every real component in this suite, missing evaluation data is an error, not a skip.
    assert (folder / "qrels.tsv").exists(), f"evaluation data not found under {folder} (set JIEBANG_EVAL_DATA)"
    real = nsfc_bridge(folder)
    print(f"bridge: demo {demo:.3f} vs nsfc {real:.3f}")
    assert demo <= real
