"""Annual grading on the demo branch, on SQLite and PostgreSQL: the year's last meeting held and
locked, the engine's proposal with the 优秀 cap, one grade decided differently with its reason
(in the Q4 lock's record), the 党委's 批复 chained on the Q4 lock and checked by verify; the year
form before (拟定等次) and after (final, citing the 批复) read back from the PDF; tampering caught.
A 预备党员 at 69 and at 71 under xinmi: conversion on time refused / allowed, with the clause."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from core.quarter import EntryStatus, QuarterRef
from core.schemes import builtin_text
from db.demo import build_demo
from db.engine import open_engine
from db.errors import StoreError
from db.store import MeetingFacts, Store
from exports.forms import publicity_table, write_publicity
from exports.sheets import write_table

YEAR = 2026
Q4 = QuarterRef(YEAR, 4)
Q4_DAY = datetime(2026, 12, 18, 14, 30)
CLAUSE = "预备党员年积分低于70分的，不得按期转为正式党员，并根据实际情况延长预备期或取消预备党员资格。"


def pdf_text(path: Path) -> str:
    """The PDF's text without white space (cells and wrapped lines run together), by poppler."""
    import subprocess

    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", "", out)


def hold_q4(store: Store) -> None:
    """The demo's Q4 meeting through the store: everyone present, the contested entries voted
    through, a few ballots (everyone 合格) so the year has its evaluation."""
    store.clock = lambda: Q4_DAY
    store.open_meeting(Q4, MeetingFacts(Q4_DAY, "党员活动室", "王建国", "刘丽娟"))
    store.roll_call_rest(Q4)
    q = store.quorum(Q4)
    for e in store.entries(Q4):
        if e.status == "有异议":
            store.vote(e.id, q.voting_present - 1, 1, 0)
    store.set_ballots_issued(Q4, 3)
    for _ in range(3):
        store.add_ballot(Q4, {m.id: "合格" for m in store.graded_members(YEAR)})


def tamper(target: str, sql: str) -> None:
    """What someone holding the database can do: switch the guards off and change a row."""
    engine = open_engine(target)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        else:
            for table in ("grade_approval", "grade_decision", "quarter"):
                conn.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        conn.exec_driver_sql(sql)
    engine.dispose()


@pytest.fixture
def demo(db_target):
    store = build_demo(db_target)
    hold_q4(store)
    yield store, db_target
    store.engine.dispose()


def test_the_year_graded_overridden_locked_and_approved(demo, tmp_path):
    store, target = demo
    g = store.year_grades(YEAR)
    assert g.q4 == "meeting" and g.approval is None and g.heading == "拟定等次"
    # The cap: 1/3 of the full members with a total, and the count of 优秀 proposed within it.
    assert g.full == 21 and g.cap == 7 and g.top == "优秀" and g.share == "1/3"
    assert g.top_count <= g.cap and not g.over_cap
    assert f"限额{g.cap}人（正式党员21人的1/3）" in g.cap_line()
    best = next(r for r in g.rows if r.proposed == "优秀")
    assert best.why and "在前1/3" in best.why[0]
    # Probationary members get no grade, only their conversion.
    assert {r.name for r in g.rows if r.status == "probationary"} == {p.name for p in g.probations}
    assert all(r.proposed is None for r in g.rows if r.status == "probationary")

    # Refusals: no reason, a grade the scheme does not have, a 预备党员, the cap exceeded.
    with pytest.raises(StoreError, match="理由"):
        store.set_grade(YEAR, best.member_id, "合格", "")
    with pytest.raises(StoreError, match="良好"):
        store.set_grade(YEAR, best.member_id, "良好", "理由")
    probationer = next(r for r in g.rows if r.status == "probationary")
    with pytest.raises(StoreError, match="预备党员"):
        store.set_grade(YEAR, probationer.member_id, "优秀", "表现突出")
    plain = next(r for r in g.rows if r.proposed == "合格")
    if g.top_count == g.cap:
        with pytest.raises(StoreError, match="限额"):
            store.set_grade(YEAR, plain.member_id, "优秀", "抗疫一线表现突出")
    assert store.year_grades(YEAR).rows == g.rows  # nothing changed

    # One override: the meeting decides 合格 for a proposed 优秀, with its reason.
    store.set_grade(YEAR, best.member_id, "合格", "本人主动让出优秀名额")
    g = store.year_grades(YEAR)
    row = g.row(best.name)
    assert row.decided == "合格" and row.overridden and row.final == "合格" and row.reason == "本人主动让出优秀名额"

    # The 党委 approves after the lock only.
    with pytest.raises(StoreError, match="尚未锁定"):
        store.approve_grades(YEAR, date(2027, 1, 8), "同意")
    store.lock(Q4)
    canonical = json.loads(store.lock_of(Q4).canonical)
    decided = {"member": best.member_id, "grade": "合格", "reason": "本人主动让出优秀名额"}
    assert canonical["grade_decisions"] == [decided]
    with pytest.raises(StoreError, match="已锁定"):
        store.set_grade(YEAR, best.member_id, "优秀", "改回")
    assert store.verify() == []

    # The year form before the 批复: 拟定等次, the meeting's grade, the conversions with the clause.
    before = pdf_text(write_publicity(store, YEAR, None, tmp_path / "before.pdf"))
    assert "拟定等次" in before and "待医院党委批复后确定" in before
    assert re.search(best.name + r"[^序]*?合格", before)
    assert "预备党员按期转正" in before and CLAUSE in before and "2027-01-08预备期满" in before

    # The 批复: a later date, its text, one member the 党委 decided differently.
    other = next(r for r in g.rows if r.final == "优秀")
    with pytest.raises(StoreError, match="早于"):
        store.approve_grades(YEAR, date(2026, 12, 1), "同意")
    with pytest.raises(StoreError, match="已是优秀"):
        store.approve_grades(YEAR, date(2027, 1, 8), "同意", {other.name: "优秀"})
    with pytest.raises(StoreError, match="没有“无此人”"):
        store.approve_grades(YEAR, date(2027, 1, 8), "同意", {"无此人": "合格"})
    digest = store.approve_grades(YEAR, date(2027, 1, 8), "同意党支部意见，其中一人定为合格", {other.name: "合格"})
    g = store.year_grades(YEAR)
    assert g.approval is not None and g.approval.digest == digest and g.heading == "等次"
    assert g.row(other.name).changed == "合格" and g.row(other.name).final == "合格"
    assert g.approval.previous_digest == store.lock_of(Q4).digest
    with pytest.raises(StoreError, match="已于2027-01-08批复"):
        store.approve_grades(YEAR, date(2027, 1, 9), "再次批复")
    assert store.verify() == []

    after_path = write_publicity(store, YEAR, None, tmp_path / "after.pdf")
    after = pdf_text(after_path)
    assert "拟定等次" not in after and "拟定" not in after
    assert "以上等次已经医院党委于2027年1月8日批复：同意党支部意见，其中一人定为合格。" in after
    assert f"{other.name}的等次依批复定为合格" in after
    table = publicity_table(store, YEAR)
    assert table.headings[-1] == "等次"
    grades = {r[1]: r[-1] for r in table.rows}
    assert grades[other.name] == "合格" and grades[best.name] == "合格"
    assert PdfReader(after_path).pages  # a real PDF
    # The spreadsheet of the same form: 等次 and the 批复 on its second row.
    sheet = load_workbook(write_table(table, tmp_path / "after.xlsx", day=date(2027, 1, 9))).active
    assert "以上等次已经医院党委于2027年1月8日批复" in sheet["A2"].value
    assert [c.value for c in sheet[3]][-1] == "等次"

    # An UPDATE of the approval row (guards off) is caught by verify; nothing else is blamed.
    tamper(target, "UPDATE grade_approval SET text = '同意'")
    problems = Store(open_engine(target)).verify()
    assert len(problems) == 1 and "2026年度等次批复：校验码不符" in problems[0]


def test_a_correction_after_the_approval_keeps_the_approved_grade_and_says_what_it_would_be(demo):
    """张伟 (89, 7th, 优秀) loses his 5-point J1.4 on 吴国华's appeal answered after the 批复:
    his figures are corrected (84), the approved grades stand, and the year form and the grade list
    say what the corrected figures would make them, for the 党委 to decide."""
    from exports.deadlines import WorkCalendar
    from exports.forms import approval_sentence
    from tui.cli_grading import grade_lines

    store, _ = demo
    store.lock(Q4)
    store.approve_grades(YEAR, date(2027, 1, 8), "同意党支部意见")
    zhang = store.year_grades(YEAR).row("张伟")
    assert zhang.final == "优秀" and zhang.corrected is None
    store.clock = lambda: datetime(2027, 1, 12, 9, 0)
    number, _ = store.add_appeal(Q4, "吴国华", date(2027, 1, 10), "张伟J1.4加分依据不足", WorkCalendar())
    j14 = next(e.id for e in store.entries(Q4, zhang.member_id) if e.item_code == "J1.4")
    store.answer_appeal(number, date(2027, 1, 12), True, "经核实，撤销该项加分", withdraw=[f"#{j14}"])

    assert {r.name: r.total for r in store.board(YEAR).members}["张伟"] == 84
    g = store.year_grades(YEAR)
    row = g.row("张伟")
    assert row.final == "优秀" and row.proposed == "优秀" and row.corrected == "合格"
    # 吴国华 (88.5) now within the top third: the corrected figures would make him 优秀.
    assert {r.name: r.corrected for r in g.rows if r.corrected} == {"张伟": "合格", "吴国华": "优秀"}
    assert g.row("吴国华").final == "合格"
    form = publicity_table(store, YEAR)
    grade, remark = form.headings.index("等次"), form.headings.index("备注")
    assert {r[1]: (r[grade], r[remark]) for r in form.rows}["张伟"] == ("优秀", f"更正（申诉第{number}号）")
    said = approval_sentence(g, "医院党委")
    assert said.endswith("批复后经申诉更正积分，张伟按更正后的积分应为合格、吴国华按更正后的积分应为优秀，"
                         "待医院党委决定。")
    assert any("张伟" in line and "按更正后的积分应为合格" in line for line in grade_lines(g))
    assert store.verify() == []


def test_a_decision_changed_after_the_lock_is_caught(demo):
    store, target = demo
    g = store.year_grades(YEAR)
    best = next(r for r in g.rows if r.proposed == "优秀")
    store.set_grade(YEAR, best.member_id, "合格", "本人主动让出优秀名额")
    store.lock(Q4)
    tamper(target, "UPDATE grade_decision SET grade = '优秀'")
    problems = Store(open_engine(target)).verify()
    assert any("2026Q4" in p and "年度等次决定" in p for p in problems), problems


def test_a_q4_locked_without_decisions_keeps_the_old_record_and_an_approval_deleted_is_caught(demo):
    store, target = demo
    store.lock(Q4)
    assert "grade_decisions" not in json.loads(store.lock_of(Q4).canonical)  # older digests stay as they were
    store.approve_grades(YEAR, date(2027, 1, 8), "同意")
    assert store.verify() == []
    tamper(target, "DELETE FROM grade_approval")
    problems = Store(open_engine(target)).verify()
    assert any("批复记录已不存在" in p for p in problems), problems


def test_the_guards_refuse_changes_to_the_approval_and_to_locked_decisions(demo):
    store, target = demo
    best = next(r for r in store.year_grades(YEAR).rows if r.proposed == "优秀")
    store.set_grade(YEAR, best.member_id, "合格", "让出名额")
    store.lock(Q4)
    store.approve_grades(YEAR, date(2027, 1, 8), "同意")
    engine = open_engine(target)
    for sql in ("UPDATE grade_approval SET text = 'x'", "DELETE FROM grade_approval",
                "UPDATE grade_decision SET grade = '优秀'", "DELETE FROM grade_decision"):
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.exec_driver_sql(sql)
    engine.dispose()
    assert store.verify() == []


def test_undo_takes_back_a_grade_decision(demo):
    store, _ = demo
    best = next(r for r in store.year_grades(YEAR).rows if r.proposed == "优秀")
    store.set_grade(YEAR, best.member_id, "合格", "让出名额")
    assert "年度等次" in store.undo(Q4)
    assert store.year_grades(YEAR).row(best.name).decided is None
    # Giving the proposal back takes a decision back as well.
    store.set_grade(YEAR, best.member_id, "合格", "让出名额")
    store.set_grade(YEAR, best.member_id, "优秀", "")
    assert store.year_grades(YEAR).row(best.name).decided is None


# ---------------------------------------------------------------- 预备党员 under xinmi


@pytest.mark.parametrize(("deductions", "total", "on_time"), [(("K1.1", "K1.1", "K1.3"), "69", False),
                                                             (("K1.1", "K1.2", "K1.3"), "71", True)])
def test_a_probationer_at_69_cannot_be_converted_on_time_and_at_71_can(db_target, tmp_path, deductions, total,
                                                                       on_time):
    st = Store(open_engine(db_target), "书记")
    st.init_branch("第一党支部", "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), YEAR)
    ids = st.add_members([dict(name=f"党员{i}", status="full") for i in range(4)]
                         + [dict(name="预备甲", status="probationary", status_since="2026-03-01")])
    points = {"K1.1": 5, "K1.2": 3, "K1.3": 1}  # each time, as the scheme's list says
    for code in deductions:
        st.add_entry(QuarterRef(YEAR, 2), ids[-1], "deduction", points[code], item=code, status=EntryStatus.CONFIRMED)
    g = st.year_grades(YEAR)
    p = g.row("预备甲").probation
    assert p is not None and p.total == total and p.on_time is on_time
    assert p.since == date(2026, 3, 1) and p.due == date(2027, 3, 1)
    assert CLAUSE in p.clause and p.clause.startswith("三（六）2")
    said = p.sentence()
    assert ("不能按期转正" in said) is not on_time and CLAUSE in said
    assert "2027-03-01预备期满" in said
    # The year form (a draft: the year is not locked) says it with the clause.
    text = pdf_text(write_publicity(st, YEAR, None, tmp_path / "year.pdf", draft=True))
    assert "预备党员按期转正" in text and CLAUSE in text
    assert f"预备甲，2026-03-01接收为预备党员，2027-03-01预备期满，年积分{total}分，" \
           + ("可按期转正" if on_time else "不能按期转正") in text
    st.engine.dispose()
