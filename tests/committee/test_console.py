"""The committee's console (`jifen committee --db URL`, tui/committee_app.py) on a committee
database of the session's bundles: 甲 and 乙 reported 2026Q1-Q3, 丙 only Q1-Q2. Driven as a user
drives it (Pilot at 100x30): the branches of the latest quarter, the one that has not reported,
Enter to its members, ←/→ to another quarter, W to write the report (read back), a branch
database refused; seeded random keys on every screen; the database never written."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from committee.records import AppealRecord
from committee.report import BranchReport, committee_report
from committee.store import CommitteeStore
from core.numbers import show
from core.quarter import QuarterRef
from tests.committee.conftest import NAMES, Made, snapshot
from tests.tui.keys import drive
from tui.committee_app import CommitteeApp
from tui.screens.base import row_cells
from tui.screens.committee import BranchesScreen
from tui.screens.committee_dialogs import CommitteeHelp, ReportFileDialog
from tui.screens.committee_members import MembersScreen
from tui.screens.committee_rows import appeals_cell, branch_cells

SIZE = (100, 30)
TODAY = date(2026, 10, 9)
JIA, YI, BING = NAMES["甲"], NAMES["乙"], NAMES["丙"]
JIFEN = Path(sys.executable).parent / "jifen"


@pytest.fixture(scope="module")
def committee_db(made: Made, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("committee") / "committee.db"
    store = CommitteeStore.open(path, create=True)
    for key in ("甲1", "甲2", "甲3", "乙1", "乙2", "乙3", "丙1", "丙2"):  # 丙 has not reported 2026Q3
        assert not store.import_file(made.files[key]).refused
    store.engine.dispose()
    return path


@pytest.fixture
def db(committee_db: Path, tmp_path: Path) -> Path:
    """A copy of its own: the report files a test writes go beside it."""
    path = tmp_path / "committee.db"
    with closing(sqlite3.connect(committee_db)) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
    return path


async def settle(pilot: Pilot) -> None:
    """Until the worker threads are done and what they handed over is on screen."""
    app = pilot.app
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not getattr(app, "loading", False) and not any(w.is_running for w in app.workers):
            return
    raise AssertionError("the console kept computing")


def rows(app: CommitteeApp) -> dict[str, list[str]]:
    table = app.screen.query_one(DataTable)
    return {str(k.value): row_cells(table, str(k.value)) or [] for k in table.rows}


def text_of(app: CommitteeApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())



@pytest.mark.asyncio
async def test_the_latest_quarter_with_a_branch_that_has_not_reported(db: Path) -> None:
    app = CommitteeApp(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "2026年第三季度" in text_of(app, "#title-line")
        assert "报送 2 个党支部" in text_of(app, "#title-line") and "未报送 1 个" in text_of(app, "#title-line")
        shown = rows(app)
        assert list(shown) == [JIA, YI, BING]  # the reporting ones by name, then the missing
        assert shown[JIA] == [JIA, "已报送", "4", "优秀1 合格3", "无", "0", "无"]
        assert shown[YI][1:3] == ["已报送", "3"]
        assert shown[BING] == [BING, "未报送", "—", "—", "—", "—", "—"]
        detail = text_of(app, "#committee-detail")
        assert "江苏信息职业技术学院党员积分管理" in detail and "拟定等次分布：优秀1人，合格3人" in detail
        assert "jifen committee import --db" in text_of(app, "#committee-hint")
        await pilot.press("down", "down")
        detail = text_of(app, "#committee-detail")
        assert f"{BING}：未报送2026年第三季度" in detail and "最后一个季度：2026Q2" in detail
        await pilot.press("enter")  # no members to open for a branch that has not reported
        assert isinstance(app.screen, BranchesScreen)
    assert app.failures == [] and app.refusal == ""


@pytest.mark.asyncio
async def test_a_branch_whose_records_cannot_be_figured_is_named(db: Path) -> None:
    """Records that slipped in before the import refused them (an older program, a hand edit):
    the page still shows the others and names the branch it cannot figure, with the reason."""
    with closing(sqlite3.connect(db)) as conn:
        (canonical,) = conn.execute("SELECT canonical FROM committee_lock WHERE quarter = '2026Q3' AND branch_id ="
                                    " (SELECT id FROM committee_branch WHERE name = ?)", (YI,)).fetchone()
        content = json.loads(canonical)
        for m in content["members"]:
            del m["name"]
        conn.execute("UPDATE committee_lock SET canonical = ? WHERE canonical = ?", (json.dumps(content), canonical))
        conn.commit()
    app = CommitteeApp(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "报送 1 个党支部" in text_of(app, "#title-line") and "无法计算 1 个" in text_of(app, "#title-line")
        shown = rows(app)
        assert list(shown) == [JIA, BING, YI]  # reported, not reported, then the one that cannot be figured
        assert shown[YI][:2] == [YI, "无法计算"] and shown[JIA][1] == "已报送"
        await pilot.press("down", "down")
        assert f"{YI}：已报送2026年第三季度，但其记录无法计算积分" in text_of(app, "#committee-detail")
    assert app.failures == [] and app.refusal == ""


@pytest.mark.asyncio
async def test_enter_opens_the_branchs_members_as_the_report_has_them(db: Path) -> None:
    store = CommitteeStore.open(db)
    q3 = QuarterRef(2026, 3)
    expected = committee_report(store.branch_records(q3), q3, [b.name for b in store.branches()], TODAY)
    store.engine.dispose()
    jia = next(b for b in expected.branches if b.branch == JIA)
    app = CommitteeApp(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, MembersScreen)
        assert JIA in text_of(app, "#title-line") and "党员明细" in text_of(app, "#title-line")
        table = app.screen.query_one(DataTable)
        heads = [str(c.label) for c in table.columns.values()]
        assert heads[-2:] == ["拟定等次", "提示"] and "职务" not in heads  # 100 columns: the grade stays in view
        shown = [dict(zip(heads, row_cells(table, str(k.value)) or [], strict=True)) for k in table.rows]
        assert [r["姓名"] for r in shown] == ["张一", "李二", "王三", "赵四"]
        by_name = {r["姓名"]: r for r in shown}
        assert [by_name["李二"][h] for h in ("总分", "支部排名", "同方案排名", "拟定等次")] == ["100", "1", "1", "优秀"]
        for m in jia.members:  # the figures of the report, every one
            row = by_name[m.name]
            assert (row["总分"], row["支部排名"], row["同方案排名"]) == (show(m.total), str(m.rank), str(m.shared_rank))
            assert row["拟定等次"] == m.grade and row["提示"] == "、".join(m.flags)
        await pilot.press("escape")
        assert isinstance(app.screen, BranchesScreen)
    assert app.failures == []


@pytest.mark.asyncio
async def test_a_wide_screen_shows_the_scheme_the_digest_and_the_posts(db: Path) -> None:
    app = CommitteeApp(db, today=TODAY)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        heads = [str(c.label) for c in table.columns.values()]
        assert heads[1] == "积分方案" and heads[-1] == "本季度校验码"
        jia = dict(zip(heads, rows(app)[JIA], strict=True))
        assert jia["积分方案"] == "江苏信息职业技术学院党员积分管理"
        assert re.fullmatch(r"[0-9a-f]{12}…", jia["本季度校验码"])
        await pilot.press("enter")
        assert "职务" in [str(c.label) for c in app.screen.query_one(DataTable).columns.values()]
    assert app.failures == []


@pytest.mark.asyncio
async def test_left_and_right_change_the_quarter(db: Path) -> None:
    app = CommitteeApp(db, today=TODAY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("right")  # already the latest: said, nothing else
        assert "2026年第三季度" in text_of(app, "#title-line")
        await pilot.press("left")
        await settle(pilot)
        assert "2026年第二季度" in text_of(app, "#title-line") and "未报送 0 个" in text_of(app, "#title-line")
        shown = rows(app)
        assert shown[BING][:3] == [BING, "已报送", "5"]
        assert "[reverse b] 2026Q2 [/]" in str(app.screen.query_one("#nav-line", Static).content)
        await pilot.press("left", "left")
        await settle(pilot)
        assert "2026年第一季度" in text_of(app, "#title-line")
        await pilot.press("right", "right")
        await settle(pilot)
        assert "2026年第三季度" in text_of(app, "#title-line") and rows(app)[BING][1] == "未报送"
        assert set(app.reports) == {"2026Q1", "2026Q2", "2026Q3"}  # each computed once, kept
    assert app.failures == []


async def type_file(pilot: Pilot, path: Path) -> None:
    """Replace the dialog's file name by `path`, as typed."""
    await pilot.press("end")
    field = pilot.app.screen.query_one(Input)
    await pilot.press(*["backspace"] * len(field.value))
    await pilot.press(*str(path))


@pytest.mark.asyncio
async def test_w_writes_the_report_in_the_format_its_name_says(db: Path, tmp_path: Path) -> None:
    app = CommitteeApp(db, today=TODAY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("w")
        assert isinstance(app.screen, ReportFileDialog)
        field = app.screen.query_one(Input)
        assert field.value == str(tmp_path / "党员积分情况汇总表-2026Q3.pdf")  # beside the database
        await pilot.press("enter")
        await settle(pilot)
        pdf = tmp_path / "党员积分情况汇总表-2026Q3.pdf"
        assert pdf.is_file()
        assert f"汇总表已写出：{pdf}" in text_of(app, "#committee-status")
        text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                                 text=True).stdout)
        assert "党员积分情况汇总表（2026年第三季度）" in text and JIA in text and YI in text and "李二" in text
        assert f"未报送：{BING}" in text

        await pilot.press("w")  # a name that is not a report's, then the XLSX
        await type_file(pilot, tmp_path / "汇总.txt")
        await pilot.press("enter")
        assert isinstance(app.screen, ReportFileDialog)
        assert ".txt" in text_of(app, "#form-error")
        xlsx = tmp_path / "汇总.xlsx"
        await type_file(pilot, xlsx)
        await pilot.press("enter")
        await settle(pilot)
        sheet = load_workbook(xlsx).worksheets[0]
        names = {row[3] for row in sheet.iter_rows(values_only=True)}
        assert {"张一", "李二", "钱五"} <= names and "吴八" not in names

        before = xlsx.stat().st_mtime_ns
        await pilot.press("w")
        await type_file(pilot, xlsx)
        await pilot.press("enter")  # the file is there: a second Enter replaces it
        assert isinstance(app.screen, ReportFileDialog) and "已存在" in text_of(app, "#form-error")
        await pilot.press("escape")
        assert xlsx.stat().st_mtime_ns == before
    assert app.failures == []


@pytest.mark.asyncio
async def test_a_branch_database_is_refused_in_chinese(made: Made, tmp_path: Path) -> None:
    branch = tmp_path / "branch.db"
    with closing(sqlite3.connect(made.folder / "甲.db")) as src, closing(sqlite3.connect(branch)) as dst:
        src.backup(dst)
    app = CommitteeApp(branch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "是党支部的积分数据库，不是党委的汇总数据库" in text_of(app, "#committee-status")
        assert "未能打开数据库" in text_of(app, "#title-line")
        assert not app.screen.query_one(DataTable).display
        await pilot.press("enter", "w", "left", "r")
        await settle(pilot)
    assert app.failures == [] and "党支部的积分数据库" in app.refusal


def test_the_command_needs_its_database_named(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", JIFEN_DB=str(tmp_path / "default.db"))
    bare = subprocess.run([str(JIFEN), "committee"], capture_output=True, text=True, env=env, timeout=60)
    assert bare.returncode == 2 and "请用 --db 指明党委汇总数据库" in bare.stderr and "Traceback" not in bare.stderr
    missing = subprocess.run([str(JIFEN), "committee", "--db", str(tmp_path / "none.db")], capture_output=True,
                             text=True, env=env, timeout=60)
    assert missing.returncode == 1 and "不存在" in missing.stderr and not (tmp_path / "none.db").exists()


def test_open_appeals_say_how_many_are_overdue() -> None:
    appeals = (AppealRecord(1, "2026Q3", "张一", "2026-10-08", "待党支部答复", "2026-10-15", False, ""),
               AppealRecord(2, "2026Q3", "李二", "2026-09-28", "待党支部答复", "2026-10-05", True, ""))
    b = BranchReport(JIA, "jsit-college-2020", "方案", "ab" * 32, (), "拟定等次", {"优秀": 0, "合格": 0}, None, (),
                     1, False, appeals)
    assert appeals_cell(b) == "2件（逾期1）"
    assert branch_cells(b, wide=True)[-1] == "abababababab…"
    assert appeals_cell(BranchReport(**{**b.__dict__, "open_appeals": ()})) == "无"


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("start", ["branches", "members", "dialog", "help"])
@pytest.mark.asyncio
async def test_random_keys_on_every_screen_never_fail_nor_write(db: Path, seed: int, start: str) -> None:
    store = CommitteeStore.open(db)
    before = snapshot(store)
    store.engine.dispose()
    app = CommitteeApp(db, today=TODAY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(*{"branches": [], "members": ["enter"], "dialog": ["w"], "help": ["f1"]}[start])
        expected = {"branches": BranchesScreen, "members": MembersScreen, "dialog": ReportFileDialog,
                    "help": CommitteeHelp}[start]
        assert isinstance(app.screen, expected)
        assert await drive(pilot, seed, 200) == 200
        await settle(pilot)
    assert app.failures == []
    store = CommitteeStore.open(db)
    assert snapshot(store) == before  # the console only reads
    store.engine.dispose()


def test_snapshot_of_the_branches(snap_compare, committee_db: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with closing(sqlite3.connect(committee_db)) as src, closing(sqlite3.connect(tmp_path / "committee.db")) as dst:
        src.backup(dst)
    monkeypatch.chdir(tmp_path)  # the database as typed, relative: the same text on every run

    async def loaded(pilot: Pilot) -> None:
        await settle(pilot)

    assert snap_compare(CommitteeApp("committee.db", today=TODAY), terminal_size=SIZE, run_before=loaded)


@pytest.mark.asyncio
async def test_the_console_on_a_postgresql_committee_database(made: Made, postgres_server) -> None:
    url = postgres_server.new_database()
    store = CommitteeStore.open(url, create=True)
    for key in ("甲1", "乙1", "乙2"):
        assert not store.import_file(made.files[key]).refused
    before = snapshot(store)
    app = CommitteeApp(url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "2026年第二季度" in text_of(app, "#title-line")
        assert rows(app)[YI][1] == "已报送" and rows(app)[JIA][1] == "未报送"
        await pilot.press("left")
        await settle(pilot)
        assert rows(app)[JIA][1] == "已报送"
    assert app.failures == [] and snapshot(store) == before
    store.engine.dispose()
