"""Attachments: size- and type-limited files, the type decided by content, not by the name."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from market.attachments.models import Attachment
from market.audit import service as audit
from market.errors import Invalid
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


def sniff(data: bytes, filename: str) -> str:
    """The content type of an allowed file, or Invalid if the bytes are not what the name claims."""
    name = filename.lower()
    for magic, ctype, exts in _SIGNATURES:
        if data.startswith(magic):
            if not name.endswith(exts):
                raise Invalid.field("file", f"文件内容与扩展名不符（内容为 {ctype}）")
            if ctype == "application/zip" and not name.endswith(".zip"):
                office = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
                marker = next(v for k, v in office.items() if name.endswith(k)).encode()
                if marker not in data[:200_000]:
                    raise Invalid.field("file", "文件内容与扩展名不符")
                return {
                    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                }[next(k for k in office if name.endswith(k))]
            return ctype
    raise Invalid.field("file", f"不支持的文件类型，仅支持 {ALLOWED_LABEL}")


def store(
    session: Session, *, owner_type: str, owner_id: int, filename: str, data: bytes, max_bytes: int, uploaded_by: int
) -> Attachment:
    if not data:
        raise Invalid.field("file", "文件为空")
    if len(data) > max_bytes:
        raise Invalid.field("file", f"文件过大，单个文件不超过 {max_bytes // (1024 * 1024)} MB")
    try:
        safe_name = clean_filename(filename)
    except TextRefused as exc:
        raise Invalid.field("file", f"文件名{exc}") from exc
    ctype = sniff(data, safe_name)
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
