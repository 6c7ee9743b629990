"""The Excel import page: the bureau uploads a county's list of needs, sees the row-by-row report
in the page, fixes the sheet and uploads it again; nothing is stored unless every row is valid."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from market.errors import DomainError
from market.needs import importer
from market.needs import queries as need_queries
from web.api.imports import checked_workbook
from web.deps import RuntimeDep, SessionDep
from web.pages.common import BureauPage, Form
from web.pages.render import field_errors, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


@router.get("/bureau/import")
def import_page(request: Request, runtime: RuntimeDep, user: BureauPage) -> Response:
    return render(
        request,
        "needs/import.html",
        {"report": None, "errors": {}, "max_mb": runtime.settings.limits.max_upload_bytes // (1024 * 1024)},
        user=user,
    )


@router.post("/bureau/import")
def import_upload(
    request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: BureauPage
) -> Response:
    limit = runtime.settings.limits.max_upload_bytes
    ctx: dict[str, object] = {"report": None, "errors": {}, "max_mb": limit // (1024 * 1024)}
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        ctx["errors"] = {"file": "请选择要导入的 Excel 文件（.xlsx）"}
        return render(request, "needs/import.html", ctx, user=user, status_code=422)
    try:
        data = checked_workbook(upload.file.read(limit + 1), upload.filename, limit)
        report = importer.import_needs(session, user, data)
    except DomainError as exc:
        if exc.status_code not in (409, 413, 422):
            raise
        ctx["errors"] = {"file": field_errors(exc).get("file", exc.message)}
        return render(request, "needs/import.html", ctx, user=user, status_code=422)
    ctx["report"] = report
    ctx["imported"] = need_queries.titles_of(session, report.need_ids) if report.ok else []
    ctx["filename"] = upload.filename
    return render(request, "needs/import.html", ctx, user=user, status_code=200 if report.ok else 422)
