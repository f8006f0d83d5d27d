"""The committee's report as a file: a PDF on the forms' A4 page (exports.document), an XLSX and
a CSV through exports.sheets (Chinese headings, numbers as numbers, no text ever a formula).

The member table is the same in all three: one row per member of every reporting branch. The
XLSX adds a sheet 各支部汇总 (distribution, members under the pass mark, corrections, branches
not reported, the note on appeals); the CSV stays the plain member table a program reads back.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from committee.report import BranchReport, CommitteeReport
from exports.forms import Table, show_cell

FORMATS = (".pdf", ".xlsx", ".csv")
MEMBER_HEADINGS = ["党支部", "积分方案", "序号", "党员姓名", "性别", "职务", "身份", "积分", "评议分", "总分",
                   "支部排名", "同方案排名", "等次", "提示"]
SUMMARY_HEADINGS = ["党支部", "积分方案", "党员人数", "等次分布", "低于及格线", "低于及格线的党员", "更正次数",
                    "未结申诉", "本季度校验码"]


def _num(value: Decimal | int | None) -> Any:
    """An int when whole, a float otherwise, "" for none: spreadsheets keep numbers as numbers."""
    if value is None:
        return ""
    d = Decimal(value)
    return int(d) if d == d.to_integral_value() else float(d)


def _grade_head(report: CommitteeReport) -> str:
    heads = {b.grade_heading for b in report.branches}
    return "等次" if heads == {"等次"} else "等次（拟定）"


def member_table(report: CommitteeReport) -> Table:
    rows: list[list[Any]] = []
    for b in report.branches:
        for m in b.members:
            rows.append([b.branch, b.scheme_name, m.seq, m.name, m.gender, m.post, m.status,
                         "免于积分管理" if m.exempt else _num(m.points), _num(m.evaluation), _num(m.total),
                         _num(m.rank), _num(m.shared_rank), m.grade, "、".join(m.flags)])
    headings = [*MEMBER_HEADINGS[:12], _grade_head(report), MEMBER_HEADINGS[13]]
    return Table(report.heading, headings, rows, period=report.quarter.name, branch="各党支部")


def distribution_text(b: BranchReport) -> str:
    return "，".join(f"{g}{n}人" for g, n in b.distribution.items() if n or g != "不定等次")


def under_text(b: BranchReport) -> str:
    if b.mark is None:
        return "本方案未设分数线"
    return "、".join(f"{m.name}（{show_cell(_num(m.total))}分）" for m in b.under) or "无"


def appeals_text(b: BranchReport) -> str:
    """The branch's open appeals, each with its member, quarter and the answer's deadline."""
    said = []
    for a in b.open_appeals:
        due = f"，{a.deadline}前答复" if a.deadline else ""
        said.append(f"申诉第{a.number}号（{a.member}，{a.quarter}，{a.state}{due}{'，逾期' if a.overdue else ''}）")
    return "；".join(said) or "无"


def unfigured_text(report: CommitteeReport) -> str:
    """The branches that reported but could not be figured, each with why (a report must never
    drop a branch in silence)."""
    return "；".join(f"{branch}（无法计算：{why}）" for branch, why in report.unfigured)


def summary_rows(report: CommitteeReport) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for b in report.branches:
        counted = sum(1 for m in b.members if not m.exempt)
        rows.append([b.branch, b.scheme_name, counted, distribution_text(b),
                     f"{b.mark.text}（{b.mark.grade}线）" if b.mark else "未设", under_text(b), b.corrections,
                     appeals_text(b), b.last_lock])
    return rows


def write_report(report: CommitteeReport, out: str | os.PathLike) -> Path:
    """The report in the format its file name says (.pdf, .xlsx, .csv)."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _pdf(report, path)
    from exports.sheets import write_table

    written = write_table(member_table(report), path, day=report.made_on)
    if suffix == ".xlsx":
        _summary_sheet(report, written)
    return written


def _summary_sheet(report: CommitteeReport, path: Path) -> None:
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    from exports.sheets import _put

    wb = load_workbook(path)
    ws = wb.create_sheet("各支部汇总")
    _put(ws, 1, 1, f"{report.heading}：各支部汇总").font = Font(bold=True, size=14)
    for c, h in enumerate(SUMMARY_HEADINGS, 1):
        _put(ws, 2, c, h).font = Font(bold=True)
    rows = summary_rows(report)
    for r, row in enumerate(rows, 3):
        for c, value in enumerate(row, 1):
            _put(ws, r, c, value)
    at = len(rows) + 4
    _put(ws, at, 1, "未报送的党支部")
    _put(ws, at, 2, "、".join(report.missing) or "无")
    _put(ws, at + 1, 1, "说明")
    _put(ws, at + 1, 2, report.note)
    if report.unfigured:
        _put(ws, at + 2, 1, "无法计算的党支部")
        _put(ws, at + 2, 2, unfigured_text(report))
    wb.save(path)


def _pdf(report: CommitteeReport, path: Path) -> Path:
    from exports.document import Document, cn_date

    doc = Document(report.heading, author="党委", layout="form")
    doc.add_page()
    doc.title_block(report.heading, f"（{report.quarter.name}）")
    doc.para(f"汇总日期：{cn_date(report.made_on)}　　报送支部：{len(report.branches)}个"
             f"　　未报送：{'、'.join(report.missing) or '无'}")
    doc.para(report.note)
    if report.unfigured:
        doc.para(f"无法计算的党支部（已报送，但其记录无法计算积分，未列入下表）：{unfigured_text(report)}", align="L")
    grade_head = _grade_head(report)
    any_eval = any(m.evaluation is not None for b in report.branches for m in b.members)
    headings = ["序号", "党员姓名", "职务", "身份", "积分", *(["评议分"] if any_eval else []), "总分", "排名",
                "同方案排名", grade_head, "提示"]
    widths = [9.0, 17.0, 27.0, 15.0, 11.0, *([11.0] if any_eval else []), 11.0, 10.0, 21.0, 15.0, 28.0]
    for b in report.branches:
        doc.heading(b.branch)
        # short lines set flush left: a justified line would spread a digest letter by letter
        doc.para(f"积分方案：{b.scheme_name}", align="L")
        doc.para(f"等次分布：{distribution_text(b) or '—'}", align="L")
        if b.mark is not None:
            doc.para(f"总分{b.mark.text}（{b.mark.grade}线）：{under_text(b)}", align="L")
        else:
            doc.para("本方案未设总分分数线", align="L")
        doc.para(f"已作更正：{b.corrections}次　　本季度校验码：{b.last_lock[:16]}…", align="L")
        doc.para(f"未结申诉：{appeals_text(b)}", align="L")
        if b.alone:
            doc.para("本方案仅此一个支部报送，同方案排名空缺", align="L")
        rows = []
        for m in b.members:
            figures = (["免于积分管理", *([""] if any_eval else []), ""] if m.exempt
                       else [show_cell(_num(m.points)), *([show_cell(_num(m.evaluation))] if any_eval else []),
                             show_cell(_num(m.total))])
            rows.append([m.seq, m.name, m.post, m.status, *figures, show_cell(_num(m.rank)),
                         show_cell(_num(m.shared_rank)), m.grade, "、".join(m.flags)])
        doc.grid(headings, rows, widths)
    return doc.save(path)
