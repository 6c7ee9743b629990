"""Organisations, users, sign-in and provider profiles."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from market.audit import service as audit
from market.db import utcnow
from market.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound, TooManyRequests
from market.orgs import access, security
from market.orgs.exceptions import OrgNotFound, ProfileNotFound
from market.orgs.models import (
    PROVIDER_KINDS,
    ApiToken,
    CapabilityItem,
    ExpertConflict,
    LoginFailure,
    Organisation,
    ProviderProfile,
    Role,
    User,
    Verification,
)
from market.orgs.schemas import ProfileIn, RegistrationIn, UserIn
from market.outbox import service as outbox


def register(session: Session, reg_in: RegistrationIn) -> tuple[User, bool]:
    """A new organisation starts unverified; its first user is its admin. Returns the account of
    the e-mail and whether it was made now: an e-mail that already has an account gets no second
    one, and the caller answers the same either way (issue 14, finding 9; the mails of
    ``market.accounts.service.register`` tell the owner of the address which it was). The password
    is hashed either way, so the answer takes as long; a taken organisation name is refused first,
    whatever the e-mail, so that refusal tells nothing about the address either."""
    if session.scalar(select(Organisation.id).where(Organisation.name == reg_in.org_name)):
        # Organisation names are public (the lists and pages show them): saying so tells nothing.
        security.hash_password(reg_in.password)
        raise Conflict("该单位名称已注册", details=[{"field": "org_name", "message": "已存在"}])
    existing = session.scalar(select(User).where(User.email == reg_in.email))
    if existing is not None:
        security.hash_password(reg_in.password)
        audit.record(session, None, "user.duplicate_registration", "user", existing.id, {})
        return existing, False
    org = Organisation(
        name=reg_in.org_name,
        kind=reg_in.org_kind,
        credit_code=reg_in.credit_code,
        county=reg_in.county,
        industry=reg_in.industry,
    )
    session.add(org)
    session.flush()
    user = User(
        org_id=org.id,
        email=reg_in.email,
        display_name=reg_in.display_name,
        password_hash=security.hash_password(reg_in.password),
        roles=[Role.org_admin.value, Role.member.value],
    )
    session.add(user)
    if org.kind in PROVIDER_KINDS:
        session.add(ProviderProfile(org_id=org.id))
    session.flush()
    audit.record(session, user.id, "org.registered", "organisation", org.id, {"name": org.name, "kind": org.kind})
    return user, True


def add_user(session: Session, actor: User, user_in: UserIn) -> User:
    """Only an org admin adds users, to their own organisation; bureau roles only inside the bureau."""
    if not actor.has_role(Role.org_admin, Role.bureau_admin):
        raise Forbidden("只有单位管理员可以添加用户")
    bureau_roles = {Role.bureau_admin, Role.bureau_reviewer, Role.expert}
    if any(r in bureau_roles for r in user_in.roles) and not actor.is_bureau:
        raise Forbidden("只有科技局可以授予审核员、管理员或专家角色")
    if any(r not in Role.__members__ for r in user_in.roles):
        raise Invalid.field("roles", "角色不存在")
    if session.scalar(select(User.id).where(User.email == user_in.email)):
        raise Conflict("该邮箱已注册", details=[{"field": "email", "message": "已存在"}])
    user = User(
        org_id=actor.org_id,
        email=user_in.email,
        display_name=user_in.display_name,
        password_hash=security.hash_password(user_in.password),
        roles=sorted(set(user_in.roles)),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor.id, "user.added", "user", user.id, {"roles": user.roles})
    return user


# Wrong passwords from one address for one e-mail before the delay starts, and the first delay; each
# further failure doubles it, up to ``lockout_minutes``. A pair quiet for a day starts afresh.
FIRST_DELAY_S = 30
FORGET_AFTER = dt.timedelta(days=1)


def _delay_s(failures: int, max_failed: int, lockout_minutes: int) -> int:
    if failures < max_failed:
        return 0
    return int(min(FIRST_DELAY_S * 2 ** min(failures - max_failed, 20), lockout_minutes * 60))


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    address: str = "unknown",
    max_failed: int = 5,
    lockout_minutes: int = 15,
) -> User:
    """Wrong passwords slow down the (e-mail, address) pair that makes them, with a delay that grows
    with each failure (issue 14, finding 11): a stranger cannot lock anyone else out. The answer and
    its time are the same whether the e-mail exists or not (finding 9): an unknown e-mail is checked
    against a dummy hash and counted like a known one."""
    email = email.lower()[:200]
    address = address[:100]
    now = utcnow()
    failure = session.get(LoginFailure, (email, address))
    if failure is not None and now - failure.last_failed_at > FORGET_AFTER:
        failure.failures, failure.locked_until = 0, None
    if failure is not None and failure.locked_until is not None and failure.locked_until > now:
        wait = math.ceil((failure.locked_until - now).total_seconds())
        raise TooManyRequests("登录失败次数过多，请稍后再试", retry_after_s=wait)
    user = session.scalar(select(User).where(User.email == email))
    matches = security.verify_password(user.password_hash if user is not None else security.dummy_hash(), password)
    if user is None or not user.is_active or not matches:
        if failure is None:
            failure = LoginFailure(email=email, address=address, failures=0, last_failed_at=now)
            session.add(failure)
        failure.failures += 1
        failure.last_failed_at = now
        delay = _delay_s(failure.failures, max_failed, lockout_minutes)
        if delay:
            failure.locked_until = now + dt.timedelta(seconds=delay)
            if user is not None and failure.failures == max_failed:
                audit.record(session, user.id, "user.locked", "user", user.id, {"address": address})
        session.flush()
        raise NotAuthenticated("邮箱或密码错误")
    if failure is not None:
        session.delete(failure)
    return user


def issue_token(session: Session, user: User, ttl_hours: int) -> tuple[str, dt.datetime]:
    token = security.new_token()
    expires = utcnow() + dt.timedelta(hours=ttl_hours)
    session.add(ApiToken(user_id=user.id, token_hash=security.token_digest(token), expires_at=expires))
    session.flush()
    return token, expires


def revoke_token(session: Session, token: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == security.token_digest(token)))
    if row is not None:
        row.revoked = True


def revoke_all_tokens(session: Session, user: User) -> int:
    """Sign a person out everywhere: every token of theirs stops working."""
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))).all()
    for row in rows:
        row.revoked = True
    session.flush()
    return len(rows)


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == security.token_digest(token)))
    if row is None or row.revoked or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user


def verify_org(session: Session, actor: User, org_id: int, decision: str, note: str = "") -> Organisation:
    """Only bureau staff verify organisations; verification gates publishing and responding."""
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以认证单位")
    org = session.get(Organisation, org_id)
    if org is None:
        raise OrgNotFound()
    if decision not in (Verification.verified, Verification.rejected):
        raise Invalid.field("decision", "只能是 verified 或 rejected")
    old = org.verification
    org.verification = decision
    org.verified_at = utcnow() if decision == Verification.verified else None
    session.flush()
    audit.record(session, actor.id, "org.verification", "organisation", org.id, {"from": old, "to": decision, "note": note})
    if org.kind in PROVIDER_KINDS:
        outbox.enqueue(session, "provider", org.id)
    return org


def set_leading(session: Session, actor: User, org_id: int, leading: bool, note: str = "") -> Organisation:
    """Only bureau staff mark an enterprise as 龙头企业 (seed task 10: 鼓励龙头企业揭榜); such an
    enterprise may then take up other enterprises' needs."""
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以认定龙头企业")
    org = session.get(Organisation, org_id)
    if org is None:
        raise OrgNotFound()
    access.set_leading(actor, org).require()
    old = org.leading
    org.leading = leading
    session.flush()
    audit.record(session, actor.id, "org.leading", "organisation", org.id, {"from": old, "to": leading, "note": note})
    return org


def declare_conflict(session: Session, expert: User, org_id: int, note: str = "") -> ExpertConflict:
    """An expert declares a conflict of interest with an organisation; from then on they are
    recused from it (assignments refused, scoring refused). Declaring twice keeps one row."""
    if not expert.is_expert:
        raise Forbidden("只有评审专家可以申报利益冲突")
    org = session.get(Organisation, org_id)
    if org is None:
        raise Invalid.field("org_id", "单位不存在")
    row = session.scalar(
        select(ExpertConflict).where(ExpertConflict.expert_id == expert.id, ExpertConflict.org_id == org_id)
    )
    if row is None:
        row = ExpertConflict(expert_id=expert.id, org_id=org_id, note=note)
        session.add(row)
        session.flush()
        audit.record(session, expert.id, "expert.conflict_declared", "organisation", org_id, {"note": note})
    return row


def list_conflicts(session: Session, expert: User) -> list[ExpertConflict]:
    return list(
        session.scalars(
            select(ExpertConflict).where(ExpertConflict.expert_id == expert.id).order_by(ExpertConflict.id).limit(500)
        )
    )


def get_org(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise OrgNotFound()
    return org


def get_profile(session: Session, org_id: int) -> ProviderProfile:
    profile = session.scalar(
        select(ProviderProfile)
        .where(ProviderProfile.org_id == org_id)
        .options(selectinload(ProviderProfile.items), selectinload(ProviderProfile.org))
    )
    if profile is None:
        raise ProfileNotFound()
    return profile


def profile_for_viewer(session: Session, user: User | None, org_id: int) -> ProviderProfile:
    """A provider's profile as the viewer may see it (``access.can_view_org``); an unverified
    provider's profile does not exist for anyone else."""
    profile = get_profile(session, org_id)
    if not access.can_view_org(user, profile.org):
        raise NotFound("揭榜方不存在或尚未认证")
    return profile


def org_for_viewer(session: Session, user: User | None, org_id: int) -> Organisation:
    org = get_org(session, org_id)
    if not access.can_view_org(user, org):
        raise OrgNotFound()
    return org


def update_profile(session: Session, actor: User, org_id: int, profile_in: ProfileIn) -> ProviderProfile:
    """A provider's own members keep its capability profile; nobody else edits it."""
    if actor.org_id != org_id:
        raise Forbidden("只能维护本单位的能力画像")
    profile = get_profile(session, org_id)
    lo, hi = profile_in.typical_deal_min_wan, profile_in.typical_deal_max_wan
    if lo is not None and hi is not None and lo > hi:
        raise Invalid.field("typical_deal_max_wan", "典型合作规模上限不能小于下限")
    data = profile_in.model_dump(exclude={"items"})
    for key, value in data.items():
        setattr(profile, key, value)
    if profile_in.items is not None:
        profile.items.clear()
        session.flush()
        for item in profile_in.items:
            profile.items.append(CapabilityItem(**item.model_dump()))
    profile.updated_at = utcnow()
    session.flush()
    audit.record(session, actor.id, "profile.updated", "organisation", org_id, {"items": len(profile.items)})
    outbox.enqueue(session, "provider", org_id)
    return profile


def commit_unique(session: Session) -> None:
    """Flush and translate a unique-constraint race into a 409."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("数据已存在（重复提交）") from exc
