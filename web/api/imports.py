"""Bulk import API: the bureau uploads its Excel sheet of needs; all rows or none are stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from market.attachments import service as attachments
from market.errors import Invalid
from market.needs import importer
from market.needs.importer import ImportReport
from web.api.exports import XLSX, xlsx_response
from web.deps import BureauUser, RuntimeDep, SessionDep
from web.errors import responses

router = APIRouter(prefix="/imports", tags=["导入 imports"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/needs", response_model=ImportReport, responses=responses(401, 403, 413, 422))
def import_needs(
    session: SessionDep, user: BureauUser, runtime: RuntimeDep, file: Annotated[UploadFile, File(description="按模板填写的 .xlsx")]
) -> ImportReport:
    """科技局批量导入需求（Excel）。逐行校验；任一行有误则整表不导入（ok=false），并逐行列出问题。
    导入成功的需求进入「待审核」。"""
    limit = runtime.settings.limits.max_upload_bytes
    data = checked_workbook(file.file.read(limit + 1), file.filename, limit)
    return importer.import_needs(session, user, data)


def checked_workbook(data: bytes, filename: str | None, limit: int) -> bytes:
    """The uploaded sheet, refused (field ``file``) when empty, too large or not an .xlsx — for
    the API and the import page alike."""
    if not data:
        raise Invalid.field("file", "文件为空")
    if len(data) > limit:
        raise Invalid.field("file", f"文件过大，不超过 {limit // (1024 * 1024)} MB")
    try:
        kind = attachments.sniff(data, filename or "upload.xlsx")
    except Invalid as exc:
        if data.startswith(b"PK"):
            raise Invalid.field("file", "无法读取 Excel 文件，请使用平台提供的模板（.xlsx）") from exc
        kind = None
    if kind != XLSX_TYPE:
        raise Invalid.field("file", "请上传 Excel 文件（.xlsx），可先下载导入模板")
    return data


@router.get("/needs/template", response_class=Response, responses={**XLSX, **responses(401, 403)})
def import_template(user: BureauUser) -> Response:
    """下载需求导入模板（含下拉可选值和填写说明）。"""
    return xlsx_response(importer.template_workbook(), "需求导入模板.xlsx")
