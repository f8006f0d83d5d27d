"""The ledger and the publicity tables as XLSX (openpyxl) and CSV, with Chinese headers and
numbers as numbers, for the committee's spreadsheets (Excel and WPS)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from exports.forms import Table

# What a spreadsheet takes for the start of a formula when it opens a CSV (Excel and WPS also
# read + - @ and a leading tab or CR so). Such text gets a leading apostrophe, the spreadsheets'
# own mark for "this is text": a name or note typed as =HYPERLINK(...) never runs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_table(table: Table, out: str | os.PathLike, subtitle: str = "") -> Path:
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
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = table.title.strip("“”")[:31].replace("“", "").replace("”", "") or "表"
    ws.append([table.title + (f"（{subtitle}）" if subtitle else "") + (f"　{table.mark}" if table.mark else "")])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(table.headings))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(table.headings)
    thin = Side(style="thin")
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in table.rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # openpyxl takes text beginning with = for a formula: a
                cell.data_type = "s"  # name or note is data, never run by the spreadsheet
    for cells in ws.iter_rows(min_row=2, max_row=ws.max_row, max_col=len(table.headings)):
        for cell in cells:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if isinstance(cell.value, float):
                cell.number_format = "0.00"
    for i, heading in enumerate(table.headings, 1):
        longest = max([len(str(heading))] + [len(str(r[i - 1])) for r in table.rows if i - 1 < len(r)])
        ws.column_dimensions[get_column_letter(i)].width = min(40, 4 + longest * 2)
    ws.freeze_panes = "A3"
    wb.save(path)
    return path
