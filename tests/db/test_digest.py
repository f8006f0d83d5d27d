"""Everything a locked quarter depends on is under its digest, and guarded by the database.

One branch with two locked quarters (2026Q1 with the whole meeting record; 2026Q4, whose lock
writes the year's results) and the previous year's results the two-year rules read. Then, on
SQLite and on PostgreSQL, for every table a lock covers: an insert, an update and a delete by
raw SQL are refused by the database's triggers; and with the triggers out of the way (someone
with the file, or the server's owner) each change is named by verify. Each change runs in a
transaction rolled back afterwards, so one branch serves every case.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.digest import verify_chain
from db.engine import open_engine
from db.errors import StoreError
from db.store import MeetingFacts, Store

JIFEN = Path(sys.executable).parent / "jifen"
X = "xinmi-hospital-2023"
Q1 = "(SELECT id FROM quarter WHERE year = 2026 AND number = 1)"
Q2 = "(SELECT id FROM quarter WHERE year = 2026 AND number = 2)"


@dataclass
class Branch:
    store: Store
    ids: dict[str, int]  # member name -> id
    plain: int  # an entry of Q1 nothing refers to
    contested: int  # the contested, voted entry of Q1
    other: int  # an entry of Q1 with neither vote nor objection, for an inserted vote


def build(target: str) -> Branch:
    st = Store(open_engine(target), "书记")
    st.init_branch("第一党支部", X, builtin_text(X), 2026)
    names = ["甲", "乙", "丙", "丁", "戊", "己"]
    ids = dict(zip(names, st.add_members([dict(name=n, status="full") for n in names]), strict=True))
    ids["庚"] = st.add_members([dict(name="庚", status="full", meeting_exempt=True)])[0]  # never called
    ids["辛"] = st.add_members([dict(name="辛", status="full")])[0]
    st.update_member(ids["辛"], left=True)  # left before the lock: not in its snapshot
    for name, total in (("甲", "96"), ("乙", "88.5"), ("丙", None)):
        st.set_past_result(ids[name], 2025, None if total is None else Decimal(total), name == "乙")
    contested = st.add_entry(QuarterRef(2026, 1), ids["甲"], "bonus", 2, item="J6.3")
    other = st.add_entry(QuarterRef(2026, 1), ids["乙"], "deduction", 1, item="K3.1")
    plain = st.add_entry(QuarterRef(2026, 1), ids["丙"], "bonus", 2, item="J6.3")
    st.open_meeting(QuarterRef(2026, 1), MeetingFacts(datetime(2026, 3, 27, 14, 30), "活动室", "甲", "乙", "列席人",
                                          "通报积分\n表决异议"))
    for name in names:
        st.roll_call(QuarterRef(2026, 1), ids[name], name != "己", "" if name != "己" else "病假", "")
    st.contest_entry(contested, "乙", "证明材料不全")
    st.vote(contested, 4, 1, 0, method="无记名投票")
    st.add_agenda_note(QuarterRef(2026, 1), 1, "speech", "本季度积分情况良好", "甲")
    st.add_agenda_note(QuarterRef(2026, 1), 2, "dissent", "加分理由不足", "乙")
    st.set_resolution(QuarterRef(2026, 1), 2, "通过")
    st.set_ballots_issued(QuarterRef(2026, 1), 9)
    graded = [ids[n] for n in names] + [ids["庚"]]
    for label in ("优秀", "合格", "合格"):
        st.add_ballot(QuarterRef(2026, 1), dict.fromkeys(graded, label))
    st.add_ballot(QuarterRef(2026, 1), None)  # a blank one
    st.set_tally(QuarterRef(2026, 1), ids["丁"], {"合格": 2, "优秀": 1})
    st.lock(QuarterRef(2026, 1))
    st.add_entry(QuarterRef(2026, 4), ids["丁"], "bonus", 2, item="J6.3")
    st.open_meeting(QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 18, 14, 30), "活动室", "甲", "乙"))
    for name in names:
        st.roll_call(QuarterRef(2026, 4), ids[name], True)
    st.lock(QuarterRef(2026, 4))
    return Branch(st, ids, plain, contested, other)


@dataclass(frozen=True)
class Change:
    table: str
    op: str  # insert | update | delete
    sql: str  # may name {m} (a member id by name: {甲}) and {plain}/{contested}/{other}
    named: str | None  # what verify names with the guards gone; None: a constraint refuses it even then


def changes(scheme_text: str) -> list[Change]:
    tampered = scheme_text.replace("base = 80", "base = 60")
    assert tampered != scheme_text
    sha = hashlib.sha256(tampered.encode()).hexdigest()
    return [
        Change("entry", "update", f"UPDATE entry SET points = '9' WHERE quarter_id = {Q1}", "积分事项"),
        Change("entry", "delete", "DELETE FROM entry WHERE id = {plain}", "积分事项"),
        Change("entry", "insert", "INSERT INTO entry (quarter_id, member_id, month, kind, item_code, points, note, "
               f"evidence, status, entered_at, entered_by) VALUES ({Q1}, {{丁}}, 3, 'bonus', 'J6.3', '2', '', '', "
               "'已确认', '2026-03-01 00:00:00', '')", "积分事项"),
        Change("roll_call", "update", "UPDATE roll_call SET present = FALSE, reason = '病假' "
               f"WHERE quarter_id = {Q1} AND member_id = {{丙}}", "签到"),
        Change("roll_call", "delete", f"DELETE FROM roll_call WHERE quarter_id = {Q1} AND member_id = {{丙}}",
               "签到"),
        Change("roll_call", "insert", "INSERT INTO roll_call (quarter_id, member_id, present, reason, opinion) "
               f"VALUES ({Q1}, {{庚}}, TRUE, '', '')", "签到"),
        Change("vote", "update", f"UPDATE vote SET yes = yes + 1 WHERE quarter_id = {Q1}", "表决"),
        Change("vote", "delete", f"DELETE FROM vote WHERE quarter_id = {Q1}", "表决"),
        Change("vote", "insert", "INSERT INTO vote (quarter_id, entry_id, yes, no, abstain, written_yes, written_no, "
               "written_abstain, expected, present, passed, rule, method) "
               f"VALUES ({Q1}, {{other}}, 5, 0, 0, 0, 0, 0, 6, 5, TRUE, '', '举手')", "表决"),
        Change("ballot", "update", f"UPDATE ballot SET marks = '{{}}' WHERE quarter_id = {Q1} AND marks <> '{{}}'",
               "测评结果"),
        Change("ballot", "delete", f"DELETE FROM ballot WHERE quarter_id = {Q1} AND marks = '{{}}'", "测评票收回数"),
        Change("ballot", "insert", "INSERT INTO ballot (id, quarter_id, round, marks, void) "
               f"VALUES ('00ff00ff00ff00ff00ff00ff00ff00ff', {Q1}, 1, '{{}}', '')", "测评票收回数"),
        Change("tally", "update", f"UPDATE tally SET count = count + 1 WHERE quarter_id = {Q1} AND count > 0",
               "测评结果"),
        Change("tally", "delete", f"DELETE FROM tally WHERE quarter_id = {Q1}", "测评结果"),
        Change("tally", "insert", "INSERT INTO tally (quarter_id, round, member_id, rating, count) "
               f"VALUES ({Q1}, 1, {{戊}}, '优秀', 3)", "测评结果"),
        Change("ballot_count", "update", f"UPDATE ballot_count SET issued = 30 WHERE quarter_id = {Q1}",
               "测评票发出数"),
        Change("ballot_count", "delete", f"DELETE FROM ballot_count WHERE quarter_id = {Q1}", "测评票发出数"),
        Change("ballot_count", "insert", f"INSERT INTO ballot_count (quarter_id, round, issued) VALUES ({Q1}, 2, 5)",
               "测评票发出数"),
        Change("meeting", "update", f"UPDATE meeting SET place = '别处' WHERE quarter_id = {Q1}", "会议信息"),
        Change("meeting", "delete", f"DELETE FROM meeting WHERE quarter_id = {Q1}", "会议信息"),
        # One meeting per quarter: a second one is refused by the unique key even without triggers.
        Change("meeting", "insert", "INSERT INTO meeting (quarter_id, held_at, place, host, recorder, observers, "
               f"agenda) VALUES ({Q1}, '2026-03-01 09:00:00', '', '', '', '', '')", None),
        Change("objection", "update", f"UPDATE objection SET withdrawn = TRUE WHERE quarter_id = {Q1}", "异议"),
        Change("objection", "delete", f"DELETE FROM objection WHERE quarter_id = {Q1}", "异议"),
        Change("objection", "insert", "INSERT INTO objection (quarter_id, entry_id, raised_by, reason, withdrawn) "
               f"VALUES ({Q1}, {{other}}, '丙', '另有异议', FALSE)", "异议"),
        Change("agenda_note", "update", f"UPDATE agenda_note SET text = '改过的' WHERE quarter_id = {Q1}",
               "议题记录"),
        Change("agenda_note", "delete", f"DELETE FROM agenda_note WHERE quarter_id = {Q1} AND kind = 'dissent'",
               "议题记录"),
        Change("agenda_note", "insert", "INSERT INTO agenda_note (quarter_id, item, kind, speaker, text) "
               f"VALUES ({Q1}, 1, 'speech', '丙', '会后补记')", "议题记录"),
        Change("quarter_member", "update", "UPDATE quarter_member SET facts = replace(facts, '\"name\": \"甲\"', "
               f"'\"name\": \"甲某\"') WHERE quarter_id = {Q1}", "锁定时的党员名单"),
        Change("quarter_member", "delete", f"DELETE FROM quarter_member WHERE quarter_id = {Q1} AND member_id = {{戊}}",
               "锁定时的党员名单"),
        Change("quarter_member", "insert", "INSERT INTO quarter_member (quarter_id, member_id, facts) "
               f"VALUES ({Q1}, {{辛}}, '{{\"id\": {{辛}}, \"name\": \"辛\", \"seq\": 8}}')", "锁定时的党员名单"),
        # The lock clears the undo slot and nothing reads one of a locked quarter: guarded only.
        Change("undo_slot", "insert", f"INSERT INTO undo_slot (quarter_id, action, payload) VALUES ({Q1}, 'entry', "
               "'{}')", ""),
        Change("quarter", "update", f"UPDATE quarter SET state = 'meeting' WHERE id = {Q1}", "季度未标为已锁定"),
        Change("quarter", "delete", f"DELETE FROM quarter WHERE id = {Q1}", None),  # rows refer to it
        Change("quarter", "insert", "INSERT INTO quarter (branch_id, year, number, state) "
               "VALUES ((SELECT id FROM branch), 2027, 1, 'locked')", "季度标为已锁定，但没有锁定记录"),
        Change("quarter", "update", f"UPDATE quarter SET state = 'locked' WHERE id = {Q2}",
               "季度标为已锁定，但没有锁定记录"),
        Change("lock", "update", "UPDATE \"lock\" SET locked_at = '2026-03-01 09:00:00' "
               f"WHERE quarter_id = {Q1}", "锁定时间"),
        Change("lock", "delete", "DELETE FROM \"lock\" WHERE id = (SELECT max(id) FROM \"lock\")",
               "锁定记录已不存在"),
        # A second lock of a locked quarter: the unique key refuses it even without triggers.
        Change("lock", "insert", "INSERT INTO \"lock\" (quarter_id, locked_at, digest, previous_digest, canonical) "
               f"VALUES ({Q1}, '2026-03-01 09:00:00', 'x', '', '{{}}')", None),
        Change("scheme_year", "update", f"UPDATE scheme_year SET text = replace(text, 'base = 80', 'base = 60'), "
               f"sha256 = '{sha}' WHERE year = 2026", "积分方案"),
        Change("scheme_year", "update", "UPDATE scheme_year SET text = replace(text, 'base = 80', 'base = 60') "
               "WHERE year = 2026", "积分方案（xinmi-hospital-2023）的文本与建立年度时记下的指纹不符"),
        Change("scheme_year", "delete", "DELETE FROM scheme_year WHERE year = 2026", "积分方案已不存在"),
        Change("scheme_year", "insert", "INSERT INTO scheme_year (branch_id, year, scheme_id, text, sha256) "
               "VALUES ((SELECT id FROM branch), 2026, 'x', 'x', 'x')", None),  # one scheme a year
        Change("past_result", "update", "UPDATE past_result SET total = '99' WHERE year = 2025 AND member_id = {甲}",
               "上一年度结果"),
        Change("past_result", "delete", "DELETE FROM past_result WHERE year = 2025 AND member_id = {乙}",
               "上一年度结果"),
        Change("past_result", "insert", "INSERT INTO past_result (member_id, year, total, bottom) "
               "VALUES ({丁}, 2025, '70', TRUE)", "上一年度结果"),
        Change("past_result", "update", "UPDATE past_result SET bottom = TRUE WHERE year = 2026 AND member_id = {甲}",
               "年度结果"),
        Change("past_result", "delete", "DELETE FROM past_result WHERE year = 2026 AND member_id = {乙}",
               "年度结果"),
        Change("past_result", "insert", "INSERT INTO past_result (member_id, year, total, bottom) "
               "VALUES ({辛}, 2026, '70', FALSE)", "年度结果"),
        Change("branch", "update", "UPDATE branch SET name = '另一个支部'", "党支部名称"),
        Change("branch", "delete", "DELETE FROM branch", None),  # everything refers to it
        # A database holds one branch; a second one is refused, and nothing would read it.
        Change("branch", "insert", "INSERT INTO branch (name, created_at) VALUES ('另一个支部', '2026-01-01 00:00:00')",
               ""),
        Change("audit_log", "update", "UPDATE audit_log SET detail = '{}' WHERE action = 'locked'",
               "与审计日志记载的 （无）… 不符"),
        Change("audit_log", "delete", "DELETE FROM audit_log WHERE action = 'locked'",
               "锁定记录在审计日志中没有对应的锁定操作"),
    ]


def sql_of(c: Change, b: Branch) -> str:
    out = c.sql.replace("{plain}", str(b.plain)).replace("{contested}", str(b.contested))
    out = out.replace("{other}", str(b.other))
    for name, mid in b.ids.items():
        out = out.replace("{" + name + "}", str(mid))
    return out.replace("{{", "{").replace("}}", "}")


def drop_guards(conn: Connection) -> None:
    """What someone with the database file (or the server's owner) can do: take the triggers away."""
    if conn.dialect.name == "sqlite":
        for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    else:
        for (table,) in conn.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall():
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')


@pytest.fixture
def branch(db_target) -> Branch:
    b = build(db_target)
    assert b.store.verify() == []
    return b


def test_the_cases_cover_insert_update_and_delete_of_every_table_a_lock_covers():
    ops = {(c.table, c.op) for c in changes(builtin_text(X))}
    for table in ("entry", "roll_call", "vote", "ballot", "tally", "ballot_count", "meeting", "objection",
                  "agenda_note", "quarter_member", "quarter", "lock", "scheme_year", "past_result", "branch"):
        assert {(table, op) for op in ("insert", "update", "delete")} <= ops, table


def test_every_change_to_what_a_lock_covers_is_refused_by_the_database(branch):
    """With the guards in place: each change fails with the trigger's message, and nothing changes."""
    engine = branch.store.engine
    let_through = []
    for c in changes(builtin_text(X)):
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                conn.exec_driver_sql(sql_of(c, branch))
                let_through.append(f"{c.table} {c.op}")
            except sa.exc.DBAPIError as exc:
                if "jifen: " not in str(exc.orig):
                    let_through.append(f"{c.table} {c.op}: refused, but not by a guard: {exc.orig}")
            finally:
                trans.rollback()
    assert let_through == []
    assert branch.store.verify() == []


def test_every_change_past_the_guards_is_named_by_verify(branch):
    """With the triggers gone (in a transaction rolled back after each case), verify names what
    changed; the few changes the schema's own keys refuse are refused."""
    engine = branch.store.engine
    missed = []
    counted = 0
    for c in changes(builtin_text(X)):
        if c.named == "":
            continue
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                drop_guards(conn)
                if c.named is None:
                    with pytest.raises(sa.exc.IntegrityError):
                        conn.exec_driver_sql(sql_of(c, branch))
                    counted += 1
                    continue
                done = conn.exec_driver_sql(sql_of(c, branch))
                assert done.rowcount >= 1, f"{c.table} {c.op} changed nothing"
                with Session(bind=conn) as s:
                    faults = verify_chain(s)
                if not any(c.named in f for f in faults):
                    missed.append((c.table, c.op, c.named, faults))
                counted += 1
            finally:
                trans.rollback()
    assert missed == []
    assert counted == len([c for c in changes(builtin_text(X)) if c.named != ""])
    assert branch.store.verify() == []


def test_the_scheme_edit_that_regrades_a_locked_quarter_is_refused_then_caught(branch):
    """The adversary's edit (base 80 -> 60) that rewrote 23 of 24 locked grades."""
    engine = branch.store.engine
    edit = "UPDATE scheme_year SET text = replace(text, 'base = 80', 'base = 60')"
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="jifen: quarter is locked"):
        conn.exec_driver_sql(edit)
    with engine.begin() as conn:
        drop_guards(conn)
        conn.exec_driver_sql(edit)
    faults = branch.store.verify()
    assert any(f.startswith("2026Q1：校验码不符：积分方案在锁定后被改动") for f in faults), faults
    assert any(f.startswith("2026Q4：校验码不符：积分方案在锁定后被改动") for f in faults), faults
    assert any(f.startswith("2026年：积分方案（xinmi-hospital-2023）的文本与建立年度时记下的指纹不符") for f in faults)


def test_past_results_of_a_sealed_year_are_refused_by_the_store(branch):
    st = branch.store
    with pytest.raises(StoreError, match="不能修改2025年度的结果：2026年第一季度已锁定"):
        st.set_past_result(branch.ids["甲"], 2025, Decimal("50"), True)
    with pytest.raises(StoreError, match="不能修改2026年度的结果：2026年第四季度已锁定"):
        st.set_past_result(branch.ids["甲"], 2026, Decimal("50"), True)
    st.set_past_result(branch.ids["甲"], 2024, Decimal("50"), True)  # nothing locked reads 2024


def test_the_q4_lock_holds_the_year_results_it_wrote_and_every_lock_the_past_year(branch):
    import json

    st = branch.store
    q1 = json.loads(st.lock_of(QuarterRef(2026, 1)).canonical)
    q4 = json.loads(st.lock_of(QuarterRef(2026, 4)).canonical)
    assert q1["format"] == q4["format"] == 3
    ids = branch.ids
    past = [{"member": ids["甲"], "total": "96", "bottom": False},
            {"member": ids["乙"], "total": "88.5", "bottom": True},
            {"member": ids["丙"], "total": None, "bottom": False}]
    assert q1["past_results"] == q4["past_results"] == sorted(past, key=lambda r: r["member"])
    assert "year_results" not in q1
    board = st.board(2026)
    expected = sorted(({"member": int(r.id), "total": format(r.total, "f"), "bottom": "bottom_ranked" in r.flags}
                       for r in board.members if not r.exempt), key=lambda r: r["member"])
    assert q4["year_results"] == expected and len(expected) == 7
    assert q1["scheme"]["sha256"] == hashlib.sha256(builtin_text(X).encode()).hexdigest()


def test_a_lock_of_the_previous_format_still_verifies(branch):
    """A quarter locked in format 2 is verified in format 2: Q1's lock and its audit line
    rewritten as the previous program wrote them, and Q4's lock chained onto it."""
    import json

    from db.digest import canonical_quarter, digest_of
    from db.tables import Quarter

    st = branch.store
    with st.engine.begin() as conn:
        drop_guards(conn)
        with Session(bind=conn) as s:
            prev = ""
            for number, fmt in ((1, 2), (4, 3)):
                q = s.get(Quarter, st.quarter(QuarterRef(2026, number)).id)
                locked_at = st.lock_of(QuarterRef(2026, number)).locked_at
                text = canonical_quarter(s, q, prev, fmt=fmt, locked_at=locked_at)
                assert json.loads(text)["format"] == fmt and ("past_results" in json.loads(text)) == (fmt == 3)
                conn.execute(sa.text("UPDATE \"lock\" SET canonical = :c, digest = :d, previous_digest = :p "
                                     "WHERE quarter_id = :q"), dict(c=text, d=digest_of(text), p=prev, q=q.id))
                conn.execute(sa.text("UPDATE audit_log SET detail = :d WHERE action = 'locked' AND quarter_id = :q"),
                             dict(d=json.dumps({"digest": digest_of(text), "previous": prev}), q=q.id))
                prev = digest_of(text)
    assert st.verify() == []
    assert json.loads(st.lock_of(QuarterRef(2026, 1)).canonical)["format"] == 2
    # And format 2 still takes the stored fingerprint, format 3 the text: a scheme edit shows in both.
    commit(branch, "UPDATE scheme_year SET text = replace(text, 'base = 80', 'base = 60')")
    faults = st.verify()
    # (Q1's format-2 digest holds only the stored fingerprint: the year's own check names the edit.)
    assert len(faults) == 2, faults
    assert faults[0].startswith("2026Q4：校验码不符：积分方案在锁定后被改动")
    assert faults[1] == "2026年：积分方案（xinmi-hospital-2023）的文本与建立年度时记下的指纹不符：方案在锁定后被改动"


# --- jifen verify, as the secretary runs it -----------------------------------------------------------

def verify(target: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(JIFEN), "verify", "--db", target, *args], capture_output=True, text=True)


def commit(b: Branch, sql: str) -> None:
    with b.store.engine.begin() as conn:
        drop_guards(conn)
        conn.exec_driver_sql(sql)


def test_verify_reports_a_quarter_marked_locked_without_its_lock(branch, db_target):
    commit(branch, f"UPDATE quarter SET state = 'locked' WHERE id = {Q2}")
    done = verify(db_target)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == ["2026Q2：季度标为已锁定，但没有锁定记录（校验码）："
                                        "锁定记录被删除，或季度未经锁定被直接改为已锁定"]


def test_verify_reports_a_deleted_last_lock(branch, db_target):
    digest = branch.store.lock_of(QuarterRef(2026, 4)).digest
    commit(branch, "DELETE FROM \"lock\" WHERE id = (SELECT max(id) FROM \"lock\")")
    commit(branch, "UPDATE quarter SET state = 'meeting' WHERE year = 2026 AND number = 4")
    done = verify(db_target)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"2026Q4：审计日志记载本季度已锁定（校验码 {digest[:12]}…），"
                                        "但锁定记录已不存在：最后的锁定可能被删除"]
    # The minute signed at Q4 carries its digest: --expect says the chain lost it.
    anchored = verify(db_target, "--expect", digest)
    assert anchored.returncode == 1
    assert any(line.startswith(f"没有一个锁定季度的校验码是 {digest}…") for line in anchored.stderr.splitlines())


def test_verify_expect_passes_on_the_digest_of_the_signed_minute_and_fails_on_another(branch, db_target):
    st = branch.store
    d1, d4 = st.lock_of(QuarterRef(2026, 1)).digest, st.lock_of(QuarterRef(2026, 4)).digest
    head = verify(db_target, "--expect", d4)
    assert head.returncode == 0, head.stderr
    assert head.stdout.splitlines()[-1] == ("与会议记录上的校验码相符：它是 2026Q4 的校验码"
                                            "（校验码链第 2 个，共 2 个），是最后一次锁定。")
    earlier = verify(db_target, "--expect", d1[:12].upper())
    assert earlier.returncode == 0, earlier.stderr
    assert ("它是 2026Q1 的校验码（校验码链第 1 个，共 2 个）；"
            "其后锁定的 1 个季度不在这个校验码的担保之内") in earlier.stdout
    wrong = ("0" if d4[0] != "0" else "1") + d4[1:]
    bad = verify(db_target, "--expect", wrong)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.splitlines() == [f"没有一个锁定季度的校验码是 {wrong}…（校验码链最后一个是 {d4[:12]}…）："
                                       "请核对会议记录上的校验码；若抄写无误，则校验码链在签字后被改写"]
    for text, says in ((d4[:11], "请至少写出校验码的前 12 位"), ("xyz" + d4[3:], "0-9、a-f"),
                       (d4 + "00", "64 位")):
        refused = verify(db_target, "--expect", text)
        assert refused.returncode == 1 and says in refused.stderr and "Traceback" not in refused.stderr


def test_a_whole_rechained_history_passes_verify_but_not_the_signed_digest(branch, db_target):
    """Someone with the file rewrites Q1, recomputes both digests and the audit lines: the chain
    is consistent again, and only the digest printed on the signed minute shows it."""
    import json

    from db.digest import canonical_quarter, digest_of
    from db.tables import Lock, Quarter

    st = branch.store
    signed = st.lock_of(QuarterRef(2026, 4)).digest
    with st.engine.begin() as conn:
        drop_guards(conn)
        conn.exec_driver_sql(f"UPDATE entry SET points = '9' WHERE id = {branch.plain}")
        with Session(bind=conn) as s:
            prev = ""
            for lock in s.exec(select(Lock).order_by(col(Lock.id))):
                q = s.get(Quarter, lock.quarter_id)
                text = canonical_quarter(s, q, prev, locked_at=lock.locked_at)
                d = digest_of(text)
                conn.execute(sa.text("UPDATE \"lock\" SET canonical = :c, digest = :d, previous_digest = :p "
                                     "WHERE id = :i"), dict(c=text, d=d, p=prev, i=lock.id))
                conn.execute(sa.text("UPDATE audit_log SET detail = :t WHERE action = 'locked' AND quarter_id = :q"),
                             dict(t=json.dumps({"digest": d, "previous": prev}), q=q.id))
                prev = d
    assert verify(db_target).returncode == 0
    caught = verify(db_target, "--expect", signed)
    assert caught.returncode == 1 and "则校验码链在签字后被改写" in caught.stderr


def test_the_guards_come_with_the_upgrade_and_go_with_the_downgrade(branch):
    """A database of the previous schema (0002) with locked quarters takes revision 0003's guards."""
    from alembic import command

    from db.engine import _alembic_config, migrate

    engine = branch.store.engine
    edit = "UPDATE scheme_year SET scheme_id = scheme_id WHERE year = 2026"
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql(edit)  # no guard at 0002
    migrate(engine)
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="jifen: quarter is locked"):
        conn.exec_driver_sql(edit)
    assert branch.store.verify() == []
