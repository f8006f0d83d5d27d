"""The committee's report from three demo branches' records (and one under another scheme): the
figures, the grade distribution, the members under the pass mark, ranks only among branches of
one scheme, the branches not reported; written as PDF, XLSX and CSV and read back."""

from __future__ import annotations

import csv
import re
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from committee.records import records_of
from committee.report import committee_report, pass_mark
from committee.report_files import write_report
from core.quarter import QuarterRef
from core.schemes import builtin, builtin_text
from db.demo import build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store

Q1 = QuarterRef(2026, 1)
NAMES = [f"新密市中医院第{b}党支部" for b in "一二三"]
KNOWN = [*NAMES, "新密市中医院第四党支部"]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    base = tmp_path_factory.mktemp("branches")
    out = [records_of(build_demo(base / f"{i}.db", branch=name, seed=i), Q1) for i, name in enumerate(NAMES, 1)]
    out.append(records_of(_bureau(base / "bureau.db"), Q1))
    return out


def _bureau(path: Path) -> Store:
    """A small branch under municipal-bureau, its Q1 locked: the only one of its scheme."""
    st = Store(open_engine(path), "书记", clock=lambda: datetime(2026, 1, 5, 9, 0))
    st.init_branch("市局机关第一党支部", "municipal-bureau", builtin_text("municipal-bureau"), 2026)
    ids = st.add_members([dict(name=n, gender="男", birth_month="1980-01", post="科员", status="full")
                          for n in ("甲一", "乙二", "丙三", "丁四")])
    scheme = builtin("municipal-bureau")
    bonus = next(i for i in scheme.items if i.kind == "bonus" and i.points is not None)
    st.add_entry(Q1, ids[0], "bonus", bonus.points, item=bonus.code)
    day = datetime(2026, 3, 27, 14, 30)
    st.clock = lambda: day
    st.open_meeting(Q1, MeetingFacts(day, "会议室", "甲一", "乙二"))
    st.roll_call_rest(Q1)
    st.lock(Q1)
    return st


def test_the_report_holds_every_reporting_branch(records):
    report = committee_report(records, Q1, [*KNOWN, "市局机关第一党支部"], made_on=date(2026, 4, 2))
    assert [b.branch for b in report.branches] == sorted([*NAMES, "市局机关第一党支部"])
    assert report.missing == ("新密市中医院第四党支部",)
    assert "未结申诉" in report.note
    by = {b.branch: b for b in report.branches}
    for name, rec in zip(NAMES, records, strict=False):
        b = by[name]
        assert not b.alone and b.last_lock == rec.last.digest
        assert sum(b.distribution.values()) == sum(1 for m in b.members if not m.exempt)
        assert list(b.distribution)[:4] == ["优秀", "合格", "基本合格", "不合格"]
        assert all(m.shared_rank is not None for m in b.members if m.rank is not None)
        assert all(m.total is not None and m.total < Decimal(70) for m in b.under)
    bureau = by["市局机关第一党支部"]
    assert bureau.alone and all(m.shared_rank is None for m in bureau.members)
    # ranks across the xinmi branches: 1 is the highest total among all their members
    pooled = [(m.total, m.shared_rank) for n in NAMES for m in by[n].members if m.shared_rank is not None]
    best = max(t for t, _ in pooled)
    assert {r for t, r in pooled if t == best} == {1}
    assert sum(1 for _ in pooled) == sum(1 for n in NAMES for m in by[n].members if m.rank is not None)


def test_a_branch_whose_records_stop_before_the_quarter_has_not_reported(records):
    report = committee_report(records, QuarterRef(2026, 3), NAMES)
    assert report.branches == () and report.missing == tuple(NAMES)


def test_pass_marks_follow_each_scheme():
    marks = {sid: pass_mark(builtin(sid)) for sid in ("xinmi-hospital-2023", "municipal-bureau",
                                                      "jsit-college-2020", "linyi-geopark-2021",
                                                      "xingping-medical-insurance-2022")}
    assert marks["xinmi-hospital-2023"].text == "低于70分"
    assert marks["municipal-bureau"].text == "低于80分"
    assert marks["xingping-medical-insurance-2022"].text == "低于60分"
    assert marks["jsit-college-2020"].text == "70分及以下"  # 基本合格 at total_max 70
    assert marks["linyi-geopark-2021"] is None  # no grades: nothing to be under
    assert marks["xinmi-hospital-2023"].under(Decimal("69.5")) and not marks["xinmi-hospital-2023"].under(Decimal(70))


def test_written_as_csv_xlsx_and_pdf_and_read_back(records, tmp_path):
    report = committee_report(records, Q1, [*KNOWN, "市局机关第一党支部"], made_on=date(2026, 4, 2))
    members = [m for b in report.branches for m in b.members]

    path = write_report(report, tmp_path / "汇总.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(members)
    first = report.branches[0].members[0]
    assert rows[0]["党支部"] == report.branches[0].branch and rows[0]["党员姓名"] == first.name
    assert Decimal(rows[0]["总分"]) == first.total and rows[0]["同方案排名"] == str(first.shared_rank or "")
    assert {r["党支部"] for r in rows} == {b.branch for b in report.branches}

    from openpyxl import load_workbook

    wb = load_workbook(write_report(report, tmp_path / "汇总.xlsx"))
    sheet = wb.worksheets[0]
    heads = [c.value for c in sheet[3]]
    assert "同方案排名" in heads and "等次（拟定）" in heads
    assert sheet.max_row == 3 + len(members)
    total_col = heads.index("总分") + 1
    assert isinstance(sheet.cell(row=4, column=total_col).value, (int, float))
    summary = wb["各支部汇总"]
    cells = [str(c.value) for row in summary.iter_rows() for c in row if c.value is not None]
    assert "新密市中医院第四党支部" in cells  # not reported
    assert any(c.startswith("优秀") for c in cells) and any("低于70分" in c for c in cells)

    pdf = write_report(report, tmp_path / "汇总.pdf")
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                             text=True).stdout)
    assert "党员积分情况汇总表" in text and "2026年第一季度" in text
    assert "未报送：新密市中医院第四党支部" in text and "同方案" in text  # (the heading cell wraps)
    assert "本方案仅此一个支部报送，同方案排名空缺" in text
    for b in report.branches:
        assert b.branch in text and "等次分布" in text
    assert all(m.name in text for m in members)
    png = subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                         capture_output=True)
    assert png.returncode == 0 and list(tmp_path.glob("p*.png"))
