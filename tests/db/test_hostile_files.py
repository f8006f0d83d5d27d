"""Hostile files: each refused quickly, in one or a few Chinese lines naming the file (and the
row and column where there is one), with nothing written, on SQLite and on PostgreSQL.

The files are made here, byte by byte where openpyxl would not write them: a zip bomb (a
1.8 MB workbook whose sheet unpacks to 520 MB), a quarter of a million rows, formulas, NaN,
infinities, 1e400, binary garbage, Excel's GBK CSV."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.imports import MAX_ROWS, ImportProblems, import_items, import_members, read_table
from db.store import Store

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2026
SCHEME = "xinmi-hospital-2023"
ITEMS_HEADER = ["姓名", "季度", "类型", "事项编号", "级别", "分值", "事由", "佐证材料"]


@pytest.fixture
def store(db_target) -> Store:
    st = Store(open_engine(db_target), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), YEAR)
    st.add_members([dict(name="王建国", status="full"), dict(name="刘丽娟", status="full")])
    return st


def written(store: Store) -> tuple[int, int]:
    """What the store holds: members and entries (counted before and after every refusal)."""
    return len(store.members()), sum(len(store.entries(QuarterRef(YEAR, q))) for q in (1, 2, 3, 4))


def refused(store: Store, path: Path, items: bool = True) -> list[str]:
    before = written(store)
    with pytest.raises(ImportProblems) as err:
        import_items(store, path, YEAR) if items else import_members(store, path)
    assert written(store) == before, "a refused file wrote something"
    for line in err.value.problems:
        assert line.startswith((path.name, "……另有")), line
    return err.value.problems


def items_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(",".join(r) + "\r\n" for r in [ITEMS_HEADER, *rows]).encode(encoding))
    return path


# --- a minimal workbook, written part by part ------------------------------------------------------

_CT = ('<?xml version="1.0" encoding="UTF-8"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
         'officeDocument/2006/relationships/officeDocument"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8"?>'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet"/></Relationships>')
_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"


def workbook(path: Path, rows: Iterable[bytes], level: int = 6) -> Path:
    """A workbook whose one sheet holds `rows` (each a <row> element), streamed into the zip."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, text in (("[Content_Types].xml", _CT), ("_rels/.rels", _RELS), ("xl/workbook.xml", _WB),
                           ("xl/_rels/workbook.xml.rels", _WB_RELS)):
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            for row in rows:
                sheet.write(row)
            sheet.write(_SHEET_TAIL)
    return path


def _col(i: int) -> str:
    return "ABCDEFGH"[i]


def text_row(n: int, cells: list[str]) -> bytes:
    """A row of inline text cells (what a user typed; a leading = stays text)."""
    out = "".join(f'<c r="{_col(i)}{n}" t="inlineStr"><is><t>{_xml(v)}</t></is></c>'
                  for i, v in enumerate(cells) if v != "")
    return f'<row r="{n}">{out}</row>'.encode()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


# --- the zip bomb ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """1.3-1.9 MB on disk, a sheet of 520 MB of XML: the same row over and over."""
    row = (b'<row r="2"><c r="A2" t="inlineStr"><is><t>\xe7\x8e\x8b\xe5\xbb\xba\xe5\x9b\xbd</t></is></c>'
           b'<c r="B2"><v>1</v></c></row>') * 10_000
    target = 520 * 2**20
    path = workbook(tmp_path_factory.mktemp("bomb") / "名册.xlsx", (row for _ in range(target // len(row) + 1)))
    with zipfile.ZipFile(path) as zf:
        assert sum(p.file_size for p in zf.infolist()) > target
    assert path.stat().st_size < 2 * 2**20
    return path


_MEASURE = """
import json, resource, sys, time
from db.imports import ImportProblems, read_table
import openpyxl  # loaded before the baseline: what follows is the file's own cost
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    read_table(sys.argv[1])
    problems = None
except ImportProblems as exc:
    problems = exc.problems
took = time.perf_counter() - start
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(json.dumps({"problems": problems, "seconds": took, "grew_kb": grew}))
"""


def measure(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage is POSIX")
def test_a_zip_bomb_is_refused_in_seconds_with_little_memory(bomb):
    got = measure(bomb)
    print(f"zip bomb ({bomb.stat().st_size / 2**20:.1f} MB -> 520 MB): refused in {got['seconds']:.3f} s, "
          f"peak RSS grew {got['grew_kb'] / 1024:.1f} MB")
    assert got["problems"] and len(got["problems"]) == 1
    assert got["problems"][0].startswith("名册.xlsx：这个 Excel 工作簿解压后过大")
    assert "上限 50 MB" in got["problems"][0]
    assert got["seconds"] < 3
    assert got["grew_kb"] < 200 * 1024


def test_a_zip_bomb_imports_nothing(store, bomb):
    problems = refused(store, bomb, items=False)
    assert len(problems) == 1 and "解压后过大" in problems[0]


def test_a_sheet_packed_absurdly_tight_is_refused_under_the_size_limit(store, tmp_path):
    # 40 MB of XML (under the 50 MB limit) packed some 400 times: no spreadsheet packs so tight.
    row = text_row(2, ["王建国", "1", "加分", "J1.1", "省级", "5"]) * 1000
    path = workbook(tmp_path / "积分事项.xlsx", (row for _ in range(40 * 2**20 // len(row))))
    problems = refused(store, path)
    assert len(problems) == 1 and "解压后过大" in problems[0] and "压缩了" in problems[0], problems


# --- too many rows ----------------------------------------------------------------------------------


def test_a_csv_of_300000_rows_is_refused_by_the_row_limit_quickly(store, tmp_path):
    rows = [["王建国", "1", "加分", "J1.1", "省级", "5", f"第{i}次", ""] for i in range(300_000)]
    path = items_csv(tmp_path / "积分事项.csv", rows)
    start = time.perf_counter()
    problems = refused(store, path)
    took = time.perf_counter() - start
    print(f"300,000-row CSV ({path.stat().st_size / 2**20:.1f} MB) refused in {took:.2f} s")
    assert problems == [f"积分事项.csv：数据超过 {MAX_ROWS} 行（导入上限），请分成几个文件导入"]
    assert took < 5


def test_an_xlsx_of_250000_rows_is_refused_before_openpyxl_reads_it(tmp_path):
    # Rows that differ (a number each) pack like a real sheet, some 10 times: the size and ratio
    # checks pass, and the streamed row count refuses it.
    rows = (f'<row r="{n}"><c r="A{n}"><v>{n * 7919 % 1000003}</v></c></row>'.encode() for n in range(1, 250_001))
    path = workbook(tmp_path / "积分事项.xlsx", rows)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size < 50 * 2**20 and sheet.file_size < 100 * sheet.compress_size
    got = measure(path)
    print(f"250,000-row XLSX refused in {got['seconds']:.2f} s, peak RSS grew {got['grew_kb'] / 1024:.1f} MB")
    assert got["problems"] == [f"积分事项.xlsx：数据超过 {MAX_ROWS} 行（导入上限），请分成几个文件导入"]
    assert got["seconds"] < 5
    assert got["grew_kb"] < 100 * 1024


def test_a_file_over_50_mb_is_refused_unread(store, tmp_path):
    path = tmp_path / "积分事项.csv"
    with open(path, "wb") as fh:
        fh.truncate(51 * 2**20)  # sparse: its size is what counts, and nothing is read
    assert refused(store, path) == ["积分事项.csv：文件太大（51 MB），超过导入上限 50 MB，请分成几个文件导入"]


def test_a_pipe_is_not_read(store, tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    path = tmp_path / "积分事项.csv"
    os.mkfifo(path)  # reading it would wait forever for a writer
    assert refused(store, path) == ["积分事项.csv：不是一个普通文件，请选择要导入的表格文件"]


# --- numbers that are not numbers ---------------------------------------------------------------


@pytest.mark.parametrize("cell, says", [
    ("NaN", "“NaN”不是数字"),
    ("inf", "“inf”不是数字"),
    ("-Infinity", "“-Infinity”不是数字"),
    ("abc", "“abc”不是数字"),
    ("=1+1", "“=1+1”不是数字"),
    ("1e400", "分值不能超过100分（积分方案规定的单项上限），不是“1E+400”"),
    ("1e30", "分值不能超过100分（积分方案规定的单项上限），不是“1E+30”"),
    ("100.5", "分值不能超过100分（积分方案规定的单项上限），不是“100.5”"),
    ("1e-400", "分值最多保留3位小数，不是“1E-400”"),
    ("0.0001", "分值最多保留3位小数，不是“0.0001”"),
    ("9" * 50, f"“{'9' * 20}…”不是数字"),
])
def test_points_that_are_no_sane_number_are_refused_by_row_and_column(store, tmp_path, cell, says):
    path = items_csv(tmp_path / "积分事项.csv", [["王建国", "1", "加分", "", "", "2", "", ""],
                                               ["刘丽娟", "1", "加分", "", "", cell, "", ""]])
    assert refused(store, path) == [f"积分事项.csv 第3行“分值”：{says}"]


def test_xlsx_number_cells_of_1e400_and_1e30_are_refused(store, tmp_path):
    header = text_row(1, ITEMS_HEADER)
    rows = [header,
            text_row(2, ["王建国", "1", "加分"])[:-6] + b'<c r="F2"><v>1e400</v></c></row>',
            text_row(3, ["刘丽娟", "1", "加分"])[:-6] + b'<c r="F3"><v>1E+30</v></c></row>']
    path = workbook(tmp_path / "积分事项.xlsx", rows)
    assert refused(store, path) == [
        "积分事项.xlsx 第2行“分值”：“inf”不是数字",  # openpyxl reads 1e400 as a float: infinity
        "积分事项.xlsx 第3行“分值”：分值不能超过100分（积分方案规定的单项上限），不是“1E+30”",
    ]


def test_a_scheme_may_set_its_own_points_limit(db_target, tmp_path):
    text = builtin_text(SCHEME).replace("[points]\n", "[points]\nlimit = 20\n", 1)
    assert "limit = 20" in text
    st = Store(open_engine(db_target), "书记")
    st.init_branch("第一党支部", SCHEME, text, YEAR)
    st.add_members([dict(name="王建国", status="full")])
    path = items_csv(tmp_path / "积分事项.csv", [["王建国", "1", "加分", "", "", "21", "", ""]])
    assert refused(st, path) == ["积分事项.csv 第2行“分值”：分值不能超过20分（积分方案规定的单项上限），不是“21”"]
    assert import_items(st, items_csv(path, [["王建国", "1", "加分", "", "", "20", "", ""]]), YEAR) == 1


# --- formulas are data ------------------------------------------------------------------------------


def test_formula_text_is_data_never_evaluated(store, tmp_path):
    link = '=HYPERLINK("http://example.invalid/x","点我")'
    roster = workbook(tmp_path / "名册.xlsx", [text_row(1, ["姓名", "党员类别"]), text_row(2, [link, "正式党员"]),
                                               text_row(3, ["=1+1", "正式党员"])])
    assert import_members(store, roster) == 2
    assert [m.name for m in store.members()][-2:] == [link, "=1+1"]  # the text as typed


def test_a_formula_without_a_saved_value_is_no_number(store, tmp_path):
    # A formula cell with no cached value (no program computed it): openpyxl gives nothing, and the
    # formula is neither evaluated nor taken for a number.
    rows = [text_row(1, ITEMS_HEADER),
            text_row(2, ["王建国", "1", "加分"])[:-6] + b'<c r="F2"><f>1+1</f></c></row>',
            text_row(3, ["刘丽娟", "1", "加分", "", "", "=2+3"])]
    path = workbook(tmp_path / "积分事项.xlsx", rows)
    assert refused(store, path) == ["积分事项.xlsx 第2行“分值”：加分须填写分值",
                                    "积分事项.xlsx 第3行“分值”：“=2+3”不是数字"]


# --- malformed, garbage, encodings -----------------------------------------------------------------


def test_binary_garbage_is_refused(store, tmp_path):
    noise = bytes((i * 7919 + 13) % 256 for i in range(20_000))
    csv_path = tmp_path / "积分事项.csv"
    csv_path.write_bytes(noise)
    assert refused(store, csv_path) == ["积分事项.csv：不是 CSV 文本文件（含有二进制内容），"
                                        "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx"]
    fake = tmp_path / "积分事项.xlsx"
    fake.write_bytes(b"PK\x03\x04" + noise)  # a zip's signature, then nothing of a zip
    assert refused(store, fake) == ["积分事项.xlsx：无法打开这个 Excel 工作簿，文件可能已损坏，"
                                    "请在 Excel 中打开后重新保存为 .xlsx"]


def test_a_damaged_sheet_inside_a_good_zip_is_refused(store, tmp_path):
    # Well-formed XML, but a number cell holding "NaN": openpyxl fails on it while reading rows.
    bad = b'<row r="2"><c r="F2"><v>NaN</v></c></row>'
    path = workbook(tmp_path / "积分事项.xlsx", [text_row(1, ITEMS_HEADER), bad])
    assert refused(store, path) == ["积分事项.xlsx：第一个工作表已损坏，无法读取，请在 Excel 中打开后重新保存"]


def test_a_cell_past_the_csv_field_limit_is_refused_with_its_row(store, tmp_path):
    path = items_csv(tmp_path / "积分事项.csv", [["王建国", "1", "加分", "", "", "2", "", ""],
                                               ["刘丽娟", "1", "加分", "", "", "2", '"' + "长" * 200_000 + '"', ""]])
    problems = refused(store, path)
    assert len(problems) == 1 and problems[0].startswith("积分事项.csv 第3行：CSV 格式有误"), problems


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_excel_csv_in_every_encoding_it_writes_is_read(store, tmp_path, encoding):
    # Chinese Excel saves "CSV（逗号分隔）" as GBK, and "CSV UTF-8" with a BOM.
    path = items_csv(tmp_path / "积分事项.csv", [["王建国", "1", "加分", "J1.1", "省级", "5", "获评先进", ""]],
                     encoding)
    data = path.read_bytes()
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    else:
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    assert import_items(store, path, YEAR) == 1
    assert [(e.points, e.note) for e in store.entries(QuarterRef(YEAR, 1))] == [(5, "获评先进")]


def test_a_bom_header_is_found(tmp_path):
    path = tmp_path / "名册.csv"
    path.write_bytes("姓名,党员类别\r\n王建国,正式党员\r\n".encode("utf-8-sig"))
    headers, rows = read_table(path)
    assert headers == ["姓名", "党员类别"]  # not "\ufeff姓名"
    assert [r.cells for r in rows] == [{"姓名": "王建国", "党员类别": "正式党员"}]


# --- a long list of problems ------------------------------------------------------------------------


def test_at_most_50_problems_are_listed_then_a_count(store, tmp_path):
    path = items_csv(tmp_path / "积分事项.csv", [["王建国", "1", "加分", "", "", "abc", "", ""]] * 120)
    problems = refused(store, path)
    assert problems[:2] == ["积分事项.csv 第2行“分值”：“abc”不是数字", "积分事项.csv 第3行“分值”：“abc”不是数字"]
    assert len(problems) == 51
    assert problems[49] == "积分事项.csv 第51行“分值”：“abc”不是数字"
    assert problems[50] == "……另有 70 处问题未列出"


def test_the_command_line_refuses_a_bomb_in_one_line_and_writes_nothing(bomb, tmp_path):
    db = tmp_path / "b.db"
    st = Store(open_engine(db), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), YEAR)
    jifen = Path(sys.executable).parent / "jifen"
    env = dict(os.environ, PYTHONIOENCODING="utf-8", JIFEN_LOG_DIR=str(tmp_path / "log"))
    start = time.perf_counter()
    done = subprocess.run([str(jifen), "--db", str(db), "members", "import", str(bomb)], capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=120)
    assert time.perf_counter() - start < 10
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "解压后过大" in done.stderr
    assert "Traceback" not in done.stderr
    assert st.members() == []


def test_formula_text_exported_to_xlsx_stays_text(tmp_path):
    import openpyxl

    from exports.forms import Table
    from exports.sheets import write_table

    link = '=HYPERLINK("http://example.invalid/x","点我")'
    path = write_table(Table("公示表", ["姓名", "积分"], [[link, 85], ["=1+1", 80.5]]), tmp_path / "公示.xlsx")
    with zipfile.ZipFile(path) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")  # no formula anywhere in the sheet
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    column = [c.value for c in ws["A"]]
    rows = ws["A"][column.index("姓名") + 1:]  # under the title, the line that says what it is, the header
    assert [(c.value, c.data_type) for c in rows] == [(link, "s"), ("=1+1", "s")]


def test_the_store_itself_refuses_points_that_are_no_number(tmp_path):
    from core.schemes import builtin_text
    from db.engine import open_engine
    from db.errors import StoreError
    from db.store import Store

    st = Store(open_engine(tmp_path / "b.db"))
    st.init_branch("第一党支部", "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), 2026)
    (mid,) = st.add_members([dict(name="甲", status="full")])
    for bad in ("abc", "", "1,5"):
        with pytest.raises(StoreError, match="不是数字"):
            st.add_entry(QuarterRef(2026, 1), mid, "bonus", bad, item="J6.3")
    assert st.entries(2026) == []
