"""Attachments: size- and type-limited files, the type decided by content, not by the name."""

from __future__ import annotations

import hashlib
import io
import zipfile

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.attachments.models import Attachment
from market.audit import service as audit
from market.errors import Invalid
from market.orgs.models import User
from market.settings import LimitSettings
from market.text import TextRefused, clean_filename

# (magic bytes, content type, extensions allowed with it)
_SIGNATURES: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"PK\x03\x04", "application/zip", (".docx", ".xlsx", ".pptx", ".zip")),
)
ALLOWED_LABEL = "PDF、PNG、JPEG、Word/Excel/PowerPoint（docx/xlsx/pptx）、ZIP"
ALLOWED_EXTENSIONS: tuple[str, ...] = tuple(ext for _, _, exts in _SIGNATURES for ext in exts)


# An organisation's uploads in all (issue 14, finding 17).
# Members a browser or Office could run or render as a page: never inside an accepted archive.
_ACTIVE_MEMBERS = (".html", ".htm", ".xhtml", ".svg", ".js", ".mjs", ".hta", ".exe", ".bat", ".cmd", ".ps1", ".vbs", ".jar")
_OFFICE_MAIN = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".pptx": "ppt/presentation.xml"}
_MAX_MEMBERS = 2000


def _archive_members(data: bytes) -> list[str]:
    """The member names of a real zip archive, or Invalid (issue 14, finding 17: ``PK\x03\x04`` and
    a marker string passed for a .docx)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Invalid.field("file", "文件已损坏或不是有效的压缩文件") from exc
    if len(names) > _MAX_MEMBERS:
        raise Invalid.field("file", "压缩文件内的文件过多")
    if any(n.lower().endswith(_ACTIVE_MEMBERS) for n in names):
        raise Invalid.field("file", "压缩文件内含网页或可执行文件，不予接收")
    return names


def _check_pdf(data: bytes) -> None:
    """A PDF ends with its ``%%EOF`` marker; bytes after it (an HTML tail) are refused."""
    if not data.rstrip(b"\r\n\t \x00").endswith(b"%%EOF"):
        raise Invalid.field("file", "PDF 文件不完整或结尾附带了其他内容")


def sniff(data: bytes, filename: str) -> str:
    """The content type of an allowed file, or Invalid if the bytes are not what the name claims.
    Containers are opened for real: an Office file is a zip holding ``[Content_Types].xml`` and its
    main part, an archive holds no web page or program, a PDF ends at its ``%%EOF``."""
    name = filename.lower()
    for magic, ctype, exts in _SIGNATURES:
        if data.startswith(magic):
            if not name.endswith(exts):
                raise Invalid.field("file", f"文件内容与扩展名不符（内容为 {ctype}）")
            if ctype == "application/pdf":
                _check_pdf(data)
            if ctype == "application/zip":
                members = _archive_members(data)
            if ctype == "application/zip" and not name.endswith(".zip"):
                main = next(v for k, v in _OFFICE_MAIN.items() if name.endswith(k))
                if "[Content_Types].xml" not in members or main not in members:
                    raise Invalid.field("file", "文件内容与扩展名不符（不是有效的 Office 文档）")
                return {
                    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                }[next(k for k in _OFFICE_MAIN if name.endswith(k))]
            return ctype
    raise Invalid.field("file", f"不支持的文件类型，仅支持 {ALLOWED_LABEL}")


def _check_quota(session: Session, uploaded_by: int, size: int, quota_bytes: int) -> None:
    """An organisation keeps at most ``quota_bytes`` of uploads (``JIEBANG_LIMITS__ORG_UPLOAD_QUOTA_BYTES``)."""
    org_id = session.scalar(select(User.org_id).where(User.id == uploaded_by))
    used = session.scalar(
        select(func.coalesce(func.sum(Attachment.size), 0))
        .join(User, User.id == Attachment.uploaded_by)
        .where(User.org_id == org_id)
    )
    if int(used or 0) + size > quota_bytes:
        raise Invalid.field("file", f"本单位上传的文件已达上限（共 {quota_bytes // (1024 * 1024)} MB），请删除不再需要的附件或联系科技局")


def check(
    session: Session,
    *,
    filename: str,
    data: bytes,
    max_bytes: int,
    uploaded_by: int,
    pending: int = 0,
    quota_bytes: int | None = None,
) -> tuple[str, str]:
    """What ``store`` checks before it stores (emptiness, size, name, content type, the uploader's
    quota with ``pending`` bytes about to be stored in the same request): the safe file name and
    the content type, or Invalid naming the field ``file``. A form that creates a record with its
    files checks every file first, so a refused file stores nothing. ``quota_bytes``: what the
    uploader's organisation may keep in all (the setting ``limits.org_upload_quota_bytes``; None:
    its default)."""
    if not data:
        raise Invalid.field("file", "文件为空")
    if len(data) > max_bytes:
        raise Invalid.field("file", f"文件过大，单个文件不超过 {max_bytes // (1024 * 1024)} MB")
    try:
        safe_name = clean_filename(filename)
    except TextRefused as exc:
        raise Invalid.field("file", f"文件名{exc}") from exc
    ctype = sniff(data, safe_name)
    quota = quota_bytes if quota_bytes is not None else LimitSettings().org_upload_quota_bytes
    _check_quota(session, uploaded_by, pending + len(data), quota)
    return safe_name, ctype


def store(
    session: Session,
    *,
    owner_type: str,
    owner_id: int,
    filename: str,
    data: bytes,
    max_bytes: int,
    uploaded_by: int,
    quota_bytes: int | None = None,
) -> Attachment:
    """Check (``check``) and keep an upload."""
    safe_name, ctype = check(
        session, filename=filename, data=data, max_bytes=max_bytes, uploaded_by=uploaded_by, quota_bytes=quota_bytes
    )
    att = Attachment(
        owner_type=owner_type,
        owner_id=owner_id,
        filename=safe_name,
        content_type=ctype,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=uploaded_by,
    )
    session.add(att)
    session.flush()
    audit.record(session, uploaded_by, "attachment.added", owner_type, owner_id, {"attachment_id": att.id, "filename": safe_name})
    return att
