"""Template rendering shared by all pages."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

_TITLES = {401: "请先登录", 403: "无权访问", 404: "页面不存在", 409: "操作无法完成", 413: "文件过大", 422: "输入有误", 429: "操作过于频繁", 500: "系统出错了"}


def render_error(request: Request, status: int, message: str, details: list[dict[str, Any]]) -> HTMLResponse:
    title = _TITLES.get(status, "出错了")
    if (TEMPLATES_DIR / "error.html").exists():
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "title": title, "message": message, "details": details}, status_code=status
        )
    return HTMLResponse(f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>{title}</title><h1>{title}</h1><p>{html.escape(message)}</p></html>", status_code=status)
