"""The meeting console driven like a secretary at the keyboard (Textual Pilot), on real
databases: the demo branch (2026Q1-Q3 locked, Q4 open with three entries 有异议) or an
empty file. Every test asserts what the projector shows and, through a fresh Store on
the same file, what the database holds afterwards. An exception in the app fails the test:
the console's safety net records it in `app.failures` (instead of ending the app), and every
test ends with no failure recorded and the app's return code checked.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList

from core.numbers import show
from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.store import Store
from tui.app import JifenApp

pytestmark = pytest.mark.asyncio

YEAR, QUARTER = 2026, 4
SIZE = (100, 30)
GRADED = 24  # the demo's ballot: all 24 members (xinmi has no exemption; 罗志刚 is only excused from meetings)
SICK = "谢德明"  # the demo's last member on the roll, away on 病假


# --- the database, seen from outside the console ------------------------------------------------


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo(path)
    return path


def fresh_store(path: Path) -> Store:
    """A Store of its own on the file, so what it reads is what the console committed."""
    return Store(open_engine(path))


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (audit log and undo slot included), for 'nothing changed'."""
    engine = open_engine(path)
    try:
        with engine.connect() as conn:
            return {name: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                    for name in sorted(inspect(conn).get_table_names())}
    finally:
        engine.dispose()


def contested_ids(path: Path) -> list[int]:
    return [e.id for e in fresh_store(path).entries(QuarterRef(YEAR, QUARTER)) if e.status == "有异议"]


def saved_ballots(path: Path) -> list[set[str]]:
    """The ratings on each saved ballot, read straight from the file."""
    engine = open_engine(path)
    try:
        with engine.connect() as conn:
            return [set(json.loads(marks).values()) for (marks,) in conn.execute(text("SELECT marks FROM ballot"))]
    finally:
        engine.dispose()


# --- the console ---------------------------------------------------------------------------------


@asynccontextmanager
async def console(path: Path) -> AsyncIterator[tuple[JifenApp, Pilot]]:
    """The console on `path`, with notifications shown as on the projector. An exception the
    safety net caught fails the test when it ends (one before start-up is re-raised by run_test)."""
    app = JifenApp(db_path=path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        yield app, pilot
    assert app.failures == [], f"the console met exceptions: {app.failures!r}"
    assert app.return_code in (None, 0), f"the console ended with return code {app.return_code}"


async def until(pilot: Pilot, done: Callable[[], Any], timeout: float = 3.0) -> None:
    """Let the app run until `done()` is true (the palette searches in the background), or
    until it has ended (a crash is then re-raised by run_test)."""
    for _ in range(int(timeout / 0.02)):
        if done() or pilot.app.return_code is not None:
            break
        await pilot.pause(0.02)
    assert done(), "the console did not get there in time"


def shown(app: JifenApp, selector: str) -> str:
    """A widget's text as rendered on the screen (markup resolved)."""
    return str(app.screen.query_one(selector).render())


def table(app: JifenApp, selector: str) -> DataTable:
    return app.screen.query_one(selector, DataTable)


def column(t: DataTable, header: str) -> list[str]:
    i = [str(c.label) for c in t.ordered_columns].index(header)
    return [str(t.get_row_at(r)[i]) for r in range(t.row_count)]


def row_named(t: DataTable, name: str) -> list[str]:
    """The row whose 姓名 cell is `name`, as text."""
    names = column(t, "姓名")
    return [str(c) for c in t.get_row_at(names.index(name))]


def cursor_row(t: DataTable) -> list[str]:
    return [str(c) for c in t.get_row_at(t.cursor_row)]


def screen_name(app: JifenApp) -> str:
    return type(app.screen).__name__


async def notices_after(pilot: Pilot, *keys: str) -> str:
    """Press keys and return the notices (toasts) they brought up, title and text."""
    app = pilot.app
    app.clear_notifications()
    await pilot.press(*keys)
    await until(pilot, lambda: len(app.screen.query("Toast")) > 0)
    return "\n".join(str(t.render()) for t in app.screen.query("Toast"))


# --- the secretary's steps ------------------------------------------------------------------------


async def open_meeting(pilot: Pilot) -> None:
    """概况, O, accept the proposed facts (now, last meeting's place and people), Ctrl+S."""
    app = pilot.app
    await pilot.press("f1", "o")
    assert screen_name(app) == "MeetingFactsDialog"
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert screen_name(app) == "OverviewScreen"


async def everyone_present(pilot: Pilot) -> None:
    await pilot.press("f2", "ctrl+a")
    await pilot.pause()


async def absent_with_opinion_then_rest_present(pilot: Pilot) -> None:
    """谢德明 away on 病假 with a written opinion, everyone else present (19 of 20 voting)."""
    await pilot.press("f2", "ctrl+end", "a", "1", *"同意", "enter", "ctrl+a")
    await pilot.pause()


async def vote(pilot: Pilot, yes: str, no: str, abstain: str) -> str:
    """V on the entry under the cursor, the three counts each with Enter; the dialog's result."""
    app = pilot.app
    await pilot.press("v")
    assert screen_name(app) == "VoteDialog"
    for count in (yes, no, abstain):
        await pilot.press(*count, "enter")
    await pilot.pause()
    return shown(app, "#vote-result")


async def fill_ballot(pilot: Pilot, keys: str) -> None:
    """One paper ballot, one key per member down the list (1 优秀 2 合格 3 基本合格 4 不合格)."""
    await pilot.press(*keys)


def ballot_marks(app: JifenApp) -> list[str]:
    return column(table(app, "#ballot"), "本张评定")


# --- 1. a whole meeting ------------------------------------------------------------------------


async def test_whole_meeting_from_roll_call_to_lock(demo_db: Path) -> None:
    contested = contested_ids(demo_db)
    assert len(contested) == 3
    async with console(demo_db) as (app, pilot):
        # 概况: today's meeting has not started; O opens it with the proposed facts.
        assert screen_name(app) == "OverviewScreen"
        assert "尚未开始" in shown(app, "#meeting-facts")
        await pilot.press("o")
        assert screen_name(app) == "MeetingFactsDialog"
        assert "党员大会开始" in await notices_after(pilot, "ctrl+s")
        assert screen_name(app) == "OverviewScreen"
        facts = shown(app, "#meeting-facts")
        assert "主持人：王建国" in facts and "记录人：刘丽娟" in facts
        assert column(table(app, "#quarters"), "状态")[QUARTER - 1] == "会议进行中"

        # 签到: nobody called yet, the meeting may not vote.
        await pilot.press("f2")
        assert screen_name(app) == "RollCallScreen"
        assert shown(app, "#quorum-banner").startswith("不能表决")
        roll = table(app, "#roll")
        assert row_named(roll, "罗志刚")[4] == "免于参会"
        # 谢德明 (last on the roll) is away on 病假 and sent a written opinion.
        await pilot.press("ctrl+end")
        assert cursor_row(roll)[1] == SICK
        await pilot.press("a")
        assert screen_name(app) == "AbsenceDialog"
        await pilot.press("1", *"同意本季度积分", "enter")
        await pilot.pause()
        assert screen_name(app) == "RollCallScreen"
        sick_row = row_named(roll, SICK)
        assert sick_row[4] == "缺席（病假）" and sick_row[5] == "同意本季度积分"
        assert "其余22人记为出席" in await notices_after(pilot, "ctrl+a")
        banner = shown(app, "#quorum-banner")
        assert banner.startswith("可以表决") and "应到20人、实到19人" in banner
        counts = shown(app, "#counts")
        assert "应到 23　实到 22　缺席 1　未签到 0" in counts
        assert "有表决权：应到 20　实到 19" in counts
        assert column(roll, "签到").count("出席") == 22

        # 逐人: D reaches each contested entry; one passes, one fails, one passes.
        await pilot.press("f3")
        assert screen_name(app) == "MembersScreen"
        assert "本季度还有 3 项有异议的事项待表决" in shown(app, "#entry-hint")
        entries = table(app, "#entries")
        reached = []
        plan = [("15", "3", "1", "表决通过"), ("5", "10", "4", "表决未通过"), ("11", "8", "0", "表决通过")]
        for left, (yes, no, abstain, verdict) in zip((2, 1, 0), plan, strict=True):
            await pilot.press("d")
            row = cursor_row(entries)
            assert row[3] == "有异议"
            reached.append(int(row[0].lstrip("#")))
            result = await vote(pilot, yes, no, abstain)
            assert result.splitlines()[0] == verdict
            assert f"赞成{yes}票" in result and "应到会有表决权的党员20人" in result
            assert "至少11票" in result and "第十一条" in result
            await pilot.press("escape")
            assert screen_name(app) == "MembersScreen"
            assert cursor_row(entries)[3] == verdict
            hint = shown(app, "#entry-hint")
            assert (f"本季度还有 {left} 项" in hint) if left else ("本季度没有待表决的事项" in hint)
        assert sorted(reached) == sorted(contested)
        assert "本季度没有待表决的事项" in await notices_after(pilot, "d")

        # 评议: three full ballots and a blank one, key by key.
        await pilot.press("f4")
        assert screen_name(app) == "EvaluationScreen"
        assert "正在录入 第 1 张" in shown(app, "#progress")
        assert table(app, "#ballot").row_count == GRADED
        await fill_ballot(pilot, "1" + "2" * (GRADED - 1))
        assert ballot_marks(app) == ["优秀"] + ["合格"] * (GRADED - 1)
        assert "本张已填完" in shown(app, "#ballot-hint")
        await pilot.press("enter")
        assert "正在录入 第 2 张" in shown(app, "#progress")
        assert ballot_marks(app) == ["·"] * GRADED and table(app, "#ballot").cursor_row == 0
        await fill_ballot(pilot, "1" + "2" * (GRADED - 2) + "3")
        await pilot.press("s")
        assert ballot_marks(app) == ["·"] * GRADED
        # A slip corrected with backspace: the second member is 合格, not 不合格.
        await fill_ballot(pilot, "14")
        await pilot.press("backspace")
        assert ballot_marks(app)[:2] == ["优秀", "·"]
        await fill_ballot(pilot, "2" * (GRADED - 1))
        await pilot.press("enter")
        progress = shown(app, "#progress")
        assert "正在录入 第 4 张" in progress and "已收回 3 张（有效 3，无效 0）" in progress
        assert ballot_marks(app) == ["·"] * GRADED
        assert "空白票已保存" in await notices_after(pilot, "b")
        progress = shown(app, "#progress")
        assert "正在录入 第 5 张" in progress and "已收回 4 张（有效 3，无效 1）" in progress

        # 积分榜: the evaluation figures, as the engine has them.
        await pilot.press("f5")
        assert screen_name(app) == "BoardScreen"
        board = table(app, "#board")
        figures = fresh_store(demo_db).board(YEAR)
        for m in fresh_store(demo_db).members():
            evaluation = row_named(board, m.name)[8]
            assert not m.exempt, m.name  # everyone is rated, 罗志刚 too
            assert evaluation == show(figures.member(str(m.id)).evaluation) != "—"
        # 罗志刚 (20th of 24, excused from the meeting) was 合格 on the three valid ballots: 85.
        assert row_named(board, "罗志刚")[8] == "85"
        # 王建国 was 优秀 on every ballot, 谢德明 once 基本合格.
        assert float(row_named(board, "王建国")[8]) > float(row_named(board, "李秀英")[8]) \
            > float(row_named(board, SICK)[8])

        # 锁定: the checklist is met; L, then Y.
        await pilot.press("f6")
        assert screen_name(app) == "LockScreen"
        checklist = shown(app, "#checklist")
        assert "✔ 有异议的事项均已表决" in checklist and "测评票已录入 4 张" in checklist
        assert "✘" not in checklist
        await pilot.press("l")
        assert screen_name(app) == "ConfirmDialog"
        # The documents are written in a worker (held back here until the page has been seen
        # working), with a progress line; the screen answers keys, a second L is refused.
        lock_page = app.get_screen("lock")
        release = threading.Event()
        write = lock_page.write_documents  # type: ignore[attr-defined]
        lock_page.write_documents = lambda: (release.wait(30), write())[1]  # type: ignore[attr-defined]
        assert "已锁定" in await notices_after(pilot, "y")
        assert screen_name(app) == "LockScreen"
        assert lock_page.locking  # type: ignore[attr-defined]
        assert "正在" in shown(app, "#lock-progress")
        assert "请稍候" in await notices_after(pilot, "l")
        release.set()
        await until(pilot, lambda: not lock_page.locking, timeout=30)  # type: ignore[attr-defined]
        assert shown(app, "#lock-progress") == ""
        pdfs = sorted(p.name for p in demo_db.parent.glob("*.pdf"))
        assert [n.split("-")[-1] for n in pdfs] == ["会议记录.pdf", "季度公示表.pdf"], (pdfs, app.failures)
        assert all(str(demo_db.parent / n) in shown(app, "#lock-result") for n in pdfs)
        digests = re.findall(r"\b[0-9a-f]{64}\b", shown(app, "#lock-result"))
        assert digests, shown(app, "#lock-result")
        assert "已锁定（只读）" in shown(app, "#title-line")

        store = fresh_store(demo_db)
        assert store.quarter(QuarterRef(YEAR, QUARTER)).state == "locked"
        lock = store.lock_of(QuarterRef(YEAR, QUARTER))
        assert lock is not None and lock.digest == digests[0]
        assert store.verify() == []
        calls = store.roll_calls(QuarterRef(YEAR, QUARTER))
        sick = next(m for m in store.members() if m.name == SICK)
        away = calls[sick.id]
        assert (away.present, away.reason, away.opinion) == (False, "病假", "同意本季度积分")
        assert sum(1 for r in calls.values() if r.present) == 22
        votes = {v.entry_id: (v.yes, v.no, v.abstain, v.passed) for v in store.votes(QuarterRef(YEAR, QUARTER))}
        assert votes == {entry: (int(y), int(n), int(a), verdict == "表决通过")
                         for entry, (y, n, a, verdict) in zip(reached, plan, strict=True)}
        statuses = {e.id: e.status for e in store.entries(QuarterRef(YEAR, QUARTER))}
        assert [statuses[e] for e in reached] == [verdict for *_, verdict in plan]
        assert store.ballot_summary(QuarterRef(YEAR, QUARTER)) == {"issued": 0, "returned": 4, "valid": 3, "void": 1,
                                                                   "blank": 1}

        # Afterwards the quarter is read-only: keys that would change data say so, change nothing.
        before = snapshot(demo_db)
        await pilot.press("f2")
        row_before = cursor_row(table(app, "#roll"))
        assert "已锁定" in await notices_after(pilot, "space")
        assert cursor_row(table(app, "#roll")) == row_before
        assert "已锁定" in await notices_after(pilot, "ctrl+z")
        await pilot.press("f4")
        assert "已锁定" in await notices_after(pilot, "1")
        assert ballot_marks(app) == ["·"] * GRADED
        await pilot.press("f6")
        assert "已锁定" in await notices_after(pilot, "l")
        assert snapshot(demo_db) == before


async def test_vote_counting_a_written_opinion(demo_db: Path) -> None:
    """The absent member's written 赞成 is counted when the box is ticked (Tab, space)."""
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await absent_with_opinion_then_rest_present(pilot)
        await pilot.press("f3", "d", "v")
        assert "书面意见（1份" in str(app.screen.query_one("#count-written").render())
        await pilot.press("1", "0", "enter", "5", "enter", "4", "tab", "space")
        assert app.screen.query_one("#written").display
        await pilot.press("tab", "1", "enter", "enter", "enter")
        await pilot.pause()
        result = shown(app, "#vote-result")
        assert result.splitlines()[0] == "表决通过"
        assert "赞成10票（另书面赞成1份）" in result and "至少11票" in result
        await pilot.press("escape")
        entry = int(cursor_row(table(app, "#entries"))[0].lstrip("#"))
    (v,) = fresh_store(demo_db).votes(QuarterRef(YEAR, QUARTER))
    assert (v.entry_id, v.yes, v.no, v.abstain, v.written_yes, v.passed) == (entry, 10, 5, 4, 1, True)


async def test_ctrl_w_ticks_written_opinions(demo_db: Path) -> None:
    """Ctrl+W (书面意见) ticks the box even while a count field has focus, keeping the count."""
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await absent_with_opinion_then_rest_present(pilot)
        await pilot.press("f3", "d", "v", "1", "5", "ctrl+w")
        await pilot.pause()
        assert app.screen.query_one("#yes", Input).value == "15"
        assert app.screen.query_one("#written").display
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert not app.screen.query_one("#written").display
        await pilot.press("escape")
    assert fresh_store(demo_db).votes(QuarterRef(YEAR, QUARTER)) == []


# --- an exempt member on the screens ------------------------------------------------------------------
# The demo's scheme (xinmi) has no exemption from points management; jsit's seed (二) provides it, so
# a small jsit branch shows how the console treats an exempt member: 王瑞 (长期病休).

COLLEGE = ("周明", "吴芳", "郑磊", "王瑞", "冯涛")  # 郑磊 probationary, 王瑞 exempt
COLLEGE_BALLOTS = ({"周明": "优秀", "吴芳": "合格", "郑磊": "合格", "冯涛": "合格"},
                   {"周明": "优秀", "吴芳": "合格", "郑磊": "合格", "冯涛": "合格"},
                   {"周明": "合格", "吴芳": "合格", "郑磊": "基本合格", "冯涛": "合格"})


@pytest.fixture
def college_db(tmp_path: Path) -> Path:
    """Q1-Q3 met and locked, so the console works on 2026Q4 whatever today's date; Q4's meeting
    open, everyone present, 周明 +2 (J2) and three valid ballots in."""
    from datetime import datetime

    from core.schemes import builtin_text
    from db.store import MeetingFacts

    path = tmp_path / "college.db"
    store = Store(open_engine(path), "测试", clock=lambda: datetime(2026, 1, 5, 9, 0))
    store.init_branch("江苏信息职业技术学院计算机工程学院教工党支部", "jsit-college-2020",
                      builtin_text("jsit-college-2020"), YEAR)
    ids = dict(zip(COLLEGE, store.add_members([
        dict(name=n, status="probationary" if n == "郑磊" else "full", post="专任教师",
             exempt=n == "王瑞", exempt_reason="长期病休" if n == "王瑞" else "") for n in COLLEGE]), strict=True))
    store.add_entries(YEAR, [dict(quarter=4, member_id=ids["周明"], kind="bonus", points=2, item="J2")])
    for q, month in ((1, 3), (2, 6), (3, 9), (4, 12)):
        day = datetime(2026, month, 25, 14, 30)
        store.clock = lambda day=day: day
        store.open_meeting(QuarterRef(YEAR, q), MeetingFacts(day, "行政楼三楼会议室", "周明", "吴芳"))
        store.roll_call_rest(QuarterRef(YEAR, q))
        if q < 4:
            store.lock(QuarterRef(YEAR, q))
    for marks in COLLEGE_BALLOTS:
        store.add_ballot(QuarterRef(YEAR, 4), {ids[n]: r for n, r in marks.items()})
    store.engine.dispose()
    return path


async def test_an_exempt_member_is_not_on_the_ballot_nor_scored(college_db: Path) -> None:
    async with console(college_db) as (app, pilot):
        assert (app.year, app.number) == (YEAR, 4)
        await pilot.press("f4")
        assert screen_name(app) == "EvaluationScreen"
        assert column(table(app, "#ballot"), "姓名") == ["周明", "吴芳", "郑磊", "冯涛"]

        # 积分榜: 王瑞 has no rank, no figures, no evaluation, no grade.
        await pilot.press("f5")
        assert screen_name(app) == "BoardScreen"
        board = table(app, "#board")
        wang = row_named(board, "王瑞")
        assert wang[0] == "—" and wang[3:11] == ["—"] * 8  # 名次; 一季..四季, 积分, 评议, 总分, 等次
        # The others' 评议 from the three ballots, by hand: 周明 (95 + 95 + 85) / 3 = 275 / 3 = 91.67;
        # 吴芳 and 冯涛 85 × 3 / 3 = 85; 郑磊 (85 + 85 + 70) / 3 = 240 / 3 = 80.
        assert [row_named(board, n)[8] for n in ("周明", "吴芳", "郑磊", "冯涛")] == ["91.67", "85", "80", "85"]
        # 积分: jsit's base 100 (its eight categories' full marks), 周明 +2.
        assert [row_named(board, n)[7] for n in ("周明", "吴芳", "郑磊", "冯涛")] == ["102", "100", "100", "100"]

        # 逐人: 王瑞's page says why, and by which steps jsit decides it (本人申请…公示无异议).
        route = fresh_store(college_db).scheme(YEAR).exemption
        assert route is not None and "支委会审核" in route.route
        await pilot.press("f3", "n", "n", "n")
        assert shown(app, "#member-name") == "王瑞"
        assert f"免于积分管理（长期病休，经{route.route}）" in shown(app, "#member-post")
        assert shown(app, "#member-figures") == "免于积分管理：不计分、不排名、不评定等次"
        assert shown(app, "#member-rank") == "不排名"


# --- 2. refusals, each leaving the database as it was ----------------------------------------------


async def test_vote_without_quorum_is_refused(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await pilot.press("f2", "space", "space", "space")  # three of twenty voting members
        banner = shown(app, "#quorum-banner")
        assert banner.startswith("不能表决") and "实到3人" in banner and "至少需要11人" in banner
        await pilot.press("f3", "d")
        entry = cursor_row(table(app, "#entries"))
        assert entry[3] == "有异议"
        before = snapshot(demo_db)
        await pilot.press("v")
        assert screen_name(app) == "VoteDialog"
        assert str(app.screen.query_one("#vote-dialog .banner").render()).startswith("不能表决")
        assert "不能表决" in shown(app, "#vote-hint")
        # The counts cannot be typed, and Enter decides nothing.
        await pilot.press("3", "enter", "0", "enter", "0", "enter")
        await pilot.pause()
        assert screen_name(app) == "VoteDialog"
        assert app.screen.query_one("#yes", Input).value == ""
        assert "表决通过" not in shown(app, "#vote-result")
        await pilot.press("escape")
        assert screen_name(app) == "MembersScreen"
        assert cursor_row(table(app, "#entries")) == entry
        assert "本季度还有 3 项" in shown(app, "#entry-hint")
    assert snapshot(demo_db) == before
    assert fresh_store(demo_db).votes(QuarterRef(YEAR, QUARTER)) == []


async def test_impossible_vote_counts_are_refused(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)  # twenty voting members present
        await pilot.press("f3", "d")
        before = snapshot(demo_db)

        # More votes than voting members present.
        result = await vote(pilot, "15", "5", "1")
        assert result.startswith("未表决：赞成、反对、弃权合计21票，超过到会有表决权的党员20人")
        await pilot.press("escape")

        # Three empty fields (Enter, Enter, Enter) are not a vote.
        result = await vote(pilot, "", "", "")
        assert result.startswith("未表决：没有录入任何票数")
        await pilot.press("escape")

        # Letters are refused where they are typed; a signed number is not a count.
        await pilot.press("v", *"abc")
        assert app.screen.query_one("#yes", Input).value == ""
        await pilot.press("escape")
        result = await vote(pilot, "-3", "0", "0")
        assert result == "票数应为不小于0的整数"
        await pilot.press("escape")

        assert cursor_row(table(app, "#entries"))[3] == "有异议"
        assert "本季度还有 3 项" in shown(app, "#entry-hint")
    assert snapshot(demo_db) == before
    assert fresh_store(demo_db).votes(QuarterRef(YEAR, QUARTER)) == []


async def test_lock_refused_while_an_entry_is_contested(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        await pilot.press("f6")
        assert "✘ 还有 3 项有异议的事项没有表决" in shown(app, "#checklist")
        before = snapshot(demo_db)
        notice = await notices_after(pilot, "l")
        assert "不能锁定" in notice and "还有3项有异议的事项没有表决" in notice
        assert screen_name(app) == "LockScreen"  # no confirmation was asked
        assert shown(app, "#lock-result") == ""
    assert snapshot(demo_db) == before
    store = fresh_store(demo_db)
    assert store.quarter(QuarterRef(YEAR, QUARTER)).state == "meeting"
    assert store.lock_of(QuarterRef(YEAR, QUARTER)) is None


def ready_to_lock(path: Path) -> None:
    """The demo's Q4 with the meeting held, everyone present and the three contested entries voted."""
    from datetime import datetime

    from db.store import MeetingFacts

    store = fresh_store(path)
    store.open_meeting(QuarterRef(YEAR, QUARTER), MeetingFacts(datetime(2026, 12, 25, 14, 30), "党员活动室", "王建国",
                                                               "李秀英"))
    for m in store.members():
        if not m.meeting_exempt:  # 罗志刚 is excused from the meetings: no roll call for him
            store.roll_call(QuarterRef(YEAR, QUARTER), m.id, True)
    for entry in contested_ids(path):
        store.vote(entry, 15, 3, 1)
    store.engine.dispose()


async def test_lock_with_an_unusable_font(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDFs are written by a child process, which finds the font as the console would
    (JIFEN_FONT, inherited): a file that is no font gives a Chinese notice, no PDF is claimed or
    left beside the database, and the quarter stays locked."""
    bad = demo_db.parent / "not-a-font.ttf"
    bad.write_bytes(b"this is no font")
    monkeypatch.setenv("JIFEN_FONT", str(bad))
    ready_to_lock(demo_db)
    async with console(demo_db) as (app, pilot):
        await pilot.press("f6")
        assert "✘" not in shown(app, "#checklist")
        await pilot.press("l")
        assert screen_name(app) == "ConfirmDialog"
        await pilot.press("y")
        lock_page = app.get_screen("lock")
        await until(pilot, lambda: not lock_page.locking, timeout=60)  # type: ignore[attr-defined]
        await until(pilot, lambda: "文件没有生成" in "\n".join(str(t.render()) for t in app.screen.query("Toast")))
        notice = "\n".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "字体文件无法使用" in notice and str(bad) in notice, notice
        assert shown(app, "#lock-progress") == ""
        assert "已生成" not in shown(app, "#lock-result")
        assert "已锁定（只读）" in shown(app, "#title-line")
    assert list(demo_db.parent.glob("*.pdf")) == []
    store = fresh_store(demo_db)
    assert store.quarter(QuarterRef(YEAR, QUARTER)).state == "locked"
    assert store.lock_of(QuarterRef(YEAR, QUARTER)) is not None
    assert store.verify() == []


async def test_ballot_keys_before_the_meeting_opens(demo_db: Path) -> None:
    before = snapshot(demo_db)
    async with console(demo_db) as (app, pilot):
        await pilot.press("f4")
        assert screen_name(app) == "EvaluationScreen"
        assert "会议尚未开始" in await notices_after(pilot, "1")
        await pilot.press("2", "3", "4")
        assert ballot_marks(app) == ["·"] * GRADED
        assert table(app, "#ballot").cursor_row == 0
        assert "会议尚未开始" in await notices_after(pilot, "s")
        assert "会议尚未开始" in await notices_after(pilot, "b")
        assert "正在录入 第 1 张　｜　已收回 0 张" in shown(app, "#progress")
    assert snapshot(demo_db) == before
    store = fresh_store(demo_db)
    assert store.quarter(QuarterRef(YEAR, QUARTER)).state == "open"
    assert store.ballot_summary(QuarterRef(YEAR, QUARTER))["returned"] == 0


async def test_a_ballot_with_names_unmarked_is_saved_as_it_came(demo_db: Path) -> None:
    # Changed behaviour: a paper ballot with names left unmarked is no longer refused; it is
    # saved as it is, the unmarked members not rated on it.
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        await pilot.press("f4")
        before = snapshot(demo_db)
        assert "空白票请按 B" in await notices_after(pilot, "enter")  # nothing rated yet
        assert snapshot(demo_db) == before
        await fill_ballot(pilot, "2" * 20)
        assert f"{GRADED - 20} 人未标记" in shown(app, "#ballot-hint") and GRADED - 20 == 4
        assert "已有评定" in await notices_after(pilot, "b")
        assert ballot_marks(app) == ["合格"] * 20 + ["·"] * 4
        assert "本张已保存" in await notices_after(pilot, "enter")
        assert "正在录入 第 2 张" in shown(app, "#progress")
    store = fresh_store(demo_db)
    assert store.ballot_summary(QuarterRef(YEAR, QUARTER)) == {"issued": 0, "returned": 1, "valid": 1, "void": 0,
                                                               "blank": 0}
    counts = store.ratings_of_quarter(QuarterRef(YEAR, QUARTER))[1]
    graded = store.graded_members(YEAR)
    assert [counts.get(m.id, {}) for m in graded] == [{"合格": 1}] * 20 + [{}] * 4


# --- 3. undo ------------------------------------------------------------------------------------------


async def test_undo_a_roll_call_mark(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await pilot.press("f2", "space")
        roll = table(app, "#roll")
        assert row_named(roll, "王建国")[4] == "出席"
        assert "实到 1" in shown(app, "#counts")
        assert len(fresh_store(demo_db).roll_calls(QuarterRef(YEAR, QUARTER))) == 1
        assert "已撤销王建国的签到" in await notices_after(pilot, "ctrl+z")
        assert row_named(roll, "王建国")[4] == "未签到"
        assert "实到 0　缺席 0　未签到 23" in shown(app, "#counts")
    assert fresh_store(demo_db).roll_calls(QuarterRef(YEAR, QUARTER)) == {}


async def test_undo_an_absence(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await pilot.press("f2", "space", "a", "2", "enter")  # 李秀英 away on 事假, no opinion
        roll = table(app, "#roll")
        assert row_named(roll, "李秀英")[4] == "缺席（事假）"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert row_named(roll, "李秀英")[4] == "未签到"
        assert row_named(roll, "王建国")[4] == "出席"
        assert "实到 1　缺席 0" in shown(app, "#counts")
    calls = fresh_store(demo_db).roll_calls(QuarterRef(YEAR, QUARTER))
    assert [r.present for r in calls.values()] == [True]


async def test_undo_a_ballot(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        await pilot.press("f4")
        await fill_ballot(pilot, "2" * GRADED)
        await pilot.press("enter")
        await fill_ballot(pilot, "3" * GRADED)
        await pilot.press("enter")
        assert "正在录入 第 3 张" in shown(app, "#progress")
        assert fresh_store(demo_db).ballot_summary(QuarterRef(YEAR, QUARTER))["returned"] == 2
        assert "测评票" in await notices_after(pilot, "ctrl+z")
        progress = shown(app, "#progress")
        assert "正在录入 第 2 张" in progress and "已收回 1 张（有效 1，无效 0）" in progress
    assert fresh_store(demo_db).ballot_summary(QuarterRef(YEAR, QUARTER))["returned"] == 1
    # The ballot taken back is the last one (基本合格 throughout); the first one stays.
    assert saved_ballots(demo_db) == [{"合格"}]


async def test_undo_a_vote(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        await pilot.press("f3", "d")
        assert (await vote(pilot, "15", "3", "1")).startswith("表决通过")
        await pilot.press("escape")
        entries = table(app, "#entries")
        assert cursor_row(entries)[3] == "表决通过"
        assert "恢复为“有异议”" in await notices_after(pilot, "ctrl+z")
        assert cursor_row(entries)[3] == "有异议"
        assert "本季度还有 3 项" in shown(app, "#entry-hint")
    store = fresh_store(demo_db)
    assert store.votes(QuarterRef(YEAR, QUARTER)) == []
    assert sum(1 for e in store.entries(QuarterRef(YEAR, QUARTER)) if e.status == "有异议") == 3


async def test_undo_takes_back_the_whole_rest_present(demo_db: Path) -> None:
    """Ctrl+A marks everyone not yet called in one keystroke; Ctrl+Z takes all of it back."""
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await pilot.press("f2", "space", "ctrl+a")
        assert "实到 23" in shown(app, "#counts")
        assert "22人恢复为未签到" in await notices_after(pilot, "ctrl+z")
        assert "实到 1　缺席 0　未签到 22" in shown(app, "#counts")
        assert column(table(app, "#roll"), "签到").count("出席") == 1
    calls = fresh_store(demo_db).roll_calls(QuarterRef(YEAR, QUARTER))
    assert len(calls) == 1 and all(r.present for r in calls.values())


# --- 4. the command palette ------------------------------------------------------------------------


def palette_titles(app: JifenApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_palette_lists_the_screen_actions_in_chinese_and_runs_one(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await pilot.press("f2", "ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await until(pilot, lambda: len(palette_titles(app)) >= 5)
        titles = palette_titles(app)
        for name in ("出席", "缺席", "其余出席", "撤销"):
            assert any(name in t for t in titles), (name, titles)
        assert any("表决" in t for t in titles) and any("锁定" in t for t in titles)
        await pilot.press(*"其余出席")
        await until(pilot, lambda: len(palette_titles(app)) == 1 and "其余出席" in palette_titles(app)[0])
        await pilot.press("enter")
        await until(pilot, lambda: screen_name(app) == "RollCallScreen" and "实到 23" in shown(app, "#counts"))
        assert shown(app, "#quorum-banner").startswith("可以表决")
        assert "其余23人记为出席" in "\n".join(str(t.render()) for t in app.screen.query("Toast"))

        # From 逐人, a roll-call action chosen in the palette still finds its page.
        await pilot.press("f3", "ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"下一项待表决")
        await until(pilot, lambda: len(palette_titles(app)) == 1 and "下一项待表决" in palette_titles(app)[0])
        await pilot.press("enter")
        await until(pilot, lambda: screen_name(app) == "MembersScreen")
        await until(pilot, lambda: cursor_row(table(app, "#entries"))[3] == "有异议")
    calls = fresh_store(demo_db).roll_calls(QuarterRef(YEAR, QUARTER))
    assert len(calls) == 23 and all(r.present for r in calls.values())


# --- 5. an empty database -----------------------------------------------------------------------------


async def test_empty_database_opens_on_the_overview(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    open_engine(path).dispose()  # the schema only: no branch, no year
    before = snapshot(path)
    async with console(path) as (app, pilot):
        assert screen_name(app) == "OverviewScreen"
        assert shown(app, "#branch-name") == "尚未建立党支部"
        assert "jifen init" in shown(app, "#meeting-facts")
        for key in ("f2", "f3", "f4", "f5", "f6"):
            notice = await notices_after(pilot, key)
            assert "还没有党支部" in notice and "jifen init" in notice
            assert screen_name(app) == "OverviewScreen"
        await pilot.press("o", "e", "ctrl+z")
        assert screen_name(app) == "OverviewScreen"
    assert snapshot(path) == before


# --- keys and typed text that once went wrong -------------------------------------------------------------


async def test_arrow_keys_switch_members(demo_db: Path) -> None:
    """→ and ← (footer '→ 下一人') switch members although the entries table has focus and
    binds them itself."""
    async with console(demo_db) as (app, pilot):
        await pilot.press("f3")
        assert shown(app, "#member-name") == "王建国"
        await pilot.press("n")
        assert shown(app, "#member-name") == "李秀英"  # n works
        await pilot.press("p", "right")
        assert shown(app, "#member-name") == "李秀英"
        assert "第 2 / 24 人" in shown(app, "#member-position")
        await pilot.press("left")
        assert shown(app, "#member-name") == "王建国"


async def test_arrow_down_then_right_on_member_page(demo_db: Path) -> None:
    """↓ then → on 逐人 once ended the console (RowDoesNotExist): the row highlighted by ↓
    was reported after → had rebuilt the table for the next member. Also after a vote."""
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        await pilot.press("f3")
        for _ in range(6):
            await pilot.press("down", "right")
        assert "第 7 / 24 人" in shown(app, "#member-position")
        await pilot.press("d")
        assert (await vote(pilot, "15", "3", "1")).startswith("表决通过")
        await pilot.press("escape", "down", "right", "down", "left", "up", "right")
        await pilot.pause()
        assert app.failures == [] and app.is_running
        detail = shown(app, "#entry-detail")
        row = cursor_row(table(app, "#entries")) if table(app, "#entries").row_count else None
        assert (row is None and detail == "") or (row is not None and row[4] in detail)


async def test_backspace_after_the_last_rating_takes_it_back(demo_db: Path) -> None:
    """The cursor stays on the last row after the last rating; backspace (and Ctrl+Z while a
    ballot is half entered) still takes back that last rating, not the one before it."""
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        await pilot.press("f4")
        await fill_ballot(pilot, "2" * (GRADED - 1) + "4")
        assert ballot_marks(app)[-2:] == ["合格", "不合格"]
        await pilot.press("backspace")
        assert ballot_marks(app)[-2:] == ["合格", "·"]
        await pilot.press("ctrl+z")
        assert ballot_marks(app)[-3:] == ["合格", "·", "·"]
        assert table(app, "#ballot").cursor_row == GRADED - 2
        await pilot.press("3", "4")
        assert ballot_marks(app)[-3:] == ["合格", "基本合格", "不合格"]
    assert fresh_store(demo_db).ballot_summary(QuarterRef(YEAR, QUARTER))["returned"] == 0


async def test_absence_opinion_is_shown_as_typed(demo_db: Path) -> None:
    """A written opinion is text, not markup: '同意[/]' once killed the console (MarkupError)."""
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await pilot.press("f2", "a", "1", *"同意[/]", "enter")
        await pilot.pause()
        assert row_named(table(app, "#roll"), "王建国")[5] == "同意[/]"
    calls = fresh_store(demo_db).roll_calls(QuarterRef(YEAR, QUARTER))
    assert [r.opinion for r in calls.values()] == ["同意[/]"]


async def test_meeting_place_is_shown_as_typed(demo_db: Path) -> None:
    """Meeting facts are text, not markup: a place '活动室[/]' once killed the console after
    Ctrl+S, and then on every start with that database."""
    async with console(demo_db) as (app, pilot):
        await pilot.press("o", "enter", "ctrl+u", *"活动室[/]", "ctrl+s")
        await pilot.pause()
        assert "地点：活动室[/]" in shown(app, "#meeting-facts")
    assert fresh_store(demo_db).meeting(QuarterRef(YEAR, QUARTER)).place == "活动室[/]"
    async with console(demo_db) as (app, pilot):  # and the console opens on it again
        assert "地点：活动室[/]" in shown(app, "#meeting-facts")


async def test_palette_runs_an_action_of_a_page_not_shown_yet(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)  # 逐人 has not been shown in this session
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"下一项待表决")
        await until(pilot, lambda: len(palette_titles(app)) == 1 and "下一项待表决" in palette_titles(app)[0])
        await pilot.press("enter")
        await until(pilot, lambda: screen_name(app) == "MembersScreen" and app.screen.query("#entries"))
        await until(pilot, lambda: cursor_row(table(app, "#entries"))[3] == "有异议")


# --- one page rule, and Chinese everywhere ---------------------------------------------------------------


async def test_page_keys_are_the_same_on_every_page(demo_db: Path) -> None:
    """F1-F6 (or Alt+1..6) go to a page from every page; digits never switch pages; in a dialog
    a page key is refused with a notice and the dialog stays."""
    pages = ["OverviewScreen", "RollCallScreen", "MembersScreen", "EvaluationScreen", "BoardScreen", "LockScreen"]
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        for here in range(6):
            for there in range(6):
                await pilot.press(f"f{here + 1}")
                assert screen_name(app) == pages[here]
                await pilot.press(f"alt+{there + 1}")
                assert screen_name(app) == pages[there]
        for i, page in enumerate(pages):
            if page in ("EvaluationScreen", "RollCallScreen"):
                continue  # digits rate members there; other pages ignore them
            await pilot.press(f"f{i + 1}", "5", "6", "2")
            assert screen_name(app) == page
        await pilot.press("f1", "e")
        assert screen_name(app) == "MeetingFactsDialog"
        assert "先完成或关闭当前对话框" in await notices_after(pilot, "f3")
        assert screen_name(app) == "MeetingFactsDialog"
        await pilot.press("escape")
        assert screen_name(app) == "OverviewScreen"
        assert "F1 概况" in shown(app, "#nav-line") and "Alt+1-6" in shown(app, "#nav-line")
    assert fresh_store(demo_db).ballot_summary(QuarterRef(YEAR, QUARTER))["returned"] == 0


def no_match_text(app: JifenApp) -> str:
    """The palette's 'no matches' line (an option centred with rich's Align), or ''."""
    options = app.screen.query_one(OptionList)
    if options.option_count != 1 or options.get_option_at_index(0).id != "--no-matches":
        return ""
    return str(options.get_option_at_index(0).prompt.renderable)  # type: ignore[union-attr]


async def test_palette_holds_every_page_action_in_chinese(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await until(pilot, lambda: len(palette_titles(app)) >= 30)
        titles = "\n".join(palette_titles(app))
        for screen in [app.screen_stack[0], *(app.get_screen(m) for m in
                                              ("rollcall", "members", "evaluation", "board", "lock"))]:
            for b in screen.BINDINGS:
                assert b.description in titles, (type(screen).__name__, b.description)
        for name in ("开始会议", "会议信息", "上一季度", "下一季度", "前往 锁定（F6）", "撤销", "退出"):
            assert name in titles, name
        assert not re.search(r"[A-Za-z]{4,}", re.sub(r"Ctrl|Alt|Shift", "", titles)), titles  # no English words
        await pilot.press(*"没有的命令")
        await until(pilot, lambda: "没有找到这个命令" in no_match_text(app))
        await pilot.press("escape")
        # The overview's own action, chosen in the palette, runs on the overview.
        await pilot.press("f2", "ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"开始会议")
        await until(pilot, lambda: any("开始会议" in t for t in palette_titles(app)))
        await pilot.press("enter")
        await until(pilot, lambda: screen_name(app) == "MeetingFactsDialog")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen_name(app) == "OverviewScreen")
    assert fresh_store(demo_db).quarter(QuarterRef(YEAR, QUARTER)).state == "meeting"


async def test_ctrl_c_says_how_to_quit_in_chinese(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        notice = await notices_after(pilot, "ctrl+c")
        assert "Ctrl+Q" in notice and "退出" in notice
        assert not re.search(r"[A-Za-z]{4,}", re.sub(r"Ctrl", "", notice)), notice
        assert app.is_running


async def test_projector_look_by_default_dark_on_f7(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        assert app.theme == "jifen-projector" and not app.current_theme.dark
        await pilot.press("f3", "f7")
        assert app.theme == "jifen-dark" and app.current_theme.dark
        await pilot.press("f5")
        assert app.theme == "jifen-dark"  # for the rest of the session, on every page
        await pilot.press("f7")
        assert app.theme == "jifen-projector"
