"""Index documents built from market records.

Rule (DESIGN.md, "confidential fields never enter a public index"): the public ``needs`` index
is built from ``PUBLIC_NEED_FIELDS``, an explicit allow-list that matches ``NeedPublic`` — what
an anonymous visitor may read. Its key terms and its vector are computed from that public text
only, so neither can leak details. Anonymous needs carry neither ``org_id`` nor ``org_name``.
The bureau index ``needs_all`` carries the detail text for search, but never contact data or
confidentiality terms.

A record's *token* is what the index must reflect (its ``updated_ts``); the worker and the
consistency check compare tokens to know whether an index is current.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from market.needs.models import Need
from market.needs.states import LABELS as NEED_STATUS_LABELS
from market.needs.states import OPEN_FOR_RESPONSES, PUBLIC_STATUSES
from market.orgs.models import PROVIDER_KINDS, Organisation, ProviderProfile, Verification
from market.vocab import ORG_KIND_LABELS, TRACKS
from matching.embedders import Embedder
from search.indexes import EMBEDDER, NEEDS, NEEDS_ALL, PROVIDERS

Doc = dict[str, Any]

PUBLIC_NEED_FIELDS: Final = (
    "id", "title", "summary", "industry", "industry_label", "track", "track_label", "county",
    "county_label", "budget_min_wan", "budget_max_wan", "deadline", "deadline_ts",
    "cooperation_mode", "disclosure", "status", "status_label", "open_rank", "batch_id", "published_ts",
    "updated_ts", "anonymous", "org_id", "org_name", "key_terms",
)  # fmt: skip
# Detail text the bureau searches; contact data and confidentiality terms stay out everywhere.
BUREAU_EXTRA_FIELDS: Final = ("problem", "description", "indicators", "tried", "current_state", "expected_outcome")
NEVER_INDEXED: Final = frozenset({"contact_name", "contact_phone", "confidentiality_terms", "created_by", "demo_key"})

TOPIC_INDEXES: Final = {"need": (NEEDS, NEEDS_ALL), "provider": (PROVIDERS,)}
KEY_TERMS: Final = 12
_CAPABILITY_TEXT_LIMIT: Final = 4000


def ts_ms(value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


def date_ts(value: dt.date | None) -> int | None:
    """A date as epoch seconds at the end of that day in UTC (a deadline day still counts)."""
    if value is None:
        return None
    return int(dt.datetime.combine(value, dt.time(23, 59, 59), dt.UTC).timestamp())


def _key_terms(text: str) -> list[str]:
    from matching.text import keyterms

    return [term for term, _ in keyterms(text, k=KEY_TERMS)]


@dataclass
class PendingDoc:
    """A document waiting for its vector; ``text`` is what gets embedded."""

    index: str
    doc: Doc
    text: str


@dataclass
class Plan:
    """What to write to each index kind for a set of records."""

    upserts: dict[str, list[PendingDoc]] = field(default_factory=dict)
    deletes: dict[str, list[int]] = field(default_factory=dict)
    tokens: dict[tuple[str, int], int | None] = field(default_factory=dict)

    def upsert(self, pending: PendingDoc) -> None:
        self.upserts.setdefault(pending.index, []).append(pending)

    def delete(self, index: str, record_id: int) -> None:
        self.deletes.setdefault(index, []).append(record_id)

    def is_empty(self) -> bool:
        return not any(self.upserts.values()) and not any(self.deletes.values())


# -- needs ----------------------------------------------------------------------------------------


def need_public_text(need: Need) -> str:
    return "\n".join(part for part in (need.title, need.summary) if part)


def need_full_text(need: Need) -> str:
    parts = (need.title, need.summary, need.problem, need.description, need.indicators, need.expected_outcome)
    return "\n".join(part for part in parts if part)


def need_token(need: Need) -> int | None:
    return ts_ms(need.updated_at)


def _need_base(need: Need) -> Doc:
    return {
        "id": need.id,
        "title": need.title,
        "summary": need.summary or "",
        "industry": need.industry,
        "industry_label": need.industry,
        "track": need.track,
        "track_label": TRACKS.get(need.track, need.track),
        "county": need.county,
        "county_label": need.county,
        "budget_min_wan": need.budget_min_wan,
        "budget_max_wan": need.budget_max_wan,
        "deadline": need.deadline.isoformat() if need.deadline else None,
        "deadline_ts": date_ts(need.deadline),
        "cooperation_mode": need.cooperation_mode,
        "disclosure": need.disclosure,
        "status": need.status,
        "status_label": NEED_STATUS_LABELS.get(need.status, need.status),
        # 0: open for responses, listed first in every order; 1: taken up for good or closed.
        "open_rank": 0 if need.status in OPEN_FOR_RESPONSES else 1,
        "batch_id": need.batch_id,
        "published_ts": ts_ms(need.published_at),
        "updated_ts": need_token(need),
        "anonymous": bool(need.anonymous),
    }


def need_public_doc(need: Need, org_name: str | None) -> Doc | None:
    """The public document of a need, or None when the need must not be public."""
    if need.status not in PUBLIC_STATUSES:
        return None
    doc = _need_base(need)
    if not need.anonymous:
        doc["org_id"] = need.org_id
        doc["org_name"] = org_name
    doc["key_terms"] = _key_terms(need_public_text(need))
    # The allow-list is the contract; this keeps a future edit of _need_base honest.
    return {k: v for k, v in doc.items() if k in PUBLIC_NEED_FIELDS}


def need_bureau_doc(need: Need, org_name: str | None) -> Doc | None:
    """The bureau document: every need that left the draft stage, with detail text."""
    if need.status == "draft":
        return None
    doc = _need_base(need)
    doc["org_id"] = need.org_id
    doc["org_name"] = org_name
    for name in BUREAU_EXTRA_FIELDS:
        doc[name] = getattr(need, name) or ""
    doc["key_terms"] = _key_terms(need_full_text(need))
    assert not NEVER_INDEXED & doc.keys()
    return doc


def load_needs(session: Session, ids: Iterable[int]) -> dict[int, Need]:
    id_list = list(ids)
    if not id_list:
        return {}
    rows = session.scalars(select(Need).where(Need.id.in_(id_list)).options(selectinload(Need.org))).all()
    return {n.id: n for n in rows}


def plan_needs(plan: Plan, session: Session, ids: Iterable[int]) -> None:
    id_list = list(ids)
    needs = load_needs(session, id_list)
    for need_id in id_list:
        need = needs.get(need_id)
        plan.tokens[("need", need_id)] = need_token(need) if need else None
        org_name = need.org.name if need else None
        public = need_public_doc(need, org_name) if need else None
        bureau = need_bureau_doc(need, org_name) if need else None
        if public is not None and need is not None:
            plan.upsert(PendingDoc(NEEDS, public, need_public_text(need)))
        else:
            plan.delete(NEEDS, need_id)
        if bureau is not None and need is not None:
            # Same vector text as the public document: embedded once, and the
            # semantic part of bureau search stays comparable with the public one.
            plan.upsert(PendingDoc(NEEDS_ALL, bureau, need_public_text(need)))
        else:
            plan.delete(NEEDS_ALL, need_id)


# -- providers ------------------------------------------------------------------------------------


def provider_text(org: Organisation, profile: ProviderProfile | None) -> str:
    parts = [org.name]
    if profile is not None:
        parts += [" ".join(map(str, profile.fields)), profile.summary or ""]
        parts += [item.title for item in profile.items]
        parts += [item.description for item in profile.items if item.description]
    else:
        parts.append(org.description or "")
    return "\n".join(p for p in parts if p)[:_CAPABILITY_TEXT_LIMIT]


# The profile vector only selects hybrid candidates (ranking then uses item-level vectors), and
# the bundled e5 model's cost grows quickly with length: embed a short digest of the profile.
PROVIDER_VECTOR_CHARS = 300


def provider_vector_text(org: Organisation, profile: ProviderProfile | None) -> str:
    parts = [org.name]
    if profile is not None:
        parts += [" ".join(map(str, profile.fields)), profile.summary or ""]
        parts += [item.title for item in profile.items]
    return "\n".join(p for p in parts if p)[:PROVIDER_VECTOR_CHARS]


def provider_token(org: Organisation, profile: ProviderProfile | None) -> int | None:
    stamps = [org.verified_at, org.created_at, profile.updated_at if profile else None]
    return max(ts for ts in map(ts_ms, stamps) if ts is not None)


def provider_doc(org: Organisation, profile: ProviderProfile | None) -> Doc | None:
    """Only verified universities, institutes and service firms are searchable providers."""
    if org.kind not in PROVIDER_KINDS or org.verification != Verification.verified:
        return None
    items = list(profile.items) if profile is not None else []
    doc: Doc = {
        "id": org.id,
        "org_id": org.id,
        "name": org.name,
        "kind": org.kind,
        "kind_label": ORG_KIND_LABELS.get(org.kind, org.kind),
        "county": org.county,
        "county_label": org.county,
        "verified": True,
        "summary": (profile.summary if profile else org.description) or "",
        "fields": list(profile.fields) if profile else [],
        "industries": list(profile.industries) if profile else ([org.industry] if org.industry else []),
        "industry_labels": list(profile.industries) if profile else [],
        "tracks": list(profile.tracks) if profile else [],
        "team": profile.team if profile else "",
        "typical_deal_min_wan": profile.typical_deal_min_wan if profile else None,
        "typical_deal_max_wan": profile.typical_deal_max_wan if profile else None,
        "track_record": profile.track_record if profile else 0,
        "capability_names": [item.title for item in items],
        "capability_types": sorted({item.kind for item in items}),
        "capability_text": "\n".join(i.description for i in items if i.description)[:_CAPABILITY_TEXT_LIMIT],
        "updated_ts": provider_token(org, profile),
    }
    doc["key_terms"] = _key_terms(provider_text(org, profile))
    return doc


def load_providers(session: Session, ids: Iterable[int]) -> dict[int, tuple[Organisation, ProviderProfile | None]]:
    id_list = list(ids)
    if not id_list:
        return {}
    orgs = session.scalars(select(Organisation).where(Organisation.id.in_(id_list))).all()
    profiles = session.scalars(
        select(ProviderProfile)
        .where(ProviderProfile.org_id.in_(id_list))
        .options(selectinload(ProviderProfile.items))
    ).all()
    by_org = {p.org_id: p for p in profiles}
    return {o.id: (o, by_org.get(o.id)) for o in orgs}


def plan_providers(plan: Plan, session: Session, ids: Iterable[int]) -> None:
    id_list = list(ids)
    found = load_providers(session, id_list)
    for org_id in id_list:
        pair = found.get(org_id)
        plan.tokens[("provider", org_id)] = provider_token(*pair) if pair else None
        doc = provider_doc(*pair) if pair else None
        if doc is not None and pair is not None:
            plan.upsert(PendingDoc(PROVIDERS, doc, provider_vector_text(*pair)))
        else:
            plan.delete(PROVIDERS, org_id)


# -- both -----------------------------------------------------------------------------------------


def build_plan(session: Session, records: Iterable[tuple[str, int]]) -> Plan:
    """Load the records and decide, per index, which documents to upsert and which ids to delete."""
    plan = Plan()
    by_topic: dict[str, list[int]] = {}
    for topic, record_id in records:
        if topic not in TOPIC_INDEXES:
            raise ValueError(f"unknown outbox topic {topic!r}")
        by_topic.setdefault(topic, []).append(record_id)
    plan_needs(plan, session, by_topic.get("need", []))
    plan_providers(plan, session, by_topic.get("provider", []))
    return plan


def current_tokens(session: Session, records: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int | None]:
    """The token each record has in the database now (None when it no longer exists)."""
    tokens: dict[tuple[str, int], int | None] = {}
    by_topic: dict[str, list[int]] = {}
    for topic, record_id in records:
        by_topic.setdefault(topic, []).append(record_id)
    need_ids = by_topic.get("need", [])
    if need_ids:
        rows = {r[0]: r[1] for r in session.execute(select(Need.id, Need.updated_at).where(Need.id.in_(need_ids)))}
        for need_id in need_ids:
            tokens[("need", need_id)] = ts_ms(rows.get(need_id))
    provider_ids = by_topic.get("provider", [])
    if provider_ids:
        found = load_providers(session, provider_ids)
        for org_id in provider_ids:
            pair = found.get(org_id)
            tokens[("provider", org_id)] = provider_token(*pair) if pair else None
    return tokens


def warm_up(embedder: Embedder | None) -> None:
    """Load what building a document needs (jieba's dictionary and IDF table: ~1 s) and run the
    model once, so the first record written after a start is not late by that much."""
    _key_terms("预热")
    if embedder is not None:
        embedder.embed_passages(["预热"])


def vector_list(row: np.ndarray) -> list[float]:
    # Six decimals keep cosine similarity exact to ~1e-6 and shrink the JSON by half.
    rounded: list[float] = np.round(row.astype(np.float64), 6).tolist()
    return rounded


def embed_docs(pending: Sequence[PendingDoc], embedder: Embedder | None) -> list[Doc]:
    """Attach ``_vectors.default`` to each document; identical texts are embedded once.

    Without an embedder the documents carry ``null`` vectors (keyword search still works).
    """
    if not pending:
        return []
    if embedder is None:
        return [{**p.doc, "_vectors": {EMBEDDER: None}} for p in pending]
    unique = list(dict.fromkeys(p.text for p in pending))
    matrix = embedder.embed_passages(unique)
    by_text = {text: vector_list(matrix[i]) for i, text in enumerate(unique)}
    return [{**p.doc, "_vectors": {EMBEDDER: by_text[p.text]}} for p in pending]
