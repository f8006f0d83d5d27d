"""Importing the roster (党员名册) and points entries (积分事项) from a spreadsheet.

Branches keep both in Excel, so a file is CSV or XLSX with Chinese column headers. Reading
is strict and all-or-nothing: every problem in the file is collected and reported at once,
each line naming the file, the row as the spreadsheet numbers it (header = row 1) and the
column by its header, and nothing reaches the database unless the whole file is good. The
store then applies its own checks (the roster, the scheme's catalogue) in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from core.branch import Entry, is_kind
from core.checks import check_entry, points_problem
from core.problems import capped
from core.quarter import EntryStatus
from core.scheme import POINTS_LIMIT
from db.errors import StoreError

if TYPE_CHECKING:
    from core.scheme import Scheme
    from db.store import Store


class ImportProblems(StoreError):
    """A file that cannot be imported; `problems` holds one Chinese line per problem, at most
    SHOWN of them and then one line counting the rest (a file of 300,000 bad rows is not
    300,000 lines on the screen)."""

    def __init__(self, problems: list[str]):
        self.problems = capped(problems)
        self.count = len(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Row:
    """One data row: its number in the spreadsheet and its cells by header. A cell is stripped
    text, "" when empty, or (from XLSX) the cell's own value: a datetime, int, float or bool."""

    number: int
    cells: dict[str, Any]


# --- reading a file ---------------------------------------------------------------------------------

_XLS_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: the old binary .xls (and .doc)
_ZIP_SIGNATURE = b"PK\x03\x04"  # an .xlsx is a zip archive

# Limits on what a file may hold, checked before it is parsed: a hostile file (a zip bomb, a
# million rows) is refused in seconds with little memory, never handed to the parser. A
# branch's roster or a year's entries are some thousands of rows at the very most.
MAX_ROWS = 200_000  # data rows, the header aside
MAX_FILE_BYTES = 50 * 2**20  # the file as it lies on disk
MAX_UNPACKED = 50 * 2**20  # an .xlsx: the sum of its parts' declared sizes, unpacked
MAX_RATIO = 100  # an .xlsx part over 1 MB that unpacks to more than 100 times its packed size
_RATIO_FLOOR = 2**20  # (Excel's own sheets pack some 5 to 20 times; a bomb hundreds of times)
_MB = 2**20


def read_table(path: str | Path) -> tuple[list[str], list[Row]]:
    """The header and the data rows of a CSV or XLSX file (first sheet), wholly empty rows
    skipped. The first non-empty row is the header. Refuses with ImportProblems anything
    that is not a readable spreadsheet, or is larger than the limits above."""
    path = Path(path)
    name = path.name
    ending = path.suffix.lower()
    if ending == ".xls":
        raise ImportProblems([f"{name}：这是旧版 Excel（.xls）文件，无法直接导入，"
                              "请在 Excel 中另存为 .xlsx 或 CSV 后再导入"])
    if ending not in (".csv", ".xlsx"):
        raise ImportProblems([f"{name}：只能导入 .xlsx 或 .csv 表格文件，不能导入“{path.suffix or '无扩展名'}”文件"])
    try:
        import stat

        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a folder, or a pipe that would block the read forever
            raise ImportProblems([f"{name}：不是一个普通文件，请选择要导入的表格文件"])
        if info.st_size > MAX_FILE_BYTES:
            raise ImportProblems([f"{name}：文件太大（{info.st_size / _MB:.0f} MB），超过导入上限 "
                                  f"{MAX_FILE_BYTES // _MB} MB，请分成几个文件导入"])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportProblems([f"{name}：找不到这个文件（{path}）"]) from None
    except OSError as exc:
        raise ImportProblems([f"{name}：无法读取文件（{exc.strerror or exc}）"]) from None
    if not data.strip():
        raise ImportProblems([f"{name}：文件是空的，没有表头和数据"])
    raw = _csv_rows(name, data) if ending == ".csv" else _xlsx_rows(name, path, data)
    return _table(name, raw)


def _too_many_rows(name: str) -> ImportProblems:
    return ImportProblems([f"{name}：数据超过 {MAX_ROWS} 行（导入上限），请分成几个文件导入"])


def _csv_rows(name: str, data: bytes) -> list[list[Any]]:
    if b"\x00" in data:
        # Text never holds NUL bytes; a workbook, a picture or UTF-16 text does.
        if data.startswith(_ZIP_SIGNATURE):
            why = "这是一个 Excel 工作簿（.xlsx），扩展名却是 .csv，请把扩展名改为 .xlsx"
        elif data.startswith(_XLS_SIGNATURE):
            why = "这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV"
        else:
            why = "不是 CSV 文本文件（含有二进制内容），请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx"
        raise ImportProblems([f"{name}：{why}"])
    text = _decode(name, data)
    rows: list[list[Any]] = []
    try:
        # newline="" keeps line breaks inside quoted cells, as the csv module requires.
        for record in csv.reader(io.StringIO(text, newline="")):
            rows.append(record)
            if len(rows) > MAX_ROWS + 1:
                raise _too_many_rows(name)
    except csv.Error as exc:
        raise ImportProblems([f"{name} 第{len(rows) + 1}行：CSV 格式有误，无法读取（{exc}）"]) from None
    return rows


def _decode(name: str, data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else GB18030: Excel in China saves
    "CSV（逗号分隔）" in the system code page (GBK), and GB18030 is the superset of GBK/GB2312."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as gb:
            # The encoding that read further is the likelier one; say where it broke.
            at = max(utf8.start, gb.start)
            line = data[:at].count(b"\n") + 1
            raise ImportProblems([f"{name} 第{line}行：文字编码无法识别（既不是 UTF-8 也不是 GB18030），"
                                  "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx"]) from None


_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
# A row element, with or without a namespace prefix (<row r="1">, <x:row>); bounded in length so
# a match never straddles more than the overlap kept between chunks.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?row[\s>/]")
_OVERLAP = 64


def _xlsx_guard(name: str, path: Path) -> None:
    """Refuse a workbook that would cost too much to parse, from its zip directory and one
    streamed pass over its sheets, before openpyxl sees it: unpacked size, packing ratio, rows.
    Python's zipfile never unpacks past a part's declared size, so the sizes summed here bound
    what openpyxl can read."""
    import zipfile

    damaged = ImportProblems([f"{name}：无法打开这个 Excel 工作簿，文件可能已损坏，"
                              "请在 Excel 中打开后重新保存为 .xlsx"])
    bomb = (f"{name}：这个 Excel 工作簿解压后过大，可能是损坏或恶意构造的文件，无法导入；"
            "请在 Excel 中打开后重新保存，或另存为 CSV 后再导入")
    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
            unpacked = sum(p.file_size for p in parts)
            if unpacked > MAX_UNPACKED:
                raise ImportProblems([f"{bomb}（解压后 {unpacked / _MB:.0f} MB，上限 {MAX_UNPACKED // _MB} MB）"])
            for p in parts:
                if p.file_size > _RATIO_FLOOR and p.file_size > MAX_RATIO * max(p.compress_size, 1):
                    raise ImportProblems([f"{bomb}（其中一部分压缩了 {p.file_size // max(p.compress_size, 1)} 倍）"])
            for p in parts:
                if _SHEET_PART.fullmatch(p.filename):
                    with zf.open(p) as part:
                        if _rows_over(part, MAX_ROWS + 1):
                            raise _too_many_rows(name)
    except ImportProblems:
        raise
    except Exception:  # not a zip, a damaged one, an unsupported packing: all the same to the user
        raise damaged from None


def _rows_over(stream: IO[bytes], limit: int) -> bool:
    """Whether a sheet's XML holds more than `limit` rows, read in chunks (bounded memory)."""
    count = 0
    tail = b""
    while True:
        chunk = stream.read(_MB)
        buf = tail + chunk
        # Count matches that start before the last _OVERLAP bytes; those after come round again.
        end = len(buf) if not chunk else max(len(buf) - _OVERLAP, 0)
        count += sum(1 for m in _ROW_TAG.finditer(buf) if m.start() < end)
        if count > limit:
            return True
        if not chunk:
            return False
        tail = buf[end:]


def _xlsx_rows(name: str, path: Path, data: bytes) -> list[list[Any]]:
    if data.startswith(_XLS_SIGNATURE):
        raise ImportProblems([f"{name}：这是旧版 Excel（.xls）文件，扩展名却是 .xlsx，"
                              "请在 Excel 中另存为 .xlsx 或 CSV"])
    if not data.startswith(_ZIP_SIGNATURE):
        raise ImportProblems([f"{name}：不是 Excel 工作簿（.xlsx），文件已损坏或是别的文件改了扩展名"])
    _xlsx_guard(name, path)
    import openpyxl  # here, not at the top: only an XLSX import pays for loading it

    try:
        # data_only: a formula cell gives the value Excel last computed, never its formula, and
        # nothing is ever evaluated; a formula with no saved value reads as an empty cell.
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # any failure inside the archive means the same thing to the user
        raise ImportProblems([f"{name}：无法打开这个 Excel 工作簿，文件可能已损坏，"
                              "请在 Excel 中打开后重新保存为 .xlsx"]) from None
    try:
        if not wb.worksheets:
            raise ImportProblems([f"{name}：工作簿中没有工作表"])
        ws = wb.worksheets[0]
        # Some programs write a wrong sheet size; without it openpyxl reads every row there is.
        ws.reset_dimensions()
        rows: list[list[Any]] = []
        try:
            for r in ws.iter_rows(values_only=True):
                rows.append(list(r))
                if len(rows) > MAX_ROWS + 1:  # the guard counted already; this is the backstop
                    raise _too_many_rows(name)
        except ImportProblems:
            raise
        except Exception:  # a corrupt sheet inside a valid archive
            raise ImportProblems([f"{name}：第一个工作表已损坏，无法读取，请在 Excel 中打开后重新保存"]) from None
        return rows
    finally:
        wb.close()  # read-only mode keeps the file open until closed


def _table(name: str, raw: list[list[Any]]) -> tuple[list[str], list[Row]]:
    cleaned = [(n, [_clean(v) for v in values]) for n, values in enumerate(raw, start=1)]
    filled = [(n, values) for n, values in cleaned if any(v != "" for v in values)]
    if not filled:
        raise ImportProblems([f"{name}：文件是空的，没有表头和数据"])
    (head_no, head), body = filled[0], filled[1:]
    headers = [_text(v) for v in head]
    seen: dict[str, int] = {}
    for col, h in enumerate(headers, start=1):
        if h and h in seen:
            raise ImportProblems([f"{name} 第{head_no}行：第{seen[h]}列和第{col}列的表头都是“{h}”，"
                                  "请删去或改名其中一列"])
        seen.setdefault(h, col)
    rows = []
    for n, values in body:
        cells = {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers) if h}
        rows.append(Row(n, cells))
    return [h for h in headers if h], rows


def _clean(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return value


def _text(value: Any) -> str:
    """A cell as text: a whole-number float (Excel keeps every number as one) without '.0'."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return str(value).strip()


# --- columns and problems ------------------------------------------------------------------------------


def _key(header: str) -> str:
    # Templates mark required columns with '*' and users pad headers with spaces.
    return re.sub(r"[\s*＊]", "", header)


class _Sheet:
    """A table being read: finds columns by header (or an alias) and collects problems."""

    def __init__(self, path: str | Path):
        self.name = Path(path).name
        self.headers, self.rows = read_table(path)
        self.problems: list[str] = []
        self.column: dict[str, str] = {}  # field -> the header as written in the file

    def find(self, field: str, *names: str) -> str | None:
        """The file's header for a field: the first of `names` present, so the main name
        wins over its aliases."""
        by_key = {_key(h): h for h in self.headers}
        for n in names:
            if n in by_key:
                self.column[field] = by_key[n]
                return by_key[n]
        return None

    def missing(self, what: str) -> None:
        found = "、".join(self.headers) or "无"
        self.problems.append(f"{self.name}：表头中缺少“{what}”一列（找到的表头：{found}）")

    def cell(self, row: Row, field: str) -> Any:
        header = self.column.get(field)
        return row.cells.get(header, "") if header else ""

    def text(self, row: Row, field: str) -> str:
        return _text(self.cell(row, field))

    def bad(self, row: Row, field: str, message: str) -> None:
        column = self.column.get(field)  # a scheme's check may be about a column the file lacks
        where = f"“{column}”" if column else ""
        self.problems.append(f"{self.name} 第{row.number}行{where}：{message}")

    def done(self) -> None:
        if self.problems:
            raise ImportProblems(self.problems)

    def need_data(self) -> None:
        if not self.rows:
            raise ImportProblems([f"{self.name}：只有表头，没有数据行"])


class _Bad(ValueError):
    """A cell that cannot be read; the message says what it should be."""


# --- values ------------------------------------------------------------------------------------------

_YM = re.compile(r"(\d{4})[-./年](\d{1,2})月?")
_YM_PACKED = re.compile(r"(\d{4})(\d{2})")
_YMD = re.compile(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?")
_YMD_PACKED = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _full_date(value: Any) -> date | None:
    """A whole date from a date cell or text (2024-05-01, 2024.5.1, 2024年5月1日, 20240501)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace(" ", "")
    m = _YMD.fullmatch(text) or _YMD_PACKED.fullmatch(text)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _birth_month(value: Any) -> str:
    """'YYYY-MM' from 1985-03, 1985.03, 1985/3, 1985年3月, 198503, a whole date or a date cell."""
    want = "应写成 1985-03"
    if isinstance(value, float) and not value.is_integer() and re.fullmatch(r"\d{4}\.1", repr(value)):
        # A number cell typed as 1985.10 is stored as 1985.1: October and January look the same.
        raise _Bad(f"数字“{value!r}”分不清是1月还是10月，请写成 1985-01 或 1985-10（或把单元格设为文本）")
    shown = _text(value)
    whole = _full_date(value)
    if whole is not None:
        year, month = whole.year, whole.month
    else:
        text = shown.replace(" ", "")
        m = _YM.fullmatch(text) or _YM_PACKED.fullmatch(text)
        if not m:
            raise _Bad(f"无法识别的日期“{shown}”，{want}")
        year, month = int(m[1]), int(m[2])
    if not (1 <= month <= 12 and 1900 <= year <= 2030):
        raise _Bad(f"无法识别的日期“{shown}”，{want}")
    return f"{year:04d}-{month:02d}"


def _day(value: Any) -> str:
    d = _full_date(value)
    if d is None or not 1900 <= d.year <= 2100:
        raise _Bad(f"无法识别的日期“{_text(value)}”，应写成 2024-05-01")
    return d.isoformat()


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text in ("", "否"):
        return False
    if text == "是":
        return True
    raise _Bad(f"应填“是”或“否”，不是“{text}”")


_STATUSES = {"正式党员": "full", "正式": "full", "预备党员": "probationary", "预备": "probationary"}
_GENDERS = {"男": "男", "女": "女", "男性": "男", "女性": "女", "": ""}
_KINDS = {"加分": "bonus", "减分": "deduction", "评分": "score", "一票否决": "veto"}
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
_QUARTER_Q = re.compile(r"(?:(\d{4})年?-?)?Q([1-4])")
_QUARTER_CN = re.compile(r"(?:(\d{4})年)?第?([1-4一二三四])(?:季度?)?")


def _quarter(value: Any, year: int | None) -> int:
    """The quarter from 2026Q3, Q3, 3, 三, 第三季度, 2026年第三季度 (a year must be `year`)."""
    shown = _text(value)
    text = shown.replace(" ", "").upper()
    m = _QUARTER_Q.fullmatch(text) or _QUARTER_CN.fullmatch(text)
    if not m:
        raise _Bad(f"无法识别的季度“{shown}”，应写成 {year or 2026}Q3、3 或 第三季度")
    if m[1] and year is not None and int(m[1]) != year:
        raise _Bad(f"“{shown}”不是{year}年的季度，本次导入的是{year}年")
    return _CN_DIGITS.get(m[2]) or int(m[2])


def _month(value: Any, year: int | None) -> int:
    """The month from 3, 03, 3月, or 2026-03 / 2026年3月 / a date cell (of `year` when given)."""
    shown = _text(value)
    y: int | None
    if isinstance(value, (datetime, date)):
        y, n = value.year, value.month
    else:
        text = shown.replace(" ", "")
        m = re.fullmatch(r"(\d{1,2})月?", text)
        ym = _YM.fullmatch(text)
        if m:
            y, n = year, int(m[1])
        elif ym:
            y, n = int(ym[1]), int(ym[2])
        else:
            raise _Bad(f"无法识别的月份“{shown}”，应写 1-12 之间的数字")
    if not 1 <= n <= 12:
        raise _Bad(f"无法识别的月份“{shown}”，应写 1-12 之间的数字")
    if year is not None and y is not None and y != year:
        raise _Bad(f"“{shown}”不是{year}年的月份，本次导入的是{year}年")
    return n


def _points(value: Any, limit: Decimal = POINTS_LIMIT) -> Decimal:
    """Points from a cell: a plain number (a trailing 分 allowed), finite, at most `limit` (the
    scheme's points.limit) and to two places. A formula's text (=1+1) is text, not a number."""
    shown = _text(value)
    if len(shown) > 40:
        raise _Bad(f"“{shown[:20]}…”不是数字")
    try:
        # Decimal from the text, so a float cell's 0.5 stays 0.5 and "5分" reads as 5.
        number = Decimal(shown[:-1] if shown.endswith("分") else shown)
    except InvalidOperation:
        raise _Bad(f"“{shown}”不是数字") from None
    if not number.is_finite():
        raise _Bad(f"“{shown}”不是数字")
    if number < 0:
        raise _Bad(f"分值不能为负数（“{shown}”）；减分请在“类型”中写减分，分值写正数")
    bad = points_problem(number, limit)
    if bad is not None:
        raise _Bad(bad[1])
    return number


# --- members -----------------------------------------------------------------------------------------


def read_members(path: str | Path) -> list[dict[str, Any]]:
    """The roster in a file as rows of Member fields; ImportProblems lists every problem."""
    return [m for _, m in read_numbered_members(path)]


def read_numbered_members(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """The roster as (spreadsheet row number, Member fields) pairs."""
    sheet = _Sheet(path)
    if not sheet.find("name", "姓名"):
        sheet.missing("姓名")
    if not sheet.find("status", "党员类别", "类别", "人员类别"):
        sheet.missing("党员类别")
    sheet.done()  # without these columns no row can be read
    sheet.need_data()
    sheet.find("gender", "性别")
    sheet.find("birth", "出生年月", "出生日期")
    sheet.find("post", "职务")
    sheet.find("regular_since", "转正日期")
    sheet.find("joined", "入党日期")
    sheet.find("exempt", "免于积分管理")
    sheet.find("exempt_reason", "免于积分原因")
    sheet.find("meeting_exempt", "免于参会")

    members: list[tuple[int, dict[str, Any]]] = []
    first_row: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        before = len(sheet.problems)
        m: dict[str, Any] = {"name": sheet.text(row, "name"), "post": sheet.text(row, "post")}
        if not m["name"]:
            sheet.bad(row, "name", "姓名不能为空")

        gender = sheet.text(row, "gender")
        if gender in _GENDERS:
            m["gender"] = _GENDERS[gender]
        else:
            sheet.bad(row, "gender", f"应填“男”或“女”，不是“{gender}”")

        m["birth_month"] = ""
        if sheet.text(row, "birth"):
            try:
                m["birth_month"] = _birth_month(sheet.cell(row, "birth"))
            except _Bad as exc:
                sheet.bad(row, "birth", str(exc))

        status = sheet.text(row, "status")
        m["status"] = _STATUSES.get(status, "")
        if not status:
            sheet.bad(row, "status", "不能为空，应填正式党员或预备党员")
        elif not m["status"]:
            sheet.bad(row, "status", f"“{status}”不是党员类别，应填正式党员或预备党员")

        # status_since is when the current status began: 转正 for a full member, joining
        # (as probationary) for a probationary one. A full member's 入党日期 is not that,
        # and the roster has no field for it.
        m["status_since"] = ""
        since_field = "regular_since" if m["status"] == "full" else "joined"
        if m["status"] == "probationary" and sheet.text(row, "regular_since"):
            sheet.bad(row, "regular_since", "预备党员还没有转正，不应有转正日期，请核对党员类别")
        elif m["status"] and sheet.text(row, since_field):
            try:
                m["status_since"] = _day(sheet.cell(row, since_field))
            except _Bad as exc:
                sheet.bad(row, since_field, str(exc))

        for field in ("exempt", "meeting_exempt"):
            try:
                m[field] = _yes_no(sheet.cell(row, field))
            except _Bad as exc:
                sheet.bad(row, field, str(exc))
                m[field] = False
        m["exempt_reason"] = sheet.text(row, "exempt_reason") if m["exempt"] else ""

        if len(sheet.problems) == before:
            # The same person twice would be refused by the store; say which rows.
            key = (m["name"], m["birth_month"])
            if key in first_row:
                born = f"（出生年月 {m['birth_month']}）" if m["birth_month"] else ""
                sheet.bad(row, "name", f"“{m['name']}”{born}与第{first_row[key]}行是同一人，重复了")
            else:
                first_row[key] = row.number
                members.append((row.number, m))
    sheet.done()
    return members


def import_members(store: Store, path: str | Path) -> int:
    """Add every member in the file to the roster, or none; the number added. The store
    refuses anyone already on the roster (a StoreError)."""
    rows = read_numbered_members(path)
    name = Path(path).name
    return len(store.add_members([m for _, m in rows], where=[f"{name} 第{n}行" for n, _ in rows]))


# --- points entries ----------------------------------------------------------------------------------


def read_items(path: str | Path, members_by_name: dict[str, int], year: int | None = None,
               ambiguous: Collection[str] = (), scheme: Scheme | None = None) -> list[dict[str, Any]]:
    """Points entries in a file as rows for Store.add_entries, members found by name.
    Given `year`, a 季度 or 月份 that names a year (2025Q3, 2025-07) must name that one;
    names in `ambiguous` belong to more than one member and are refused. Given `scheme`, each
    row is also checked against it (core.checks.check_entry, as the store checks it), every
    problem named by row and column."""
    return _read_items(path, members_by_name, year, ambiguous, scheme)[0]


# The file's column for each field core.checks.check_entry may fault.
_FIELDS = {"points": "points", "item": "item", "level": "level", "category": "category", "kind": "kind",
           "month": "month", "member": "name"}


def _read_items(path: str | Path, members_by_name: dict[str, int], year: int | None,
                ambiguous: Collection[str], scheme: Scheme | None = None) -> tuple[list[dict[str, Any]], list[int]]:
    limit = scheme.points.limit if scheme is not None else POINTS_LIMIT
    verdicts: dict[tuple, list[tuple[str, str, str]]] = {}  # rows repeat a few shapes: judge each once
    sheet = _Sheet(path)
    for field, header in (("name", "姓名"), ("kind", "类型"), ("points", "分值")):
        if not sheet.find(field, header):
            sheet.missing(header)
    has_quarter = sheet.find("quarter", "季度")
    has_month = sheet.find("month", "月份")
    if not (has_quarter or has_month):
        sheet.missing("季度”或“月份")
    sheet.done()
    sheet.need_data()
    sheet.find("item", "事项编号")
    sheet.find("level", "级别")
    sheet.find("category", "分类")
    sheet.find("note", "事由")
    sheet.find("evidence", "佐证材料")

    entries: list[dict[str, Any]] = []
    numbers: list[int] = []
    for row in sheet.rows:
        before = len(sheet.problems)
        name = sheet.text(row, "name")
        member_id = members_by_name.get(name)
        if not name:
            sheet.bad(row, "name", "姓名不能为空")
        elif name in ambiguous:
            sheet.bad(row, "name", f"名册中有不止一位“{name}”，无法确定是哪一位，请分别录入")
        elif member_id is None:
            sheet.bad(row, "name", f"名册中没有“{name}”")

        month = quarter = None
        if sheet.text(row, "month"):
            try:
                month = _month(sheet.cell(row, "month"), year)
            except _Bad as exc:
                sheet.bad(row, "month", str(exc))
        if sheet.text(row, "quarter"):
            try:
                quarter = _quarter(sheet.cell(row, "quarter"), year)
            except _Bad as exc:
                sheet.bad(row, "quarter", str(exc))
        if month is not None:
            if quarter is not None and quarter != (month - 1) // 3 + 1:
                sheet.bad(row, "quarter", f"{month}月不在第{quarter}季度")
            quarter = (month - 1) // 3 + 1
        elif quarter is None and not (sheet.text(row, "month") or sheet.text(row, "quarter")):
            sheet.bad(row, "quarter" if has_quarter else "month", "请填写季度或月份")

        kind_text = sheet.text(row, "kind")
        kind = _KINDS.get(kind_text)
        if kind is None:
            shown = f"“{kind_text}”不对，" if kind_text else "不能为空，"
            sheet.bad(row, "kind", f"{shown}应填{'/'.join(_KINDS)}")

        points = None
        if sheet.text(row, "points"):
            if kind == "veto":
                sheet.bad(row, "points", "一票否决事项不计分值，请留空")
            else:
                try:
                    points = _points(sheet.cell(row, "points"), limit)
                except _Bad as exc:
                    sheet.bad(row, "points", str(exc))
        elif kind is not None and kind != "veto":
            sheet.bad(row, "points", f"{kind_text}须填写分值")

        if len(sheet.problems) == before:
            item = sheet.text(row, "item") or None
            level = sheet.text(row, "level") or None
            category = sheet.text(row, "category") or None
            if scheme is not None and kind is not None and is_kind(kind):
                key = (kind, month is None, points, category, item, level)
                found = verdicts.get(key)
                if found is None:
                    found = verdicts[key] = check_entry(
                        scheme, Entry(str(member_id), kind, quarter, month, points, category, item, level))
                for field, _, zh in found:
                    sheet.bad(row, _FIELDS.get(field, field), zh)
            if len(sheet.problems) == before:
                entries.append(dict(quarter=quarter, member_id=member_id, kind=kind, points=points, item=item,
                                    level=level, category=category, month=month, note=sheet.text(row, "note"),
                                    evidence=sheet.text(row, "evidence"), status=EntryStatus.DECLARED))
                numbers.append(row.number)
    sheet.done()
    return entries, numbers


def import_items(store: Store, path: str | Path, year: int) -> int:
    """Record every entry in the file for `year`, or none; the number recorded. The store
    checks each against the scheme's catalogue and names the row it refuses."""
    from db.tables import saved_id

    by_name: dict[str, int] = {}
    ambiguous: set[str] = set()
    for m in store.members():
        if m.name in by_name:
            ambiguous.add(m.name)
        by_name[m.name] = saved_id(m)
    rows, numbers = _read_items(path, by_name, year, ambiguous, store.scheme(year))
    name = Path(path).name
    return len(store.add_entries(year, rows, where=[f"{name} 第{n}行" for n in numbers]))
