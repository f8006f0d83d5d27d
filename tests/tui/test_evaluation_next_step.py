"""民主评议 (F4) once every issued ballot is in: the hint stops offering "可按回车保存" and says what
comes next (the results on the board, F5, then the lock, F6); typing one ballot more than were
issued is warned before it is saved; with phone codes out (results sealed) the next step is to
close the round (P, then C) first."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from db.demo import build_demo
from db.store import MeetingFacts
from tests.tui.test_console import console, fresh_store, notices_after, shown, until

pytestmark = pytest.mark.asyncio

Q4 = QuarterRef(2026, 4)


@pytest.fixture
def three_issued(tmp_path: Path) -> Path:
    """The demo's Q4 meeting under way, 3 ballots issued, 2 already entered."""
    path = tmp_path / "demo.db"
    st = build_demo(path)
    st.open_meeting(Q4, MeetingFacts(datetime(2026, 12, 18, 14, 30), "党员活动室", "王建国", "刘丽娟"))
    st.roll_call_rest(Q4)
    st.set_ballots_issued(Q4, 3)
    for _ in range(2):
        st.add_ballot(Q4, {m.id: "合格" for m in st.members() if not m.exempt})
    st.engine.dispose()
    return path


async def test_after_the_last_issued_ballot_the_hint_says_what_comes_next(three_issued: Path) -> None:
    async with console(three_issued) as (app, pilot):
        await pilot.press("f4")
        await until(pilot, lambda: "正在录入 第 3 / 3 张" in shown(app, "#progress"))
        assert "可按回车保存" in shown(app, "#ballot-hint")  # the third ballot is still to come
        await pilot.press("2", "2", "2")
        assert "本张已保存" in await notices_after(pilot, "enter")
        await until(pilot, lambda: "发出的3张已全部录入" in shown(app, "#progress"))
        hint = shown(app, "#ballot-hint")
        assert "可按回车保存" not in hint, hint
        assert "发出的3张测评票已全部录入，评议结果已计入积分榜" in hint
        assert "F5" in hint and "F6 锁定本季度" in hint

        # One more ballot typed: warned before saving it, with the way out.
        await pilot.press("2")
        hint = shown(app, "#ballot-hint")
        assert "再保存一张，收回票数将多于发出票数，本次测评无效" in hint and "按 X 清除本张" in hint
        await pilot.press("x")
        assert "F6 锁定本季度" in shown(app, "#ballot-hint")
    assert fresh_store(three_issued).ballot_summary(Q4)["returned"] == 3


async def test_with_phone_codes_out_the_next_step_is_to_close_the_round(three_issued: Path) -> None:
    st = fresh_store(three_issued)
    (code,) = st.issue_codes(Q4, 1)  # issued: 3 paper + 1 code
    marks = {m.id: "合格" for m in st.members() if not m.exempt}
    st.add_ballot(Q4, marks)  # the third paper ballot
    st.add_code_ballots(Q4, [(code, marks)])  # and the phone's
    state = st.round_state(Q4)
    st.engine.dispose()
    assert state.sealed and state.issued == state.returned == 4
    async with console(three_issued) as (app, pilot):
        await pilot.press("f4")
        await until(pilot, lambda: "手机测评进行中" in shown(app, "#progress"))
        hint = shown(app, "#ballot-hint")
        assert "可按回车保存" not in hint, hint
        assert "发出的4张测评票已全部录入（含手机测评）" in hint
        assert "按 P 打开手机测评，按 C 结束本轮后显示结果" in hint and "F6 锁定本季度" in hint
