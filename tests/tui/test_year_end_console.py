"""What the year-end pages tell a new user, found walking the year's close in tmux: after the Q4
lock the lock page (F6) lists what closes the year (the 党委's 批复, the year's form, the next
year) and crosses off what is done; the overview's N asks with a `year open` command that runs
as written (the year included)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from db.engine import open_engine
from db.store import Store
from tests.tui.test_console_years import JANUARY, closed, console, open_2027, shown  # noqa: F401 (fixture)

pytestmark = pytest.mark.asyncio


async def test_the_lock_page_after_q4_lists_what_closes_the_year(closed: Path):  # noqa: F811
    async with console(closed, JANUARY) as (app, pilot):
        await pilot.press("f6")
        said = shown(app, "#lock-result")
        assert "2026年度收尾：" in said
        assert "1. 党委批复后记录批复（此前等次均为“拟定”）：jifen grade approve --year 2026" in said
        assert "2. 年度公示表：jifen export publicity --year 2026 --out 文件名.pdf" in said
        assert "3. 开始2027年度：在概况页（F1）按 N，或运行 jifen year open 2027" in said
    st = Store(open_engine(closed), "书记", clock=lambda: JANUARY)
    st.approve_grades(2026, date(2027, 1, 10), "同意")
    st.engine.dispose()
    open_2027(closed)
    async with console(closed, JANUARY) as (app, pilot):
        await pilot.press("left", "f6")  # back to 2026Q4
        said = shown(app, "#lock-result")
        assert "1. 党委已于2027-01-10批复年度等次" in said and "3. 2027年度已开始" in said


async def test_a_locked_quarter_before_the_fourth_lists_no_year_end(closed: Path):  # noqa: F811
    async with console(closed, datetime(2026, 12, 7, 9, 0)) as (app, pilot):
        await pilot.press("left", "f6")
        assert (app.year, app.number) == (2026, 3)
        assert "年度收尾" not in shown(app, "#lock-result")


async def test_the_new_year_dialog_names_the_year_in_its_command(closed: Path):  # noqa: F811
    async with console(closed, JANUARY) as (app, pilot):
        await pilot.press("n")
        await pilot.pause()
        said = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "更换积分方案请在命令行运行 jifen year open 2027 --scheme 方案编号或文件。" in said
        await pilot.press("escape")
