"""Spreadsheet import: real CSV and XLSX files in tmp_path, a real SQLite store.

A good roster reads the same from every format Excel in China saves; every bad file is
refused with lines that name the file, the row and the column, and imports nothing."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.errors import StoreError
from db.imports import ImportProblems, import_items, import_members, read_members, read_table
from db.store import Store

YEAR = 2026
SCHEME = "xinmi-hospital-2023"

HEADER = ["姓名", "性别", "出生年月", "职务", "党员类别", "转正日期", "入党日期",
          "免于积分管理", "免于积分原因", "免于参会"]
ROSTER = [
    ["王建国", "男", "1968-05", "支部书记", "正式党员", "1995-07-01", "1994-07-01", "否", "", "否"],
    ["刘丽娟", "女", "1985.3", "组织委员", "正式", "2010年6月1日", "", "否", "", "否"],
    ["李明", "男", "1999年11月", "", "预备党员", "", "2026.1.8", "", "", ""],
    ["谢德明", "男", "195203", "", "正式党员", "", "", "否", "", "是"],
]
# name, gender, birth_month, post, status, status_since, exempt, exempt_reason, meeting_exempt
EXPECTED = [
    ("王建国", "男", "1968-05", "支部书记", "full", "1995-07-01", False, "", False),
    ("刘丽娟", "女", "1985-03", "组织委员", "full", "2010-06-01", False, "", False),
    ("李明", "男", "1999-11", "", "probationary", "2026-01-08", False, "", False),
    ("谢德明", "男", "1952-03", "", "full", "", False, "", True),
]


@pytest.fixture
def store(tmp_path) -> Store:
    st = Store(open_engine(tmp_path / "b.db"), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), YEAR)
    return st


def csv_text(rows: list[list[str]]) -> str:
    return "".join(",".join(r) + "\r\n" for r in rows)


def write(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def facts(store: Store) -> list[tuple]:
    return [(m.name, m.gender, m.birth_month, m.post, m.status, m.status_since, m.exempt, m.exempt_reason,
             m.meeting_exempt) for m in store.members()]


def refused(store: Store, path: Path) -> list[str]:
    """Import a bad file: it must be refused with ImportProblems and leave the roster empty."""
    with pytest.raises(ImportProblems) as err:
        import_members(store, path)
    assert store.members() == []
    assert str(err.value) == "\n".join(err.value.problems)
    for line in err.value.problems:
        assert line.startswith(path.name), line
    return err.value.problems


# --- a good roster, in every format ----------------------------------------------------------------


def _utf8(tmp_path: Path) -> Path:
    return write(tmp_path / "党员名册.csv", csv_text([HEADER, *ROSTER]), "utf-8")


def _utf8_bom(tmp_path: Path) -> Path:
    return write(tmp_path / "党员名册.csv", csv_text([HEADER, *ROSTER]), "utf-8-sig")


def _gb18030(tmp_path: Path) -> Path:
    return write(tmp_path / "党员名册.csv", csv_text([HEADER, *ROSTER]), "gb18030")


def _xlsx(tmp_path: Path) -> Path:
    rows: list[list[object]] = [list(r) for r in ROSTER]
    rows[0][2] = datetime(1968, 5, 1)  # a real date cell, as Excel makes of 1968-05
    rows[0][5] = datetime(1995, 7, 1)
    rows[3][2] = 195203  # a number cell
    return write_xlsx(tmp_path / "党员名册.xlsx", [HEADER, *rows])


@pytest.mark.parametrize("make", [_utf8, _utf8_bom, _gb18030, _xlsx], ids=["utf8", "utf8-bom", "gb18030", "xlsx"])
def test_a_good_roster_imports_the_same_from_every_format(store, tmp_path, make):
    path = make(tmp_path)
    assert import_members(store, path) == 4
    assert facts(store) == EXPECTED


def test_exemption_is_refused_where_the_scheme_has_none_and_kept_where_it_has(store, tmp_path):
    # xinmi's seed provides no exemption from points management: the whole roster is refused,
    # naming the row; jsit's provides one (本人申请，支委会审核，党员大会通过，公示无异议).
    rows = [HEADER, *ROSTER[:3], ["谢德明", "男", "195203", "", "正式党员", "", "", "是", "年老体弱", "是"]]
    path = write(tmp_path / "名册.csv", csv_text(rows))
    with pytest.raises((StoreError, ImportProblems)) as info:
        import_members(store, path)
    assert "第5行" in str(info.value) and "谢德明" in str(info.value) and "没有免于积分管理的规定" in str(info.value)
    assert store.members() == []
    jsit = Store(open_engine(tmp_path / "jsit.db"), "书记")
    jsit.init_branch("第一党支部", "jsit-college-2020", builtin_text("jsit-college-2020"), YEAR)
    assert import_members(jsit, path) == 4
    assert [(m.name, m.exempt, m.exempt_reason) for m in jsit.members() if m.exempt] == [("谢德明", True, "年老体弱")]
    # and switching it on later goes through the same check
    member = store_member = None
    store.add_members([dict(name="吴", status="full")])
    store_member = store.members()[0]
    with pytest.raises(StoreError, match="没有免于积分管理的规定"):
        store.update_member(store_member.id, exempt=True)
    assert member is None and not store.members()[0].exempt


def test_the_bytes_really_differ_between_encodings(tmp_path):
    text = csv_text([HEADER, *ROSTER])
    assert text.encode("utf-8") != text.encode("gb18030")
    assert text.encode("utf-8-sig").startswith(b"\xef\xbb\xbf")
    assert read_members(_gb18030(tmp_path)) == read_members(_utf8(tmp_path))


def test_header_aliases_and_blank_rows(tmp_path):
    # 出生日期 with whole dates, 人员类别, blank rows, and a padded, starred header all read.
    path = write(tmp_path / "名册.csv", csv_text([
        ["*姓名", "出生日期", " 人员类别 "],
        ["", "", ""],
        ["周晓梅", "1990/7/15", "正式"],
        [],
        ["吴国华", "19800102", "预备"],
    ]))
    rows = read_members(path)
    assert [(r["name"], r["birth_month"], r["status"]) for r in rows] == [
        ("周晓梅", "1990-07", "full"), ("吴国华", "1980-01", "probationary")]
    headers, table = read_table(path)
    assert headers == ["*姓名", "出生日期", "人员类别"]
    assert [r.number for r in table] == [3, 5]  # the spreadsheet's own row numbers


def test_importing_someone_already_on_the_roster_is_refused_whole(store, tmp_path):
    import_members(store, _utf8(tmp_path))
    again = write(tmp_path / "再导入.csv", csv_text([HEADER[:5], ["赵新", "男", "1990-01", "", "正式党员"],
                                                    ROSTER[1][:5]]))
    with pytest.raises(StoreError, match=r"刘丽娟.*已在名册中"):
        import_members(store, again)
    assert [m.name for m in store.members()] == ["王建国", "刘丽娟", "李明", "谢德明"]  # no 赵新


def test_openpyxl_is_not_loaded_until_an_xlsx_is_read():
    done = subprocess.run([sys.executable, "-c", "import sys, db.imports; print('openpyxl' in sys.modules)"],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# --- bad files: a clear refusal, nothing imported -------------------------------------------------


def test_an_encoding_that_is_neither_utf8_nor_gb18030_is_refused(store, tmp_path):
    # Shift-JIS: a half-width katakana (one byte, 0xB1) before a comma is no GB18030 sequence.
    # (A roster saved on a Japanese-locale PC: the headers in Japanese characters.)
    data = csv_text([["姓名", "性別", "出生年月", "職務", "党員類別"],
                     ["ﾔﾏﾀﾞ", "男", "1985-03", "ｱ", "正式党員"]]).encode("shift_jis")
    for encoding in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(encoding)
    problems = refused(store, write(tmp_path / "名册.csv", data))
    assert problems == ["名册.csv 第2行：文字编码无法识别（既不是 UTF-8 也不是 GB18030），"
                        "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx"]


def test_utf16_text_is_refused_as_not_csv(store, tmp_path):
    # Excel's "Unicode text" is UTF-16: every ASCII character carries a NUL byte.
    path = write(tmp_path / "名册.csv", csv_text([HEADER, *ROSTER]), "utf-16")
    assert refused(store, path) == ["名册.csv：不是 CSV 文本文件（含有二进制内容），"
                                    "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx"]


def test_a_missing_name_column_is_one_error_listing_the_headers(store, tmp_path):
    path = write(tmp_path / "名册.csv", csv_text([["名字", "性别", "党员类别"], ["王建国", "男", "正式党员"],
                                                  ["刘丽娟", "女", "正式党员"]]))
    assert refused(store, path) == ["名册.csv：表头中缺少“姓名”一列（找到的表头：名字、性别、党员类别）"]


def test_an_empty_name_is_refused(store, tmp_path):
    rows = [list(r) for r in ROSTER]
    rows[1][0] = "  "
    path = write(tmp_path / "名册.csv", csv_text([HEADER, *rows]))
    assert refused(store, path) == ["名册.csv 第3行“姓名”：姓名不能为空"]


def test_the_same_person_twice_names_both_rows(store, tmp_path):
    path = write(tmp_path / "名册.csv", csv_text([HEADER, *ROSTER, ROSTER[1]]))
    assert refused(store, path) == ["名册.csv 第6行“姓名”：“刘丽娟”（出生年月 1985-03）与第3行是同一人，重复了"]


def test_namesakes_born_apart_are_two_people(tmp_path):
    path = write(tmp_path / "名册.csv", csv_text([HEADER[:5], ["张伟", "男", "1980-01", "", "正式"],
                                                  ["张伟", "男", "1991-09", "", "正式"]]))
    assert [r["birth_month"] for r in read_members(path)] == ["1980-01", "1991-09"]


def test_a_bad_date_is_refused(store, tmp_path):
    rows = [list(r) for r in ROSTER]
    rows[2][2] = "1985/13"
    path = write(tmp_path / "党员名册.csv", csv_text([HEADER, *rows]))
    assert refused(store, path) == ["党员名册.csv 第4行“出生年月”：无法识别的日期“1985/13”，应写成 1985-03"]


def test_a_bad_status_date_is_refused(store, tmp_path):
    rows = [list(r) for r in ROSTER]
    rows[0][5] = "2024-02-30"
    path = write(tmp_path / "名册.csv", csv_text([HEADER, *rows]))
    assert refused(store, path) == ["名册.csv 第2行“转正日期”：无法识别的日期“2024-02-30”，应写成 2024-05-01"]


def test_a_number_cell_cannot_say_october(store, tmp_path):
    # 1985.10 typed into a number cell is kept as 1985.1: refuse rather than guess January.
    path = write_xlsx(tmp_path / "名册.xlsx", [["姓名", "出生年月", "党员类别"], ["王建国", 1985.1, "正式党员"]])
    [line] = refused(store, path)
    assert line.startswith("名册.xlsx 第2行“出生年月”：数字“1985.1”分不清是1月还是10月")


def test_an_unknown_member_status_is_refused(store, tmp_path):
    rows = [list(r) for r in ROSTER]
    rows[3][4] = "入党积极分子"
    path = write(tmp_path / "名册.csv", csv_text([HEADER, *rows]))
    assert refused(store, path) == ["名册.csv 第5行“党员类别”：“入党积极分子”不是党员类别，应填正式党员或预备党员"]


def test_three_bad_rows_are_all_reported(store, tmp_path):
    rows = [list(r) for r in ROSTER]
    rows[0][1] = "M"  # row 2
    rows[2][9] = "不确定"  # row 5 (a blank row 3 comes before it)
    rows[3][4] = ""  # row 6
    path = write_xlsx(tmp_path / "名册.xlsx", [HEADER, rows[0], [], rows[1], rows[2], rows[3]])
    assert refused(store, path) == [
        "名册.xlsx 第2行“性别”：应填“男”或“女”，不是“M”",
        "名册.xlsx 第5行“免于参会”：应填“是”或“否”，不是“不确定”",
        "名册.xlsx 第6行“党员类别”：不能为空，应填正式党员或预备党员",
    ]


def _broken_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "不是工作簿")
    return path


@pytest.mark.parametrize("name, data, says", [
    ("名册.xlsx", bytes(range(256)) * 4, "不是 Excel 工作簿（.xlsx）"),
    ("名册.xlsx", b"PK\x03\x04" + b"\x00" * 100, "无法打开这个 Excel 工作簿"),
    ("名册.xlsx", None, "无法打开这个 Excel 工作簿"),  # a real zip that holds no workbook
    ("名册.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "另存为 .xlsx 或 CSV"),
    ("名册.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "不是 CSV 文本文件"),
    ("名册.txt", "姓名,党员类别\n王建国,正式\n".encode(), "只能导入 .xlsx 或 .csv"),
    ("名册.csv", b"", "文件是空的"),
    ("名册.xlsx", b"", "文件是空的"),
    ("名册.csv", b"\r\n,,\r\n  \r\n", "文件是空的"),
    ("名册.csv", "姓名,党员类别\r\n".encode(), "只有表头，没有数据行"),
], ids=["random-bytes-xlsx", "broken-zip-xlsx", "zip-without-workbook", "xls", "png-as-csv", "txt",
        "empty-csv", "empty-xlsx", "blank-rows-only", "header-only"])
def test_a_file_that_is_not_a_roster_is_refused(store, tmp_path, name, data, says):
    path = _broken_zip(tmp_path / name) if data is None else write(tmp_path / name, data)
    [line] = refused(store, path)
    assert says in line, line


def test_an_empty_xlsx_workbook_is_refused(store, tmp_path):
    [line] = refused(store, write_xlsx(tmp_path / "名册.xlsx", []))
    assert line == "名册.xlsx：文件是空的，没有表头和数据"


def test_a_missing_file_is_refused(store, tmp_path):
    [line] = refused(store, tmp_path / "名册.csv")
    assert line.startswith("名册.csv：找不到这个文件")


# --- points entries ------------------------------------------------------------------------------

ITEM_HEADER = ["姓名", "季度", "类型", "事项编号", "级别", "分值", "事由", "佐证材料"]


@pytest.fixture
def roster(store, tmp_path) -> dict[str, int]:
    import_members(store, _utf8(tmp_path))
    return {m.name: m.id for m in store.members()}


def items_csv(tmp_path: Path, rows: list[list[str]], header: list[str] = ITEM_HEADER,
              encoding: str = "utf-8-sig") -> Path:
    return write(tmp_path / "积分事项.csv", csv_text([header, *rows]), encoding)


def entries(store: Store) -> list[tuple]:
    out = []
    for q in range(1, 5):
        out += [(e.member_id, q, e.kind, e.points, e.item_code, e.level, e.note, e.evidence, e.status)
                for e in store.entries(QuarterRef(YEAR, q))]
    return out


def test_good_entries_import(store, roster, tmp_path):
    path = items_csv(tmp_path, [
        ["王建国", "2026Q1", "加分", "J1.1", "省级", "5", "在省卫健委会议上交流发言", "会议通知"],
        ["刘丽娟", "三", "减分", "K3.1", "", "1", "未按时缴纳党费", "党费台账"],
        ["李明", "第二季度", "加分", "J6.5", "", "1", "", "党课讲稿"],
        ["刘丽娟", "4", "加分", "", "", "0.5", "协助整理支部档案", ""],
        ["王建国", "第3季度", "一票否决", "F1", "", "", "受到党纪处分", "处分决定"],
    ], encoding="gb18030")
    assert import_items(store, path, YEAR) == 5
    wang, liu, li = roster["王建国"], roster["刘丽娟"], roster["李明"]
    assert entries(store) == [
        (wang, 1, "bonus", Decimal(5), "J1.1", "省级", "在省卫健委会议上交流发言", "会议通知", "申报"),
        (li, 2, "bonus", Decimal(1), "J6.5", None, "在医院讲授党课（提供党课相关资料）", "党课讲稿", "申报"),
        (liu, 3, "deduction", Decimal(1), "K3.1", None, "未按时缴纳党费", "党费台账", "申报"),
        (wang, 3, "veto", None, "F1", None, "受到党纪处分", "处分决定", "申报"),
        (liu, 4, "bonus", Decimal("0.5"), None, None, "协助整理支部档案", "", "申报"),
    ]


def test_entries_by_month_from_xlsx(store, roster, tmp_path):
    path = write_xlsx(tmp_path / "积分事项.xlsx", [
        ["姓名", "月份", "类型", "事项编号", "分值", "事由"],
        ["王建国", 5, "减分", "K3.2b", 0.5, "因私请假未参加主题党日"],
        ["李明", "11月", "加分", "J3.2", 2, "两次无偿献血"],
    ])
    assert import_items(store, path, YEAR) == 2
    assert [(e.member_id, e.month, e.points) for e in store.entries(QuarterRef(YEAR, 2))] == [
        (roster["王建国"], 5, Decimal("0.5"))]
    assert [(e.member_id, e.month, e.points) for e in store.entries(QuarterRef(YEAR, 4))] == [(roster["李明"], 11, 2)]


def test_points_that_break_the_catalogue_refuse_the_whole_file(store, roster, tmp_path):
    path = items_csv(tmp_path, [
        ["王建国", "1", "加分", "J1.1", "省级", "5", "", ""],
        ["刘丽娟", "1", "减分", "K3.1", "", "1", "", ""],
        ["李明", "1", "加分", "J1.4", "", "6", "参加抗洪抢险", ""],  # J1.4: at most 5 each time
    ])
    with pytest.raises(ImportProblems) as err:
        import_items(store, path, YEAR)
    # Checked against the scheme while the file is read: the row and the column, every bad row.
    assert err.value.problems == ["积分事项.csv 第4行“分值”：事项 J1.4 每次不超过5分，不是6分"]
    assert entries(store) == []  # not even the two good rows before it


def test_an_unknown_name_is_refused(store, roster, tmp_path):
    path = items_csv(tmp_path, [
        ["王建国", "1", "加分", "J1.1", "省级", "5", "", ""],
        ["张三", "1", "加分", "J1.1", "省级", "5", "", ""],
    ])
    with pytest.raises(ImportProblems) as err:
        import_items(store, path, YEAR)
    assert err.value.problems == ["积分事项.csv 第3行“姓名”：名册中没有“张三”"]
    assert entries(store) == []


@pytest.mark.parametrize("quarter, says", [
    ("2026Q5", "无法识别的季度“2026Q5”，应写成 2026Q3、3 或 第三季度"),
    ("第五季度", "无法识别的季度“第五季度”，应写成 2026Q3、3 或 第三季度"),
    ("2025Q3", "“2025Q3”不是2026年的季度，本次导入的是2026年"),
    ("", "请填写季度或月份"),
])
def test_a_bad_quarter_is_refused(store, roster, tmp_path, quarter, says):
    path = items_csv(tmp_path, [
        ["王建国", "1", "加分", "J1.1", "省级", "5", "", ""],
        ["刘丽娟", quarter, "减分", "K3.1", "", "1", "", ""],
    ])
    with pytest.raises(ImportProblems) as err:
        import_items(store, path, YEAR)
    assert err.value.problems == [f"积分事项.csv 第3行“季度”：{says}"]
    assert entries(store) == []


def test_every_bad_cell_of_an_entry_file_is_reported(store, roster, tmp_path):
    path = items_csv(tmp_path, [
        ["王建国", "1", "奖励", "J1.1", "省级", "5", "", ""],
        ["刘丽娟", "2", "减分", "K3.1", "", "-1", "", ""],
        ["李明", "3", "加分", "J6.5", "", "", "", ""],
        ["谢德明", "4", "一票否决", "F2", "", "0", "", ""],
    ])
    with pytest.raises(ImportProblems) as err:
        import_items(store, path, YEAR)
    assert err.value.problems == [
        "积分事项.csv 第2行“类型”：“奖励”不对，应填加分/减分/评分/一票否决",
        "积分事项.csv 第3行“分值”：分值不能为负数（“-1”）；减分请在“类型”中写减分，分值写正数",
        "积分事项.csv 第4行“分值”：加分须填写分值",
        "积分事项.csv 第5行“分值”：一票否决事项不计分值，请留空",
    ]
    assert entries(store) == []


def test_an_entry_file_without_its_columns_is_refused(store, roster, tmp_path):
    path = items_csv(tmp_path, [["王建国", "加分", "5"]], header=["姓名", "类型", "分值"])
    with pytest.raises(ImportProblems) as err:
        import_items(store, path, YEAR)
    assert err.value.problems == ["积分事项.csv：表头中缺少“季度”或“月份”一列（找到的表头：姓名、类型、分值）"]
