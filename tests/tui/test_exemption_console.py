"""免于积分管理 from the members page (F3, key M), driving the real console on real SQLite files:
granted with a reason under jsit (which provides it) at the Q1 meeting and undone with Ctrl+Z,
ended again; refused at once, before any dialog, under xinmi (no exemption) and under jsit once
a quarter of the year is locked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store
from tests.db.test_year_open import college, hold_and_lock
from tui.app import JifenApp
from tui.screens.exemption import ExemptionDialog

pytestmark = pytest.mark.asyncio
MARCH = datetime(2026, 3, 26, 14, 30)
JUNE = datetime(2026, 6, 20, 9, 0)


@asynccontextmanager
async def console(path: Path, today: datetime) -> AsyncIterator[tuple[JifenApp, Pilot]]:
    app = JifenApp(db_path=path, clock=lambda: today)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        yield app, pilot
    assert app.failures == [], f"the console met exceptions: {app.failures!r}"


def shown(app: JifenApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def notices(app: JifenApp) -> str:
    return "\n".join(n.message for n in app._notifications)


def exempt(path: Path) -> dict[str, str]:
    """Who is exempt, and why, as the database says (read by a store of its own)."""
    st = Store(open_engine(str(path)), "书记")
    try:
        return {m.name: m.exempt_reason for m in st.members() if m.exempt}
    finally:
        st.engine.dispose()


@pytest.fixture
def jsit_meeting(tmp_path: Path) -> Path:
    """A jsit branch (王瑞 exempt for 长期病休) holding its 2026 Q1 meeting."""
    path = tmp_path / "jsit.db"
    st, _ = college(str(path))
    st.clock = lambda: MARCH
    st.open_meeting(QuarterRef(2026, 1), MeetingFacts(MARCH, "活动室", "甲", "乙"))
    st.engine.dispose()
    return path


async def test_granted_with_a_reason_shown_with_the_route_and_undone(jsit_meeting: Path):
    async with console(jsit_meeting, MARCH) as (app, pilot):
        await pilot.press("f3")
        assert shown(app, "#member-name") == "周明"
        assert "M 免于积分管理" in shown(app, "#entry-hint")  # named where the scheme provides it
        await pilot.press("m")
        dialog = app.screen
        assert isinstance(dialog, ExemptionDialog)
        said = " ".join(str(w.render()) for w in dialog.query("Static, Label"))
        assert "周明：免于积分管理" in said
        assert "须经本人申请，支委会审核，党员大会通过，公示无异议" in said
        await pilot.press("enter")  # no reason: refused in the dialog, nothing written
        assert isinstance(app.screen, ExemptionDialog)
        assert "请写明免于积分管理的理由" in shown(app, "#form-error")
        app.screen.query_one("#reason", Input).value = "一年内连续外出"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExemptionDialog)
        assert "“周明”免于积分管理（一年内连续外出）（Ctrl+Z 撤销）" in notices(app)
        route = "经本人申请，支委会审核，党员大会通过，公示无异议"
        assert f"免于积分管理（一年内连续外出，{route}）" in shown(app, "#member-post")
        assert shown(app, "#member-rank") == "不排名"
        assert exempt(jsit_meeting) == {"王瑞": "长期病休", "周明": "一年内连续外出"}
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "已撤销：周明恢复为参加积分管理" in notices(app)
        assert "免于积分管理" not in shown(app, "#member-post")
        assert exempt(jsit_meeting) == {"王瑞": "长期病休"}


async def test_ended_for_a_member_who_is_exempt(jsit_meeting: Path):
    async with console(jsit_meeting, MARCH) as (app, pilot):
        await pilot.press("f3", "right", "right", "right")
        assert shown(app, "#member-name") == "王瑞"
        await pilot.press("m")
        assert isinstance(app.screen, ExemptionDialog)
        assert "王瑞：结束免于积分管理" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("enter")  # no reason needed to end it
        await pilot.pause()
        assert "“王瑞”恢复参加积分管理" in notices(app)
        assert exempt(jsit_meeting) == {}
        assert shown(app, "#member-rank").startswith("第 ")


async def test_refused_under_a_scheme_without_exemption(tmp_path: Path):
    path = tmp_path / "demo.db"
    build_demo(path).engine.dispose()  # xinmi: no exemption from points management
    async with console(path, datetime(2026, 12, 7, 9, 0)) as (app, pilot):
        await pilot.press("f3")
        assert "免于积分管理" not in shown(app, "#entry-hint")
        await pilot.press("m")
        await pilot.pause()
        assert not isinstance(app.screen, ExemptionDialog)
        assert "不能设为免于积分管理" in notices(app) and "没有免于积分管理的规定" in notices(app)


async def test_refused_once_a_quarter_of_the_year_is_locked(tmp_path: Path):
    path = tmp_path / "jsit.db"
    st, _ = college(str(path))
    hold_and_lock(st, QuarterRef(2026, 1), MARCH)
    st.engine.dispose()
    async with console(path, JUNE) as (app, pilot):
        assert (app.year, app.number) == (2026, 2)
        await pilot.press("f3", "m")
        await pilot.pause()
        assert not isinstance(app.screen, ExemptionDialog)
        assert "不能更改“周明”的免于积分管理：2026年第一季度已锁定" in notices(app)
    assert exempt(path) == {"王瑞": "长期病休"}
