"""One-time codes for phone ballots, in the store: issued as hashes only, spent once with the
ballot they bring in, a round sealed (its ratings count nowhere) until it is closed, the quarter
not locked while a round with codes is open. On SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.ballots import CLOSED, CODE_ALPHABET, OK, SPENT, UNKNOWN, normal_code, shown_code
from db.engine import open_engine
from db.errors import StoreError
from db.store import MeetingFacts, Store

SCHEME = "xinmi-hospital-2023"
Q = QuarterRef(2026, 4)


@pytest.fixture
def meeting(db_target):
    st = Store(open_engine(db_target), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), 2026)
    ids = st.add_members([dict(name=f"党员{i:02d}", status="full") for i in range(9)]
                         + [dict(name="预备甲", status="probationary", status_since="2026-03-01")])
    st.open_meeting(Q, MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "甲", "乙"))
    st.roll_call_rest(Q)
    yield st, ids, db_target
    st.engine.dispose()


def test_codes_are_random_without_look_alikes_and_typed_loosely():
    assert set(CODE_ALPHABET).isdisjoint("01ILO")
    code = "ABCDE23456"
    assert shown_code(code) == "ABCDE-23456"
    assert normal_code(" abcde-23456 ") == code and normal_code("abcde 23456") == code
    assert normal_code("ABCDE2345") == "" and normal_code("ABCDE2345O") == "" and normal_code("") == ""


def test_the_form_lists_the_graded_and_the_limit_of_full_members(meeting):
    st, ids, _ = meeting
    form = st.ballot_form(Q)
    assert [m[0] for m in form.members] == ids
    assert form.members[-1] == (ids[-1], "预备甲", True)
    assert form.max_excellent == 3  # a third of the 9 full members


def test_a_code_brings_in_one_ballot_and_is_spent(meeting):
    st, ids, target = meeting
    codes = st.issue_codes(Q, 5)
    assert len(set(codes)) == 5 and all(normal_code(c) == c for c in codes)
    assert st.round_state(Q).codes == 5 and st.round_state(Q).issued == 5
    assert st.code_status(Q, codes[0]) == OK
    assert st.code_status(Q, "22222-22222") == UNKNOWN and st.code_status(Q, "nonsense") == UNKNOWN
    marks = {ids[0]: "优秀", ids[1]: "合格", ids[9]: "优秀"}
    assert st.add_code_ballots(Q, [(shown_code(codes[0]).lower(), marks)]) == [OK]
    assert st.code_status(Q, codes[0]) == SPENT
    assert st.add_code_ballots(Q, [(codes[0], marks)]) == [SPENT]
    # the same code twice in one batch: the second is refused; the others go in
    assert st.add_code_ballots(Q, [(codes[1], marks), (codes[1], marks), ("ZZZZZZZZZZ", marks),
                                   (codes[2], {})]) == [OK, SPENT, UNKNOWN, OK]
    state = st.round_state(Q)
    assert (state.codes, state.spent, state.returned, state.sealed) == (5, 3, 3, True)
    # sealed: how many came in, nothing of what they say (a blank one would show as one more 无效)
    summary = st.ballot_summary(Q)
    assert (summary["issued"], summary["returned"], summary["sealed"]) == (5, 3, 1)
    assert summary["valid"] == summary["void"] == summary["blank"] == 0 and st.void_reasons(Q) == {}
    # no code is written anywhere, in any form a reader could type
    if "://" not in target:
        con = sqlite3.connect(target)
        dump = "\n".join(con.iterdump())
        con.close()
        for c in codes:
            assert c not in dump and shown_code(c) not in dump
    st.close_round(Q)
    summary = st.ballot_summary(Q)
    assert (summary["returned"], summary["valid"] + summary["void"], summary["blank"]) == (3, 3, 1)
    assert "sealed" not in summary


def test_a_refused_ballot_leaves_its_code_unspent_and_stores_nothing(meeting):
    st, ids, _ = meeting
    code, = st.issue_codes(Q, 1)
    four = dict.fromkeys(ids[:4], "优秀")
    out = st.add_code_ballots(Q, [(code, four)])
    assert "优秀" in out[0] and out[0] not in (OK, SPENT, UNKNOWN, CLOSED)
    assert st.add_code_ballots(Q, [(code, {999: "合格"})])[0].startswith("编号为 999")
    assert st.add_code_ballots(Q, [(code, {ids[0]: "很好"})])[0].startswith("“很好”不是测评等次")
    assert st.round_state(Q).returned == 0 and st.code_status(Q, code) == OK
    # a probationary member's 优秀 does not count against the limit
    assert st.add_code_ballots(Q, [(code, {**dict.fromkeys(ids[:3], "优秀"), ids[9]: "优秀"})]) == [OK]


def test_a_sealed_round_counts_nowhere_until_it_is_closed(meeting):
    st, ids, _ = meeting
    st.add_ballot(Q, {ids[0]: "不合格"})  # a paper ballot before any code
    assert st.ratings_of_quarter(Q)[1][ids[0]] == {"不合格": 1}
    codes = st.issue_codes(Q, 3)
    assert st.ratings_of_quarter(Q) == {}  # sealed: paper and phone alike
    assert st.branch_year(2026)[1].evaluations == ()  # nor does the board see them
    assert st.add_code_ballots(Q, [(c, {ids[0]: "优秀"}) for c in codes[:2]]) == [OK, OK]
    st.add_ballot(Q, {ids[0]: "合格"})  # paper ballots join the round
    assert st.ratings_of_quarter(Q) == {}
    assert any("手机测评尚未结束（已提交2/3）" in p for p in st.lock_problems(Q))
    with pytest.raises(StoreError, match="手机测评尚未结束"):
        st.lock(Q)
    state = st.close_round(Q)
    assert (state.closed, state.sealed, state.returned, state.issued) == (True, False, 4, 3)
    assert st.ratings_of_quarter(Q)[1][ids[0]] == {"不合格": 1, "优秀": 2, "合格": 1}
    assert [r.counts for r in st.branch_year(2026)[1].evaluations] == [{"不合格": 1, "优秀": 2, "合格": 1}]
    # closed: no ballot of either kind, no more codes; the unspent code is refused as closed
    assert st.add_code_ballots(Q, [(codes[2], {ids[0]: "合格"})]) == [CLOSED]
    assert st.code_status(Q, codes[2]) == CLOSED
    for attempt in (lambda: st.add_ballot(Q, {ids[0]: "合格"}), lambda: st.issue_codes(Q, 1),
                    lambda: st.set_ballots_issued(Q, 2)):
        with pytest.raises(StoreError, match="测评已结束"):
            attempt()
    assert not any("手机测评" in p for p in st.lock_problems(Q))


def test_undoing_the_paper_count_keeps_the_round_s_codes(meeting):
    st, _ids, _ = meeting
    codes = st.issue_codes(Q, 2)
    st.set_ballots_issued(Q, 4)
    assert st.round_state(Q).issued == 6
    st.undo(Q)
    assert st.round_state(Q).issued == 2 and st.code_status(Q, codes[0]) == OK


def test_codes_need_the_meeting_and_a_sane_count(meeting):
    st, _, _ = meeting
    for n in (0, -1, 501):
        with pytest.raises(StoreError, match="1至500"):
            st.issue_codes(Q, n)
    with pytest.raises(StoreError, match="还没有开始"):
        st.issue_codes(QuarterRef(2026, 3), 1)
    with pytest.raises(StoreError, match="没有第2轮"):
        st.issue_codes(Q, 1, round=2)
