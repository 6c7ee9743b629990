"""The Excel import page: the report row by row in the page, nothing stored unless every row is
valid; fix and upload again."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.needs.models import Need
from market.orgs.models import User
from tests.web.api.test_imports import XLSX, _book, _row


def _post(c, data: bytes):  # type: ignore[no-untyped-def]
    return c.post(
        "/bureau/import", data={"csrf_token": c.cookies.get("jiebang_csrf") or ""}, files={"file": ("县报需求.xlsx", data, XLSX)}, follow_redirects=False
    )


def test_import_page_reports_each_bad_row_stores_nothing_then_imports_the_fixed_sheet(
    login, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    c = login(bureau_user)
    page = c.get("/bureau/import")
    assert page.status_code == 200 and "下载导入模板" in page.text
    before = session.scalar(select(func.count(Need.id)))
    bad = _post(c, _book([_row(enterprise_user.org), _row(enterprise_user.org, 行业="不存在的行业", 联系人="")]))
    assert bad.status_code == 422
    assert "第 3 行" in bad.text and "整表未导入" in bad.text
    assert session.scalar(select(func.count(Need.id))) == before
    not_excel = c.post("/bureau/import", data={"csrf_token": c.cookies.get("jiebang_csrf") or ""}, files={"file": ("a.xlsx", b"hello", XLSX)})
    assert not_excel.status_code == 422 and "请上传 Excel 文件" in not_excel.text
    ok = _post(c, _book([_row(enterprise_user.org), _row(enterprise_user.org, 需求名称="注塑车间能耗在线监测与优化")]))
    assert ok.status_code == 200 and "已全部导入 2 项需求" in ok.text
    assert "注塑车间能耗在线监测与优化</a>" in ok.text and "需求 #" not in ok.text  # named, never by number
    assert session.scalar(select(func.count(Need.id))) == (before or 0) + 2
    # Each imported need is listed by its title, linked to its review page (no bare record numbers).
    for need in session.scalars(select(Need).order_by(Need.id.desc()).limit(2)):
        assert f'<a href="/bureau/review/{need.id}">{need.title}</a>' in ok.text
    assert "需求 #" not in ok.text
    assert login(enterprise_user).get("/bureau/import").status_code == 403
