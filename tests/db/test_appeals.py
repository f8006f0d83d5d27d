"""Appeals after a lock, in the store: numbered per branch, answer deadlines in Chinese working
days (国庆 and its 调休 Saturday, a unit's own holiday), late answers kept and marked, 复议 to the
scheme's 党委, and corrections that never touch the locked rows: amendments chained after the
quarter's lock digest, covered by verify, applied to the figures of that quarter and the later
ones. Refusals change nothing. On the demo branch (2026Q1-Q3 locked), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, text
from sqlmodel import Session

from core.quarter import QuarterRef
from db.amendments import verify_amendments
from db.demo import build_demo
from db.engine import open_engine
from db.errors import StoreError
from db.store import Store
from exports.deadlines import WorkCalendar
from tests.db.test_digest import drop_guards

Q3, Q4 = QuarterRef(2026, 3), QuarterRef(2026, 4)
FIRST, LAST = "(SELECT min(id) FROM amendment)", "(SELECT max(id) FROM amendment)"
CAL = WorkCalendar()  # the State Council's arrangement only: no user file


@pytest.fixture
def demo(db_target):
    build_demo(db_target).engine.dispose()
    st = Store(open_engine(db_target), "书记", clock=lambda: datetime(2026, 12, 7, 9, 0))
    yield st
    st.engine.dispose()


def entry_of(st: Store, name: str, item: str, quarter: QuarterRef = Q3) -> int:
    mid = next(m.id for m in st.members() if m.name == name)
    found = [e.id for e in st.entries(quarter, mid) if e.item_code == item]
    assert len(found) == 1
    return int(found[0])


def figures(st: Store, upto: int) -> dict[str, Decimal]:
    return {m.name: m.points for m in st.board(2026, explain=False, upto=upto).members if m.points is not None}


def rows(st: Store) -> dict[str, list[tuple]]:
    """Every row of every table, for 'nothing changed' (audit log included)."""
    with st.engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in sorted(inspect(conn).get_table_names()) if name != "alembic_version"}


def test_an_upheld_appeal_corrects_a_locked_quarter_by_an_amendment_that_verify_covers(demo):
    st = demo
    assert st.verify() == []
    q3_before, q4_before = figures(st, 3), figures(st, 4)
    locked = {t: r for t, r in rows(st).items() if t in ("entry", "lock", "quarter_member", "vote")}
    k34 = entry_of(st, "刘丽娟", "K3.4")

    number, due = st.add_appeal(Q3, "刘丽娟", date(2026, 9, 30), "K3.4 扣分有误：当天佩戴了党员徽章", CAL)
    assert number == 1
    # 3 working days after Wednesday 30 September: 1-7 October are 国庆, 8 and 9 October count,
    # and Saturday 10 October is a 调休 working day.
    assert due == date(2026, 10, 10)
    made = st.answer_appeal(1, date(2026, 10, 9), True, "经核实，予以撤销", withdraw=[f"#{k34}"])
    assert made is not None and made.previous_digest == st.lock_of(Q3).digest

    assert st.verify() == []
    # The locked rows are as they were; the figures apply the correction, Q4's cumulative too.
    assert {t: r for t, r in rows(st).items() if t in locked} == locked
    assert figures(st, 3)["刘丽娟"] == q3_before["刘丽娟"] + 1
    assert figures(st, 4)["刘丽娟"] == q4_before["刘丽娟"] + 1
    assert {n: v for n, v in figures(st, 3).items() if n != "刘丽娟"} == \
        {n: v for n, v in q3_before.items() if n != "刘丽娟"}
    # The minute's figures: only corrections made before its meeting.
    kept = st.board(2026, explain=False, upto=3, amended_before=date(2026, 9, 25))
    assert {m.name: m.points for m in kept.members if m.points is not None} == q3_before
    [view] = st.appeals()
    assert (view.state, view.overdue, view.open) == ("党支部已答复", False, False)
    assert view.outcome == f"党支部予以支持；更正：撤销事项#{k34}（K3.4）"


def test_a_second_appeal_chains_after_the_first_and_a_review_corrects_by_item_code(demo):
    st = demo
    st.add_appeal(Q3, "刘丽娟", date(2026, 9, 30), "K3.4 扣分有误", CAL)
    first = st.answer_appeal(1, date(2026, 10, 9), True, "予以撤销", withdraw=["K3.4"])
    st.add_appeal(Q3, "张伟", date(2026, 10, 8), "J1.4 应为满分以外另加", CAL)
    assert st.answer_appeal(2, date(2026, 10, 9), False, "不予支持") is None
    with pytest.raises(StoreError, match="党支部已予支持，不需复议"):
        st.review_appeal(1, date(2026, 10, 12), "复议", CAL)  # the first was upheld: no 复议
    due = st.review_appeal(2, date(2026, 10, 12), "申请医院党委复议", CAL)
    assert due == date(2026, 10, 15)
    [open_] = st.appeals(open_only=True)
    assert open_.number == 2 and open_.state == "复议中（医院党委）" and open_.deadline == due
    j14 = entry_of(st, "张伟", "J1.4")
    second = st.answer_review(2, date(2026, 10, 16), True, "复议认为加分偏少", points=[("J1.4", "4")])
    assert second is not None and second.body == "医院党委" and second.previous_digest == first.digest
    view = st.appeals()[1]
    assert view.overdue  # answered on 16 October, due on the 15th: 逾期, and kept
    assert "医院党委复议予以支持" in view.outcome and f"事项#{j14}（J1.4）分值5改为4" in view.outcome
    assert st.verify() == []


def test_deadlines_follow_the_users_holidays(demo):
    """A unit's own holiday (holidays.toml) moves the deadline as the State Council's do."""
    st = demo
    _, due = st.add_appeal(Q3, "张伟", date(2026, 10, 8), "申诉", CAL)
    assert due == date(2026, 10, 12)  # Friday 9, the 调休 Saturday 10, Monday 12
    _, due = st.add_appeal(Q3, "张伟", date(2026, 10, 8), "申诉", WorkCalendar(holidays=[date(2026, 10, 12)]))
    assert due == date(2026, 10, 13)


def test_the_amendment_cannot_be_changed_and_a_change_past_the_guard_is_named_by_verify(demo):
    st = demo
    st.add_appeal(Q3, "刘丽娟", date(2026, 9, 30), "K3.4 扣分有误", CAL)
    st.answer_appeal(1, date(2026, 10, 9), True, "予以撤销", withdraw=["K3.4"])
    st.add_appeal(Q3, "张伟", date(2026, 10, 8), "J1.4", CAL)
    st.answer_appeal(2, date(2026, 10, 9), True, "改为4分", points=[("J1.4", "4")])
    assert st.verify() == []
    edit = f"UPDATE amendment SET changes = replace(changes, '\"4\"', '\"5\"') WHERE id = {LAST}"
    with st.engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="jifen: append-only"):
        conn.exec_driver_sql(edit)
    cases = {
        edit: "2026Q3：更正（申诉第2号）：校验码不符：更正内容在记录后被改动",
        "UPDATE appeal SET member_id = member_id + 1 WHERE number = 1":
            "2026Q3：更正（申诉第1号）：校验码不符：更正内容在记录后被改动",
        "DELETE FROM amendment WHERE id = (SELECT max(id) FROM amendment)": "申诉第2号的更正",
        "DELETE FROM amendment WHERE id = (SELECT min(id) FROM amendment)": "2026Q3：更正（申诉第2号）：更正链断开",
        # Reordered: the two links' contents swapped (each row takes the other's appeal and changes).
        "UPDATE amendment SET appeal_id = (SELECT sum(appeal_id) FROM amendment) - appeal_id, "
        f"changes = CASE WHEN id = {FIRST} THEN (SELECT changes FROM amendment WHERE id = {LAST}) "
        f"ELSE (SELECT changes FROM amendment WHERE id = {FIRST}) END":
            "2026Q3：更正（申诉第2号）：校验码不符",
    }
    for sql, named in cases.items():
        with st.engine.connect() as conn:
            trans = conn.begin()
            try:
                drop_guards(conn)
                assert conn.exec_driver_sql(sql).rowcount >= 1
                with Session(bind=conn) as s:
                    faults = verify_amendments(s)
                assert any(named in f for f in faults), (sql, faults)
            finally:
                trans.rollback()
    assert st.verify() == []


def test_refusals_change_nothing(demo):
    st = demo
    st.add_appeal(Q3, "刘丽娟", date(2026, 9, 30), "K3.4 扣分有误", CAL)
    st.add_appeal(QuarterRef(2026, 1), "张伟", date(2026, 4, 1), "一季度", CAL)
    st.answer_appeal(2, date(2026, 4, 2), True, "予以支持，无需更正")
    before = rows(st)
    refused = [
        (lambda: st.add_appeal(Q3, "无此人", date(2026, 9, 30), "x", CAL), "党员名单中没有“无此人”"),
        (lambda: st.add_appeal(Q3, "张伟", date(2026, 9, 1), "x", CAL), "早于2026年第三季度党员大会"),
        (lambda: st.add_appeal(Q4, "张伟", date(2026, 12, 1), "x", CAL), "尚未召开"),
        (lambda: st.add_appeal(Q3, "张伟", date(2026, 12, 8), "x", CAL), "在今天"),
        (lambda: st.add_appeal(Q3, "张伟", date(2026, 10, 1), " ", CAL), "申诉的内容"),
        (lambda: st.answer_appeal(9, date(2026, 10, 9), True, "x"), "没有申诉第9号"),
        (lambda: st.answer_appeal(1, date(2026, 10, 9), False, "x", withdraw=["K3.4"]), "不予支持的答复不能更正"),
        (lambda: st.answer_appeal(1, date(2026, 9, 29), True, "x"), "早于申诉日期"),
        (lambda: st.answer_appeal(1, date(2026, 10, 9), True, "x", withdraw=["#999999"]), "没有计分的积分事项#999999"),
        (lambda: st.answer_appeal(1, date(2026, 10, 9), True, "x", withdraw=["J9.9"]), "没有事项编号为“J9.9”"),
        (lambda: st.answer_appeal(1, date(2026, 10, 9), True, "x", points=[("K3.4", "0.5")]), "不符合积分方案"),
        (lambda: st.answer_appeal(1, date(2026, 10, 9), True, "x", points=[("K3.4", "1")]), "无需更正"),
        (lambda: st.answer_appeal(1, date(2026, 10, 9), True, "x", withdraw=["K3.4"], points=[("K3.4", "2")]),
         "更正了两次"),
        (lambda: st.answer_appeal(2, date(2026, 10, 9), True, "x"), "已于 2026-04-02 答复"),
        (lambda: st.review_appeal(1, date(2026, 10, 9), "x", CAL), "尚未答复"),
        (lambda: st.answer_review(1, date(2026, 10, 9), True, "x"), "没有申请复议"),
    ]
    for attempt, said in refused:
        with pytest.raises(StoreError, match=said):
            attempt()
    assert rows(st) == before
    assert st.verify() == []
