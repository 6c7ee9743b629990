"""Files sent to the browser as downloads (attachments, Excel exports), for the API and the pages.

Always ``attachment`` (never rendered inline, so an uploaded HTML or SVG cannot run in our
origin), ``nosniff``, not cached; the file name is UTF-8 encoded (RFC 6266), with an ASCII
fallback where one is given for old clients.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

from market.attachments.models import Attachment


def download(data: bytes, filename: str, media_type: str, *, ascii_fallback: str | None = None) -> Response:
    disposition = "attachment; "
    if ascii_fallback:
        disposition += f"filename={ascii_fallback}; "
    disposition += f"filename*=UTF-8''{quote(filename)}"
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def attachment_download(att: Attachment) -> Response:
    """A stored attachment (of a need or a proposal); the caller has checked the viewer."""
    return download(att.data, att.filename, att.content_type)
