"""Removing the demo data on purpose (``jiebang seed-demo --reset``), so it can be seeded again.

Only what the demo wrote goes: its organisations (``demo_key``) with their users, profiles,
needs, proposals, deals and recognitions and everything hanging off them, the demo accounts
(``@demo.jiebang.cn``) of a bureau the demo reused, and the batches and targets those accounts
created. A real organisation's records stay, and the audit log keeps its history (one
``demo.reset`` entry records the removal). The caller commits and rebuilds the search index.
"""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from demo.corpus import DEMO_DOMAIN
from market.attachments.models import Attachment
from market.audit import service as audit
from market.batches.models import Batch
from market.deals.models import Deal, DealDocument, DealMilestone, DealStageChange
from market.mail.models import MailMessage, MailPreference
from market.messages.models import ResponseMessage
from market.needs.models import (
    ExpertAssignment,
    Need,
    NeedAccessGrant,
    NeedComment,
    NeedObjection,
    NeedRevision,
    NeedTransition,
)
from market.notifications.models import Notification, SavedSearch
from market.office.models import CalendarDay, OfficeSetting
from market.orgs.models import ApiToken, CapabilityItem, Organisation, ProviderProfile, User
from market.outbox.models import OutboxEntry
from market.questions.models import NeedQuestion
from market.recognitions.models import (
    PolicyVersion,
    Recognition,
    RecognitionExpertReview,
    RecognitionObjection,
    RecognitionPayout,
    RecognitionTransition,
)
from market.responses.models import Response, ResponseScore
from market.targets.models import ReportIssue, Target


def remove_demo(session: Session) -> int:
    """Delete the demo data; returns how many rows went."""
    orgs = select(Organisation.id).where(Organisation.demo_key.is_not(None)).scalar_subquery()
    users = select(User.id).where(or_(User.org_id.in_(orgs), User.email.like(f"%@{DEMO_DOMAIN}"))).scalar_subquery()
    needs = select(Need.id).where(or_(Need.demo_key.is_not(None), Need.org_id.in_(orgs))).scalar_subquery()
    responses = select(Response.id).where(or_(Response.need_id.in_(needs), Response.org_id.in_(orgs))).scalar_subquery()
    deals = select(Deal.id).where(or_(Deal.need_id.in_(needs), Deal.response_id.in_(responses))).scalar_subquery()
    recs = select(Recognition.id).where(or_(Recognition.org_id.in_(orgs), Recognition.need_id.in_(needs))).scalar_subquery()
    profiles = select(ProviderProfile.id).where(ProviderProfile.org_id.in_(orgs)).scalar_subquery()
    removed = 0
    steps = [
        delete(DealDocument).where(DealDocument.deal_id.in_(deals)),
        delete(RecognitionExpertReview).where(or_(RecognitionExpertReview.recognition_id.in_(recs),
                                                  RecognitionExpertReview.expert_id.in_(users))),
        delete(RecognitionObjection).where(or_(RecognitionObjection.recognition_id.in_(recs),
                                               RecognitionObjection.user_id.in_(users))),
        # Archived 晾晒通报 are append-only for the ORM; the demo's own issues go with the demo.
        delete(ReportIssue).where(ReportIssue.issued_by.in_(users)),
        delete(Attachment).where(or_(
            (Attachment.owner_type == "need") & Attachment.owner_id.in_(needs),
            (Attachment.owner_type == "response") & Attachment.owner_id.in_(responses),
            (Attachment.owner_type == "recognition") & Attachment.owner_id.in_(recs),
            (Attachment.owner_type == "deal") & Attachment.owner_id.in_(deals),
            Attachment.uploaded_by.in_(users),
        )),
        delete(OutboxEntry).where(OutboxEntry.topic == "mail",
                                  OutboxEntry.record_id.in_(select(MailMessage.id).where(MailMessage.user_id.in_(users)))),
        delete(MailMessage).where(MailMessage.user_id.in_(users)),
        delete(MailPreference).where(MailPreference.user_id.in_(users)),
        delete(ResponseMessage).where(or_(ResponseMessage.response_id.in_(responses), ResponseMessage.sender_id.in_(users))),
        delete(NeedQuestion).where(or_(NeedQuestion.need_id.in_(needs), NeedQuestion.asker_id.in_(users))),
        delete(RecognitionPayout).where(RecognitionPayout.recognition_id.in_(recs)),
        delete(PolicyVersion).where(PolicyVersion.created_by.in_(users)),
        delete(Notification).where(Notification.user_id.in_(users)),
        delete(SavedSearch).where(SavedSearch.user_id.in_(users)),
        delete(ApiToken).where(ApiToken.user_id.in_(users)),
        delete(ResponseScore).where(or_(ResponseScore.response_id.in_(responses), ResponseScore.expert_id.in_(users))),
        delete(NeedAccessGrant).where(or_(NeedAccessGrant.need_id.in_(needs), NeedAccessGrant.org_id.in_(orgs))),
        delete(NeedComment).where(or_(NeedComment.need_id.in_(needs), NeedComment.author_id.in_(users))),
        delete(ExpertAssignment).where(or_(ExpertAssignment.need_id.in_(needs), ExpertAssignment.expert_id.in_(users))),
        delete(NeedObjection).where(or_(NeedObjection.need_id.in_(needs), NeedObjection.user_id.in_(users))),
        delete(NeedRevision).where(NeedRevision.need_id.in_(needs)),
        delete(NeedTransition).where(NeedTransition.need_id.in_(needs)),
        delete(RecognitionTransition).where(RecognitionTransition.recognition_id.in_(recs)),
        delete(Recognition).where(Recognition.id.in_(recs)),
        delete(DealMilestone).where(DealMilestone.deal_id.in_(deals)),
        delete(DealStageChange).where(DealStageChange.deal_id.in_(deals)),
        delete(Deal).where(Deal.id.in_(deals)),
        delete(Response).where(Response.id.in_(responses)),
        delete(Need).where(Need.id.in_(needs)),
        delete(Target).where(Target.updated_by.in_(users)),
    ]  # fmt: skip
    for stmt in steps:
        removed += session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]
    # Batches the demo accounts made, unless a real need is in one.
    used = select(Need.batch_id).where(Need.batch_id.is_not(None))
    removed += session.execute(delete(Batch).where(Batch.created_by.in_(users), Batch.id.not_in(used))).rowcount or 0  # type: ignore[attr-defined]
    session.execute(update(Batch).where(Batch.created_by.in_(users)).values(created_by=None))
    # The office calendar and settings the demo's bureau kept stay (they are the bureau's, not the demo's story).
    session.execute(update(CalendarDay).where(CalendarDay.updated_by.in_(users)).values(updated_by=None))
    session.execute(update(OfficeSetting).where(OfficeSetting.updated_by.in_(users)).values(updated_by=None))
    for stmt in (
        delete(CapabilityItem).where(CapabilityItem.profile_id.in_(profiles)),
        delete(ProviderProfile).where(ProviderProfile.id.in_(profiles)),
        delete(User).where(User.id.in_(users)),
        delete(Organisation).where(Organisation.demo_key.is_not(None)),
    ):
        removed += session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]
    left = session.scalar(select(func.count()).select_from(Organisation).where(Organisation.demo_key.is_not(None)))
    assert not left
    audit.record(session, None, "demo.reset", "demo", None, {"rows_removed": removed})
    session.flush()
    return removed
