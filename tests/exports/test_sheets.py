"""The XLSX read back with openpyxl and as raw XML: text that a spreadsheet would run stays text
everywhere (title, the whose/when row, headings, cells), the sheet says what it is, one number
format per column, and it prints landscape on the page's width with its head rows repeated."""

from __future__ import annotations

import csv
import zipfile
from datetime import date

from openpyxl import load_workbook

from exports.forms import Table
from exports.sheets import write_table

HOSTILE = ['=HYPERLINK("http://example.invalid/x","点我")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]
DAY = date(2026, 11, 22)


def hostile_table(mark: str = "", note: str = "") -> Table:
    rows = [[i, name, f"={i}+1", 80 + i, 80.5 if i == 2 else 81] for i, name in enumerate(HOSTILE, 1)]
    return Table("=1+1公示表", ["序号", "=姓名", "职务", "合计", "总分"], rows, mark, note,
                 branch="=A1第一党支部", period="2026年第三季度")


def test_no_text_survives_as_a_formula(tmp_path):
    out = write_table(hostile_table(), tmp_path / "t.xlsx", day=DAY)
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    ws = load_workbook(out).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert ws["A1"].value == "=1+1公示表" and ws["A1"].data_type == "s"
    assert ws["A2"].value.startswith("党支部：=A1第一党支部")
    assert [c.value for c in ws[3]] == ["序号", "=姓名", "职务", "合计", "总分"]
    # Every hostile name and post comes back as written, as text (a CR comes back as LF: XML
    # normalises line ends when the file is read).
    assert [ws.cell(r, 2).value for r in range(4, 10)] == [h.replace("\r", "\n") for h in HOSTILE]
    assert [ws.cell(r, 3).value for r in range(4, 10)] == [f"={i}+1" for i in range(1, 7)]
    assert all(ws.cell(r, c).data_type == "s" for r in range(4, 10) for c in (2, 3))
    # and numbers stay numbers
    assert [ws.cell(r, 4).value for r in range(4, 10)] == [81, 82, 83, 84, 85, 86]


def test_the_sheet_says_what_it_is(tmp_path):
    ws = load_workbook(write_table(hostile_table(), tmp_path / "t.xlsx", day=DAY)).active
    assert ws["A2"].value == "党支部：=A1第一党支部　　2026年第三季度　　导出日期：2026年11月22日"
    draft = hostile_table("草稿（未锁定）", "本件为草稿：尚未锁定。")
    ws = load_workbook(write_table(draft, tmp_path / "d.xlsx", day=DAY)).active
    assert ws["A2"].value == ("党支部：=A1第一党支部　　2026年第三季度　　导出日期：2026年11月22日"
                              "　　草稿（未锁定）：本件为草稿：尚未锁定。")
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:E1", "A2:E2"}


def test_one_number_format_per_column(tmp_path):
    ws = load_workbook(write_table(hostile_table(), tmp_path / "t.xlsx", day=DAY)).active
    # 合计: whole numbers only -> "0"; 总分: one 80.5 among whole numbers -> "0.00" for all of them.
    assert {ws.cell(r, 4).number_format for r in range(4, 10)} == {"0"}
    assert {ws.cell(r, 5).number_format for r in range(4, 10)} == {"0.00"}
    assert ws.cell(5, 5).value == 80.5 and ws.cell(4, 5).value == 81


def test_it_prints_landscape_on_the_page_width(tmp_path):
    ws = load_workbook(write_table(hostile_table(), tmp_path / "t.xlsx", day=DAY)).active
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$1:$3"
    assert ws.freeze_panes == "A4"


def test_csv_is_a_plain_table_for_machines(tmp_path):
    out = write_table(hostile_table("草稿（未锁定）", "本件为草稿"), tmp_path / "t.csv")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["序号", "'=姓名", "职务", "合计", "总分"]  # the headings first, nothing above them
    assert len(rows) == 7
    assert [r[1] for r in rows[1:]] == ["'" + h for h in HOSTILE]
