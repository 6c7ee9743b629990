"""The periodic 晾晒通报: an Excel workbook and a printable HTML page with charts.

Both are drawn from one :class:`ProgressReport` (``market.targets.progress.progress_report``), so
every figure equals the API's and the dashboard's: nothing here counts or divides again, it only
lays the figures out. Completion rates are written as the same numbers with a percent format.
"""

from __future__ import annotations

import io
from html import escape

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from market.db import CST
from market.targets.schemas import ProgressReport, TargetProgress

TITLE = "嘉兴市技术需求揭榜挂帅工作晾晒通报"
DEPARTMENT_RULE = "部门排名按其负责目标的平均完成率（单项完成率超过 100% 的按 100% 计）"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)


def target_name(t: TargetProgress) -> str:
    """ "发布技术需求（发榜）·2022 年度" or "… · 2022—2025 累计"."""
    span = f"{t.base_year}—{t.year} 年累计" if t.cumulative else f"{t.year} 年度"
    return f"{t.label}·{span}"


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def report_title(report: ProgressReport) -> str:
    return f"{TITLE}（{report.year} 年，数据截至 {report.as_of.isoformat()}）"


# --- Excel -----------------------------------------------------------------------------------


def _header(ws: Worksheet, row: int, titles: list[str]) -> None:
    for col, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def excel_report(report: ProgressReport, issue: str | None = None) -> bytes:
    """The workbook: 总览, 部门赛马, 县（市、区）赛马, 行业分布, 月度趋势 (with charts), 季度趋势,
    统计口径. ``issue`` names the issue (e.g. "2026 年第 3 期") when it is being issued."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "总览"
    ws["A1"] = report_title(report)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (f"{issue}　" if issue else "") + f"生成时间：{report.generated_at.astimezone(CST):%Y-%m-%d %H:%M}"
    cols = [
        "指标",
        "目标类型",
        "统计期",
        "目标值",
        "完成值",
        "完成率",
        "序时进度目标",
        "按当前进度预计",
        "状态",
        "责任部门",
    ]
    _header(ws, 4, cols)
    for r, t in enumerate(report.targets, start=5):
        values = [
            t.label,
            f"{t.base_year}—{t.year} 累计" if t.cumulative else f"{t.year} 年度",
            f"{t.period_start.isoformat()} 至 {t.period_end.isoformat()}",
            t.target,
            t.actual,
            t.completion_rate,
            t.expected_by_now,
            t.projected,
            t.status,
            t.department or "—",
        ]
        for c, v in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=v)
        ws.cell(row=r, column=6).number_format = "0.0%"
    _widths(ws, [30, 16, 26, 10, 10, 10, 14, 16, 12, 14])
    ws.freeze_panes = "A5"

    deps = wb.create_sheet("部门赛马")
    _header(deps, 1, ["排名", "责任部门", "目标数", "已完成", "进度正常或已完成", "平均完成率", "目标"])
    for r, d in enumerate(report.departments, start=2):
        for c, v in enumerate(
            [d.rank, d.department, d.targets, d.completed, d.on_track, d.mean_rate, "；".join(d.items)], start=1
        ):
            deps.cell(row=r, column=c, value=v)
        deps.cell(row=r, column=6).number_format = "0.0%"
    if not report.departments:
        deps.cell(row=2, column=1, value="本年度的目标尚未指定责任部门")
    deps.cell(row=len(report.departments) + 3, column=1, value=DEPARTMENT_RULE)
    _widths(deps, [8, 18, 8, 8, 16, 12, 80])

    race = wb.create_sheet("县（市、区）赛马")
    row = 1
    for t in report.targets:
        race.cell(row=row, column=1, value=target_name(t)).font = Font(bold=True, size=12)
        row += 1
        _header(race, row, ["县（市、区）", "分解目标", "完成值", "完成率", "完成率排名", "数量排名"])
        start = row + 1
        for cp in sorted(t.by_county, key=lambda x: (x.rank_by_count, x.county)):
            row += 1
            for col, v in enumerate(
                [cp.county, cp.target, cp.actual, cp.completion_rate, cp.rank_by_rate, cp.rank_by_count],
                start=1,
            ):
                race.cell(row=row, column=col, value=v)
            race.cell(row=row, column=4).number_format = "0.0%"
        if row >= start:
            chart = BarChart()
            chart.type = "bar"
            chart.title = f"{t.label}：各县（市、区）完成数"
            chart.y_axis.title = t.unit
            chart.add_data(Reference(race, min_col=3, min_row=start - 1, max_row=row), titles_from_data=True)
            chart.set_categories(Reference(race, min_col=1, min_row=start, max_row=row))
            chart.height, chart.width = 7, 14
            race.add_chart(chart, f"H{start - 1}")
        row = max(row + 2, start + 14)
    _widths(race, [16, 10, 10, 10, 12, 10])

    ind = wb.create_sheet("行业分布")
    row = 1
    for t in report.targets:
        ind.cell(row=row, column=1, value=target_name(t)).font = Font(bold=True, size=12)
        row += 1
        _header(ind, row, ["行业", "完成值"])
        for i in t.by_industry:
            row += 1
            ind.cell(row=row, column=1, value=i.industry)
            ind.cell(row=row, column=2, value=i.actual)
        row += 2
    _widths(ind, [20, 10])

    for sheet_name, attr in (("月度趋势", "monthly"), ("季度趋势", "quarterly")):
        tr = wb.create_sheet(sheet_name)
        row = 1
        for t in report.targets:
            points = getattr(t, attr)
            tr.cell(row=row, column=1, value=target_name(t)).font = Font(bold=True, size=12)
            row += 1
            _header(tr, row, ["期间", "新增", "累计", "目标值"])
            start = row + 1
            for p in points:
                row += 1
                for col, v in enumerate([p.period, p.count, p.cumulative, t.target], start=1):
                    tr.cell(row=row, column=col, value=v)
            if points and attr == "monthly":
                chart = LineChart()
                chart.title = f"{t.label}：累计完成与目标"
                chart.add_data(
                    Reference(tr, min_col=3, max_col=4, min_row=start - 1, max_row=row), titles_from_data=True
                )
                chart.set_categories(Reference(tr, min_col=1, min_row=start, max_row=row))
                chart.height, chart.width = 7, 16
                tr.add_chart(chart, f"F{start - 1}")
            row = max(row + 2, start + 15) if attr == "monthly" else row + 2
        _widths(tr, [12, 8, 8, 8])

    defs = wb.create_sheet("统计口径")
    _header(defs, 1, ["指标", "口径"])
    seen: set[str] = set()
    r = 1
    for t in report.targets:
        if t.metric in seen:
            continue
        seen.add(t.metric)
        r += 1
        defs.cell(row=r, column=1, value=t.label)
        defs.cell(row=r, column=2, value=t.definition)
    defs.cell(
        row=r + 2, column=1, value="预计期末 = 当前完成值 × 统计期天数 ÷ 已过天数（按当前进度线性推算）"
    )
    _widths(defs, [30, 90])

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- printable page --------------------------------------------------------------------------


def _county_bars_svg(t: TargetProgress) -> str:
    """Horizontal bars per county: completion rate where a county target exists, else count."""
    rows = sorted(t.by_county, key=lambda c: (c.rank_by_count, c.county))
    use_rate = any(c.completion_rate is not None for c in rows)
    values = [(c.completion_rate or 0.0) if use_rate else float(c.actual) for c in rows]
    top = max([1.0, *values])
    bar_h, gap, left, width = 18, 6, 80, 360
    height = len(rows) * (bar_h + gap) + 10
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(t.label)}各县完成情况" '
        f'viewBox="0 0 {left + width + 70} {height}" '
        f'width="{left + width + 70}" height="{height}">'
    ]
    for i, (c, v) in enumerate(zip(rows, values, strict=True)):
        y = i * (bar_h + gap) + 5
        w = int(width * v / top) if top else 0
        label = pct(c.completion_rate) if use_rate else str(c.actual)
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(c.county)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" fill="#2f6fb3"></rect>')
        parts.append(f'<text x="{left + w + 4}" y="{y + 13}">{escape(label)}</text>')
    if use_rate:
        x = left + int(width / top)
        parts.append(
            f'<line x1="{x}" y1="0" x2="{x}" y2="{height}" stroke="#c00" stroke-dasharray="4 3"></line>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _trend_svg(t: TargetProgress) -> str:
    """Cumulative actual per month against the target line."""
    points = t.monthly
    if not points:
        return ""
    w, h, pad = 520, 180, 30
    top = max(t.target, points[-1].cumulative, 1)
    n = max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad + (w - 2 * pad) * i / n, h - pad - (h - 2 * pad) * v / top

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, p.cumulative) for i, p in enumerate(points)))
    _, ty = xy(0, t.target)
    first, last = escape(points[0].period), escape(points[-1].period)
    return (
        f'<svg class="chart" role="img" aria-label="{escape(t.label)}累计趋势" '
        f'viewBox="0 0 {w} {h}" width="{w}" height="{h}">'
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#999"></line>'
        f'<line x1="{pad}" y1="{ty:.1f}" x2="{w - pad}" y2="{ty:.1f}" '
        'stroke="#c00" stroke-dasharray="5 4"></line>'
        f'<text x="{w - pad}" y="{ty - 4:.1f}" text-anchor="end" fill="#c00">目标 {t.target}</text>'
        f'<polyline points="{path}" fill="none" stroke="#2f6fb3" stroke-width="2"></polyline>'
        f'<text x="{pad}" y="{h - 8}">{first}</text>'
        f'<text x="{w - pad}" y="{h - 8}" text-anchor="end">{last}</text>'
        "</svg>"
    )


def printable_html(report: ProgressReport, issue: str | None = None) -> str:
    """A self-contained A4 page (inline CSS and SVG charts, no scripts) for printing or PDF;
    ``issue`` names the issue when it is being issued."""
    title = escape(report_title(report))
    generated = f"{report.generated_at.astimezone(CST):%Y-%m-%d %H:%M}"
    subtitle = escape((f"{issue} · " if issue else "") + f"嘉兴市科学技术局 · 生成时间 {generated}")
    rows = "".join(
        "<tr>"
        f"<td>{escape(t.label)}</td><td>{escape(t.department or '—')}</td>"
        f"<td>{escape(f'{t.base_year}—{t.year} 累计' if t.cumulative else f'{t.year} 年度')}</td>"
        f"<td class=n>{t.target}</td><td class=n>{t.actual}</td><td class=n>{pct(t.completion_rate)}</td>"
        f"<td class=n>{t.expected_by_now:g}</td>"
        f"<td class=n>{'—' if t.projected is None else f'{t.projected:g}'}</td>"
        f'<td class="s {"bad" if t.on_track is False else "ok"}">{escape(t.status)}</td>'
        "</tr>"
        for t in report.targets
    )
    sections = []
    for t in report.targets:
        race = "".join(
            f"<tr><td>{escape(c.county)}</td><td class=n>{'—' if c.target is None else c.target}</td>"
            f"<td class=n>{c.actual}</td><td class=n>{pct(c.completion_rate)}</td>"
            f"<td class=n>{'—' if c.rank_by_rate is None else c.rank_by_rate}</td>"
            f"<td class=n>{c.rank_by_count}</td></tr>"
            for c in sorted(t.by_county, key=lambda c: (c.rank_by_count, c.county))
        )
        sections.append(
            f'<section class="target"><h2>{escape(target_name(t))}</h2>'
            f'<p class="meta">目标 {t.target} {escape(t.unit)}，'
            f"完成 {t.actual} {escape(t.unit)}（{pct(t.completion_rate)}），"
            f"{escape(t.status)}。口径：{escape(t.definition)}</p>"
            f'<div class="charts">{_county_bars_svg(t)}{_trend_svg(t)}</div>'
            "<table><thead><tr><th>县（市、区）</th><th>分解目标</th><th>完成值</th><th>完成率</th>"
            f"<th>完成率排名</th><th>数量排名</th></tr></thead><tbody>{race}</tbody></table></section>"
        )
    dep_rows = "".join(
        f"<tr><td class=n>{'—' if d.rank is None else d.rank}</td><td>{escape(d.department)}</td>"
        f"<td class=n>{d.targets}</td><td class=n>{d.completed}</td><td class=n>{d.on_track}</td>"
        f"<td class=n>{pct(d.mean_rate)}</td><td>{escape('；'.join(d.items))}</td></tr>"
        for d in report.departments
    )
    departments = (
        '<section class="departments"><h2>市级机关部门赛马</h2>'
        "<table><thead><tr><th>排名</th><th>责任部门</th><th>目标数</th><th>已完成</th>"
        f"<th>进度正常或已完成</th><th>平均完成率</th><th>目标</th></tr></thead><tbody>{dep_rows}</tbody></table>"
        f'<p class="meta">{escape(DEPARTMENT_RULE)}。</p></section>'
        if report.departments
        else ""
    )
    empty = "" if report.targets else "<p>本年度尚未设置目标任务。</p>"
    return (
        "<!doctype html><html lang=zh-CN><head><meta charset=utf-8>"
        f"<title>{title}</title><style>"
        "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:24px;color:#222}"
        "h1{font-size:20px;text-align:center}"
        "h2{font-size:16px;border-left:4px solid #2f6fb3;padding-left:8px}"
        "table{border-collapse:collapse;width:100%;margin:8px 0 16px}"
        "th,td{border:1px solid #bbb;padding:4px 6px;font-size:13px}"
        "th{background:#ddebf7}td.n{text-align:right}.s.bad{color:#c00}.s.ok{color:#17803d}"
        ".meta{font-size:13px;color:#444}.charts{display:flex;gap:16px;flex-wrap:wrap}"
        ".chart text{font-size:11px}"
        "@media print{body{margin:10mm}.target{break-inside:avoid}}@page{size:A4;margin:12mm}"
        ".sub{text-align:center;color:#555;font-size:13px}"
        f'</style></head><body><h1>{title}</h1><p class="sub">{subtitle}</p>'
        "<table><thead><tr><th>指标</th><th>责任部门</th><th>目标类型</th><th>目标值</th><th>完成值</th><th>完成率</th>"
        f"<th>序时进度目标</th><th>按当前进度预计</th><th>状态</th></tr></thead><tbody>{rows}</tbody></table>"
        f"{empty}{departments}{''.join(sections)}"
        '<p class="meta">预计期末 = 当前完成值 × 统计期天数 ÷ 已过天数（按当前进度线性推算）。</p>'
        "</body></html>"
    )
