"""Integrity on real database files: pragmas, migrations, lock guards, the digest chain,
`jifen verify`, a process killed mid-meeting, and the anonymity of ballots."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.errors import StoreError
from db.store import MeetingFacts, Store

ROOT = Path(__file__).resolve().parents[2]
JIFEN = Path(sys.executable).parent / "jifen"
X = "xinmi-hospital-2023"


def new_store(path: Path, n: int = 5) -> tuple[Store, list[int]]:
    st = Store(open_engine(path), "书记")
    st.init_branch("第一党支部", X, builtin_text(X), 2026)
    ids = st.add_members([dict(name=f"党员{i}", status="full") for i in range(n)])
    return st, ids


def hold_and_lock(st: Store, ids: list[int], q: int) -> str:
    st.add_entry(QuarterRef(2026, q), ids[0], "bonus", 2, item="J6.3")
    st.open_meeting(QuarterRef(2026, q), MeetingFacts(datetime(2026, q * 3, 20, 14, 30), "活动室", "甲", "乙", "列席人",
                                                      "议题"))
    for i in ids:
        st.roll_call(QuarterRef(2026, q), i, True)
    return st.lock(QuarterRef(2026, q))


def test_every_connection_gets_wal_full_sync_and_foreign_keys(tmp_path):
    st, _ = new_store(tmp_path / "b.db")
    with st.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_new_file_gets_the_schema_and_reopening_changes_nothing(tmp_path):
    path = tmp_path / "b.db"
    new_store(path)
    before = sqlite3.connect(path).execute("SELECT version_num FROM alembic_version").fetchall()
    Store(open_engine(path)).members()
    assert sqlite3.connect(path).execute("SELECT version_num FROM alembic_version").fetchall() == before == [("0008",)]


def test_a_database_from_a_newer_program_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "b.db"
    new_store(path)
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.commit()
    con.close()
    size = path.stat().st_size
    with pytest.raises(StoreError, match="更新版本的 jifen"):
        open_engine(path)
    assert sqlite3.connect(path).execute("SELECT version_num FROM alembic_version").fetchone() == ("9999_future",)
    assert path.stat().st_size == size


def test_after_the_lock_the_database_itself_refuses_changes(tmp_path):
    path = tmp_path / "b.db"
    st, ids = new_store(path)
    hold_and_lock(st, ids, 1)
    con = sqlite3.connect(path)
    for sql in ("UPDATE entry SET points = '9'", "DELETE FROM entry", "DELETE FROM roll_call",
                "UPDATE meeting SET host = '丙'", "UPDATE quarter SET state = 'open' WHERE number = 1",
                "INSERT INTO entry"
                " (quarter_id, member_id, kind, points, note, evidence, status, entered_at, entered_by)"
                f" VALUES (1, {ids[1]}, 'bonus', '5', '', '', '申报', '2026-01-01', '')",
                "UPDATE lock SET digest = 'x'", "DELETE FROM lock", "DELETE FROM audit_log",
                "UPDATE audit_log SET actor = 'x'"):
        with pytest.raises(sqlite3.DatabaseError, match=r"jifen: (quarter is locked|append-only)"):
            con.execute(sql)
    # The open quarters still take changes.
    con.execute("UPDATE quarter SET state = 'open' WHERE number = 2")


def test_locks_chain_their_digests(tmp_path):
    st, ids = new_store(tmp_path / "b.db")
    d1 = hold_and_lock(st, ids, 1)
    d2 = hold_and_lock(st, ids, 2)
    l1, l2 = st.lock_of(QuarterRef(2026, 1)), st.lock_of(QuarterRef(2026, 2))
    assert len(d1) == len(d2) == 64 and d1 != d2
    assert l1.previous_digest == "" and l2.previous_digest == d1
    assert st.verify() == []


def run_verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(JIFEN), "verify", "--db", str(path)], capture_output=True, text=True)


def test_verify_names_the_quarter_changed_behind_the_programs_back(tmp_path):
    path = tmp_path / "b.db"
    st, ids = new_store(path)
    hold_and_lock(st, ids, 1)
    hold_and_lock(st, ids, 2)
    ok = run_verify(path)
    assert ok.returncode == 0 and "已锁定 2 个季度" in ok.stdout
    con = sqlite3.connect(path)
    con.executescript("DROP TRIGGER entry_locked_update; DROP TRIGGER entry_locked_move;")
    con.execute("UPDATE entry SET points = '7' WHERE quarter_id = (SELECT id FROM quarter WHERE number = 2)")
    con.commit()
    bad = run_verify(path)
    assert bad.returncode == 1
    assert bad.stdout == ""
    lines = bad.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("2026Q2：校验码不符：积分事项在锁定后被改动")


def test_verify_notices_a_rewritten_roll_call_and_a_broken_chain(tmp_path):
    path = tmp_path / "b.db"
    st, ids = new_store(path)
    hold_and_lock(st, ids, 1)
    hold_and_lock(st, ids, 2)
    con = sqlite3.connect(path)
    con.executescript("DROP TRIGGER roll_call_locked_update; DROP TRIGGER roll_call_locked_move;"
                      "DROP TRIGGER lock_append_only_update;")
    con.execute("UPDATE roll_call SET present = 0, reason = '病假' WHERE quarter_id = 1 AND member_id = ?", (ids[2],))
    con.execute("UPDATE lock SET previous_digest = 'f00d' WHERE quarter_id = 2")
    con.commit()
    lines = run_verify(path).stderr.splitlines()
    assert any(x.startswith("2026Q1：校验码不符：签到在锁定后被改动") for x in lines)
    assert any(x.startswith("2026Q2：校验码链断开") for x in lines)


KILLED_MEETING = textwrap.dedent('''
    import sys, time
    from datetime import datetime
    from db.engine import open_engine
    from core.quarter import QuarterRef
    from db.store import Store, MeetingFacts
    st = Store(open_engine(sys.argv[1]), "书记")
    done = open(sys.argv[2], "a", buffering=1)
    ids = [m.id for m in st.members()]
    st.open_meeting(QuarterRef(2026, 1), MeetingFacts(datetime(2026, 3, 27, 14, 30), "活动室", "甲", "乙"))
    done.write("open\\n")
    for i in ids:
        st.roll_call(QuarterRef(2026, 1), i, True)
        done.write(f"roll {i}\\n")
    st.contest_entry(int(sys.argv[3]), "甲", "证明材料不全")
    done.write("contest\\n")
    k = 0
    while True:  # ballots until killed
        st.add_ballot(QuarterRef(2026, 1), {i: "合格" for i in ids})
        k += 1
        done.write(f"ballot {k}\\n")
        time.sleep(0.01)
''')


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_killed_mid_meeting_loses_nothing_committed_and_the_meeting_resumes(tmp_path):
    path = tmp_path / "b.db"
    st, ids = new_store(path, n=8)
    entry = st.add_entry(QuarterRef(2026, 1), ids[0], "deduction", 1, item="K3.1")
    log = tmp_path / "done.txt"
    script = tmp_path / "meeting.py"
    script.write_text(KILLED_MEETING, encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), str(path), str(log), str(entry)], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.time() + 60
    while time.time() < deadline:
        if log.exists() and log.read_text().count("ballot") >= 5:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    done = log.read_text().splitlines()
    ballots_done = sum(1 for line in done if line.startswith("ballot"))
    assert "contest" in done and ballots_done >= 5

    # Reopen as the console would after the power came back.
    again = Store(open_engine(path), "书记")
    assert again.quarter(QuarterRef(2026, 1)).state == "meeting"
    q = again.quorum(QuarterRef(2026, 1))
    assert q.present == 8 and q.has_quorum
    assert [e.status for e in again.entries(QuarterRef(2026, 1))] == ["有异议"]
    summary = again.ballot_summary(QuarterRef(2026, 1))
    # Every ballot reported done is there; at most one more was committed before its line was written.
    assert ballots_done <= summary["returned"] <= ballots_done + 1
    # The meeting carries on where it was: vote, lock, verify.
    assert again.vote(entry, 6, 1, 1).passed
    again.lock(QuarterRef(2026, 1))
    assert again.verify() == []


def test_ratings_cannot_be_traced_to_a_rater_from_the_database(tmp_path):
    path = tmp_path / "b.db"
    st, ids = new_store(path, n=6)
    st.open_meeting(QuarterRef(2026, 1), MeetingFacts(datetime(2026, 3, 27, 14, 30), "活动室", "甲", "乙"))
    for i in ids:
        st.roll_call(QuarterRef(2026, 1), i, True)
    # Six ballots in a known order: ballot k rates member ids[0] with the k-th label.
    order = ["优秀", "合格", "基本合格", "不合格", "优秀", "合格"]
    for label in order:
        st.add_ballot(QuarterRef(2026, 1), {i: (label if i == ids[0] else "合格") for i in ids})
    con = sqlite3.connect(path)
    # The ballot table holds nothing but a random id, the quarter, the round and the marks.
    columns = [row[1] for row in con.execute("PRAGMA table_info(ballot)")]
    assert columns == ["id", "quarter_id", "round", "marks", "void"]
    # No rowid to betray the order of entry, and ids are random (not increasing with the order).
    with pytest.raises(sqlite3.OperationalError):
        con.execute("SELECT rowid FROM ballot")
    ids_in_storage = [r[0] for r in con.execute("SELECT id FROM ballot")]
    assert ids_in_storage == sorted(ids_in_storage)  # stored by the random key
    stored_order = [json.loads(r[0])[str(ids[0])] for r in con.execute("SELECT marks FROM ballot")]
    assert sorted(stored_order) == sorted(order)
    # No other table mentions a ballot: nothing joins a ballot to a person or a time.
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        cols = [row[1] for row in con.execute(f"PRAGMA table_info('{table}')")]
        if table != "ballot":
            assert not any("ballot_id" in c for c in cols), table
    # The audit log says a ballot was added, never what it said or which it was.
    details = [r[0] for r in con.execute("SELECT detail FROM audit_log WHERE action = 'ballot_added'")]
    assert len(details) == 6
    for d in details:  # not even whether it was blank: the time of a blank ballot would name it
        assert set(json.loads(d)) == {"round"}
    # The newest ballot can be taken back, yet the slot names no ballot (tests/db/test_ballot_order.py);
    # the lock clears it.
    slots = con.execute("SELECT payload FROM undo_slot").fetchall()
    assert len(slots) == 1
    assert not any(bid in slots[0][0] for bid in ids_in_storage)
    st.lock(QuarterRef(2026, 1))
    assert con.execute("SELECT COUNT(*) FROM undo_slot").fetchone() == (0,)
    # And the digest covers counts, not ballots.
    canonical = json.loads(st.lock_of(QuarterRef(2026, 1)).canonical)
    assert canonical["ratings"]["1"][str(ids[0])] == {"优秀": 2, "合格": 2, "基本合格": 1, "不合格": 1}
    assert canonical["ballots"] == {"1": {"returned": 6, "blank": 0}}


def test_demo_command_builds_the_hospital_branch(tmp_path):
    path = tmp_path / "demo.db"
    done = subprocess.run([str(JIFEN), "demo", "--db", str(path), "--no-tui"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    st = Store(open_engine(path))
    members = st.members()
    assert st.branch_name() == "新密市中医院第一党支部"
    assert len(members) == 24
    assert sum(m.status == "probationary" for m in members) == 3
    # xinmi has no exemption from points management: 罗志刚 (长期病休) is excused from the meetings only,
    # so he is scored and on the ballot like everyone else, and the store refuses to make him exempt.
    assert st.scheme(2026).exemption is None
    assert [m.name for m in members if m.exempt] == []
    assert [m.name for m in members if m.meeting_exempt] == ["罗志刚"]
    assert [m.name for m in st.graded_members(2026)] == [m.name for m in members]
    luo = next(m for m in members if m.name == "罗志刚")
    with pytest.raises(StoreError, match="不能设为免于积分管理"):
        st.update_member(luo.id, exempt=True)
    assert [q.state for q in st.quarters(2026)] == ["locked", "locked", "locked", "open"]
    for q in (1, 2, 3):
        mt = st.meeting(QuarterRef(2026, q))
        assert mt.host and mt.recorder and mt.observers and mt.place
        quorum = st.quorum(QuarterRef(2026, q))
        # 24 on the roll less 罗志刚 = 23 expected; 2 away (core ABSENT), 21 present
        assert (quorum.expected, quorum.present, quorum.absent) == (23, 21, 2) and quorum.has_quorum
        assert st.entries(QuarterRef(2026, q), member_id=luo.id) == []  # away all year: nothing recorded
        assert [v.passed for v in st.votes(QuarterRef(2026, q))] == [True, False]
    assert any(a.reason == "病假" for a in st.quorum(QuarterRef(2026, 3)).absentees)
    q4 = st.entries(QuarterRef(2026, 4))
    assert sum(e.status == "有异议" for e in q4) == 3
    assert all(e.item_code and st.scheme(2026).item(e.item_code) for e in q4)
    assert st.ballot_summary(QuarterRef(2026, 4))["returned"] == 0
    assert st.verify() == []
    # A second run onto the same file is refused, the file untouched.
    again = subprocess.run([str(JIFEN), "demo", "--db", str(path), "--no-tui"], capture_output=True, text=True)
    assert again.returncode == 1 and "已存在" in again.stderr


def test_the_programs_list_of_schema_revisions_matches_the_migration_scripts():
    from db.engine import SCHEMA_REVISIONS, known_revisions, schema_heads

    assert set(SCHEMA_REVISIONS) == known_revisions()
    assert schema_heads() == {SCHEMA_REVISIONS[-1]}
