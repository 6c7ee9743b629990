"""Deals (对接→签约→转化): the deal page for both parties and the bureau, recording stages and milestones; the bureau's deals board."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from market import flows
from market.db import DbId
from market.deals import queries as dq
from market.deals import service as ds
from market.deals.schemas import DealAdvance
from market.deals.states import LABELS, ORDER, DealStage, deal_machine
from market.errors import DomainError
from market.orgs.models import User
from web.deps import SessionDep
from web.pages.common import BureauPage, Form, SignedIn
from web.pages.render import field_errors, form_dict, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


DEAL_FIELDS = ("contract_amount_wan", "signed_on", "accepted_on", "converted_on", "outcome", "failure_reason")


def _deal_page(
    request: Request,
    session: Session,
    user: User,
    deal_id: DbId,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    deal = ds.deal_for_viewer(session, user, deal_id)
    detail = dq.present_detail(session, deal, user)
    assert detail.actions is not None
    nexts = detail.actions.next_stages
    return render(
        request,
        "deals/deal.html",
        {
            "deal": detail,
            "STAGES": {str(k): v for k, v in LABELS.items()},
            "ORDER": [str(s) for s in ORDER],
            "REQUIRED": {str(k): v for k, v in ds.REQUIRED.items()},
            # which fields each stage takes: the form shows only the chosen stage's (app.js)
            "STAGE_FIELDS": {str(k): v for k, v in ds.ALLOWED.items()},
            "form": form or {"stage": nexts[0] if nexts else ""},
            "errors": errors or {},
            "FIELD_LABELS": ds.FIELD_LABELS,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/deals/{deal_id}")
def deal_page(deal_id: DbId, request: Request, session: SessionDep, user: SignedIn) -> Response:
    return _deal_page(request, session, user, deal_id)


@router.post("/deals/{deal_id}/advance")
def deal_advance(deal_id: DbId, request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    data = form_dict(form, numbers=DEAL_FIELDS)
    stage = str(data.get("stage", ""))
    allowed = ds.ALLOWED.get(stage, ())
    payload = {"stage": stage, "note": data.get("note", "") or ""}
    for k in DEAL_FIELDS:
        if k in allowed and data.get(k) not in (None, ""):
            payload[k] = data[k]
    try:
        flows.advance_deal(session, user, deal_id, DealAdvance.model_validate(payload))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
            raise
        return _deal_page(request, session, user, deal_id, form=data, errors=field_errors(exc), status_code=422)
    return redirect(f"/deals/{deal_id}", f"已记录：{deal_machine.label(stage)}")


@router.get("/bureau/deals")
def deals_board(
    request: Request, session: SessionDep, user: BureauPage, county: str = "", industry: str = ""
) -> Response:
    rows, total = dq.list_deals(
        session, user, dq.DealFilter(county=county or None, industry=industry or None), limit=500
    )
    deals = dq.present_many(session, rows)
    columns = [(str(s), LABELS[s], [d for d in deals if d.stage == s]) for s in (*ORDER, DealStage.failed)]
    return render(
        request,
        "deals/board.html",
        {"columns": columns, "total": total, "county": county, "industry": industry},
        user=user,
    )


@router.get("/bureau/deals/{deal_id}")
def bureau_deal(deal_id: DbId, user: BureauPage) -> Response:
    return redirect(f"/deals/{deal_id}")
