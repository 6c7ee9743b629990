"""Policy versions the bureau publishes as data, without a code change.

The shipped tables (``policies/*.json``) are the versions that came with the platform; the bureau
adds a version by uploading its table (the same JSON form), which one staff member drafts and
another reviews and publishes (四眼原则: the drafter cannot publish their own draft). The pool the
service prices from is the shipped tables plus the published versions, each with its own period
of validity (``effective_from`` … ``valid_until``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit import service as audit
from market.db import utcnow
from market.errors import Conflict, Forbidden, Invalid, NotFound
from market.orgs.models import User
from market.recognitions.models import PolicyVersion
from market.recognitions.policy import Policy, load_policies, parse_policy

OBJECT_TYPE = "policy_version"
DRAFT = "draft"
PUBLISHED = "published"
STATUS_LABELS = {DRAFT: "待审核", PUBLISHED: "已发布"}
MAX_PUBLISHED = 200  # bounds the pool read on every pricing


def policies(session: Session) -> tuple[Policy, ...]:
    """Every version in force somewhere: the shipped tables and the published ones, oldest first."""
    rows = session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.status == PUBLISHED)
        .order_by(PolicyVersion.effective_from, PolicyVersion.id)
        .limit(MAX_PUBLISHED)
    ).all()
    pool = list(load_policies()) + [parse_policy(r.data) for r in rows]
    return tuple(sorted(pool, key=lambda p: p.effective_from))


def _ensure_bureau(actor: User) -> None:
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以管理政策版本")


def draft(session: Session, actor: User, data: dict[str, Any]) -> PolicyVersion:
    """Upload a policy table as a draft. The table is checked as the engine reads it (amounts,
    levels, groups, validity) and its version must be new."""
    _ensure_bureau(actor)
    try:
        policy = parse_policy(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Invalid.field("data", f"政策表格式有误：{exc}") from None
    if not policy.version.strip():
        raise Invalid.field("data", "政策表须有版本号（version）")
    known = {p.version for p in load_policies()} | set(session.scalars(select(PolicyVersion.version)).all())
    if policy.version in known:
        raise Conflict(
            f"政策版本 {policy.version} 已存在，新版本须使用新的版本号",
            details=[{"field": "data", "message": "版本号已存在"}],
        )
    row = PolicyVersion(
        version=policy.version,
        title=policy.title,
        data=dict(data),
        effective_from=policy.effective_from,
        valid_until=policy.valid_until,
        status=DRAFT,
        created_by=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor.id, "policy_version.drafted", OBJECT_TYPE, row.id, {"version": row.version})
    return row


def publish(session: Session, actor: User, version_id: int, note: str = "") -> PolicyVersion:
    """A second staff member reviews the draft and publishes it; from then on it prices the years
    it covers."""
    _ensure_bureau(actor)
    row = session.get(PolicyVersion, version_id)
    if row is None:
        raise NotFound("政策版本不存在")
    if row.status != DRAFT:
        raise Conflict("该政策版本已发布", code="illegal_transition")
    if row.created_by == actor.id:
        raise Forbidden("政策版本须由起草人以外的工作人员审核后发布")
    row.status = PUBLISHED
    row.reviewed_by = actor.id
    row.review_note = note
    row.published_at = utcnow()
    session.flush()
    audit.record(
        session, actor.id, "policy_version.published", OBJECT_TYPE, row.id, {"version": row.version, "note": note}
    )
    return row


def listing(session: Session) -> list[dict[str, Any]]:
    """Shipped and bureau versions with their validity, for the API and the page."""
    out: list[dict[str, Any]] = [
        {
            "id": None,
            "version": p.version,
            "title": p.title,
            "effective_from": p.effective_from.isoformat(),
            "valid_until": p.valid_until.isoformat() if p.valid_until else None,
            "status": PUBLISHED,
            "status_label": "随平台发布",
            "source": "shipped",
            "publishable": False,
        }
        for p in load_policies()
    ]
    rows = session.scalars(select(PolicyVersion).order_by(PolicyVersion.id).limit(MAX_PUBLISHED)).all()
    out += [
        {
            "id": r.id,
            "version": r.version,
            "title": r.title,
            "effective_from": r.effective_from.isoformat(),
            "valid_until": r.valid_until.isoformat() if r.valid_until else None,
            "status": r.status,
            "status_label": STATUS_LABELS.get(r.status, r.status),
            "source": "bureau",
            "publishable": r.status == DRAFT,
        }
        for r in rows
    ]
    return out
