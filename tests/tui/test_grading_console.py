"""The year-end view at the Q4 meeting, through the console (Pilot): from the board (F5) key G
shows each member's proposed grade, the 优秀 count against its cap and the 预备党员's
conversion; S sets a member's grade with a reason in a dialog, marked on the row; a missing
reason is refused in the dialog; a read-only console is refused before any dialog. A linyi
(half-yearly) branch: the Q2 meeting's evaluation page holds round 1, the Q4 meeting's round 2."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.demo import build_demo
from db.engine import database_url, open_engine
from db.store import MeetingFacts, Store
from db.writer import WriterLock
from tests.tui.test_console import (
    column,
    console,
    fresh_store,
    notices_after,
    row_named,
    screen_name,
    shown,
    snapshot,
    table,
    until,
)

Q4 = QuarterRef(2026, 4)
TODAY = datetime(2026, 12, 18, 14, 30)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo(path).engine.dispose()
    return path


@pytest.fixture
def q4_meeting(demo_db: Path) -> Path:
    st = fresh_store(demo_db)
    st.open_meeting(Q4, MeetingFacts(TODAY, "党员活动室", "王建国", "刘丽娟"))
    st.roll_call_rest(Q4)
    st.engine.dispose()
    return demo_db


async def test_year_end_view_sets_a_grade_with_its_reason(q4_meeting: Path) -> None:
    grading = fresh_store(q4_meeting).year_grades(2026)
    best = next(r for r in grading.rows if r.proposed == "优秀")
    async with console(q4_meeting) as (app, pilot):
        await pilot.press("f5", "g")
        await until(pilot, lambda: screen_name(app) == "YearGradesScreen")
        head = shown(app, "#grading-head")
        assert f"优秀{grading.top_count}人，限额{grading.cap}人（正式党员21人的1/3）" in head
        assert "党委尚未批复" in head
        t = table(app, "#grading")
        assert column(t, "姓名") == [r.name for r in grading.rows]
        assert row_named(t, best.name)[4] == "优秀"
        probation = [row_named(t, r.name) for r in grading.rows if r.status == "probationary"]
        assert probation and all(r[6] == "不定等次" and r[7] == "可按期转正" for r in probation)

        # A 预备党员 is not graded: S says so, no dialog.
        t.move_cursor(row=[r.status for r in grading.rows].index("probationary"))
        said = await notices_after(pilot, "s")
        assert "预备党员，按积分方案不评定等次" in said and screen_name(app) == "YearGradesScreen"

        # To the member, S, 合格 and no reason: the dialog says so and stays.
        t.move_cursor(row=[r.name for r in grading.rows].index(best.name))
        await pilot.press("s")
        await until(pilot, lambda: screen_name(app) == "GradeDialog")
        await pilot.press(*"合格", "enter", "enter")
        await until(pilot, lambda: "请写明党员大会改定的理由" in shown(app, "#form-error"))
        await pilot.press(*"本人让出名额", "enter")
        await until(pilot, lambda: screen_name(app) == "YearGradesScreen")
        row = row_named(table(app, "#grading"), best.name)
        assert row[5] == "★合格" and row[6] == "合格" and row[7] == "改定"
        assert f"优秀{grading.top_count - 1}人" in shown(app, "#grading-head")
        assert "理由：本人让出名额" in shown(app, "#grading-why")
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == "BoardScreen")
    assert fresh_store(q4_meeting).year_grades(2026).row(best.name).decided == "合格"


async def test_a_read_only_console_is_refused_before_the_dialog(q4_meeting: Path) -> None:
    holder = WriterLock(database_url(q4_meeting))  # another console holds the database
    assert holder.try_acquire()
    try:
        before = snapshot(q4_meeting)
        async with console(q4_meeting) as (app, pilot):
            assert app.seat.read_only
            await pilot.press("f5", "g")
            await until(pilot, lambda: screen_name(app) == "YearGradesScreen")
            said = await notices_after(pilot, "s")
            assert "未执行" in said and screen_name(app) == "YearGradesScreen"
        assert snapshot(q4_meeting) == before
    finally:
        holder.release()


def footer_actions(app) -> list[str]:
    return [k.description for k in app.screen.query(FooterKey)]


async def test_before_the_q4_meeting_the_view_only_shows(demo_db: Path) -> None:
    before = snapshot(demo_db)
    async with console(demo_db) as (app, pilot):
        await pilot.press("f5", "g")
        await until(pilot, lambda: screen_name(app) == "YearGradesScreen")
        assert "尚未开始（只能查看）" in shown(app, "#grading-head")
        # Read-only here: the footer does not offer S, and S opens nothing.
        assert "改定等次" not in footer_actions(app) and "返回积分榜" in footer_actions(app)
        await pilot.press("s")
        await pilot.pause()
        assert screen_name(app) == "YearGradesScreen"
    assert snapshot(demo_db) == before


async def test_after_the_q4_lock_the_view_offers_no_change(q4_meeting: Path) -> None:
    async with console(q4_meeting) as (app, pilot):
        await pilot.press("f5", "g")
        await until(pilot, lambda: screen_name(app) == "YearGradesScreen")
        assert "改定等次" in footer_actions(app)  # at the Q4 meeting
        await pilot.press("escape")
    st = fresh_store(q4_meeting)
    for e in st.entries(Q4):
        if e.status == "有异议":
            st.vote(e.id, st.quorum(Q4).voting_present, 0, 0)
    st.lock(Q4)
    st.engine.dispose()
    before = snapshot(q4_meeting)
    async with console(q4_meeting) as (app, pilot):
        await pilot.press("f5", "g")
        await until(pilot, lambda: screen_name(app) == "YearGradesScreen")
        assert "第四季度已锁定" in shown(app, "#grading-head")
        assert "改定等次" not in footer_actions(app)
        await pilot.press("s")
        await pilot.pause()
        assert screen_name(app) == "YearGradesScreen"
    assert snapshot(q4_meeting) == before


# A year the console does not take for today's: it opens on the first quarter not locked.
LY = date.today().year + 3


@pytest.fixture
def linyi_db(tmp_path: Path) -> Path:
    path = tmp_path / "linyi.db"
    st = Store(open_engine(path), "书记")
    st.init_branch("地质公园党支部", "linyi-geopark-2021", builtin_text("linyi-geopark-2021"), LY)
    st.add_members([dict(name=f"党员{i}", status="full") for i in range(5)])
    st.engine.dispose()
    return path


async def test_linyi_meetings_hold_their_own_evaluation_round(linyi_db: Path) -> None:
    st = fresh_store(linyi_db)
    for number, day in ((1, datetime(LY, 3, 20, 9)), (2, datetime(LY, 6, 26, 9))):
        q = QuarterRef(LY, number)
        st.clock = lambda day=day: day
        st.open_meeting(q, MeetingFacts(day, "会议室", "甲", "乙"))
        st.roll_call_rest(q)
        if number == 1:
            st.lock(q)
    st.engine.dispose()
    async with console(linyi_db) as (app, pilot):  # the Q2 meeting: round 1
        await pilot.press("f4")
        await until(pilot, lambda: "第1轮" in shown(app, "#progress"))
        await pilot.press(*"11111", "s")
        await until(pilot, lambda: "已收回 1 张" in shown(app, "#progress"))
    assert fresh_store(linyi_db).ballot_summary(QuarterRef(LY, 2), 1)["returned"] == 1
    st = fresh_store(linyi_db)
    st.clock = lambda: datetime(LY, 6, 26, 12)
    st.lock(QuarterRef(LY, 2))
    for number, day in ((3, datetime(LY, 9, 25, 9)), (4, datetime(LY, 12, 18, 9))):
        q = QuarterRef(LY, number)
        st.clock = lambda day=day: day
        st.open_meeting(q, MeetingFacts(day, "会议室", "甲", "乙"))
        st.roll_call_rest(q)
        if number == 3:
            st.lock(q)
    st.engine.dispose()
    async with console(linyi_db) as (app, pilot):  # the Q4 meeting: round 2
        await pilot.press("f4")
        await until(pilot, lambda: "第2轮" in shown(app, "#progress"))
        await pilot.press(*"22222", "s")
        await until(pilot, lambda: "已收回 1 张" in shown(app, "#progress"))
    st = fresh_store(linyi_db)
    q4 = QuarterRef(LY, 4)
    assert st.ballot_summary(q4, 2)["returned"] == 1 and st.ballot_summary(q4, 1)["returned"] == 0
    # No grades in the scheme: the meeting must record each one.
    g = st.year_grades(LY)
    assert not g.scheme_grades and len(g.undecided) == 5
    st.set_grade(LY, g.rows[0].member_id, "优秀", "两轮评议均为优秀")
    assert len(st.year_grades(LY).undecided) == 4
