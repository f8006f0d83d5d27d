"""The meeting's record at the console (Pilot, 100x30, the demo branch): objections with who
and why, the vote's method, agenda notes, the end of the meeting, cancelling it, an odd
meeting date, pending entries. Each flow checks the database through a fresh Store."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from core.quarter import QuarterRef
from db.demo import build_demo
from tests.tui.test_console import (
    QUARTER,
    YEAR,
    console,
    cursor_row,
    everyone_present,
    fresh_store,
    notices_after,
    open_meeting,
    screen_name,
    shown,
    table,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo(path)
    return path


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*text)


async def _to_declared_entry(app, pilot) -> int:  # type: ignore[no-untyped-def]
    """On 逐人, move to the first entry still 申报 (pending); its id."""
    await pilot.press("f3")
    for _ in range(24):
        entries = table(app, "#entries")
        for r in range(entries.row_count):
            row = [str(c) for c in entries.get_row_at(r)]
            if row[3] == "申报（待确认）":
                entries.move_cursor(row=r)
                await pilot.pause()
                return int(row[0].lstrip("#"))
        await pilot.press("right")
    raise AssertionError("no pending entry")


async def test_an_objection_asks_who_and_why(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        entry = await _to_declared_entry(app, pilot)
        row = cursor_row(table(app, "#entries"))
        assert "如确认" in row[4]  # a pending entry says what it will do, never as final
        assert "待确认" in shown(app, "#member-figures")
        await pilot.press("c")
        assert screen_name(app) == "WhoWhatDialog"
        await pilot.press("enter", "enter")  # nothing typed: the dialog says what is missing
        assert "请填写提出人" in shown(app, "#form-error")
        await _type(pilot, "李秀英")
        await pilot.press("enter")
        await _type(pilot, "证明材料不全")
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "MembersScreen"
    store = fresh_store(demo_db)
    got = [(o.entry_id, o.raised_by, o.reason) for o in store.objections(QuarterRef(YEAR, QUARTER))]
    assert (entry, "李秀英", "证明材料不全") in got
    assert next(e for e in store.entries(QuarterRef(YEAR, QUARTER)) if e.id == entry).status == "有异议"


async def test_the_vote_dialog_asks_how_the_vote_is_taken(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        await pilot.press("f3", "d")
        entry = int(cursor_row(table(app, "#entries"))[0].lstrip("#"))
        await pilot.press("v")
        from textual.widgets import Checkbox

        box = app.screen.query_one("#secret", Checkbox)
        assert str(box.label).startswith("表决方式：举手表决")  # the method in force is named, not just ticked
        await pilot.press("ctrl+t")
        assert str(box.label).startswith("表决方式：无记名投票")
        for count in ("15", "3", "1"):
            await pilot.press(*count, "enter")
        await pilot.pause()
        assert "表决方式：无记名投票" in shown(app, "#vote-result")
        await pilot.press("escape")
    votes = fresh_store(demo_db).votes(QuarterRef(YEAR, QUARTER))
    assert [(v.entry_id, v.method, v.yes) for v in votes] == [(entry, "无记名投票", 15)]


async def test_agenda_notes_and_the_end_of_the_meeting(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await pilot.press("a")
        assert screen_name(app) == "AgendaDialog"
        await pilot.press("down", "s")
        await _type(pilot, "王建国")
        await pilot.press("enter")
        await _type(pilot, "说明核实经过")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await _type(pilot, "胡晓燕")
        await pilot.press("enter")
        await _type(pilot, "应待复核")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("j")
        await _type(pilot, "按表决结果计分")
        await pilot.press("enter")
        await pilot.pause()
        assert "王建国发言：说明核实经过" in shown(app, "#agenda-notes")
        await pilot.press("escape", "m")
        app.screen.query_one("#text", Input).value = "23:59"
        await pilot.press("enter")
        await pilot.pause()
    store = fresh_store(demo_db)
    notes = [(n.item, n.kind, n.speaker, n.text) for n in store.agenda_notes(QuarterRef(YEAR, QUARTER))]
    assert notes == [(2, "speech", "王建国", "说明核实经过"), (2, "dissent", "胡晓燕", "应待复核"),
                     (2, "resolution", "", "按表决结果计分")]
    mt = store.meeting(QuarterRef(YEAR, QUARTER))
    assert mt.ended_at is not None and mt.ended_at.strftime("%H:%M") == "23:59"


async def test_cancel_a_meeting_until_the_first_ballot(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        await pilot.press("f1", "x")
        assert screen_name(app) == "ConfirmDialog"
        await pilot.press("y")
        await pilot.pause()
        assert fresh_store(demo_db).meeting(QuarterRef(YEAR, QUARTER)) is None
        await open_meeting(pilot)
        await pilot.press("f4", "b", "f1")
        assert "录入了测评票" in await notices_after(pilot, "x")
    store = fresh_store(demo_db)
    here = QuarterRef(YEAR, QUARTER)
    assert store.quarter(here).state == "meeting" and store.ballot_summary(here)["returned"] == 1


async def test_an_odd_meeting_date_is_confirmed_first(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await pilot.press("f1", "o")
        app.screen.query_one("#held_at", Input).value = "2026-09-01 09:00"
        app.screen.query_one("#host", Input).value = "来宾甲"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen_name(app) == "ConfirmDialog"
        await pilot.press("n")
        await pilot.pause()
        assert fresh_store(demo_db).meeting(QuarterRef(YEAR, QUARTER)) is None
        await pilot.press("o")
        app.screen.query_one("#held_at", Input).value = "2026-09-01 09:00"
        app.screen.query_one("#host", Input).value = "来宾甲"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "不在名册中" in await notices_after(pilot, "y")
    mt = fresh_store(demo_db).meeting(QuarterRef(YEAR, QUARTER))
    assert mt.held_at.strftime("%Y-%m-%d %H:%M") == "2026-09-01 09:00" and mt.host == "来宾甲"


async def test_the_scoreboard_marks_pending_entries(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await pilot.press("f5")
        flags = [str(table(app, "#board").get_row_at(r)[-1]) for r in range(table(app, "#board").row_count)]
        assert any("待确认" in f for f in flags)


async def test_ballot_progress_says_when_every_issued_ballot_is_in(demo_db: Path) -> None:
    async with console(demo_db) as (app, pilot):
        await open_meeting(pilot)
        await everyone_present(pilot)
        assert app.attempt(app.store.set_ballots_issued, QuarterRef(YEAR, QUARTER), 2)
        await pilot.press("f4")
        assert "正在录入 第 1 / 2 张" in shown(app, "#progress")
        for _ in range(2):
            await pilot.press("b")
        await pilot.pause()
        progress = shown(app, "#progress")
        assert "发出的2张已全部录入" in progress and "第 3 / 2 张" not in progress, progress
    assert fresh_store(demo_db).ballot_summary(QuarterRef(YEAR, QUARTER))["returned"] == 2
