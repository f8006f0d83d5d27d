"""The quarterly 党员大会 through the store: quorum, votes, ballots, undo and the lock.

Every test works on a real SQLite file in tmp_path, through `db.store.Store`. The expected
numbers are worked by hand in the comments, from the rules of 支部工作条例 第十一条:

- 应到 (expected) leaves out members excused from the meeting (meeting_exempt);
- 有表决权 (voting) = full members, not excused, not under 留党察看 on the meeting day;
- quorum: voting present × 2 > voting expected;
- a contested entry passes when yes (+ written yes, when counted) × 2 > voting expected.

The branch uses xinmi-hospital-2023: base 80, deductions subtracted, one evaluation round,
ratings 优秀95 合格85 基本合格70 不合格50, the evaluation reported apart from the total.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, select

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.errors import StoreError
from db.store import MeetingFacts, Store
from db.tables import Ballot, RollCall, Tally

YEAR, Q = 2026, 1
SCHEME = "xinmi-hospital-2023"
MEETING_DAY = datetime(2026, 3, 28, 9, 0)  # the meeting of 2026Q1 is held on 2026-03-28


def facts(host: str = "张书记", recorder: str = "李委员") -> MeetingFacts:
    return MeetingFacts(held_at=MEETING_DAY, place="三楼会议室", host=host, recorder=recorder,
                        agenda="通报第一季度积分\n表决有异议事项")


# --- helpers -----------------------------------------------------------------------------------


def new_store(tmp_path, scheme: str = SCHEME) -> Store:
    st = Store(open_engine(tmp_path / "b.db"), "书记")
    st.init_branch("第一党支部", scheme, builtin_text(scheme), YEAR)
    return st


def deduction(st: Store, member_id: int, points: int = 5) -> int:
    """K1.1 (5 points) or K3.1 (1 point), in February (2026Q1)."""
    item = {5: "K1.1", 1: "K3.1"}[points]
    return st.add_entry(QuarterRef(YEAR, Q), member_id, "deduction", points, item=item, month=2)


def attend(st: Store, present: list[int], absent: dict[int, str] | None = None,
           reason: str = "病假") -> None:
    """Roll call: `present` present; `absent` absent with the given written opinion ('' for none)."""
    for mid in present:
        st.roll_call(QuarterRef(YEAR, Q), mid, True)
    for mid, opinion in (absent or {}).items():
        st.roll_call(QuarterRef(YEAR, Q), mid, False, reason, opinion)


def snapshot(st: Store, number: int = Q) -> dict[str, Any]:
    """Everything a meeting action may change, in comparable form (the audit log apart)."""
    with Session(st.engine) as s:
        qid = st.quarter(QuarterRef(YEAR, number)).id
        roll = sorted((r.member_id, r.present, r.reason, r.opinion)
                      for r in s.exec(select(RollCall).where(RollCall.quarter_id == qid)))
        ballots = sorted((b.round, b.marks, b.void) for b in s.exec(select(Ballot).where(Ballot.quarter_id == qid)))
        # a tally row holding 0 counts for nothing (the board and the digest skip it)
        tallies = sorted((t.round, t.member_id, t.rating, t.count)
                         for t in s.exec(select(Tally).where(Tally.quarter_id == qid)) if t.count)
    here = QuarterRef(YEAR, number)
    mt = st.meeting(here)
    qs = st.quorum(here)
    board = st.board(YEAR, explain=False)
    return {
        "state": st.quarter(here).state,
        "entries": [(e.id, e.member_id, e.kind, e.item_code, str(e.points), e.status)
                    for e in st.entries(here)],
        "votes": [(v.entry_id, v.yes, v.no, v.abstain, v.written_yes, v.written_no, v.written_abstain,
                   v.expected, v.present, v.passed, v.rule, v.method) for v in st.votes(here)],
        "objections": [(o.id, o.entry_id, o.raised_by, o.reason, o.withdrawn) for o in st.objections(here)],
        "agenda_notes": [(n.id, n.item, n.kind, n.speaker, n.text) for n in st.agenda_notes(here)],
        "roll_call": roll,
        "quorum": (qs.expected, qs.present, qs.absent, qs.uncalled, qs.voting_expected, qs.voting_present,
                   qs.written_opinions),
        "meeting": None if mt is None else (mt.held_at, mt.place, mt.host, mt.recorder, mt.observers, mt.agenda,
                                            mt.ended_at),
        "ballots": ballots,
        "tallies": tallies,
        "ballot_summary": st.ballot_summary(here),
        "board": [(m.id, m.total, m.points, m.evaluation, m.grade) for m in board.members],
    }


def total_of(st: Store, member_id: int) -> Decimal | None:
    return st.board(YEAR, explain=False).member(str(member_id)).total


def evaluation_of(st: Store, member_id: int) -> Decimal | None:
    return st.board(YEAR, explain=False).member(str(member_id)).evaluation


def audit_len(st: Store) -> int:
    return len(st.audit())


def assert_refused_unchanged(st: Store, action: Callable[[], Any], match: str | None = None) -> StoreError:
    """The action raises StoreError and leaves the snapshot and the audit log exactly as they were."""
    before, log = snapshot(st), audit_len(st)
    slot = st.last_action(QuarterRef(YEAR, Q))
    with pytest.raises(StoreError, match=match) as info:
        action()
    assert snapshot(st) == before
    assert audit_len(st) == log
    assert st.last_action(QuarterRef(YEAR, Q)) == slot
    return info.value


# --- fixtures ----------------------------------------------------------------------------------


@dataclass
class Branch:
    st: Store
    v: list[int]  # the voting members v0..v9
    p: int  # probationary: present without a vote
    s: int  # full, under 留党察看 from 2026-01-01 with an open end: no vote
    x: int  # full, excused from the meeting: not 应到
    entry: int = 0  # K1.1 deduction of 5 on v0, contested before the meeting
    extra: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def store(tmp_path) -> Store:
    return new_store(tmp_path)


@pytest.fixture
def branch(store: Store) -> Branch:
    """10 voting members + 1 probationary + 1 suspended + 1 excused; the contested entry.

    应到 = 13 - 1 excused = 12; 有表决权应到 = 10 (the suspended and the probationary have no vote).
    """
    rows = [dict(name=f"党员{i}", status="full") for i in range(10)]
    rows += [dict(name="预备甲", status="probationary"),
             dict(name="察看乙", status="full", suspended_from="2026-01-01"),
             dict(name="请假丙", status="full", meeting_exempt=True)]
    ids = store.add_members(rows)
    b = Branch(store, ids[:10], ids[10], ids[11], ids[12])
    b.entry = deduction(store, b.v[0], 5)
    store.contest_entry(b.entry, "张三", "材料不全")  # before the meeting: no undo slot
    return b


@pytest.fixture
def meeting(branch: Branch) -> Branch:
    """The meeting opened with host and recorder; nobody called yet."""
    branch.st.open_meeting(QuarterRef(YEAR, Q), facts())
    return branch


@pytest.fixture
def six_present(meeting: Branch) -> Branch:
    """v0..v5 present, v6..v9 absent (v6 and v7 left a written opinion), the probationary and the
    suspended member present. Voting: expected 10, present 6 -> quorum (12 > 10)."""
    st, v = meeting.st, meeting.v
    attend(st, [*v[:6], meeting.p, meeting.s], {v[6]: "同意扣分", v[7]: "同意扣分", v[8]: "", v[9]: ""})
    return meeting


# --- opening the meeting and the roll call ----------------------------------------------------


def test_open_meeting_moves_quarter_to_meeting(branch: Branch):
    st = branch.st
    assert st.quarter(QuarterRef(YEAR, Q)).state == "open"
    assert st.meeting(QuarterRef(YEAR, Q)) is None
    st.open_meeting(QuarterRef(YEAR, Q), facts())
    assert st.quarter(QuarterRef(YEAR, Q)).state == "meeting"
    mt = st.meeting(QuarterRef(YEAR, Q))
    assert (mt.held_at, mt.host, mt.recorder) == (MEETING_DAY, "张书记", "李委员")
    # the other quarters are untouched
    assert [q.state for q in st.quarters(YEAR)] == ["meeting", "open", "open", "open"]


def test_open_meeting_twice_is_refused(meeting: Branch):
    st = meeting.st
    assert_refused_unchanged(st, lambda: st.open_meeting(QuarterRef(YEAR, Q), facts(host="王五")), "已经开始")
    assert st.meeting(QuarterRef(YEAR, Q)).host == "张书记"


def test_roll_call_before_the_meeting_is_refused(branch: Branch):
    st = branch.st
    log = audit_len(st)
    with pytest.raises(StoreError, match="还没有开始"):
        st.roll_call(QuarterRef(YEAR, Q), branch.v[0], True)
    assert st.quarter(QuarterRef(YEAR, Q)).state == "open"
    assert st.quorum(QuarterRef(YEAR, Q)).uncalled == 12  # 应到 12, none called
    assert audit_len(st) == log


@pytest.mark.parametrize("reason", ["", "出差", "病"])
def test_roll_call_absent_without_a_valid_reason_is_refused(meeting: Branch, reason: str):
    st = meeting.st
    assert_refused_unchanged(st, lambda: st.roll_call(QuarterRef(YEAR, Q), meeting.v[0], False, reason, "同意"),
                             "缺席原因")
    assert st.quorum(QuarterRef(YEAR, Q)).absent == 0


@pytest.mark.parametrize("reason", ["病假", "事假", "公差", "其他"])
def test_roll_call_absent_with_each_reason_is_recorded(meeting: Branch, reason: str):
    st = meeting.st
    st.roll_call(QuarterRef(YEAR, Q), meeting.v[0], False, reason, "同意")
    qs = st.quorum(QuarterRef(YEAR, Q))
    # 应到 12: 1 absent, 11 uncalled; v0 is voting and left an opinion
    assert (qs.expected, qs.present, qs.absent, qs.uncalled, qs.written_opinions) == (12, 0, 1, 11, 1)
    assert [(a.id, a.reason, a.opinion) for a in qs.absentees] == [(meeting.v[0], reason, "同意")]


# --- quorum -------------------------------------------------------------------------------------


@pytest.fixture
def mixed(store: Store) -> dict[str, int]:
    """A roster that exercises every rule of who should attend and who votes (meeting 2026-03-28)."""
    rows = [
        dict(name="甲1", status="full"),
        dict(name="甲2", status="full"),
        dict(name="甲3", status="full"),
        dict(name="甲4", status="full"),
        dict(name="预备", status="probationary"),
        dict(name="免会", status="full", meeting_exempt=True),
        # suspension ended before the meeting day: votes
        dict(name="察看已满", status="full", suspended_from="2025-06-01", suspended_until="2026-02-28"),
        # open end: still under 留党察看, no vote
        dict(name="察看未满", status="full", suspended_from="2026-01-01"),
        # covers the meeting day (ends after it): no vote
        dict(name="察看中", status="full", suspended_from="2026-01-01", suspended_until="2026-06-30"),
        # begins after the meeting day: votes
        dict(name="察看后起", status="full", suspended_from="2026-06-01"),
        # ends on the meeting day itself: still under it that day, no vote
        dict(name="察看当日满", status="full", suspended_from="2025-03-28", suspended_until="2026-03-28"),
    ]
    ids = store.add_members(rows)
    store.open_meeting(QuarterRef(YEAR, Q), facts())
    return {r["name"]: i for r, i in zip(rows, ids, strict=True)}


def test_quorum_counts_who_should_attend_and_who_votes(store: Store, mixed: dict[str, int]):
    m = mixed
    attend(store, [m["甲1"], m["甲2"], m["甲3"], m["预备"], m["察看未满"], m["察看中"], m["察看当日满"]],
           {m["甲4"]: "", m["察看已满"]: "同意"}, reason="事假")
    # A member excused from the meeting is not called at all.
    with pytest.raises(StoreError, match="免于参加党员大会"):
        store.roll_call(QuarterRef(YEAR, Q), m["免会"], True)
    qs = store.quorum(QuarterRef(YEAR, Q))
    # 应到: 11 members - 免会 = 10.
    # 实到 among 应到: 甲1 甲2 甲3 预备 察看未满 察看中 察看当日满 = 7.
    # 缺席: 甲4, 察看已满 = 2; not called: 察看后起 = 1.
    # 有表决权应到: 甲1-4, 察看已满, 察看后起 = 6; present with a vote: 甲1-3 = 3.
    # written opinions of absent voters: 察看已满 = 1.
    assert (qs.expected, qs.present, qs.absent, qs.uncalled) == (10, 7, 2, 1)
    assert (qs.voting_expected, qs.voting_present, qs.written_opinions) == (6, 3, 1)
    # 3 of 6 is exactly half: 3 × 2 = 6 is not > 6 -> no quorum; 6 // 2 + 1 = 4 needed
    assert not qs.has_quorum
    assert qs.needed == 4
    # half + 1: 察看后起 arrives -> 4 × 2 = 8 > 6
    store.roll_call(QuarterRef(YEAR, Q), m["察看后起"], True)
    qs = store.quorum(QuarterRef(YEAR, Q))
    assert (qs.expected, qs.present, qs.uncalled, qs.voting_expected, qs.voting_present) == (10, 8, 0, 6, 4)
    assert qs.has_quorum


def test_probationary_and_suspended_present_do_not_make_a_quorum(store: Store, mixed: dict[str, int]):
    m = mixed
    # 2 voting present (甲1 甲2) + probationary + two suspended: voting 2 of 6 -> 4 > 6 is false
    attend(store, [m["甲1"], m["甲2"], m["预备"], m["察看未满"], m["察看中"]])
    qs = store.quorum(QuarterRef(YEAR, Q))
    assert (qs.present, qs.voting_present, qs.voting_expected) == (5, 2, 6)
    assert not qs.has_quorum


@pytest.mark.parametrize("voting, present, quorate", [
    (10, 5, False),  # 5 × 2 = 10, not > 10
    (10, 6, True),  # 12 > 10
    (9, 4, False),  # 8 > 9 is false
    (9, 5, True),  # 10 > 9
    (1, 0, False),
    (1, 1, True),
])
def test_quorum_is_more_than_half(store: Store, voting: int, present: int, quorate: bool):
    ids = store.add_members([dict(name=f"党员{i}", status="full") for i in range(voting)])
    store.open_meeting(QuarterRef(YEAR, Q), facts())
    attend(store, ids[:present], dict.fromkeys(ids[present:], ""))
    qs = store.quorum(QuarterRef(YEAR, Q))
    assert (qs.voting_expected, qs.voting_present, qs.has_quorum) == (voting, present, quorate)


# --- vote refusals ------------------------------------------------------------------------------


def test_vote_refused_without_quorum(meeting: Branch):
    st, v = meeting.st, meeting.v
    # 5 of 10 voting present (plus the probationary and the suspended): 10 > 10 is false
    attend(st, [*v[:5], meeting.p, meeting.s], dict.fromkeys(v[5:], "同意"))
    assert not st.quorum(QuarterRef(YEAR, Q)).has_quorum
    assert_refused_unchanged(st, lambda: st.vote(meeting.entry, 5, 0, 0), "未超过半数")
    # written opinions do not make up a quorum either
    assert_refused_unchanged(st, lambda: st.vote(meeting.entry, 5, 0, 0, count_written=True, written_yes=5),
                             "未超过半数")
    assert st.entries(QuarterRef(YEAR, Q))[0].status == "有异议"


@pytest.mark.parametrize("yes, no, abstain", [
    (4, 2, 1),  # 7 > 6 present
    (7, 0, 0),  # 7 > 6
    (0, 0, 7),
])
def test_vote_refused_when_more_votes_than_voting_members_present(six_present: Branch, yes, no, abstain):
    st = six_present.st
    # 8 present in all, but only 6 with a vote: the probationary and the suspended cannot vote
    assert st.quorum(QuarterRef(YEAR, Q)).present == 8
    assert_refused_unchanged(st, lambda: st.vote(six_present.entry, yes, no, abstain), "超过到会有表决权")


@pytest.mark.parametrize("yes, no, abstain", [(-1, 0, 0), (3, -1, 0), (6, 0, -2)])
def test_vote_refused_with_negative_counts(six_present: Branch, yes, no, abstain):
    st = six_present.st
    assert_refused_unchanged(st, lambda: st.vote(six_present.entry, yes, no, abstain), "负数")


def test_vote_refused_with_negative_written_counts(six_present: Branch):
    st = six_present.st
    assert_refused_unchanged(
        st, lambda: st.vote(six_present.entry, 5, 0, 0, count_written=True, written_yes=2, written_no=-1), "负数")


def test_vote_refused_on_an_entry_not_contested(six_present: Branch):
    st = six_present.st
    declared = deduction(st, six_present.v[1], 1)  # 申报
    assert_refused_unchanged(st, lambda: st.vote(declared, 6, 0, 0), "有异议")
    st.confirm_entry(declared)  # 已确认
    assert_refused_unchanged(st, lambda: st.vote(declared, 6, 0, 0), "有异议")
    st.withdraw_entry(declared)  # 撤回
    assert_refused_unchanged(st, lambda: st.vote(declared, 6, 0, 0), "有异议")


def test_vote_refused_a_second_time(six_present: Branch):
    st = six_present.st
    st.vote(six_present.entry, 6, 0, 0)  # 表决通过
    assert_refused_unchanged(st, lambda: st.vote(six_present.entry, 0, 6, 0), "有异议")
    assert len(st.votes(QuarterRef(YEAR, Q))) == 1


def test_vote_refused_on_an_unknown_entry(six_present: Branch):
    st = six_present.st
    assert_refused_unchanged(st, lambda: st.vote(9999, 6, 0, 0), "9999")


def test_vote_refused_before_the_meeting(branch: Branch):
    st = branch.st
    log = audit_len(st)
    with pytest.raises(StoreError, match="还没有开始"):
        st.vote(branch.entry, 6, 0, 0)
    assert st.votes(QuarterRef(YEAR, Q)) == []
    assert st.entries(QuarterRef(YEAR, Q))[0].status == "有异议"
    assert audit_len(st) == log


# --- the pass rule ------------------------------------------------------------------------------


def test_pass_rule_counts_voting_members_who_should_attend_not_present(six_present: Branch):
    st = six_present.st
    # 10 voting should attend, 6 present. yes 5: 5 > 6 / 2 = 3 (half of those present), but the
    # rule is yes × 2 > 10: 10 > 10 is false -> 未通过; 10 // 2 + 1 = 6 needed.
    out = st.vote(six_present.entry, 5, 1, 0)
    assert (out.passed, out.yes, out.needed) == (False, 5, 6)
    assert "应到会有表决权的党员10人" in out.rule and "至少6票" in out.rule and "未通过" in out.rule
    [vote] = st.votes(QuarterRef(YEAR, Q))
    assert (vote.yes, vote.no, vote.abstain, vote.expected, vote.present, vote.passed) == (5, 1, 0, 10, 6, False)
    assert vote.rule == out.rule
    assert st.entries(QuarterRef(YEAR, Q))[0].status == "表决未通过"


def test_pass_rule_yes_six_of_ten_passes(six_present: Branch):
    st = six_present.st
    # 6 × 2 = 12 > 10 -> 通过
    out = st.vote(six_present.entry, 6, 0, 0)
    assert (out.passed, out.yes, out.needed) == (True, 6, 6)
    assert "通过" in out.rule and "未通过" not in out.rule
    [vote] = st.votes(QuarterRef(YEAR, Q))
    assert (vote.expected, vote.present, vote.passed) == (10, 6, True)
    assert st.entries(QuarterRef(YEAR, Q))[0].status == "表决通过"


@pytest.mark.parametrize("voting, present, yes, passed, needed", [
    (10, 10, 5, False, 6),  # exactly half of 10: 10 > 10 false
    (10, 10, 6, True, 6),
    (9, 5, 4, False, 5),  # 4 > 5 / 2 of those present, yet 8 > 9 is false
    (9, 5, 5, True, 5),  # 10 > 9
    (9, 9, 4, False, 5),
    (7, 4, 4, True, 4),  # 8 > 7
    (7, 7, 3, False, 4),  # 6 > 7 false
])
def test_pass_rule_table(store: Store, voting, present, yes, passed, needed):
    ids = store.add_members([dict(name=f"党员{i}", status="full") for i in range(voting)]
                            + [dict(name="预备", status="probationary")])
    entry = deduction(store, ids[0])
    store.contest_entry(entry, "张三", "材料不全")
    store.open_meeting(QuarterRef(YEAR, Q), facts())
    attend(store, [*ids[:present], ids[-1]], dict.fromkeys(ids[present:voting], ""))
    out = store.vote(entry, yes, present - yes, 0)
    assert (out.passed, out.needed) == (passed, needed)
    assert f"应到会有表决权的党员{voting}人" in out.rule
    [v] = store.votes(QuarterRef(YEAR, Q))
    assert (v.expected, v.present, v.passed) == (voting, present, passed)


# --- written opinions of absent members --------------------------------------------------------


def test_written_yes_can_carry_a_vote_that_fails_on_the_floor(six_present: Branch):
    st = six_present.st
    # 6 present: yes 5 no 1 fails alone (10 > 10 false). v6 and v7 left opinions: 2 allowed.
    # Counting one written yes: 5 + 1 = 6, 12 > 10 -> 通过.
    assert st.quorum(QuarterRef(YEAR, Q)).written_opinions == 2
    out = st.vote(six_present.entry, 5, 1, 0, count_written=True, written_yes=1)
    assert (out.passed, out.yes, out.needed) == (True, 6, 6)
    assert "书面赞成1份" in out.rule and "赞成5票" in out.rule
    [vote] = st.votes(QuarterRef(YEAR, Q))
    assert (vote.yes, vote.no, vote.written_yes, vote.written_no, vote.written_abstain, vote.passed) == \
        (5, 1, 1, 0, 0, True)
    assert st.entries(QuarterRef(YEAR, Q))[0].status == "表决通过"
    # the passed deduction now counts: 80 - 5 = 75
    assert total_of(st, six_present.v[0]) == Decimal("75")


def test_written_opinions_ignored_unless_the_meeting_counts_them(six_present: Branch):
    st = six_present.st
    # count_written=False: the 2 written yes are dropped; 5 × 2 = 10 > 10 false -> 未通过
    out = st.vote(six_present.entry, 5, 1, 0, written_yes=2)
    assert (out.passed, out.yes) == (False, 5)
    assert "书面" not in out.rule
    [vote] = st.votes(QuarterRef(YEAR, Q))
    assert (vote.written_yes, vote.written_no, vote.written_abstain) == (0, 0, 0)
    assert total_of(st, six_present.v[0]) == Decimal("80")


@pytest.mark.parametrize("wy, wn, wa", [(3, 0, 0), (2, 1, 0), (1, 1, 1), (0, 0, 3)])
def test_written_opinions_limited_to_absent_voters_who_left_one(six_present: Branch, wy, wn, wa):
    st = six_present.st
    # Absent: v6, v7 (opinions), v8, v9 (none). The probationary and the suspended are present here;
    # written opinions allowed = 2, so 3 is refused.
    assert_refused_unchanged(
        st, lambda: st.vote(six_present.entry, 5, 1, 0, count_written=True, written_yes=wy, written_no=wn,
                            written_abstain=wa), "书面意见合计3份")


def test_written_opinions_of_non_voters_do_not_count(meeting: Branch):
    st, v = meeting.st, meeting.v
    # v0..v5 present, v6 absent with an opinion, v7..v9 absent without; the probationary and the
    # suspended absent WITH opinions: they have no vote, so written opinions allowed = 1.
    attend(st, v[:6], {v[6]: "同意", v[7]: "", v[8]: "", v[9]: "", meeting.p: "同意", meeting.s: "同意"})
    qs = st.quorum(QuarterRef(YEAR, Q))
    assert (qs.absent, qs.written_opinions, qs.voting_present) == (6, 1, 6)
    assert_refused_unchanged(st, lambda: st.vote(meeting.entry, 5, 1, 0, count_written=True, written_yes=2),
                             "书面意见")
    # one written yes is allowed: 5 + 1 = 6, 12 > 10 -> 通过
    out = st.vote(meeting.entry, 5, 1, 0, count_written=True, written_yes=1)
    assert out.passed


def test_written_opinion_of_an_absent_member_who_later_arrives_no_longer_counts(six_present: Branch):
    st = six_present.st
    # v6 arrives: present 7, his opinion is cleared; only v7's remains -> 1
    st.roll_call(QuarterRef(YEAR, Q), six_present.v[6], True)
    qs = st.quorum(QuarterRef(YEAR, Q))
    assert (qs.voting_present, qs.written_opinions) == (7, 1)
    assert_refused_unchanged(st, lambda: st.vote(six_present.entry, 4, 1, 0, count_written=True, written_yes=2),
                             "书面意见")


# --- status after the vote and the board --------------------------------------------------------


def test_board_counts_an_entry_by_its_status(six_present: Branch):
    st, v = six_present.st, six_present.v
    # v0: contested K1.1 (5): does not count while 有异议 -> 80
    assert total_of(st, v[0]) == Decimal("80")
    # v1: declared K1.1 (5): 申报 counts -> 75; contested -> 80; vote fails (5 of 10) -> stays 80
    e1 = deduction(st, v[1])
    assert total_of(st, v[1]) == Decimal("75")
    st.contest_entry(e1, "张三", "材料不全")
    assert total_of(st, v[1]) == Decimal("80")
    st.vote(e1, 5, 1, 0)
    assert total_of(st, v[1]) == Decimal("80")
    # v0's entry passes (6 of 10) -> 75
    st.vote(six_present.entry, 6, 0, 0)
    assert total_of(st, v[0]) == Decimal("75")
    # v2: declared then withdrawn -> never counts; a withdrawn contested entry neither
    e2 = deduction(st, v[2])
    st.withdraw_entry(e2)
    e3 = deduction(st, v[3])
    st.contest_entry(e3, "张三", "材料不全")
    st.withdraw_entry(e3)
    assert (total_of(st, v[2]), total_of(st, v[3])) == (Decimal("80"), Decimal("80"))
    status = {e.id: e.status for e in st.entries(QuarterRef(YEAR, Q))}
    assert status == {six_present.entry: "表决通过", e1: "表决未通过", e2: "撤回", e3: "撤回"}
    # 撤回 cannot be contested back into play
    assert_refused_unchanged(st, lambda: st.contest_entry(e2, "张三", "材料不全"), "撤回")
    # 表决通过 and 表决未通过 cannot be withdrawn
    assert_refused_unchanged(st, lambda: st.withdraw_entry(six_present.entry), "表决通过")
    assert_refused_unchanged(st, lambda: st.withdraw_entry(e1), "表决未通过")


# --- ballots and tallies ------------------------------------------------------------------------


@dataclass
class Ev:
    st: Store
    a: int  # 甲 full
    b: int  # 乙 full
    c: int  # 丙 probationary (graded)
    d: int  # 丁 full, exempt: not on the ballot
    e: int  # 戊 full, excused from the meeting: still on the ballot


@pytest.fixture
def ev(tmp_path) -> Ev:
    # jsit: its seed provides exemption from points management (xinmi's does not)
    store = new_store(tmp_path, "jsit-college-2020")
    ids = store.add_members([dict(name="甲", status="full"), dict(name="乙", status="full"),
                             dict(name="丙", status="probationary"),
                             dict(name="丁", status="full", exempt=True, exempt_reason="长期病休"),
                             dict(name="戊", status="full", meeting_exempt=True)])
    store.open_meeting(QuarterRef(YEAR, Q), facts())
    return Ev(store, *ids)


def test_graded_members_exclude_the_exempt(ev: Ev):
    assert [m.id for m in ev.st.graded_members(YEAR)] == [ev.a, ev.b, ev.c, ev.e]


def test_ballots_and_tallies_make_the_evaluation(ev: Ev):
    st = ev.st
    st.set_ballots_issued(QuarterRef(YEAR, Q), 6)
    st.add_ballot(QuarterRef(YEAR, Q), {ev.a: "优秀", ev.b: "合格", ev.c: "合格", ev.e: "合格"})
    st.add_ballot(QuarterRef(YEAR, Q), {ev.a: "合格", ev.b: "基本合格", ev.c: "不合格", ev.e: "合格"})
    st.add_ballot(QuarterRef(YEAR, Q), None)
    st.add_ballot(QuarterRef(YEAR, Q), {ev.a: "优秀", ev.b: "合格", ev.c: "基本合格", ev.e: "不合格"})
    # 发出 6, 收回 4, 有效 3, 空白 1
    assert st.ballot_summary(QuarterRef(YEAR, Q)) == {"issued": 6, "returned": 4, "valid": 3, "void": 1, "blank": 1}
    # 甲: 优秀 合格 优秀 -> (95 + 85 + 95) / 3 = 275 / 3 = 91.666… -> 91.67
    # 乙: 合格 基本合格 合格 -> (85 + 70 + 85) / 3 = 80
    # 丙: 合格 不合格 基本合格 -> (85 + 50 + 70) / 3 = 205 / 3 = 68.333… -> 68.33
    # 戊: 合格 合格 不合格 -> (85 + 85 + 50) / 3 = 220 / 3 = 73.33
    assert evaluation_of(st, ev.a) == Decimal("91.67")
    assert evaluation_of(st, ev.b) == Decimal("80.00")
    assert evaluation_of(st, ev.c) == Decimal("68.33")
    assert evaluation_of(st, ev.e) == Decimal("73.33")
    assert evaluation_of(st, ev.d) is None  # exempt
    # direct tally for 甲: 优秀 1, 合格 1, 不合格 1 on top of the ballots:
    # 优秀 3, 合格 2, 不合格 1 -> (285 + 170 + 50) / 6 = 505 / 6 = 84.1666… -> 84.17
    st.set_tally(QuarterRef(YEAR, Q), ev.a, {"优秀": 1, "合格": 1, "不合格": 1})
    assert evaluation_of(st, ev.a) == Decimal("84.17")
    # replacing the tally (not adding): 基本合格 2 -> 优秀 2, 合格 1, 基本合格 2
    # -> (190 + 85 + 140) / 5 = 415 / 5 = 83
    st.set_tally(QuarterRef(YEAR, Q), ev.a, {"基本合格": 2})
    assert evaluation_of(st, ev.a) == Decimal("83.00")
    # the tallies are not ballots: the summary is unchanged
    assert st.ballot_summary(QuarterRef(YEAR, Q)) == {"issued": 6, "returned": 4, "valid": 3, "void": 1, "blank": 1}
    # jsit reports the evaluation apart: the totals stay at the base of 100
    assert total_of(st, ev.a) == Decimal("100") and total_of(st, ev.c) == Decimal("100")


def test_tally_only_evaluation(ev: Ev):
    st = ev.st
    # 乙 by tally alone: 优秀 2, 合格 5, 基本合格 2, 不合格 1 -> (190 + 425 + 140 + 50) / 10 = 805 / 10 = 80.5
    st.set_tally(QuarterRef(YEAR, Q), ev.b, {"优秀": 2, "合格": 5, "基本合格": 2, "不合格": 1})
    assert evaluation_of(st, ev.b) == Decimal("80.50")
    assert evaluation_of(st, ev.a) is None
    assert st.ballot_summary(QuarterRef(YEAR, Q)) == {"issued": 0, "returned": 0, "valid": 0, "void": 0, "blank": 0}


# A partial ballot is no longer refused: a name left unmarked is not rated on it (tests/db/test_record.py).
@pytest.mark.parametrize("case", ["unknown_label", "exempt_member", "no_such_member", "empty_label"])
def test_bad_ballots_are_refused_and_change_nothing(ev: Ev, case: str):
    st = ev.st
    st.add_ballot(QuarterRef(YEAR, Q), {ev.a: "优秀", ev.b: "合格", ev.c: "合格", ev.e: "合格"})
    full = {ev.a: "合格", ev.b: "合格", ev.c: "合格", ev.e: "合格"}
    marks, match = {
        "unknown_label": ({**full, ev.b: "良好"}, "良好"),
        "exempt_member": ({**full, ev.d: "合格"}, "不在本次测评名单"),
        "no_such_member": ({**full, 999: "合格"}, "不在本次测评名单"),
        "empty_label": ({**full, ev.c: ""}, "不是测评等次"),
    }[case]
    assert_refused_unchanged(st, lambda: st.add_ballot(QuarterRef(YEAR, Q), marks), match)
    assert st.ballot_summary(QuarterRef(YEAR, Q)) == {"issued": 0, "returned": 1, "valid": 1, "void": 0, "blank": 0}
    assert st.last_action(QuarterRef(YEAR, Q)) == "ballot"


def test_set_tally_for_an_exempt_member_is_refused(ev: Ev):
    st = ev.st
    assert_refused_unchanged(st, lambda: st.set_tally(QuarterRef(YEAR, Q), ev.d, {"优秀": 3}), "免于积分管理")
    assert evaluation_of(st, ev.d) is None


@pytest.mark.parametrize("counts, match", [({"良好": 1}, "良好"), ({"优秀": -1}, "不小于0"), ({"优秀": 1.5}, "整数")])
def test_set_tally_with_bad_counts_is_refused(ev: Ev, counts, match):
    st = ev.st
    assert_refused_unchanged(st, lambda: st.set_tally(QuarterRef(YEAR, Q), ev.a, counts), match)


@pytest.mark.parametrize("rnd", [0, 2, 3])
def test_a_round_beyond_the_schemes_rounds_is_refused(ev: Ev, rnd: int):
    st = ev.st  # xinmi: one round a year
    full = {ev.a: "合格", ev.b: "合格", ev.c: "合格", ev.e: "合格"}
    assert_refused_unchanged(st, lambda: st.add_ballot(QuarterRef(YEAR, Q), full, round=rnd), "没有第")
    assert_refused_unchanged(st, lambda: st.add_ballot(QuarterRef(YEAR, Q), None, round=rnd), "没有第")
    assert_refused_unchanged(st, lambda: st.set_tally(QuarterRef(YEAR, Q), ev.a, {"优秀": 1}, round=rnd), "没有第")


def test_ballot_before_the_meeting_is_refused(store: Store):
    a = store.add_members([dict(name="甲", status="full")])[0]
    with pytest.raises(StoreError, match="还没有开始"):
        store.add_ballot(QuarterRef(YEAR, Q), {a: "优秀"})
    with pytest.raises(StoreError, match="还没有开始"):
        store.set_tally(QuarterRef(YEAR, Q), a, {"优秀": 1})
    assert store.ballot_summary(QuarterRef(YEAR, Q))["returned"] == 0


# --- undo ---------------------------------------------------------------------------------------


def check_undo(st: Store, action: Callable[[], Any]) -> None:
    """`action` then undo: everything is back as before; the audit log gains two lines (the action
    and the undo: it is append-only); the slot is gone, so a second undo is refused."""
    before, log = snapshot(st), audit_len(st)
    action()
    assert snapshot(st) != before  # the action did change something
    said = st.undo(QuarterRef(YEAR, Q))
    assert said.startswith("已撤销")
    assert snapshot(st) == before
    assert audit_len(st) == log + 2
    assert st.audit()[-1].action == "undo"
    assert st.last_action(QuarterRef(YEAR, Q)) is None
    with pytest.raises(StoreError, match="没有可以撤销的操作"):
        st.undo(QuarterRef(YEAR, Q))
    assert snapshot(st) == before


def test_undo_with_nothing_to_undo_is_refused(meeting: Branch):
    st = meeting.st
    assert st.last_action(QuarterRef(YEAR, Q)) is None
    assert_refused_unchanged(st, lambda: st.undo(QuarterRef(YEAR, Q)), "没有可以撤销的操作")


def test_undo_before_the_meeting_is_refused(branch: Branch):
    with pytest.raises(StoreError, match="还没有开始"):
        branch.st.undo(QuarterRef(YEAR, Q))
    assert branch.st.entries(QuarterRef(YEAR, Q))[0].status == "有异议"


def test_undo_a_first_roll_call(six_present: Branch):
    st = six_present.st
    new = st.add_members([dict(name="迟到者", status="full")])[0]
    # 11 voting expected now; undo the call of the newcomer: he is uncalled again
    check_undo(st, lambda: st.roll_call(QuarterRef(YEAR, Q), new, False, "公差", "同意"))
    assert st.quorum(QuarterRef(YEAR, Q)).uncalled == 1


def test_undo_a_changed_roll_call(six_present: Branch):
    st, v6 = six_present.st, six_present.v[6]
    # v6 was absent (病假, opinion 同意扣分): he arrives, then the call is undone
    check_undo(st, lambda: st.roll_call(QuarterRef(YEAR, Q), v6, True))
    qs = st.quorum(QuarterRef(YEAR, Q))
    assert (qs.voting_present, qs.written_opinions) == (6, 2)
    assert [(a.reason, a.opinion) for a in qs.absentees if a.id == v6] == [("病假", "同意扣分")]


def test_undo_a_contest_during_the_meeting(six_present: Branch):
    st = six_present.st
    e = deduction(st, six_present.v[1])  # 申报, counts: 75
    check_undo(st, lambda: st.contest_entry(e, "张三", "材料不全"))
    assert st.entries(QuarterRef(YEAR, Q))[-1].status == "申报"
    assert total_of(st, six_present.v[1]) == Decimal("75")


def test_undo_a_confirm_and_a_withdraw(six_present: Branch):
    st = six_present.st
    e = deduction(st, six_present.v[1])
    check_undo(st, lambda: st.confirm_entry(e))
    check_undo(st, lambda: st.withdraw_entry(six_present.entry))
    assert [x.status for x in st.entries(QuarterRef(YEAR, Q))] == ["有异议", "申报"]


@pytest.mark.parametrize("yes", [6, 5])
def test_undo_a_vote(six_present: Branch, yes: int):
    st = six_present.st
    # passed (6) or failed (5): the Vote row goes and the entry is 有异议 again (80)
    check_undo(st, lambda: st.vote(six_present.entry, yes, 0, 0))
    assert st.votes(QuarterRef(YEAR, Q)) == []
    assert st.entries(QuarterRef(YEAR, Q))[0].status == "有异议"
    assert total_of(st, six_present.v[0]) == Decimal("80")
    # and the entry can be voted again
    assert st.vote(six_present.entry, 6, 0, 0).passed


def test_undo_a_ballot(ev: Ev):
    st = ev.st
    st.add_ballot(QuarterRef(YEAR, Q), {ev.a: "优秀", ev.b: "合格", ev.c: "合格", ev.e: "合格"})
    # undo the second ballot only: 甲 stays at 95 from the first
    check_undo(st, lambda: st.add_ballot(QuarterRef(YEAR, Q), {ev.a: "不合格", ev.b: "合格", ev.c: "合格",
                                                               ev.e: "合格"}))
    assert evaluation_of(st, ev.a) == Decimal("95.00")
    assert st.ballot_summary(QuarterRef(YEAR, Q)) == {"issued": 0, "returned": 1, "valid": 1, "void": 0, "blank": 0}


def test_undo_a_blank_ballot(ev: Ev):
    st = ev.st
    check_undo(st, lambda: st.add_ballot(QuarterRef(YEAR, Q), None))
    assert st.ballot_summary(QuarterRef(YEAR, Q))["returned"] == 0


def test_undo_a_first_tally(ev: Ev):
    st = ev.st
    check_undo(st, lambda: st.set_tally(QuarterRef(YEAR, Q), ev.a, {"优秀": 3, "合格": 1}))
    assert evaluation_of(st, ev.a) is None


def test_undo_a_changed_tally(ev: Ev):
    st = ev.st
    st.set_tally(QuarterRef(YEAR, Q), ev.a, {"优秀": 1, "合格": 1})  # (95 + 85) / 2 = 90
    check_undo(st, lambda: st.set_tally(QuarterRef(YEAR, Q), ev.a, {"不合格": 4}))
    assert evaluation_of(st, ev.a) == Decimal("90.00")


def test_undo_meeting_facts(meeting: Branch):
    st = meeting.st
    check_undo(st, lambda: st.set_meeting_facts(QuarterRef(YEAR, Q), host="王五", recorder="",
                                                observers="上级党委联系人"))
    mt = st.meeting(QuarterRef(YEAR, Q))
    assert (mt.host, mt.recorder, mt.observers) == ("张书记", "李委员", "")


def test_undo_is_one_level_only(six_present: Branch):
    st, v = six_present.st, six_present.v
    # two actions: roll call of v8 (absent -> present), then the vote; undo takes back the vote only
    st.roll_call(QuarterRef(YEAR, Q), v[8], True)
    after_call = snapshot(st)
    st.vote(six_present.entry, 7, 0, 0)
    st.undo(QuarterRef(YEAR, Q))
    assert snapshot(st) == after_call
    assert_refused_unchanged(st, lambda: st.undo(QuarterRef(YEAR, Q)), "没有可以撤销的操作")
    assert st.quorum(QuarterRef(YEAR, Q)).voting_present == 7


def test_refused_action_keeps_the_undo_slot(six_present: Branch):
    st = six_present.st
    st.roll_call(QuarterRef(YEAR, Q), six_present.v[8], True)  # voting present 7
    with pytest.raises(StoreError):
        st.vote(six_present.entry, 8, 0, 0)  # 8 > 7
    assert st.last_action(QuarterRef(YEAR, Q)) == "roll_call"
    st.undo(QuarterRef(YEAR, Q))
    assert st.quorum(QuarterRef(YEAR, Q)).voting_present == 6


# --- the lock -----------------------------------------------------------------------------------


def assert_lock_refused(st: Store, *reasons: str) -> None:
    problems = st.lock_problems(QuarterRef(YEAR, Q))
    for r in reasons:
        assert any(r in p for p in problems), (r, problems)
    assert len(problems) == len(reasons), problems
    assert st.lock_of(QuarterRef(YEAR, Q)) is None
    err = assert_refused_unchanged(st, lambda: st.lock(QuarterRef(YEAR, Q)), "不能锁定")
    for p in problems:
        assert p in str(err)
    assert st.quarter(QuarterRef(YEAR, Q)).state == "meeting"
    assert st.lock_of(QuarterRef(YEAR, Q)) is None


def test_lock_refused_without_quorum(meeting: Branch):
    st, v = meeting.st, meeting.v
    st.withdraw_entry(meeting.entry)  # nothing contested left
    attend(st, [*v[:5], meeting.p], dict.fromkeys(v[5:], ""))  # 5 of 10: no quorum
    assert_lock_refused(st, "未超过半数")


def test_lock_refused_with_nobody_called(meeting: Branch):
    st = meeting.st
    # nobody called, 0 of 10, and the contested entry is undecided
    assert_lock_refused(st, "未超过半数", "还有1项有异议的事项没有表决")


def test_lock_refused_with_an_undecided_contested_entry(six_present: Branch):
    st = six_present.st
    other = deduction(st, six_present.v[1], 1)
    st.contest_entry(other, "张三", "材料不全")
    st.vote(other, 6, 0, 0)  # decided; the fixture's entry is still 有异议
    assert_lock_refused(st, "还有1项有异议的事项没有表决")


@pytest.mark.parametrize("host, recorder, reasons", [
    ("", "李委员", ("没有填写主持人",)),
    ("张书记", "  ", ("没有填写记录人",)),
    ("", "", ("没有填写主持人", "没有填写记录人")),
])
def test_lock_refused_without_host_or_recorder(branch: Branch, host, recorder, reasons):
    st, v = branch.st, branch.v
    st.open_meeting(QuarterRef(YEAR, Q), facts(host=host, recorder=recorder))
    attend(st, v, {})
    st.vote(branch.entry, 10, 0, 0)
    assert_lock_refused(st, *reasons)


def test_lock_refused_before_the_meeting(branch: Branch):
    st = branch.st
    assert st.lock_problems(QuarterRef(YEAR, Q)) == ["党员大会还没有开始"]
    with pytest.raises(StoreError, match="党员大会还没有开始"):
        st.lock(QuarterRef(YEAR, Q))
    assert st.quarter(QuarterRef(YEAR, Q)).state == "open"


@pytest.fixture
def locked(six_present: Branch) -> Branch:
    """The contested entry passed (6 of 10); a 申报 entry on v1 and a withdrawn one on v2; a ballot;
    then the lock."""
    st, v = six_present.st, six_present.v
    st.vote(six_present.entry, 6, 0, 0)
    declared = deduction(st, v[1], 1)
    withdrawn = deduction(st, v[2], 5)
    st.withdraw_entry(withdrawn)
    graded = {m.id: "合格" for m in st.graded_members(YEAR)}
    st.add_ballot(QuarterRef(YEAR, Q), graded)
    six_present.extra.update(declared=declared, withdrawn=withdrawn)
    assert st.lock_problems(QuarterRef(YEAR, Q)) == []
    six_present.extra["digest"] = st.lock(QuarterRef(YEAR, Q))
    return six_present


def test_good_lock(locked: Branch):
    st, v = locked.st, locked.v
    digest = locked.extra["digest"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert st.quarter(QuarterRef(YEAR, Q)).state == "locked"
    assert st.lock_of(QuarterRef(YEAR, Q)).digest == digest
    status = {e.id: e.status for e in st.entries(QuarterRef(YEAR, Q))}
    # 申报 -> 已确认; 表决通过 and 撤回 stay
    assert status == {locked.entry: "表决通过", locked.extra["declared"]: "已确认",
                      locked.extra["withdrawn"]: "撤回"}
    # v0: 80 - 5 = 75; v1: 80 - 1 = 79; v2: withdrawn -> 80
    assert (total_of(st, v[0]), total_of(st, v[1]), total_of(st, v[2])) == \
        (Decimal("75"), Decimal("79"), Decimal("80"))
    assert st.last_action(QuarterRef(YEAR, Q)) is None
    assert st.lock_problems(QuarterRef(YEAR, Q)) == [f"{YEAR}年第一季度已锁定"]
    assert st.verify() == []
    assert st.audit()[-1].action == "locked"


LOCKED_OPS: dict[str, Callable[[Branch], Any]] = {
    "add_entry": lambda b: deduction(b.st, b.v[3]),
    "roll_call_present": lambda b: b.st.roll_call(QuarterRef(YEAR, Q), b.v[8], True),
    "roll_call_absent": lambda b: b.st.roll_call(QuarterRef(YEAR, Q), b.v[0], False, "病假"),
    "vote": lambda b: b.st.vote(b.entry, 0, 6, 0),
    "vote_declared": lambda b: b.st.vote(b.extra["declared"], 6, 0, 0),
    "add_ballot": lambda b: b.st.add_ballot(QuarterRef(YEAR, Q), {m.id: "优秀" for m in b.st.graded_members(YEAR)}),
    "add_blank_ballot": lambda b: b.st.add_ballot(QuarterRef(YEAR, Q), None),
    "set_tally": lambda b: b.st.set_tally(QuarterRef(YEAR, Q), b.v[0], {"优秀": 5}),
    "set_ballots_issued": lambda b: b.st.set_ballots_issued(QuarterRef(YEAR, Q), 9),
    "undo": lambda b: b.st.undo(QuarterRef(YEAR, Q)),
    "contest_entry": lambda b: b.st.contest_entry(b.extra["declared"], "张三", "材料不全"),
    "confirm_entry": lambda b: b.st.confirm_entry(b.extra["declared"]),
    "withdraw_entry": lambda b: b.st.withdraw_entry(b.extra["declared"]),
    "set_meeting_facts": lambda b: b.st.set_meeting_facts(QuarterRef(YEAR, Q), host="王五"),
    "open_meeting": lambda b: b.st.open_meeting(QuarterRef(YEAR, Q), facts()),
    "lock_again": lambda b: b.st.lock(QuarterRef(YEAR, Q)),
}


@pytest.mark.parametrize("op", list(LOCKED_OPS))
def test_every_operation_on_a_locked_quarter_is_refused(locked: Branch, op: str):
    st = locked.st
    before, log = snapshot(st), audit_len(st)
    with pytest.raises(StoreError) as info:
        LOCKED_OPS[op](locked)
    assert "锁定" in str(info.value)
    assert snapshot(st) == before
    assert audit_len(st) == log
    assert st.lock_of(QuarterRef(YEAR, Q)).digest == locked.extra["digest"]
    assert st.verify() == []


def test_other_quarters_stay_open_after_a_lock(locked: Branch):
    st = locked.st
    # Q2 is still open: an entry in May is accepted, and Q1 is unchanged
    q1 = snapshot(st, 1)
    e = st.add_entry(QuarterRef(YEAR, 2), locked.v[3], "deduction", 1, item="K3.1", month=5)
    assert [x.id for x in st.entries(QuarterRef(YEAR, 2))] == [e]
    assert snapshot(st, 1)["entries"] == q1["entries"]
    assert st.verify() == []


def test_lock_snapshot_after_undo_does_not_leak_a_slot(six_present: Branch):
    st = six_present.st
    st.vote(six_present.entry, 6, 0, 0)
    st.set_meeting_facts(QuarterRef(YEAR, Q), place="党员活动室")
    assert st.last_action(QuarterRef(YEAR, Q)) == "facts"
    st.lock(QuarterRef(YEAR, Q))
    assert st.last_action(QuarterRef(YEAR, Q)) is None
    with pytest.raises(StoreError, match="锁定"):
        st.undo(QuarterRef(YEAR, Q))
    assert st.meeting(QuarterRef(YEAR, Q)).place == "党员活动室"


# --- ballots issued: undoable, and only for the scheme's rounds -------------------------------


def test_undo_right_after_set_ballots_issued_does_not_take_back_an_older_action(ev: Ev):
    st = ev.st
    st.add_ballot(QuarterRef(YEAR, Q), {ev.a: "优秀", ev.b: "合格", ev.c: "合格", ev.e: "合格"})
    before_issue = snapshot(st)  # 1 ballot returned, none issued
    st.set_ballots_issued(QuarterRef(YEAR, Q), 6)
    after_issue = snapshot(st)  # issued 6, returned 1
    # "undo takes back the last meeting action": either the issued count goes back to 0 (and the
    # ballot stays), or undo is refused; it must never delete the ballot entered before it.
    try:
        st.undo(QuarterRef(YEAR, Q))
    except StoreError:
        assert snapshot(st) == after_issue
    else:
        assert snapshot(st) == before_issue
    assert st.ballot_summary(QuarterRef(YEAR, Q))["returned"] == 1


@pytest.mark.parametrize("rnd", [0, 2])
def test_set_ballots_issued_for_a_round_the_scheme_has_not_is_refused(ev: Ev, rnd: int):
    st = ev.st
    assert_refused_unchanged(st, lambda: st.set_ballots_issued(QuarterRef(YEAR, Q), 6, round=rnd), "没有第")


def test_an_entry_raised_at_the_meeting_can_be_taken_back_at_once(meeting: Branch):
    st = meeting.st
    before = snapshot(st)
    entry = st.add_entry(QuarterRef(YEAR, Q), meeting.v[1], "bonus", 2, item="J6.3")
    assert [e.id for e in st.entries(QuarterRef(YEAR, Q))][-1] == entry
    assert st.undo(QuarterRef(YEAR, Q)) == "已撤销刚登记的积分事项"
    assert snapshot(st) == before
    assert entry not in [e.id for e in st.entries(QuarterRef(YEAR, Q))]


def test_entries_added_before_the_meeting_leave_nothing_to_undo(branch: Branch):
    st = branch.st
    st.add_entry(QuarterRef(YEAR, Q), branch.v[1], "bonus", 2, item="J6.3")
    st.open_meeting(QuarterRef(YEAR, Q), facts())
    with pytest.raises(StoreError, match="没有可以撤销的操作"):
        st.undo(QuarterRef(YEAR, Q))


def test_undo_of_a_changed_meeting_time_restores_it(meeting: Branch):
    from datetime import datetime

    st = meeting.st
    before = st.meeting(QuarterRef(YEAR, Q)).held_at
    st.set_meeting_facts(QuarterRef(YEAR, Q), held_at=datetime(2026, 3, 30, 9, 0), place="大会议室")
    assert st.meeting(QuarterRef(YEAR, Q)).held_at == datetime(2026, 3, 30, 9, 0)
    st.undo(QuarterRef(YEAR, Q))
    mt = st.meeting(QuarterRef(YEAR, Q))
    assert mt.held_at == before and mt.place != "大会议室"
