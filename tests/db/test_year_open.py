"""The next year (`Store.open_year`), on SQLite and PostgreSQL: 2027 opened once 2026's fourth
quarter is locked, with the roster carried (not those who left), the scheme kept or replaced,
last year's exemptions ended (they are decided per year), and refusals that change nothing.
Then the two-year rules: a jsit member under 70 and bottom in 2026 and again in 2027 is 不合格,
a linyi member bottom twice is flagged for 处置; and the digest chain runs on from 2026Q4 into
2027Q1, whose lock holds the 2026 results it read."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import inspect, text

from core.quarter import QuarterRef
from core.scheme import SchemeError
from core.schemes import builtin_text
from db.demo import build_demo
from db.engine import open_engine
from db.errors import StoreError
from db.store import MeetingFacts, Store
from exports.deadlines import WorkCalendar
from tests.db.test_digest import drop_guards

JSIT = "jsit-college-2020"
LINYI = "linyi-geopark-2021"
Q4_2026 = QuarterRef(2026, 4)
Q1_2027 = QuarterRef(2027, 1)


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (audit log included), for 'nothing changed'."""
    with store.engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in sorted(inspect(conn).get_table_names())}


def hold_and_lock(st: Store, quarter: QuarterRef, day: datetime) -> str:
    """A meeting with everyone present, any objection voted through, then the lock."""
    st.clock = lambda: day
    st.open_meeting(quarter, MeetingFacts(day, "活动室", "甲", "乙"))
    st.roll_call_rest(quarter)
    for e in st.entries(quarter):
        if e.status == "有异议":
            st.vote(e.id, st.quorum(quarter).voting_present, 0, 0)
    return st.lock(quarter)


@pytest.fixture
def demo_closed(db_target) -> Store:
    """The demo branch (xinmi) with 2026Q4 held and locked on 2026-12-25."""
    st = build_demo(db_target)
    hold_and_lock(st, Q4_2026, datetime(2026, 12, 25, 14, 30))
    yield st
    st.engine.dispose()


def test_open_carries_the_roster_keeps_the_scheme_and_the_chain_runs_on(demo_closed):
    st = demo_closed
    left = st.members()[3]
    st.update_member(left.id, left=True)  # 转出 after the Q4 lock: still on 2026's forms, not on 2027's
    assert left.name in {m["name"] for m in st.members_at(Q4_2026)}

    done = st.open_year(2027)

    assert done.year == 2027 and done.scheme_id == "xinmi-hospital-2023" and not done.scheme_changed
    assert done.members == 23 and done.past_results == 24 and done.exemptions_cleared == ()
    assert st.years() == [2026, 2027]
    assert [q.state for q in st.quarters(2027)] == ["open"] * 4
    assert st.scheme(2027) == st.scheme(2026)
    roster_2027 = [m["name"] for m in st.members_at(Q1_2027)]
    assert len(roster_2027) == 23 and left.name not in roster_2027
    assert roster_2027 == [m.name for m in st.members()]
    # The 2026 results are what 2027 reads: one per member graded in 2026, as the Q4 lock holds them.
    year_results = json.loads(st.lock_of(Q4_2026).canonical)["year_results"]
    _, by = st.branch_year(2027)
    assert {(int(p.member), p.total) for p in by.history} == {
        (r["member"], Decimal(r["total"])) for r in year_results if r["member"] != left.id}
    assert [a.action for a in st.audit()][-1] == "year_opened"

    # 2027Q1 held and locked: its lock follows 2026Q4's in the chain and holds 2026's results.
    st.add_entry(Q1_2027, st.members()[0].id, "bonus", 2, item="J6.3")
    digest = hold_and_lock(st, Q1_2027, datetime(2027, 3, 26, 14, 30))
    lock = st.lock_of(Q1_2027)
    assert lock.previous_digest == st.lock_of(Q4_2026).digest and lock.digest == digest
    assert json.loads(lock.canonical)["past_results"] == year_results
    assert st.verify() == []
    assert st.anchor(digest[:12]) == ("2027Q1", 5, 5)


def test_open_with_another_scheme(demo_closed):
    st = demo_closed
    done = st.open_year(2027, "municipal-bureau", builtin_text("municipal-bureau"))
    assert done.scheme_changed and done.scheme_id == "municipal-bureau"
    assert st.scheme(2027).id == "municipal-bureau" and st.scheme(2026).id == "xinmi-hospital-2023"
    assert st.verify() == []


def test_refusals_change_nothing(db_target):
    st = build_demo(db_target)
    before = snapshot(st)
    with pytest.raises(StoreError, match="2026年第四季度尚未锁定，不能开始2027年度"):
        st.open_year(2027)
    assert snapshot(st) == before

    hold_and_lock(st, Q4_2026, datetime(2026, 12, 25, 14, 30))
    before = snapshot(st)
    with pytest.raises(StoreError, match=r"只能开始下一年度（2027年度）：数据库中最近的年度是2026年，不能开始2029年度"):
        st.open_year(2029)
    with pytest.raises(StoreError, match="2026年度已经开始（已建立），不能再次开始"):
        st.open_year(2026)
    with pytest.raises(StoreError, match="只能开始下一年度"):
        st.open_year(2025)
    with pytest.raises(SchemeError, match=r"broken\.toml"):  # a bad scheme text never reaches the database
        st.open_year(2027, "broken", "name = 1\n")
    with pytest.raises(StoreError, match="王建国现在不是免于积分管理的党员，无从保留"):  # xinmi has no exemption
        st.open_year(2027, keep_exempt=[st.members()[0].id])
    assert snapshot(st) == before

    st.open_year(2027)
    after = snapshot(st)
    with pytest.raises(StoreError, match="2027年度已经开始（已建立），不能再次开始"):
        st.open_year(2027)
    with pytest.raises(StoreError, match="2027年第四季度尚未锁定，不能开始2028年度"):
        st.open_year(2028)
    assert snapshot(st) == after
    st.engine.dispose()


def test_results_changed_after_the_q4_lock_refuse_the_new_year(demo_closed):
    """Someone with the file rewrites a 2026 result (the guards taken away): 2027 is not opened
    on figures that disagree with the signed record."""
    st = demo_closed
    member = st.members()[0].id
    with st.engine.begin() as conn:
        drop_guards(conn)
        conn.execute(text("UPDATE past_result SET total = '10' WHERE year = 2026 AND member_id = :m"), dict(m=member))
    before = snapshot(st)
    with pytest.raises(StoreError, match="2026年度的结果与2026年第四季度锁定时记下的不符，不能开始下一年度；"
                                         "请运行 jifen verify 核验"):
        st.open_year(2027)
    assert snapshot(st) == before


# --- a jsit branch: exemption per year and the two-year 不合格 rule ------------------------------------

COLLEGE = ("周明", "吴芳", "郑磊", "王瑞", "冯涛", "丁强")  # 王瑞 exempt in 2026; 丁强 falls short twice


def college(target: str) -> tuple[Store, dict[str, int]]:
    st = Store(open_engine(target), "书记", clock=lambda: datetime(2026, 1, 5, 9, 0))
    st.init_branch("计算机工程学院教工党支部", JSIT, builtin_text(JSIT), 2026)
    ids = dict(zip(COLLEGE, st.add_members([
        dict(name=n, status="full", exempt=n == "王瑞", exempt_reason="长期病休" if n == "王瑞" else "")
        for n in COLLEGE]), strict=True))
    return st, ids


def short_of_70(st: Store, quarter: QuarterRef, member: int) -> None:
    """Four 减分项目 K5 (10 each): 100 - 40 = 60, under 70 and the branch's last."""
    for _ in range(4):
        st.add_entry(quarter, member, "deduction", 10, item="K5")


def test_a_jsit_member_under_70_and_last_two_years_running_is_not_qualified(db_target):
    st, ids = college(db_target)
    short_of_70(st, Q4_2026, ids["丁强"])
    hold_and_lock(st, Q4_2026, datetime(2026, 12, 25, 14, 30))
    in_2026 = {r.name: r for r in st.board(2026).members}
    assert in_2026["丁强"].total == 60 and "bottom_ranked" in in_2026["丁强"].flags
    assert in_2026["丁强"].grade == "基本合格"  # no record of 2025: one year alone is not 不合格

    done = st.open_year(2027)
    assert done.exemptions_cleared == (("王瑞", "长期病休"),)  # decided per year: ended with 2026
    assert done.past_results == 5  # 王瑞 was exempt in 2026: no result
    assert not [m for m in st.members() if m.exempt]
    assert {m["name"]: m["exempt"] for m in st.members_at(Q4_2026)}["王瑞"]  # 2026 as locked
    assert st.verify() == []

    short_of_70(st, Q1_2027, ids["丁强"])
    in_2027 = {r.name: r for r in st.board(2027).members}
    assert in_2027["丁强"].grade == "不合格"
    said = [r.text for r in in_2027["丁强"].reasons]
    assert "不合格：总分60 < 70，排名第6，为末位，上年（2026）总分60，排名末位" in said
    assert {in_2027[n].grade for n in COLLEGE if n != "丁强"} == {"合格"}
    assert not in_2027["王瑞"].exempt  # scored in 2027 unless the branch decides again

    hold_and_lock(st, Q1_2027, datetime(2027, 3, 26, 14, 30))
    assert st.verify() == []
    # The 2027 grade rests on the 2026 result its lock holds: that result can no longer change.
    with pytest.raises(StoreError, match="不能修改2026年度的结果"):
        st.set_past_result(ids["丁强"], 2026, Decimal("95"), False)
    st.engine.dispose()


def test_an_appeal_upheld_after_the_lock_reaches_the_next_years_two_year_rule(db_target):
    """丁强's 2026 total (60, last) is corrected after 2026Q4's lock: two of the four deductions
    withdrawn on appeal make it 80. The locked rows and the results the lock kept stay as they
    were (verify passes, 2027 may be opened); the 2027 two-year rule reads the corrected 80."""
    st, ids = college(db_target)
    short_of_70(st, Q4_2026, ids["丁强"])
    hold_and_lock(st, Q4_2026, datetime(2026, 12, 25, 14, 30))
    kept = snapshot(st)["past_result"]
    st.clock = lambda: datetime(2027, 1, 8, 10, 0)
    number, _ = st.add_appeal(Q4_2026, "丁强", date(2026, 12, 28), "两项K5扣分不实", WorkCalendar())
    k5 = [e.id for e in st.entries(Q4_2026, ids["丁强"])]
    st.answer_appeal(number, date(2027, 1, 6), True, "经核实，两项扣分不实", withdraw=[f"#{k5[0]}", f"#{k5[1]}"])
    assert {r.name: r.total for r in st.board(2026).members}["丁强"] == 80
    assert snapshot(st)["past_result"] == kept  # the lock's rows untouched: the correction is chained

    st.open_year(2027)
    short_of_70(st, Q1_2027, ids["丁强"])
    in_2027 = {r.name: r for r in st.board(2027).members}
    assert in_2027["丁强"].total == 60 and in_2027["丁强"].grade == "基本合格"
    assert "上年" not in " ".join(r.text for r in in_2027["丁强"].reasons)  # 80 in 2026: no two-year rule
    # As a meeting held before the answer knew it: the 2026 result as locked, and the rule applied.
    before = {r.name: r for r in st.board(2027, amended_before=date(2027, 1, 6)).members}
    assert before["丁强"].grade == "不合格"
    assert "上年（2026）总分60，排名末位" in " ".join(r.text for r in before["丁强"].reasons)
    hold_and_lock(st, Q1_2027, datetime(2027, 3, 26, 14, 30))
    assert st.verify() == []
    st.engine.dispose()


def test_a_jsit_exemption_the_branch_continues_is_kept(db_target):
    st, ids = college(db_target)
    hold_and_lock(st, Q4_2026, datetime(2026, 12, 25, 14, 30))
    done = st.open_year(2027, keep_exempt=[ids["王瑞"]])
    assert done.exemptions_cleared == () and done.exemptions_kept == ("王瑞",)
    assert [m.name for m in st.members() if m.exempt] == ["王瑞"]
    st.engine.dispose()


def test_a_new_scheme_without_exemption_ends_every_exemption(db_target):
    st, ids = college(db_target)
    hold_and_lock(st, Q4_2026, datetime(2026, 12, 25, 14, 30))
    before = snapshot(st)
    with pytest.raises(StoreError, match=r"不能保留免于积分管理：.*没有免于积分管理的规定"):
        st.open_year(2027, "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), keep_exempt=[ids["王瑞"]])
    assert snapshot(st) == before
    done = st.open_year(2027, "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"))
    assert done.exemptions_cleared == (("王瑞", "长期病休"),) and done.scheme_changed
    st.engine.dispose()


def test_linyi_flags_the_second_year_at_the_bottom_for_disposal(db_target):
    st = Store(open_engine(db_target), "书记", clock=lambda: datetime(2026, 1, 5, 9, 0))
    st.init_branch("临沂地质公园党支部", LINYI, builtin_text(LINYI), 2026)
    names = ("甲", "乙", "丙", "丁")
    ids = dict(zip(names, st.add_members([dict(name=n, status="full") for n in names]), strict=True))
    st.add_entry(Q4_2026, ids["丁"], "deduction", 5, item="K1")  # 不按时参加集体学习, 5 as the branch decided
    hold_and_lock(st, Q4_2026, datetime(2026, 12, 25, 14, 30))
    assert "disposal_review" not in {r.name: r for r in st.board(2026).members}["丁"].flags
    st.open_year(2027)
    st.add_entry(Q1_2027, ids["丁"], "deduction", 5, item="K1")
    flags = {r.name: r.flags for r in st.board(2027).members}
    assert "disposal_review" in flags["丁"] and "bottom_ranked" in flags["丁"]
    assert not any("disposal_review" in flags[n] for n in names if n != "丁")
    st.engine.dispose()
