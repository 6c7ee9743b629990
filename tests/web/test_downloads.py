"""Every download (attachments, Excel exports) goes out the same way."""

from __future__ import annotations

from web.downloads import download


def test_download_is_an_uncached_attachment_with_a_utf8_name() -> None:
    r = download(b"%PDF-1.4", "冲压模具 图纸.pdf", "application/pdf")
    assert r.body == b"%PDF-1.4" and r.media_type == "application/pdf"
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''%E5%86%B2%E5%8E%8B%E6%A8%A1%E5%85%B7%20%E5%9B%BE%E7%BA%B8.pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "private, no-store"


def test_an_ascii_fallback_name_comes_first_for_old_clients() -> None:
    r = download(b"x", "晾晒通报.xlsx", "application/octet-stream", ascii_fallback="report.xlsx")
    assert r.headers["content-disposition"].startswith("attachment; filename=report.xlsx; filename*=UTF-8''")
