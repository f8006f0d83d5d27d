"""The console across the turn of the year, on the demo branch with 2026Q4 locked: at a date in
2027Q1 it opens 2027Q1 once 2027 is opened, ← → go back into 2026 and forth again, and before
2027 is opened the overview says how to open it (and N opens it with the same scheme)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from db.demo import build_demo
from db.engine import open_engine
from db.store import Store
from tests.tui.test_cli_year import lock_q4
from tui.app import JifenApp

pytestmark = pytest.mark.asyncio
SIZE = (100, 30)
JANUARY = datetime(2027, 1, 15, 9, 0)


@pytest.fixture
def closed(tmp_path: Path) -> Path:
    """The demo with 2026Q4 held and locked; 2027 not yet opened."""
    path = tmp_path / "demo.db"
    build_demo(path).engine.dispose()
    lock_q4(path)
    return path


def open_2027(path: Path) -> None:
    st = Store(open_engine(path), "书记")
    st.open_year(2027)
    st.engine.dispose()


@asynccontextmanager
async def console(path: Path, today: datetime) -> AsyncIterator[tuple[JifenApp, Pilot]]:
    app = JifenApp(db_path=path, clock=lambda: today)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        yield app, pilot
    assert app.failures == [], f"the console met exceptions: {app.failures!r}"


def shown(app: JifenApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_in_january_the_console_opens_the_new_year_and_goes_back_to_the_old(closed: Path):
    open_2027(closed)
    async with console(closed, JANUARY) as (app, pilot):
        assert (app.year, app.number) == (2027, 1)
        assert app.sub_title.endswith("2027年第一季度")
        assert "2027年第一季度" in shown(app, "#title-line")
        assert shown(app, "#scheme-line").startswith("2027年度")
        await pilot.press("left")
        assert (app.year, app.number) == (2026, 4)
        assert "2026年第四季度" in shown(app, "#title-line") and shown(app, "#scheme-line").startswith("2026年度")
        assert "本季度已锁定，只能查看" in shown(app, "#next-step")
        assert "尚未开始" not in shown(app, "#next-step")  # 2027 is opened
        await pilot.press("left", "left", "left", "left")
        assert (app.year, app.number) == (2026, 1)  # no 2025: stays at the first quarter
        await pilot.press("right", "right", "right", "right")
        assert (app.year, app.number) == (2027, 1)
        await pilot.press("right", "right", "right", "right")
        assert (app.year, app.number) == (2027, 4)  # no 2028


async def test_after_the_q4_lock_in_december_the_opened_year_comes_next(closed: Path):
    open_2027(closed)
    async with console(closed, datetime(2026, 12, 28, 9, 0)) as (app, _pilot):
        assert (app.year, app.number) == (2027, 1)


async def test_before_the_new_year_is_opened_the_overview_says_how(closed: Path):
    async with console(closed, JANUARY) as (app, pilot):
        assert (app.year, app.number) == (2026, 4)
        assert "2027年度尚未开始：\n运行 jifen year open 2027\n或按 N 开始" in shown(app, "#next-step")
        app.clear_notifications()
        await pilot.press("right")
        await pilot.pause()
        assert (app.year, app.number) == (2026, 4)
        toasts = " ".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "2027年度尚未开始：运行 jifen year open 2027" in toasts

        await pilot.press("n")  # 开始新年度, asked first
        await pilot.pause()
        assert "开始2027年度？" in " ".join(str(w.render()) for w in app.screen.query("Label"))
        await pilot.press("y")
        await pilot.pause()
        assert (app.year, app.number) == (2027, 1)
        assert app.sub_title.endswith("2027年第一季度")
        assert "尚未开始" not in shown(app, "#next-step")
    st = Store(open_engine(closed))
    assert st.years() == [2026, 2027] and st.scheme(2027) == st.scheme(2026)
    assert st.verify() == []
    st.engine.dispose()


async def test_n_before_the_q4_lock_is_refused_and_changes_nothing(tmp_path: Path):
    path = tmp_path / "demo.db"
    build_demo(path).engine.dispose()
    async with console(path, datetime(2026, 12, 20, 9, 0)) as (app, pilot):
        assert (app.year, app.number) == (2026, 4)
        app.clear_notifications()
        await pilot.press("n")
        await pilot.pause()
        toasts = " ".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "本年度第四季度锁定后才能开始新的年度" in toasts
    st = Store(open_engine(path))
    assert st.years() == [2026]
    st.engine.dispose()
