"""Reads of batches, through the viewer's eyes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.batches import access
from market.batches import service as batches
from market.batches.models import Batch
from market.batches.schemas import BatchOut
from market.batches.states import batch_machine
from market.orgs.models import User


def present(session: Session, user: User | None, batch: Batch, count: int | None = None) -> BatchOut:
    """The batch with its need count, its label and the viewer's actions."""
    if count is None:
        count = len(batches.batch_need_ids(session, batch.id))
    return BatchOut.model_validate(batch).model_copy(
        update={
            "need_count": count,
            "status_label": batch_machine.label(batch.status),
            "actions": access.batch_actions(session, user, batch),
        }
    )
