"""Snapshots of every screen at a fixed size, on the demo branch with a fixed clock.

Update after a deliberate change of the look with `pytest tests/tui/test_snapshots.py
--snapshot-update`, and look at the new SVGs before committing them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from db.demo import build_demo
from db.store import MeetingFacts
from tui.app import JifenApp

TODAY = datetime(2026, 12, 25, 14, 30)


@pytest.fixture
def demo(tmp_path) -> Path:
    path = tmp_path / "demo.db"
    build_demo(path)
    return path


def console(path: Path, opened: bool = True, present: bool = True) -> JifenApp:
    """The console on the demo, today's meeting opened and everyone but the sick member present."""
    app = JifenApp(db_path=path)
    st = app.store
    st.clock = lambda: TODAY
    if opened:
        st.open_meeting(QuarterRef(2026, 4), MeetingFacts(TODAY, "门诊楼五楼党员活动室", "王建国", "刘丽娟",
                                              "张志宏（医院党委委员）",
                                              "通报本季度党员积分情况\n对有异议的积分事项进行表决\n开展民主评议"))
    if present:
        for m in st.members():
            if m.meeting_exempt:
                continue
            if m.name == "谢德明":
                st.roll_call(QuarterRef(2026, 4), m.id, False, "病假", "同意支部意见")
            else:
                st.roll_call(QuarterRef(2026, 4), m.id, True)
    return app


def test_overview_before_the_meeting(snap_compare, demo):
    assert snap_compare(console(demo, opened=False, present=False), terminal_size=(100, 30))


def test_meeting_dialog(snap_compare, demo):
    assert snap_compare(console(demo, opened=False, present=False), press=["o"], terminal_size=(100, 30))


def test_roll_call_in_progress(snap_compare, demo):
    app = console(demo, present=False)
    st = app.store
    for m in st.members()[:5]:
        st.roll_call(QuarterRef(2026, 4), m.id, True)
    st.roll_call(QuarterRef(2026, 4), st.members()[5].id, False, "公差", "")
    assert snap_compare(app, press=["f2"], terminal_size=(100, 30))


def test_member_by_member(snap_compare, demo):
    assert snap_compare(console(demo), press=["f3", "d"], terminal_size=(100, 30))


def test_member_by_member_wide(snap_compare, demo):
    assert snap_compare(console(demo), press=["f3", "d"], terminal_size=(200, 50))


def test_vote_dialog_refuses_impossible_counts(snap_compare, demo):
    # 15 + 4 + 2 = 21 votes from 19 voting members present
    assert snap_compare(console(demo), press=["f3", "d", "v", "1", "5", "enter", "4", "enter", "2", "enter"],
                        terminal_size=(100, 30))


def test_vote_dialog_with_outcome(snap_compare, demo):
    assert snap_compare(console(demo), press=["f3", "d", "v", "1", "2", "enter", "4", "enter", "2", "enter"],
                        terminal_size=(100, 30))


def test_ballot_half_entered(snap_compare, demo):
    keys = ["f4"] + ["2"] * 10 + ["1"] * 9  # nine 优秀 on one ballot: the one-third warning shows
    assert snap_compare(console(demo), press=keys, terminal_size=(100, 30))


def test_scoreboard(snap_compare, demo):
    app = console(demo)
    st = app.store
    for label in ("优秀", "合格", "合格"):
        st.add_ballot(QuarterRef(2026, 4), {m.id: label for m in st.members() if not m.exempt})
    assert snap_compare(app, press=["f5", "down", "down"], terminal_size=(100, 30))


def test_scoreboard_wide(snap_compare, demo):
    assert snap_compare(console(demo), press=["f5"], terminal_size=(200, 50))


def test_lock_checklist(snap_compare, demo):
    assert snap_compare(console(demo), press=["f6"], terminal_size=(100, 30))


def test_locked_quarter(snap_compare, demo):
    app = console(demo)
    st = app.store
    for e in st.entries(QuarterRef(2026, 4)):
        if e.status == "有异议":
            st.vote(e.id, 15, 3, 1)
    st.lock(QuarterRef(2026, 4))
    assert snap_compare(app, press=["f6"], terminal_size=(100, 30))


def test_year_end_grading(snap_compare, demo):
    """The year-end view at the Q4 meeting (F5, G): proposals, the 优秀 cap, one grade the meeting changed."""
    app = console(demo)
    st = app.store
    best = next(r for r in st.year_grades(2026).rows if r.proposed == "优秀")
    st.set_grade(2026, best.member_id, "合格", "本人让出优秀名额")
    assert snap_compare(app, press=["f5", "g"], terminal_size=(100, 30))
