"""The committee's figures, made from a branch's records alone, are the branch's own: member by
member the same total, rank, grade and flags as `store.board(year, upto=n)`, on the demo, on other
demo branches, after an upheld appeal corrected a locked quarter, at a Q4 with its ratings, the
meeting's grade decisions and the 党委's 批复, and across a year whose last year was corrected."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from committee.figures import branch_year_of, figures_of
from committee.records import records_of
from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store
from exports.deadlines import WorkCalendar

Q3, Q4 = QuarterRef(2026, 3), QuarterRef(2026, 4)
CAL = WorkCalendar()


def same(result_a, result_b) -> list[tuple]:
    """The members' figures side by side; empty when they agree."""
    def row(m):
        return (m.id, m.name, m.exempt, m.quarters, m.points, m.evaluation, m.total, m.rank, m.grade, m.flags)
    a, b = [row(m) for m in result_a.members], [row(m) for m in result_b.members]
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def check(st: Store, quarter: QuarterRef) -> None:
    fig = figures_of(records_of(st, quarter), quarter)
    board = st.board(quarter.year, explain=False, upto=quarter.number)
    assert same(fig.result, board) == []
    assert fig.branch == st.branch_name()


@pytest.fixture
def demo(db_target):
    build_demo(db_target).engine.dispose()
    st = Store(open_engine(db_target), "书记", clock=lambda: datetime(2026, 12, 7, 9, 0))
    yield st
    st.engine.dispose()


def test_the_demo_quarter_by_quarter(demo):
    for n in (1, 2, 3):
        check(demo, QuarterRef(2026, n))
    fig = figures_of(records_of(demo, Q3), Q3)
    assert len(fig.result.members) == 24 and fig.facts[fig.result.members[0].id]["name"] == "王建国"
    assert any(m.flags for m in fig.result.members)


@pytest.mark.parametrize("seed", [1, 2])
def test_other_demo_branches(tmp_path, seed):
    st = build_demo(tmp_path / "b.db", branch="新密市中医院第二党支部", seed=seed)
    for n in (1, 3):
        check(st, QuarterRef(2026, n))


def entry_of(st: Store, name: str, item: str, quarter: QuarterRef = Q3) -> int:
    mid = next(m.id for m in st.members() if m.name == name)
    return int(next(e.id for e in st.entries(quarter, mid) if e.item_code == item))


def test_an_upheld_appeal_after_the_lock_reaches_the_committee(demo):
    st = demo
    before = figures_of(records_of(st, Q3), Q3).result.member(str(st.members()[3].id)).points
    k34 = entry_of(st, "刘丽娟", "K3.4")
    st.add_appeal(Q3, "刘丽娟", date(2026, 9, 30), "K3.4 扣分有误", CAL)
    st.answer_appeal(1, date(2026, 10, 9), True, "经核实，予以撤销", withdraw=[f"#{k34}"])
    st.add_appeal(Q3, "张伟", date(2026, 9, 30), "J1.4 分值有误", CAL)
    st.answer_appeal(2, date(2026, 10, 9), True, "改为4分", points=[("J1.4", "4")])
    assert st.verify() == []
    records = records_of(st, Q3)
    assert len(records.amendments) == 2
    fig = figures_of(records, Q3)
    assert fig.corrections == 2
    assert fig.result.member(str(st.members()[3].id)).points == before + 1  # 刘丽娟: the K3.4 point back
    check(st, Q3)
    check(st, QuarterRef(2026, 2))


def hold_q4(st: Store, day: datetime) -> None:
    st.clock = lambda: day
    st.open_meeting(Q4, MeetingFacts(day, "党员活动室", "王建国", "刘丽娟"))
    st.roll_call_rest(Q4)
    q = st.quorum(Q4)
    for e in st.entries(Q4):
        if e.status == "有异议":
            st.vote(e.id, q.voting_present - 1, 1, 0)
    st.set_ballots_issued(Q4, 3)
    graded = st.graded_members(2026)
    for k in range(3):  # two ballots rate the first member 优秀, one 基本合格
        marks = {m.id: "合格" for m in graded}
        marks[graded[0].id] = "优秀" if k < 2 else "基本合格"
        st.add_ballot(Q4, marks)


def test_a_closed_year_with_decisions_approval_and_the_next_year(demo):
    st = demo
    hold_q4(st, datetime(2026, 12, 18, 14, 30))
    grades = st.year_grades(2026)
    top = next(r for r in grades.rows if r.proposed == "优秀")
    st.set_grade(2026, top.member_id, "合格", "本人主动让出优秀名额")
    st.lock(Q4)
    other = next(r for r in grades.rows if r.proposed == "合格" and r.member_id != top.member_id)
    st.clock = lambda: datetime(2027, 1, 8, 9, 0)
    st.approve_grades(2026, date(2027, 1, 8), "同意", {other.name: "基本合格"})
    check(st, Q4)
    fig = figures_of(records_of(st, Q4), Q4)
    assert fig.approval and fig.decided == {str(top.member_id): "合格"}
    assert fig.approved == {str(other.member_id): "基本合格"}
    finals = {str(r.member_id): r.final for r in st.year_grades(2026).rows}
    assert {mid: fig.final(mid) for mid in finals} == finals
    assert any(m.evaluation is not None for m in fig.result.members)

    # 2027: its first quarter locked, then a correction of 2026 reaches the two-year rules.
    st.clock = lambda: datetime(2027, 1, 10, 9, 0)
    st.open_year(2027)
    q1 = QuarterRef(2027, 1)
    st.add_entry(q1, st.members()[0].id, "bonus", 2, item="J6.3")
    day = datetime(2027, 3, 26, 14, 30)
    st.clock = lambda: day
    st.open_meeting(q1, MeetingFacts(day, "活动室", "王建国", "刘丽娟"))
    st.roll_call_rest(q1)
    st.lock(q1)
    check(st, q1)
    k = entry_of(st, "刘丽娟", "K3.4")
    st.clock = lambda: datetime(2027, 4, 1, 9, 0)
    st.add_appeal(Q3, "刘丽娟", date(2027, 3, 30), "K3.4 扣分有误", CAL)
    st.answer_appeal(1, date(2027, 4, 1), True, "予以撤销", withdraw=[f"#{k}"])
    assert st.verify() == []
    check(st, q1)
    # last year's results as corrected, not as the 2026Q4 lock kept them
    _, by = st.branch_year(2027, upto=1)
    _, mine, _ = branch_year_of(records_of(st, q1), q1)
    assert sorted(mine.history, key=lambda h: h.member) == sorted(by.history, key=lambda h: h.member)
    kept = {str(p["member"]): p["total"] for p in json.loads(st.lock_of(q1).canonical)["past_results"]}
    liu = str(next(m.id for m in st.members() if m.name == "刘丽娟"))
    assert str(next(h.total for h in mine.history if h.member == liu)) != kept[liu]
    # The 2026 grades stay as the 党委 approved them, at the committee as in the branch.
    finals = {str(r.member_id): r.final for r in st.year_grades(2026).rows}
    fig = figures_of(records_of(st, q1), Q4)
    assert {mid: fig.final(mid) for mid in finals} == finals


def test_a_correction_after_the_approval_leaves_the_approved_grades_at_the_committee_too(demo):
    """张伟 (优秀, 7th) loses a 5-point J1.4 on an appeal answered after the 批复: the committee
    computes his corrected total, and keeps the grades the 党委 approved, as the branch does."""
    from tests.db.test_grading import hold_q4 as hold_with_ballots

    st = demo
    hold_with_ballots(st)
    st.lock(Q4)
    st.approve_grades(2026, date(2027, 1, 8), "同意")
    zhang = st.year_grades(2026).row("张伟")
    st.clock = lambda: datetime(2027, 1, 12, 9, 0)
    st.add_appeal(Q4, "吴国华", date(2027, 1, 10), "张伟J1.4加分依据不足", CAL)
    j14 = next(e.id for e in st.entries(Q4, zhang.member_id) if e.item_code == "J1.4")
    st.answer_appeal(1, date(2027, 1, 12), True, "撤销该项加分", withdraw=[f"#{j14}"])
    check(st, Q4)
    fig = figures_of(records_of(st, Q4), Q4)
    mid = str(zhang.member_id)
    assert fig.result.member(mid).grade == "合格" and fig.final(mid) == "优秀"
    finals = {str(r.member_id): r.final for r in st.year_grades(2026).rows}
    assert {m: fig.final(m) for m in finals} == finals
    from committee.report import committee_report

    (branch,) = committee_report([records_of(st, Q4)], Q4, [st.branch_name()]).branches
    line = next(ln for ln in branch.members if ln.name == "张伟")
    assert line.grade == "优秀" and "批复后经申诉更正，按更正后的积分应为合格" in line.flags
