"""The meeting's record through the store: objections with who and why, how votes were taken,
agenda notes, the end of the meeting, cancelling it, partial and void ballots, meeting dates,
and the lock's digest over all of it. Every check reads the database through a fresh Store."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

import pytest

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.errors import StoreError
from db.store import Store
from tests.db.test_meeting_ops import (
    YEAR,
    Q,
    assert_refused_unchanged,
    deduction,
    facts,
    new_store,
    snapshot,
)


def fresh(st: Store) -> Store:
    return Store(open_engine(st.engine.url.database))


@pytest.fixture
def meeting(tmp_path):
    st = new_store(tmp_path)
    ids = st.add_members([dict(name=n, status="full") for n in ("甲", "乙", "丙", "丁", "戊", "己")])
    st.open_meeting(QuarterRef(YEAR, Q), facts())
    for i in ids:
        st.roll_call(QuarterRef(YEAR, Q), i, True)
    return st, ids


# --- objections ----------------------------------------------------------------------------------

def test_an_objection_names_who_and_why_and_a_withdrawn_one_stays_marked(meeting):
    st, ids = meeting
    e = deduction(st, ids[0])
    st.contest_entry(e, "乙", "扣分依据不足")
    got = fresh(st).objections(QuarterRef(YEAR, Q))
    assert [(o.entry_id, o.raised_by, o.reason, o.withdrawn) for o in got] == [(e, "乙", "扣分依据不足", False)]
    st.drop_objection(e)
    assert [o.withdrawn for o in fresh(st).objections(QuarterRef(YEAR, Q))] == [True]
    assert fresh(st).entries(QuarterRef(YEAR, Q))[0].status == "申报"
    st.undo(QuarterRef(YEAR, Q))  # the withdrawal is taken back: the objection is open again
    assert [o.withdrawn for o in fresh(st).objections(QuarterRef(YEAR, Q))] == [False]
    assert fresh(st).entries(QuarterRef(YEAR, Q))[0].status == "有异议"


@pytest.mark.parametrize("who, why, match", [("", "理由", "由谁提出"), ("乙", " ", "理由")])
def test_an_objection_without_who_or_why_is_refused(meeting, who, why, match):
    st, ids = meeting
    e = deduction(st, ids[0])
    assert_refused_unchanged(st, lambda: st.contest_entry(e, who, why), match)


def test_undo_of_an_objection_removes_it(meeting):
    st, ids = meeting
    e = deduction(st, ids[0])
    st.contest_entry(e, "外单位同志", "情况不实")  # a name off the roster is taken as typed
    st.undo(QuarterRef(YEAR, Q))
    assert fresh(st).objections(QuarterRef(YEAR, Q)) == []
    assert fresh(st).entries(QuarterRef(YEAR, Q))[0].status == "申报"


# --- votes -----------------------------------------------------------------------------------------

def test_a_vote_records_how_it_was_taken(meeting):
    st, ids = meeting
    e1, e2 = deduction(st, ids[0]), deduction(st, ids[1])
    st.contest_entry(e1, "乙", "理由一")
    st.contest_entry(e2, "甲", "理由二")
    st.vote(e1, 5, 1, 0)
    st.vote(e2, 2, 3, 1, method="无记名投票")
    assert [v.method for v in fresh(st).votes(QuarterRef(YEAR, Q))] == ["举手", "无记名投票"]


def test_an_unknown_vote_method_is_refused(meeting):
    st, ids = meeting
    e = deduction(st, ids[0])
    st.contest_entry(e, "乙", "理由")
    assert_refused_unchanged(st, lambda: st.vote(e, 5, 1, 0, method="鼓掌"), "表决方式")


# --- agenda notes ----------------------------------------------------------------------------------

def test_speeches_dissent_and_resolution_under_an_agenda_item(meeting):
    st, _ = meeting
    st.add_agenda_note(QuarterRef(YEAR, Q), 1, "speech", "通报积分情况", "张书记")
    st.add_agenda_note(QuarterRef(YEAR, Q), 1, "speech", "补充说明材料", "乙")
    st.add_agenda_note(QuarterRef(YEAR, Q), 2, "dissent", "应先复核再表决", "丙")
    st.set_resolution(QuarterRef(YEAR, Q), 1, "积分情况予以确认")
    st.set_resolution(QuarterRef(YEAR, Q), 1, "积分情况经通报予以确认")  # replaced, not added
    notes = [(n.item, n.kind, n.speaker, n.text) for n in fresh(st).agenda_notes(QuarterRef(YEAR, Q))]
    assert notes == [(1, "speech", "张书记", "通报积分情况"), (1, "speech", "乙", "补充说明材料"),
                     (1, "resolution", "", "积分情况经通报予以确认"), (2, "dissent", "丙", "应先复核再表决")]
    st.undo(QuarterRef(YEAR, Q))  # the resolution goes back to its first wording
    assert [n.text for n in fresh(st).agenda_notes(QuarterRef(YEAR,
                                                              Q)) if n.kind == "resolution"] == ["积分情况予以确认"]
    last = [n for n in fresh(st).agenda_notes(QuarterRef(YEAR, Q)) if n.kind == "speech"][-1]
    st.remove_agenda_note(last.id)
    assert [n.text for n in fresh(st).agenda_notes(QuarterRef(YEAR, Q)) if n.kind == "speech"] == ["通报积分情况"]
    st.undo(QuarterRef(YEAR, Q))
    assert [n.text for n in fresh(st).agenda_notes(QuarterRef(YEAR, Q)) if n.kind == "speech"] == ["通报积分情况",
                                                                                                   "补充说明材料"]


@pytest.mark.parametrize("call, match", [
    (lambda st: st.add_agenda_note(QuarterRef(YEAR, Q), 3, "speech", "要点", "乙"), "没有第3项议题"),
    (lambda st: st.add_agenda_note(QuarterRef(YEAR, Q), 1, "speech", "要点", ""), "发言人"),
    (lambda st: st.add_agenda_note(QuarterRef(YEAR, Q), 1, "speech", " ", "乙"), "发言的内容"),
    (lambda st: st.add_agenda_note(QuarterRef(YEAR, Q), 1, "chat", "要点", "乙"), "记录类别"),
    (lambda st: st.set_resolution(QuarterRef(YEAR, Q), 2, ""), "还没有决议"),
    (lambda st: st.remove_agenda_note(999), "没有编号为 999"),
    (lambda st: st.set_meeting_facts(QuarterRef(YEAR, Q), agenda="只剩一项"), "不能删去该议题"),
])
def test_bad_agenda_notes_are_refused(meeting, call, match):
    st, _ = meeting
    st.add_agenda_note(QuarterRef(YEAR, Q), 2, "speech", "已有发言", "甲")
    assert_refused_unchanged(st, lambda: call(st), match)


# --- the end, and cancelling -------------------------------------------------------------------------

def test_end_of_meeting_is_recorded_editable_and_set_at_the_lock(meeting, tmp_path):
    st, _ = meeting
    st.end_meeting(QuarterRef(YEAR, Q), datetime(2026, 3, 28, 11, 5))
    assert fresh(st).meeting(QuarterRef(YEAR, Q)).ended_at == datetime(2026, 3, 28, 11, 5)
    st.end_meeting(QuarterRef(YEAR, Q), datetime(2026, 3, 28, 11, 20))
    st.undo(QuarterRef(YEAR, Q))
    assert fresh(st).meeting(QuarterRef(YEAR, Q)).ended_at == datetime(2026, 3, 28, 11, 5)
    assert_refused_unchanged(st, lambda: st.end_meeting(QuarterRef(YEAR, Q), datetime(2026, 3, 28, 8, 0)),
                             "早于开会时间")
    # A meeting never ended gets its end at the lock.
    other = Store(open_engine(tmp_path / "c.db"), clock=lambda: datetime(2026, 3, 28, 10, 40))
    other.init_branch("第二党支部", "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), YEAR)
    mid = other.add_members([dict(name="甲", status="full")])[0]
    other.open_meeting(QuarterRef(YEAR, Q), facts())
    other.roll_call(QuarterRef(YEAR, Q), mid, True)
    other.lock(QuarterRef(YEAR, Q))
    assert Store(open_engine(tmp_path / "c.db")).meeting(QuarterRef(YEAR, Q)).ended_at == datetime(2026, 3, 28, 10, 40)


def test_a_meeting_is_cancelled_until_the_first_vote_or_ballot(meeting):
    st, ids = meeting
    e1, e2 = deduction(st, ids[0]), deduction(st, ids[1])
    st.confirm_entry(e1)
    st.contest_entry(e2, "甲", "理由")
    st.add_agenda_note(QuarterRef(YEAR, Q), 1, "speech", "要点", "甲")
    st.set_ballots_issued(QuarterRef(YEAR, Q), 6)
    assert st.cancel_problem(QuarterRef(YEAR, Q)) == ""
    st.cancel_meeting(QuarterRef(YEAR, Q))
    again = fresh(st)
    assert again.quarter(QuarterRef(YEAR, Q)).state == "open" and again.meeting(QuarterRef(YEAR, Q)) is None
    assert again.roll_calls(QuarterRef(YEAR, Q)) == {} and again.agenda_notes(QuarterRef(YEAR, Q)) == []
    assert [e.status for e in again.entries(QuarterRef(YEAR, Q))] == ["申报",
                                                                      "有异议"]  # confirmed at it: declared again
    assert len(again.objections(QuarterRef(YEAR, Q))) == 1
    assert again.ballot_summary(QuarterRef(YEAR, Q))["issued"] == 0
    # It can be opened again.
    st.open_meeting(QuarterRef(YEAR, Q), facts())
    for i in ids:
        st.roll_call(QuarterRef(YEAR, Q), i, True)
    st.vote(e2, 5, 1, 0)
    assert_refused_unchanged(st, lambda: st.cancel_meeting(QuarterRef(YEAR, Q)), "已经进行了表决")


def test_a_meeting_with_a_ballot_cannot_be_cancelled(meeting):
    st, ids = meeting
    st.add_ballot(QuarterRef(YEAR, Q), {ids[0]: "合格"})
    assert "测评票" in st.cancel_problem(QuarterRef(YEAR, Q))
    assert_refused_unchanged(st, lambda: st.cancel_meeting(QuarterRef(YEAR, Q)), "录入了测评票")


# --- ballots as they come ------------------------------------------------------------------------------

def test_partial_void_and_blank_ballots(meeting):
    st, ids = meeting  # six names: at most two 优秀 on one ballot
    assert st.add_ballot(QuarterRef(YEAR, Q), {ids[0]: "优秀", ids[1]: "合格"}) == ""  # four names unmarked
    assert "超过参评6人" in st.add_ballot(QuarterRef(YEAR, Q), dict.fromkeys(ids[:3], "优秀"))
    assert "空白" in st.add_ballot(QuarterRef(YEAR, Q), None)
    assert st.add_ballot(QuarterRef(YEAR, Q), dict.fromkeys(ids, "合格"), void="字迹无法辨认") == "字迹无法辨认"
    again = fresh(st)
    assert again.ballot_summary(QuarterRef(YEAR, Q)) == {"issued": 0, "returned": 4, "valid": 1, "void": 3, "blank": 1}
    assert again.void_reasons(QuarterRef(YEAR, Q)) == {"全部未标记（空白票）": 1, "字迹无法辨认": 1,
                                           "评为优秀3人，超过参评6人的1/3（至多2人）": 1}
    counts = again.ratings_of_quarter(QuarterRef(YEAR, Q))[1]
    assert counts == {ids[0]: {"优秀": 1}, ids[1]: {"合格": 1}}  # void ballots count for nothing
    # The void ballot keeps no marks and nothing that orders or times it.
    con = sqlite3.connect(st.engine.url.database)
    assert [c[1] for c in con.execute("PRAGMA table_info(ballot)")] == ["id", "quarter_id", "round", "marks", "void"]
    assert sorted(r[0] for r in con.execute("SELECT marks FROM ballot WHERE void != ''")) == ["{}"] * 3


def test_more_ballots_returned_than_issued_stops_the_lock(meeting):
    st, ids = meeting
    st.set_ballots_issued(QuarterRef(YEAR, Q), 1)
    st.add_ballot(QuarterRef(YEAR, Q), {ids[0]: "合格"})
    st.add_ballot(QuarterRef(YEAR, Q), {ids[1]: "合格"})
    problems = fresh(st).lock_problems(QuarterRef(YEAR, Q))
    assert any("收回票数多于发出票数，本次测评无效（发出1张，收回2张）" in p for p in problems)
    assert_refused_unchanged(st, lambda: st.lock(QuarterRef(YEAR, Q)), "收回票数多于发出票数，本次测评无效")
    st.set_ballots_issued(QuarterRef(YEAR, Q), 2)
    st.lock(QuarterRef(YEAR, Q))
    assert fresh(st).quarter(QuarterRef(YEAR, Q)).state == "locked"


# --- meeting dates ------------------------------------------------------------------------------------

def test_a_meeting_date_outside_its_quarter_needs_confirming(tmp_path):
    st = new_store(tmp_path)
    late = facts().__class__(held_at=datetime(2026, 4, 2, 9, 0), place="", host="甲", recorder="乙", agenda="议题")
    assert_refused_unchanged(st, lambda: st.open_meeting(QuarterRef(YEAR, Q), late), "不在2026年第一季度（1月至3月）内")
    assert st.meeting_date_problems(QuarterRef(YEAR, Q), late.held_at)
    st.open_meeting(QuarterRef(YEAR, Q), late, confirm_date=True)
    assert fresh(st).meeting(QuarterRef(YEAR, Q)).held_at == datetime(2026, 4, 2, 9, 0)


def test_a_meeting_before_the_previous_one_needs_confirming(meeting):
    st, _ids = meeting
    st.lock(QuarterRef(YEAR, Q))
    early = facts().__class__(held_at=datetime(2026, 3, 20, 9, 0), place="", host="甲", recorder="乙", agenda="议题")
    with pytest.raises(StoreError, match="早于上一次会议"):
        st.open_meeting(QuarterRef(YEAR, 2), early)
    assert fresh(st).meeting(QuarterRef(YEAR, 2)) is None
    st.open_meeting(QuarterRef(YEAR, 2), early, confirm_date=True)
    with pytest.raises(StoreError, match="不在2026年第二季度"):
        st.set_meeting_facts(QuarterRef(YEAR, 2), held_at=datetime(2026, 7, 1, 9, 0))
    assert fresh(st).meeting(QuarterRef(YEAR, 2)).held_at == datetime(2026, 3, 20, 9, 0)
    st.set_meeting_facts(QuarterRef(YEAR, 2), confirm_date=True, held_at=datetime(2026, 6, 1, 9, 0))
    assert fresh(st).meeting(QuarterRef(YEAR, 2)).held_at == datetime(2026, 6, 1, 9, 0)


# --- the lock --------------------------------------------------------------------------------------------

def _locked_with_record(st: Store, ids: list[int]) -> None:
    e = deduction(st, ids[0])
    st.contest_entry(e, "乙", "依据不足")
    st.vote(e, 5, 1, 0, method="无记名投票")
    st.add_agenda_note(QuarterRef(YEAR, Q), 1, "speech", "要点", "甲")
    st.add_agenda_note(QuarterRef(YEAR, Q), 2, "dissent", "不同意", "丙")
    st.set_resolution(QuarterRef(YEAR, Q), 1, "确认")
    st.add_ballot(QuarterRef(YEAR, Q), None)
    st.end_meeting(QuarterRef(YEAR, Q), datetime(2026, 3, 28, 11, 0))
    st.lock(QuarterRef(YEAR, Q))


@pytest.mark.parametrize("sql, changed", [
    ("UPDATE objection SET reason = '另一理由'", "异议"),
    ("UPDATE agenda_note SET text = '改过的' WHERE kind = 'speech'", "议题记录"),
    ("DELETE FROM agenda_note WHERE kind = 'dissent'", "议题记录"),
    ("UPDATE vote SET method = '举手'", "表决"),
    ("UPDATE meeting SET ended_at = '2026-03-28 12:00:00.000000'", "会议信息"),
    ("UPDATE ballot SET void = '另一原因'", "无效票"),
])
def test_the_digest_covers_the_record(meeting, sql, changed):
    st, ids = meeting
    _locked_with_record(st, ids)
    assert fresh(st).verify() == []
    canonical = json.loads(st.lock_of(QuarterRef(YEAR, Q)).canonical)
    assert canonical["format"] == 3 and canonical["votes"][0]["method"] == "无记名投票"
    assert canonical["objections"][0]["raised_by"] == "乙"
    assert canonical["meeting"]["ended_at"] == "2026-03-28T11:00:00"
    con = sqlite3.connect(st.engine.url.database)
    with pytest.raises(sqlite3.DatabaseError, match="locked"):  # the guard refuses it first
        con.execute(sql)
    con.rollback()
    # Past the guards (as someone with the file and a SQLite shell could go):
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    con.execute(sql)
    con.commit()
    faults = fresh(st).verify()
    assert len(faults) == 1 and changed in faults[0], faults
    assert snapshot(st)["state"] == "locked"


def test_new_records_of_a_locked_quarter_are_refused_by_the_database(meeting):
    st, ids = meeting
    _locked_with_record(st, ids)
    qid = st.quarter(QuarterRef(YEAR, Q)).id
    e = st.entries(QuarterRef(YEAR, Q))[0].id
    con = sqlite3.connect(st.engine.url.database)
    for sql in (f"INSERT INTO objection (quarter_id, entry_id, raised_by, reason, withdrawn) "
                f"VALUES ({qid}, {e}, 'x', 'y', 0)",
                f"INSERT INTO agenda_note (quarter_id, item, kind, speaker, text) "
                f"VALUES ({qid}, 1, 'speech', 'x', 'y')",
                "DELETE FROM objection", "UPDATE agenda_note SET quarter_id = quarter_id"):
        with pytest.raises(sqlite3.DatabaseError, match="locked"):
            con.execute(sql)
    with pytest.raises(StoreError):
        st.add_agenda_note(QuarterRef(YEAR, Q), 1, "speech", "会后补记", "甲")


def test_a_quarter_locked_in_the_first_format_still_verifies(meeting):
    st, _ids = meeting
    from sqlmodel import Session

    from db.digest import canonical_quarter, digest_of
    from db.tables import Quarter

    st.lock(QuarterRef(YEAR, Q))
    # Rewrite the lock as the previous program wrote it (format 1, no record keys).
    con = sqlite3.connect(st.engine.url.database)
    with Session(st.engine) as s:
        q = s.get(Quarter, st.quarter(QuarterRef(YEAR, Q)).id)
        old = canonical_quarter(s, q, "", fmt=1)
    assert '"format"' not in old
    con.execute("DROP TRIGGER lock_append_only_update")
    con.execute("UPDATE lock SET canonical = ?, digest = ?", (old, digest_of(old)))
    # The previous program's audit line gave that lock's digest, as this one does.
    con.execute("DROP TRIGGER audit_log_append_only_update")
    con.execute("UPDATE audit_log SET detail = ? WHERE action = 'locked'",
                (json.dumps({"digest": digest_of(old), "previous": ""}),))
    con.commit()
    assert fresh(st).verify() == []
