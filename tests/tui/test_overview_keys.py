"""The overview (F1) as found walking the year-end in tmux at 100x30: its hint breaks into whole
steps, one a line, at 100 and 200 columns; its footer shows only the keys that apply to the
quarter's state (O before the meeting, E A M during it, A on a locked quarter) and is never cut;
a hidden key does nothing, and the palette, which lists every action, says why it did nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from core.quarter import QuarterRef
from db.demo import build_demo
from db.store import MeetingFacts
from tests.tui.test_console import fresh_store, notices_after, palette_titles, screen_name, snapshot, until
from tui.app import JifenApp

pytestmark = pytest.mark.asyncio

Q4 = QuarterRef(2026, 4)


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo(path).engine.dispose()
    return path


@pytest.fixture
def q4_meeting(demo_db: Path) -> Path:
    st = fresh_store(demo_db)
    st.open_meeting(Q4, MeetingFacts(datetime(2026, 12, 18, 14, 30), "党员活动室", "王建国", "刘丽娟"))
    st.engine.dispose()
    return demo_db


def footer(app: JifenApp) -> list[str]:
    """The footer's keys as shown, e.g. ['←', '→', 'O', '^q', …]."""
    return [k.key_display for k in app.screen.query(FooterKey)]


def assert_footer_whole(app: JifenApp) -> None:
    """Every key of the footer is drawn in full inside the screen's width."""
    width = app.screen.size.width
    keys = list(app.screen.query(FooterKey))
    assert keys
    for k in keys:
        assert k.region.width > 0 and k.region.right <= width, (k.key_display, k.description, k.region, width)


def hint_lines(app: JifenApp) -> list[str]:
    """The hint's lines as written, after checking that none of them wrapped on the screen."""
    hint = app.screen.query_one("#next-step", Static)
    lines = str(hint.render()).splitlines()
    assert hint.size.height == len(lines), (lines, hint.size)  # one screen row per line: nothing wrapped
    return lines


async def in_console(path: Path, size: tuple[int, int], *keys: str) -> tuple[list[str], list[str]]:
    """The hint lines and the footer keys after pressing `keys`, the footer checked whole."""
    app = JifenApp(db_path=path)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        lines, keys_shown = hint_lines(app), footer(app)
        assert_footer_whole(app)
    assert app.failures == []
    return lines, keys_shown


@pytest.mark.parametrize("size", [(100, 30), (200, 50)])
async def test_before_the_meeting_the_hint_and_the_footer_offer_o(demo_db: Path, size: tuple[int, int]) -> None:
    lines, keys = await in_console(demo_db, size)
    assert lines == ["按 O 开始会议", "填写时间、地点、主持人和记录人", "← → 选择季度"]
    assert {"←", "→", "O"} <= set(keys) and not {"E", "A", "M", "X"} & set(keys)


@pytest.mark.parametrize("size", [(100, 30), (200, 50)])
async def test_in_the_meeting_the_hint_and_the_footer_offer_e_a_m(q4_meeting: Path, size: tuple[int, int]) -> None:
    lines, keys = await in_console(q4_meeting, size)
    assert lines == ["F2 签到　F3 逐人过积分事项", "F4 民主评议　F5 积分榜　F6 锁定",
                     "E 修改会议信息　A 议题记录　M 散会"]
    assert {"←", "→", "E", "A", "M"} <= set(keys) and not {"O", "X"} & set(keys)


async def test_a_locked_quarter_offers_only_its_record_and_the_quarter_keys(demo_db: Path) -> None:
    lines, keys = await in_console(demo_db, (100, 30), "left")  # 2026Q3, locked
    assert lines == ["本季度已锁定，只能查看", "A 查看议题记录　← → 选择季度"]
    assert {"←", "→", "A"} <= set(keys) and not {"O", "E", "M", "X"} & set(keys)


async def test_hidden_keys_do_nothing_and_x_still_cancels_in_the_meeting(q4_meeting: Path) -> None:
    before = snapshot(q4_meeting)
    app = JifenApp(db_path=q4_meeting)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("left", "o", "e", "m", "x")  # the locked Q3: none of these applies
        await pilot.pause()
        assert screen_name(app) == "OverviewScreen" and (app.year, app.number) == (2026, 3)
        assert snapshot(q4_meeting) == before
        await pilot.press("right", "x")  # the Q4 meeting: 取消会议 is out of the footer but works
        await until(pilot, lambda: screen_name(app) == "ConfirmDialog")
        await pilot.press("escape")
    assert app.failures == []
    assert fresh_store(q4_meeting).quarter(Q4).state == "meeting"


async def test_the_palette_says_why_a_hidden_action_did_nothing(demo_db: Path) -> None:
    before = snapshot(demo_db)
    app = JifenApp(db_path=demo_db)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("left", "ctrl+p")  # on the locked Q3
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"开始会议")
        await until(pilot, lambda: any("开始会议" in t for t in palette_titles(app)))
        said = await notices_after(pilot, "enter")
        assert "不能使用" in said and screen_name(app) == "OverviewScreen"
    assert app.failures == []
    assert snapshot(demo_db) == before
