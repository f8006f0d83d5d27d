"""免于积分管理 granted or ended after the roster is in (Store.set_exemption, Store.update_member),
on SQLite and PostgreSQL: before the year's first lock it is one audited transaction, undoable at
the meeting; once a quarter of the year is locked it is refused (the lock holds the member's
exemption for the whole year's ranking), and allowed again after the Q4 lock, for the next year;
refused while the open quarter's evaluation has begun, and where the scheme has no exemption."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.errors import StoreError
from db.store import MeetingFacts, Store
from tests.db.test_year_open import college, hold_and_lock, snapshot

Q1 = QuarterRef(2026, 1)
Q2 = QuarterRef(2026, 2)
Q4 = QuarterRef(2026, 4)
MARCH = datetime(2026, 3, 26, 14, 30)


def exempt_names(st: Store) -> dict[str, str]:
    return {m.name: m.exempt_reason for m in st.members() if m.exempt}


def test_granted_at_the_meeting_before_the_first_lock_and_undone(db_target):
    st, ids = college(db_target)
    st.clock = lambda: MARCH
    st.open_meeting(Q1, MeetingFacts(MARCH, "活动室", "甲", "乙"))
    said = st.set_exemption(ids["周明"], True, " 一年内连续外出（援疆） ", Q1)
    assert said == "“周明”免于积分管理（一年内连续外出（援疆））"
    assert exempt_names(st) == {"王瑞": "长期病休", "周明": "一年内连续外出（援疆）"}
    last = st.audit()[-1]
    assert last.action == "member_updated"
    assert json.loads(last.detail)["after"] == {"exempt": True, "exempt_reason": "一年内连续外出（援疆）"}
    assert "周明" not in {r.name for r in st.board(2026).members if not r.exempt}
    assert st.undo(Q1) == "已撤销：周明恢复为参加积分管理"
    assert exempt_names(st) == {"王瑞": "长期病休"}
    # Ended likewise (no reason needed), and undone back to the reason it had.
    assert st.set_exemption(ids["王瑞"], False, "", Q1) == "“王瑞”恢复参加积分管理"
    assert exempt_names(st) == {}
    assert st.undo(Q1) == "已撤销：王瑞恢复为免于积分管理"
    assert exempt_names(st) == {"王瑞": "长期病休"}
    st.engine.dispose()


def test_refusals_change_nothing(db_target):
    st, ids = college(db_target)
    before = snapshot(st)
    with pytest.raises(StoreError, match="请写明免于积分管理的理由"):
        st.set_exemption(ids["周明"], True, "  ")
    with pytest.raises(StoreError, match="本来就参加积分管理"):
        st.set_exemption(ids["周明"], False)
    with pytest.raises(StoreError, match="已是免于积分管理"):
        st.set_exemption(ids["王瑞"], True, "长期病休")
    with pytest.raises(StoreError, match="没有编号为 999 的党员"):
        st.set_exemption(999, True, "外出")
    st.update_member(ids["吴芳"], left=True)
    before = snapshot(st)
    with pytest.raises(StoreError, match="已转出"):
        st.set_exemption(ids["吴芳"], True, "外出")
    assert snapshot(st) == before
    st.engine.dispose()


def test_refused_once_a_quarter_of_the_year_is_locked(db_target):
    st, ids = college(db_target)
    hold_and_lock(st, Q1, MARCH)
    st.clock = lambda: datetime(2026, 6, 20, 9, 0)
    st.open_meeting(Q2, MeetingFacts(datetime(2026, 6, 20, 9, 0), "活动室", "甲", "乙"))
    before = snapshot(st)
    for change in (lambda: st.set_exemption(ids["周明"], True, "外出", Q2),
                   lambda: st.set_exemption(ids["王瑞"], False, "", Q2),
                   lambda: st.update_member(ids["周明"], exempt=True, exempt_reason="外出"),
                   lambda: st.update_member(ids["王瑞"], exempt=False),
                   lambda: st.update_member(ids["王瑞"], exempt_reason="另一理由")):
        with pytest.raises(StoreError, match=r"2026年第一季度已锁定.*只能在本年度第一次锁定之前更改"):
            change()
    assert snapshot(st) == before
    # What the lock does not rank stays free to change: the post, or the reason of one not exempt.
    st.update_member(ids["周明"], post="组织委员")
    st.update_member(ids["周明"], exempt_reason="")
    assert exempt_names(st) == {"王瑞": "长期病休"}
    assert st.verify() == []
    st.engine.dispose()


def test_after_the_q4_lock_it_is_decided_for_the_next_year(db_target):
    st, ids = college(db_target)
    hold_and_lock(st, Q4, datetime(2026, 12, 25, 14, 30))
    st.set_exemption(ids["丁强"], True, "新转入不满半年")
    assert st.verify() == []
    assert {m["name"]: m["exempt"] for m in st.members_at(Q4)}["丁强"] is False  # 2026 as locked
    done = st.open_year(2027)
    assert done.exemptions_cleared == (("王瑞", "长期病休"),)  # 2026's exemption ends with 2026
    assert exempt_names(st) == {"丁强": "新转入不满半年"}  # the one decided for 2027 stays
    st.engine.dispose()


def test_refused_once_the_evaluation_has_begun(db_target):
    st, ids = college(db_target)
    st.clock = lambda: MARCH
    st.open_meeting(Q1, MeetingFacts(MARCH, "活动室", "甲", "乙"))
    st.roll_call_rest(Q1)
    st.issue_codes(Q1, 3)
    before = snapshot(st)
    with pytest.raises(StoreError, match="民主测评已经开始"):
        st.set_exemption(ids["周明"], True, "外出", Q1)
    assert snapshot(st) == before
    st.engine.dispose()


def test_refused_where_the_scheme_has_none(db_target):
    st = Store(open_engine(db_target), "书记")
    st.init_branch("第一党支部", "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), 2026)
    [mid] = st.add_members([dict(name="罗", status="full")])
    before = snapshot(st)
    with pytest.raises(StoreError, match="没有免于积分管理的规定"):
        st.set_exemption(mid, True, "长期病休")
    assert snapshot(st) == before
    st.engine.dispose()
