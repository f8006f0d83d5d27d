"""Ties early in a year: at 2027Q1, before any entry, all 21 full members of the demo are level at
the base and the engine flags each of them tie_at_limit. That is no news before the year's
grading: the board (F5) does not mark the rows 并列待定, the grading view (G) and `jifen grade
list` name nobody and say once, in a plain line, that ties are left to the Q4 meeting. At the
2027 Q4 meeting, with the same tie, all three raise it as before. The engine's flags are unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from core.quarter import QuarterRef
from db.engine import open_engine
from db.store import MeetingFacts, Store
from tests.tui.test_cli import jifen
from tests.tui.test_console import column, screen_name, shown, table, until
from tests.tui.test_console_years import JANUARY, closed, open_2027  # noqa: F401 (fixture)
from tui.app import JifenApp
from tui.grading_ties import TIES_LATER

pytestmark = pytest.mark.asyncio
Q4_MEETING = datetime(2027, 12, 17, 14, 30)


@pytest.fixture
def early_2027(closed: Path) -> Path:  # noqa: F811
    """The demo with 2026 closed and 2027 opened: nobody has an entry yet."""
    open_2027(closed)
    return closed


@pytest.fixture
def q4_2027(early_2027: Path) -> Path:
    """2027 held through Q3 with no entries, and the Q4 meeting under way."""
    st = Store(open_engine(early_2027), "书记")
    for n, day in ((1, datetime(2027, 3, 26, 14, 30)), (2, datetime(2027, 6, 25, 14, 30)),
                   (3, datetime(2027, 9, 24, 14, 30)), (4, Q4_MEETING)):
        st.clock = lambda day=day: day
        st.open_meeting(QuarterRef(2027, n), MeetingFacts(day, "活动室", "王建国", "刘丽娟"))
        st.roll_call_rest(QuarterRef(2027, n))
        if n < 4:
            st.lock(QuarterRef(2027, n))
    st.engine.dispose()
    return early_2027


def tied(path: Path) -> list[str]:
    """The members the engine flags as tied at a share in 2027 (its output, untouched)."""
    st = Store(open_engine(path))
    try:
        return [m.name for m in st.board(2027).members if "tie_at_limit" in m.flags]
    finally:
        st.engine.dispose()


@asynccontextmanager
async def console(path: Path, today: datetime) -> AsyncIterator[tuple[JifenApp, Pilot]]:
    app = JifenApp(db_path=path, clock=lambda: today)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        yield app, pilot
    assert app.failures == []


async def board_and_grading(app: JifenApp, pilot: Pilot) -> tuple[list[str], str, str]:
    """The board's 标记 column, the first member's reasons, then the grading view's head and notes."""
    await pilot.press("f5")
    await until(pilot, lambda: screen_name(app) == "BoardScreen" and table(app, "#board").row_count > 0)
    marks = column(table(app, "#board"), "标记")
    why = shown(app, "#why")
    await pilot.press("g")
    await until(pilot, lambda: screen_name(app) == "YearGradesScreen" and table(app, "#grading").row_count > 0)
    head = shown(app, "#grading-head") + "\n" + "\n".join(column(table(app, "#grading"), "说明"))
    return marks, why, head


async def test_at_the_first_quarter_ties_are_not_an_alarm(early_2027: Path) -> None:
    assert len(tied(early_2027)) == 21  # the engine still flags every full member
    async with console(early_2027, JANUARY) as (app, pilot):
        assert (app.year, app.number) == (2027, 1)
        await pilot.press("f5")
        await until(pilot, lambda: screen_name(app) == "BoardScreen" and table(app, "#board").row_count > 0)
        # Only the first quarter has begun: the later columns are empty, not the base carried on.
        board = table(app, "#board")
        assert set(column(board, "一季")) == {"80"}
        assert {*column(board, "二季"), *column(board, "三季"), *column(board, "四季")} == {"—"}
        marks, why, head = await board_and_grading(app, pilot)
        assert not any("并列" in m for m in marks), marks
        assert TIES_LATER in why  # the reason is still there for whoever reads it, with the plain note
        assert "并列跨过名额、须由党员大会决定" not in head and "名额：" not in head, head  # no names listed
        assert TIES_LATER in head
        assert "改定等次" not in [k.description for k in app.screen.query(FooterKey)]  # read-only before Q4
    listed = jifen("grade", "list", "--db", str(early_2027), "--year", "2027")
    assert listed.returncode == 0, listed.stderr
    assert "并列跨过名额，由党员大会决定" not in listed.stdout and "须由党员大会决定：" not in listed.stdout
    assert TIES_LATER in listed.stdout


async def test_at_the_q4_meeting_the_same_tie_is_raised(q4_2027: Path) -> None:
    names = tied(q4_2027)
    assert len(names) == 21
    async with console(q4_2027, Q4_MEETING) as (app, pilot):
        assert (app.year, app.number) == (2027, 4)
        marks, why, head = await board_and_grading(app, pilot)
        assert sum("并列待定" in m for m in marks) == 21
        assert TIES_LATER not in why and TIES_LATER not in head
        assert f"并列跨过名额、须由党员大会决定：{'、'.join(names)}" in head
        assert "改定等次" in [k.description for k in app.screen.query(FooterKey)]
    listed = jifen("grade", "list", "--db", str(q4_2027), "--year", "2027")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("并列跨过名额，由党员大会决定") == 21 and TIES_LATER not in listed.stdout
