"""The ledger and the publicity tables as XLSX (openpyxl) and CSV, with Chinese headers and
numbers as numbers, for the committee's spreadsheets (Excel and WPS).

The XLSX is for people: its first row is the title, its second says whose and of when it is
(branch, period, the export date, and 草稿（未锁定） with its note on a draft), its third the
headings; it prints landscape, fitted to the page width, with those three rows on every page.
The CSV is for machines: the heading row first, then one row per member, so that it reads
back into a spreadsheet or a program as a plain table (lines above the headings would break
that); who and when travel in its file name and the XLSX.

No text in either ever runs as a formula: in XLSX every text cell is stored as a string
(openpyxl would otherwise write text beginning with = as a live formula), in CSV text
beginning with = + - @, a tab or a CR gets a leading apostrophe."""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exports.forms import Table

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# What a spreadsheet takes for the start of a formula when it opens a CSV (Excel and WPS also
# read + - @ and a leading tab or CR so). Such text gets a leading apostrophe, the spreadsheets'
# own mark for "this is text": a name or note typed as =HYPERLINK(...) never runs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEAD_ROWS = 3  # title, whose and when, headings


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def describe(table: Table, day: date) -> str:
    """The XLSX's second row: branch, period, export date, and the draft's mark and note."""
    parts = [f"党支部：{table.branch}" if table.branch else "", table.period,
             f"导出日期：{day.year}年{day.month}月{day.day}日"]
    line = "　　".join(p for p in parts if p)
    if table.mark:
        line += f"　　{table.mark}" + (f"：{table.note}" if table.note else "")
    if table.approval:  # the year's grades approved: the 批复 the 等次 column rests on
        line += f"　　{table.approval}"
    return line


def number_formats(table: Table) -> dict[int, str]:
    """One number format per column (0-based): "0.00" where any figure of the column has a
    fraction, else "0"; columns without numbers get none."""
    out: dict[int, str] = {}
    for i in range(len(table.headings)):
        values = [r[i] for r in table.rows if i < len(r) and _is_number(r[i])]
        if values:
            out[i] = "0.00" if any(isinstance(v, float) and not v.is_integer() for v in values) else "0"
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def write_table(table: Table, out: str | os.PathLike, subtitle: str = "", day: date | None = None) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        # UTF-8 with a BOM: Excel in China opens it without garbling the Chinese.
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([_csv_cell(h) for h in table.headings])
            writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
        return path
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = table.title.replace("“", "").replace("”", "")[:31] or "表"
    width = len(table.headings)
    _put(ws, 1, 1, table.title + (f"（{subtitle}）" if subtitle else "") + (f"　{table.mark}" if table.mark else ""))
    _put(ws, 2, 1, describe(table, day or date.today()))
    for r in (1, 2):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"].font = Font(bold=bool(table.mark), color="C03C3C" if table.mark else None)
    ws["A2"].alignment = Alignment(horizontal="left", wrap_text=True)
    for c, heading in enumerate(table.headings, 1):
        cell = _put(ws, HEAD_ROWS, c, heading)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    formats = number_formats(table)
    thin = Side(style="thin")
    for r, row in enumerate(table.rows, HEAD_ROWS + 1):
        for c, value in enumerate(row, 1):
            cell = _put(ws, r, c, value)
            if c - 1 in formats and _is_number(value):
                cell.number_format = formats[c - 1]
    for cells in ws.iter_rows(min_row=HEAD_ROWS, max_row=ws.max_row, max_col=width):
        for cell in cells:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for i, heading in enumerate(table.headings, 1):
        longest = max([len(str(heading))] + [len(str(r[i - 1])) for r in table.rows if i - 1 < len(r)])
        ws.column_dimensions[get_column_letter(i)].width = min(40, 4 + longest * 2)
    # A merged cell does not grow with its wrapped text: give the whose/when row its lines.
    across = sum(ws.column_dimensions[get_column_letter(i)].width for i in range(1, width + 1))
    ws.row_dimensions[2].height = 15 * max(1, -(-len(str(ws["A2"].value)) * 2 // int(across)))
    ws.freeze_panes = f"A{HEAD_ROWS + 1}"
    # Printing: A4 landscape, every column on the page's width, the three head rows on each page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"1:{HEAD_ROWS}"
    ws.print_options.horizontalCentered = True
    wb.save(path)
    return path


def _put(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """A cell's value; text is stored as text (data type "s") whatever it begins with, so that
    openpyxl never writes a name or note beginning with = as a formula."""
    if value is None or value == "":
        return ws.cell(row=row, column=column)  # an empty cell, not an empty text
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
