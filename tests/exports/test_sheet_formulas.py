"""Spreadsheets that cannot run: text a spreadsheet would take for a formula stays text, in
CSV as in XLSX; numbers stay numbers."""

from __future__ import annotations

import csv

from exports.forms import Table
from exports.sheets import write_table

LINK = '=HYPERLINK("http://example.invalid/x","点我")'
HOSTILE = [LINK, "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


def test_csv_text_that_starts_a_formula_is_written_as_text(tmp_path):
    rows = [[name, 85, "党员"] for name in HOSTILE] + [["张伟", -3, "−3 分"], ["李秀英", 80.5, "普通"]]
    path = write_table(Table("公示表", ["姓名", "积分", "备注"], rows), tmp_path / "公示.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        back = list(csv.reader(fh))
    assert back[0] == ["姓名", "积分", "备注"]
    # Each hostile name comes back behind the apostrophe that marks text; nothing else changed.
    assert [r[0] for r in back[1:1 + len(HOSTILE)]] == ["'" + n for n in HOSTILE]
    assert all(r[1] == "85" and r[2] == "党员" for r in back[1:1 + len(HOSTILE)])
    # Numbers (a negative one too) are numbers, and ordinary text is left as it was.
    assert back[-2:] == [["张伟", "-3", "−3 分"], ["李秀英", "80.5", "普通"]]
    # No cell of the file starts a formula.
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for row in back for cell in row)
