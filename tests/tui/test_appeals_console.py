"""The overview page (F1) shows the open appeals with the date each answer is due, those past it
in the warning style, and nothing about appeals when none is open (Textual Pilot, demo branch)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Static

from core.quarter import QuarterRef
from db.demo import build_demo
from exports.deadlines import WorkCalendar
from tests.tui.test_console import console, fresh_store, shown

pytestmark = pytest.mark.asyncio


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo(path).engine.dispose()
    return path


async def test_the_overview_shows_open_appeals_and_flags_the_overdue(demo_db):
    st = fresh_store(demo_db)
    cal = WorkCalendar()
    st.add_appeal(QuarterRef(2026, 3), "刘丽娟", date(2026, 9, 30), "K3.4 扣分有误", cal)  # due 10 October
    today = st.clock().date()
    _, due = st.add_appeal(QuarterRef(2026, 3), "张伟", today, "加分偏少", cal)
    st.add_appeal(QuarterRef(2026, 3), "陈志强", date(2026, 9, 28), "已答复的", cal)
    st.answer_appeal(3, date(2026, 9, 29), False, "不予支持")
    st.engine.dispose()
    async with console(demo_db) as (app, pilot):
        await pilot.press("f1")
        await pilot.pause()
        on_time = shown(app, "#appeals")
        overdue = app.screen.query_one("#appeals-overdue", Static)
        assert on_time.startswith("未答复的申诉（2件）：")
        assert f"第2号 张伟 2026Q3：{due:%Y-%m-%d}前答复" in on_time and "逾期" not in on_time
        assert str(overdue.render()) == "第1号 刘丽娟 2026Q3：2026-10-10前答复（逾期）"
        assert overdue.display and overdue.has_class("warn")
        assert "陈志强" not in on_time  # answered: no longer open


async def test_no_open_appeal_leaves_the_overview_as_it_was(demo_db):
    async with console(demo_db) as (app, pilot):
        await pilot.press("f1")
        await pilot.pause()
        assert not app.screen.query_one("#appeals", Static).display
        assert not app.screen.query_one("#appeals-overdue", Static).display
