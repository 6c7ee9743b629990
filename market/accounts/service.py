"""Accounts run by their owners (rules in market/accounts/access.py).

Links in mails carry a random token; only its digest is stored, it works once and expires
(password reset: 30 minutes; invitation: 7 days). A reset request answers the same whether or
not the address exists, and sends at most ``MAX_RESETS_PER_HOUR`` mails to one account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from market.accounts import access
from market.accounts.models import Invitation, PasswordReset
from market.accounts.schemas import (
    InvitationAcceptIn,
    InvitationIn,
    MemberOut,
    PasswordChangeIn,
    ResetConfirmIn,
    RolesIn,
    SessionOut,
)
from market.audit import service as audit
from market.db import utcnow
from market.errors import Conflict, Invalid, NotFound
from market.mail import service as mail
from market.mail.models import MailMessage
from market.orgs import security
from market.orgs import service as orgs
from market.orgs.models import ApiToken, User
from market.orgs.schemas import RegistrationIn

RESET_TTL = dt.timedelta(minutes=30)
INVITE_TTL = dt.timedelta(days=7)
MAX_RESETS_PER_HOUR = 3
MAX_MEMBERS_LISTED = 500
MAX_DUPLICATE_MAILS_PER_HOUR = 3
LINK_INVALID = "链接无效或已过期，请重新申请"


def _require_strong(field: str, password: str, *, email: str, name: str) -> None:
    """The same rule as registration (``security.password_problem``): not the e-mail, not common."""
    problem = security.password_problem(password, email=email, name=name)
    if problem:
        raise Invalid.field(field, problem)


def _end_sessions(session: Session, user_id: int, *, keep_digest: str | None = None) -> int:
    stmt = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
    if keep_digest is not None:
        stmt = stmt.where(ApiToken.token_hash != keep_digest)
    res = session.execute(stmt.values(revoked=True).execution_options(synchronize_session="fetch"))
    return int(getattr(res, "rowcount", 0) or 0)


# -- registration ---------------------------------------------------------------------------------


def register(session: Session, reg_in: RegistrationIn) -> None:
    """Registration answers the same whether or not the e-mail has an account (issue 14, finding
    9): the page and the API say 已提交，请查收邮件, never sign in, and the mail tells the owner of
    the address which it was. A new account works at once (the mail says so and how verification
    goes); an existing one gets "有人尝试用您的邮箱注册", at most ``MAX_DUPLICATE_MAILS_PER_HOUR``
    an hour, and nothing about it changes."""
    user, created = orgs.register(session, reg_in)
    if created:
        mail.queue_mail(
            session, to_addr=user.email, to_name=user.display_name, user_id=user.id, kind="account.registered",
            subject="注册成功，请登录",
            body=(
                f"您已用本邮箱注册了「{reg_in.org_name}」的管理员账号，现在即可用注册时设置的密码登录。\n"
                "单位须经科技局认证后才能提交需求或揭榜，认证结果将通过站内通知告知。\n"
                "如果这不是您本人的操作，请联系科技局。"
            ),
            link="/login", link_label="登录",
        )
        return
    recent = session.scalar(
        select(func.count(MailMessage.id)).where(
            MailMessage.user_id == user.id, MailMessage.kind == "account.duplicate",
            MailMessage.created_at > utcnow() - dt.timedelta(hours=1),
        )
    ) or 0
    if recent >= MAX_DUPLICATE_MAILS_PER_HOUR:
        return
    mail.queue_mail(
        session, to_addr=user.email, to_name=user.display_name, user_id=user.id, kind="account.duplicate",
        subject="有人尝试用您的邮箱注册",
        body=(
            "有人刚刚尝试用您的邮箱注册新的单位账号。您的邮箱已有账号，因此没有创建新账号，您的账号和密码也没有任何改变。\n"
            "如果是您本人，请直接登录；忘记密码可点击下方链接重设。如果不是您本人，请忽略本邮件。"
        ),
        link="/forgot-password", link_label="重设密码",
    )


# -- passwords ------------------------------------------------------------------------------------


def change_password(session: Session, user: User, change_in: PasswordChangeIn, *, current_digest: str | None) -> None:
    """With the current password; every other session of the user ends."""
    if not security.verify_password(user.password_hash, change_in.current_password):
        raise Invalid.field("current_password", "当前密码不正确")
    if change_in.new_password == change_in.current_password:
        raise Invalid.field("new_password", "新密码不能与当前密码相同")
    _require_strong("new_password", change_in.new_password, email=user.email, name=user.display_name)
    user.password_hash = security.hash_password(change_in.new_password)
    _end_sessions(session, user.id, keep_digest=current_digest)
    audit.record(session, user.id, "user.password_changed", "user", user.id, {})
    session.flush()


def request_reset(session: Session, email: str) -> None:
    """Mail a reset link to an active account with this address. Says nothing either way."""
    user = session.scalar(select(User).where(User.email == email.lower(), User.is_active.is_(True)))
    if user is None:
        return
    now = utcnow()
    recent = session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user.id, PasswordReset.created_at > now - dt.timedelta(hours=1)
        )
    ) or 0
    if recent >= MAX_RESETS_PER_HOUR:
        return
    token = security.new_token()
    session.add(PasswordReset(user_id=user.id, token_hash=security.token_digest(token), expires_at=now + RESET_TTL))
    audit.record(session, user.id, "user.password_reset_requested", "user", user.id, {})
    mail.queue_mail(
        session, to_addr=user.email, to_name=user.display_name, user_id=user.id, kind="account.reset",
        subject="重设您的登录密码",
        body="我们收到了重设您账号密码的申请。请在 30 分钟内点击下方链接设置新密码，链接仅可使用一次。\n如果这不是您本人的操作，请忽略本邮件，您的密码不会改变。",
        link=f"/reset-password?token={token}", link_label="设置新密码",
    )


def confirm_reset(session: Session, confirm_in: ResetConfirmIn) -> User:
    """A valid, unused, unexpired link sets the password once; every session of the user ends."""
    row = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == security.token_digest(confirm_in.token)))
    now = utcnow()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or row.used_at is not None or row.expires_at <= now or user is None or not user.is_active:
        raise Invalid.field("token", LINK_INVALID)
    _require_strong("new_password", confirm_in.new_password, email=user.email, name=user.display_name)
    row.used_at = now
    user.password_hash = security.hash_password(confirm_in.new_password)
    _end_sessions(session, user.id)
    audit.record(session, user.id, "user.password_reset", "user", user.id, {})
    session.flush()
    return user


# -- members --------------------------------------------------------------------------------------


def invite(session: Session, actor: User, invite_in: InvitationIn) -> Invitation:
    """An admin invites a colleague into their own organisation; the invitee sets a password from
    the mailed link."""
    access.manage_members(actor).require()
    access.grant(actor, invite_in.roles).require()
    if session.scalar(select(User.id).where(User.email == invite_in.email)):
        raise Conflict("该邮箱已注册", details=[{"field": "email", "message": "已存在"}])
    token = security.new_token()
    invitation = Invitation(
        org_id=actor.org_id, email=invite_in.email, display_name=invite_in.display_name,
        roles=sorted(set(invite_in.roles)), token_hash=security.token_digest(token), invited_by=actor.id,
        expires_at=utcnow() + INVITE_TTL,
    )
    session.add(invitation)
    session.flush()
    audit.record(session, actor.id, "user.invited", "invitation", invitation.id, {"email": invitation.email})
    mail.queue_mail(
        session, to_addr=invitation.email, to_name=invitation.display_name, kind="account.invite",
        subject=f"{actor.display_name} 邀请您加入「{actor.org.name}」",
        body=f"{actor.display_name} 邀请您以「{actor.org.name}」成员的身份使用嘉兴市科技成果“揭榜挂帅”平台。请在 7 天内点击下方链接设置密码，完成后即可登录。",
        link=f"/invite?token={token}", link_label="设置密码并加入",
    )
    return invitation


def invitation_for_token(session: Session, token: str) -> Invitation:
    row = session.scalar(select(Invitation).where(Invitation.token_hash == security.token_digest(token)))
    if row is None or row.accepted_at is not None or row.expires_at <= utcnow():
        raise Invalid.field("token", "邀请链接无效或已过期，请联系单位管理员重新邀请")
    return row


def accept_invitation(session: Session, accept_in: InvitationAcceptIn) -> User:
    invitation = invitation_for_token(session, accept_in.token)
    if session.scalar(select(User.id).where(User.email == invitation.email)):
        raise Conflict("该邮箱已注册", details=[{"field": "email", "message": "已存在"}])
    _require_strong("password", accept_in.password, email=invitation.email, name=invitation.display_name)
    user = User(
        org_id=invitation.org_id, email=invitation.email, display_name=invitation.display_name,
        password_hash=security.hash_password(accept_in.password), roles=list(invitation.roles),
    )
    session.add(user)
    session.flush()
    invitation.accepted_at = utcnow()
    invitation.user_id = user.id
    audit.record(session, user.id, "user.joined", "user", user.id, {"invitation_id": invitation.id})
    session.flush()
    session.refresh(user)
    return user


def _member(session: Session, actor: User, user_id: int) -> User:
    target = session.get(User, user_id)
    if target is None or target.org_id != actor.org_id:
        raise NotFound("成员不存在")
    return target


def list_members(session: Session, actor: User) -> list[MemberOut]:
    access.manage_members(actor).require()
    users = session.scalars(
        select(User).where(User.org_id == actor.org_id).order_by(User.id).limit(MAX_MEMBERS_LISTED)
    ).all()
    return [
        MemberOut(
            id=u.id, email=u.email, display_name=u.display_name, roles=list(u.roles), is_active=u.is_active,
            actions=access.member_actions(actor, u),
        )
        for u in users
    ]


def list_invitations(session: Session, actor: User) -> Sequence[Invitation]:
    access.manage_members(actor).require()
    return session.scalars(
        select(Invitation).where(Invitation.org_id == actor.org_id, Invitation.accepted_at.is_(None))
        .order_by(Invitation.id.desc()).limit(100)
    ).all()


def change_roles(session: Session, actor: User, user_id: int, roles_in: RolesIn) -> User:
    target = _member(session, actor, user_id)
    access.change_roles(actor, target).require()
    access.grant(actor, roles_in.roles).require()
    before = list(target.roles)
    target.roles = sorted(set(roles_in.roles))
    audit.record(session, actor.id, "user.roles_changed", "user", target.id, {"before": before, "after": target.roles})
    session.flush()
    return target


def deactivate(session: Session, actor: User, user_id: int) -> User:
    """The member can no longer sign in, and every session of theirs ends at once."""
    target = _member(session, actor, user_id)
    access.deactivate(actor, target).require()
    target.is_active = False
    _end_sessions(session, target.id)
    audit.record(session, actor.id, "user.deactivated", "user", target.id, {})
    session.flush()
    return target


# -- sessions -------------------------------------------------------------------------------------


def list_sessions(session: Session, user: User, *, current_digest: str | None) -> list[SessionOut]:
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False), ApiToken.expires_at > utcnow())
        .order_by(ApiToken.id.desc()).limit(100)
    ).all()
    return [
        SessionOut(id=t.id, created_at=t.created_at, expires_at=t.expires_at, current=t.token_hash == current_digest)
        for t in rows
    ]


def end_session(session: Session, user: User, session_id: int) -> None:
    """A user ends one of their own sessions; anyone else's does not exist for them."""
    token = session.get(ApiToken, session_id)
    if token is None or token.user_id != user.id or token.revoked:
        raise NotFound("会话不存在")
    token.revoked = True
    audit.record(session, user.id, "user.session_ended", "user", user.id, {"session_id": session_id})
    session.flush()
