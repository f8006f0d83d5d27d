"""Writes from several programs at once: every store operation is one serialized write.

Two consoles, a console and a command, or a crashed console's successor may write to the
same database at the same moment (db.writer keeps one console per database, but commands and
scripts do not ask it). Each test starts real processes (multiprocessing, spawn) that open
the database themselves, and runs on SQLite and on PostgreSQL (`db_target`).

What must hold: the checks an operation makes and the rows it writes are one write
transaction, holding the write lock from its first statement; whoever loses a race, or waits
too long for another program's write, gets one Chinese sentence saying what to do, never a
raw database error, and nothing is changed by the refused operation.
"""

from __future__ import annotations

import multiprocessing
import random
import shutil
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import WRITE_WAIT_SECONDS, open_engine
from db.errors import StoreError
from db.store import BUSY, CHANGED, MeetingFacts, Store, refusal_of
from db.tables import Member

YEAR, Q = 2026, 1
SCHEME = "xinmi-hospital-2023"
MEMBERS = 30
SPAWN = multiprocessing.get_context("spawn")


# --- processes -------------------------------------------------------------------------------------


def _act(role: str, target: str, arg: Any) -> Any:
    """One operation of a worker, on its own engine; runs in the child process."""
    store = Store(open_engine(target), role)
    try:
        store.quarter(QuarterRef(YEAR, Q))  # connected, schema checked: the race starts at the operation itself
        return store, arg
    except BaseException:
        store.engine.dispose()
        raise


def _run(role: str, store: Store, arg: Any) -> Any:
    if role == "lock":
        return store.lock(QuarterRef(YEAR, Q))
    if role == "contest":
        return store.contest_entry(arg, "王五", "本季度没有参加该活动")
    if role == "member":
        return store.add_members([{"name": arg, "status": "full", "birth_month": "1980-01"}])
    raise AssertionError(role)


def _worker(role: str, pipe: Any, barrier: Any) -> None:
    """Loop: receive (target, arg, delay), get ready, meet the other worker at the barrier,
    wait `delay` seconds, act; send back ("ok", result), ("refused", text) or ("raw", traceback)."""
    while True:
        job = pipe.recv()
        if job is None:
            return
        target, arg, delay = job
        store = None
        try:
            store, arg = _act(role, target, arg)
            barrier.wait(timeout=60)
            time.sleep(delay)
            out: tuple[str, Any] = ("ok", _run(role, store, arg))
        except StoreError as exc:
            out = ("refused", str(exc))
        except BaseException:
            out = ("raw", traceback.format_exc())
        finally:
            if store is not None:
                store.engine.dispose()
        pipe.send(out)


class Pair:
    """Two worker processes that act at the same moment, round after round."""

    def __init__(self, first: str, second: str):
        self.barrier = SPAWN.Barrier(2)
        self.pipes = []
        self.procs = []
        for role in (first, second):
            ours, theirs = SPAWN.Pipe()
            proc = SPAWN.Process(target=_worker, args=(role, theirs, self.barrier), daemon=True)
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)

    def round(self, target: str, args: tuple[Any, Any], delays: tuple[float, float]) -> list[tuple[str, Any]]:
        for pipe, arg, delay in zip(self.pipes, args, delays, strict=True):
            pipe.send((target, arg, delay))
        out = []
        for pipe in self.pipes:
            assert pipe.poll(120), "a worker did not answer within two minutes"
            out.append(pipe.recv())
        return out

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


@pytest.fixture
def pair_factory():
    pairs: list[Pair] = []

    def make(first: str, second: str) -> Pair:
        pairs.append(Pair(first, second))
        return pairs[-1]

    yield make
    for p in pairs:
        p.close()


# --- databases -------------------------------------------------------------------------------------


def meeting_ready(target: str) -> int:
    """A branch of 30 full members, one 1-point deduction each in 2026Q1 (申报), the meeting
    open with host and recorder and everyone present: the quarter may be locked. Returns the
    first member's entry, the one the other console contests."""
    st = Store(open_engine(target), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), YEAR)
    ids = st.add_members([{"name": f"党员{i:02d}", "status": "full"} for i in range(MEMBERS)])
    entries = st.add_entries(YEAR, [dict(quarter=Q, member_id=m, kind="deduction", points=1, item="K3.1", month=2)
                                    for m in ids])
    st.open_meeting(QuarterRef(YEAR, Q), MeetingFacts(held_at=datetime(2026, 3, 28, 9), place="三楼会议室",
                                          host="张书记", recorder="李委员", agenda="表决有异议事项"))
    st.roll_call_rest(QuarterRef(YEAR, Q))
    assert st.lock_problems(QuarterRef(YEAR, Q)) == []
    st.engine.dispose()
    return entries[0]


class Copies:
    """Fresh copies of one prepared database: a file copy on SQLite, CREATE DATABASE ...
    TEMPLATE on PostgreSQL (both far quicker than preparing it again)."""

    def __init__(self, target: str, tmp_path: Path):
        self.target, self.tmp_path, self.n = target, tmp_path, 0

    def new(self) -> str:
        self.n += 1
        if "://" not in self.target:
            copy = self.tmp_path / f"round{self.n}.db"
            shutil.copyfile(self.target, copy)  # the engine was disposed: no WAL is left beside it
            return str(copy)
        url = sa.engine.make_url(self.target)
        name = f"{url.database}_r{self.n}"
        admin = sa.create_engine(url.set(drivername="postgresql+psycopg", database="postgres"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"')
        admin.dispose()
        return url.set(database=name).render_as_string(hide_password=False).replace("+psycopg", "")


def raw_errors(results: list[tuple[str, Any]]) -> list[str]:
    return [text for kind, text in results if kind == "raw"]


# --- the lock against a contest ---------------------------------------------------------------------


def test_the_lock_and_a_contest_at_the_same_moment_never_freeze_an_unvoted_objection(db_target, tmp_path,
                                                                                      pair_factory):
    """50 rounds: process A locks 2026Q1 while process B contests an entry of it. Either the
    lock won (the quarter is locked, the entry 已确认, the contest refused because the quarter
    is locked) or the contest won (the entry 有异议, the quarter still at its meeting, the lock
    refused because of the unvoted objection). Never both, never a raw error."""
    entry = meeting_ready(db_target)
    copies = Copies(db_target, tmp_path)
    pair = pair_factory("lock", "contest")
    rng = random.Random(11)
    outcomes = {"lock": 0, "contest": 0}
    for n in range(50):
        target = copies.new()
        # Each side starts within 0-30 ms of the other: sometimes the contest comes first,
        # sometimes the lock, sometimes inside the lock's own work.
        delays = (rng.uniform(0, 0.03), rng.uniform(0, 0.03))
        (lock_kind, lock_out), (contest_kind, contest_out) = results = pair.round(target, (None, entry), delays)
        assert not raw_errors(results), f"round {n}: {raw_errors(results)}"
        st = Store(open_engine(target))
        state = st.quarter(QuarterRef(YEAR, Q)).state
        status = next(e.status for e in st.entries(QuarterRef(YEAR, Q)) if e.id == entry)
        objections = st.objections(QuarterRef(YEAR, Q))
        if lock_kind == "ok":
            assert contest_kind == "refused", f"round {n}: both won"
            assert contest_out == "2026年第一季度已锁定，不能再修改"
            assert (state, status, objections) == ("locked", "已确认", [])
            assert st.verify() == []
            outcomes["lock"] += 1
        else:
            assert lock_kind == "refused" and contest_kind == "ok", f"round {n}: {results}"
            assert lock_out == "不能锁定：还有1项有异议的事项没有表决"
            assert (state, status) == ("meeting", "有异议")
            assert [(o.entry_id, o.raised_by) for o in objections] == [(entry, "王五")]
            assert st.lock_of(QuarterRef(YEAR, Q)) is None
            outcomes["contest"] += 1
        st.engine.dispose()
    print(f"lock won {outcomes['lock']} rounds, the contest {outcomes['contest']}")


# --- the same member added twice at once ------------------------------------------------------------


def test_two_programs_adding_the_same_member_at_once_one_wins(db_target, pair_factory):
    """Two processes add 党员「赵六n」 (born 1980-01) at the same moment, 12 rounds: one adds
    them, the other is told they are already on the roster; the roster holds them once."""
    meeting_ready(db_target)
    pair = pair_factory("member", "member")
    rng = random.Random(7)
    for n in range(12):
        name = f"赵六{n}"
        results = pair.round(db_target, (name, name), (rng.uniform(0, 0.01), rng.uniform(0, 0.01)))
        assert not raw_errors(results), f"round {n}: {raw_errors(results)}"
        assert sorted(kind for kind, _ in results) == ["ok", "refused"], f"round {n}: {results}"
        refused = next(text for kind, text in results if kind == "refused")
        assert refused == f"第1人：“{name}”已在名册中"
    st = Store(open_engine(db_target))
    names = [m.name for m in st.members()]
    assert [x for x in names if x.startswith("赵六")] == [f"赵六{n}" for n in range(12)]
    assert len(names) == MEMBERS + 12
    assert [m.seq for m in st.members()] == list(range(1, MEMBERS + 13))


# --- a write while another program holds a long write transaction ------------------------------------


def _hold_write(target: str, held: Any, release: Any) -> None:
    """Open a write transaction (a member added), say so, and keep it open until told."""
    store = Store(open_engine(target), "另一个控制台")
    with store._tx() as s:
        s.add(Member(branch_id=1, seq=999, name="长事务", status="full"))
        s.flush()
        held.set()
        release.wait(60)
    store.engine.dispose()


def test_a_write_waits_for_a_long_write_then_is_refused_in_chinese_and_changes_nothing(db_target):
    entry = meeting_ready(db_target)
    st = Store(open_engine(db_target), "书记")
    before = (st.members(), st.audit(), st.entries(QuarterRef(YEAR, Q)))
    held, release = SPAWN.Event(), SPAWN.Event()
    holder = SPAWN.Process(target=_hold_write, args=(db_target, held, release), daemon=True)
    holder.start()
    try:
        assert held.wait(60), "the holder never began its transaction"
        # A read never waits for the writer (a read-only console keeps drawing its board).
        t0 = time.monotonic()
        assert len(st.members()) == MEMBERS
        st.board(YEAR)
        assert time.monotonic() - t0 < 1.5
        for action in (lambda: st.add_members([{"name": "孙七", "status": "full"}]),
                       lambda: st.contest_entry(entry, "王五", "不属实"),
                       lambda: st.lock(QuarterRef(YEAR, Q))):
            t0 = time.monotonic()
            with pytest.raises(StoreError) as info:
                action()
            waited = time.monotonic() - t0
            assert str(info.value) == BUSY == "数据库正忙（另一个程序正在写入），请稍后再试；未做任何改动"
            assert WRITE_WAIT_SECONDS - 0.5 < waited < WRITE_WAIT_SECONDS + 3
        assert (st.members(), st.audit(), st.entries(QuarterRef(YEAR, Q))) == before
        assert st.quarter(QuarterRef(YEAR, Q)).state == "meeting"
    finally:
        release.set()
        holder.join(30)
    assert holder.exitcode == 0
    # Once the holder commits, the database is free again and holds its member.
    st.add_members([{"name": "孙七", "status": "full"}])
    assert [m.name for m in st.members()][-2:] == ["孙七", "长事务"]  # the holder wrote seq 999


# --- constraints and the mapping of database errors --------------------------------------------------


def test_a_constraint_met_inside_a_write_is_a_chinese_refusal(db_target):
    meeting_ready(db_target)
    st = Store(open_engine(db_target), "书记")
    with pytest.raises(StoreError) as info, st._tx() as s:
        # what a race on the roster would write without the store's own check
        s.add(Member(branch_id=1, seq=31, name="党员00", birth_month="", status="full"))
    assert str(info.value) == CHANGED == "该记录刚被另一个控制台（或命令）修改，请刷新后再试；未做任何改动"
    assert len(st.members()) == MEMBERS


def test_database_errors_become_one_chinese_sentence():
    """What each database error met while writing is called (all of them: nothing written)."""
    import sqlite3

    def wrapped(cls: type[sa.exc.DBAPIError], orig: Exception) -> sa.exc.DBAPIError:
        return cls("INSERT ...", {}, orig)

    assert refusal_of(wrapped(sa.exc.OperationalError, sqlite3.OperationalError("database is locked"))) == BUSY
    assert refusal_of(wrapped(sa.exc.IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed"))) == CHANGED
    assert refusal_of(wrapped(sa.exc.OperationalError, sqlite3.OperationalError("disk I/O error"))) == (
        "写入数据库时出错（disk I/O error），未做任何改动；请稍后再试，如仍出错请联系管理员")


# --- imports: checked outside the write, written in one short transaction --------------------------------


def _rows(ids: list[int], n: int) -> list[dict[str, Any]]:
    return [dict(quarter=2, member_id=ids[i % len(ids)], kind="deduction", points=1, item="K3.1", month=5)
            for i in range(n)]


def test_many_entries_are_one_insert_and_one_audit_line(db_target):
    meeting_ready(db_target)
    st = Store(open_engine(db_target), "书记")
    ids = [m.id for m in st.members()]
    log = len(st.audit())
    added = st.add_entries(YEAR, _rows(ids, 500), where=[f"积分.csv 第{n}行" for n in range(2, 502)])
    assert len(added) == 500 and added == sorted(added)
    got = st.entries(QuarterRef(YEAR, 2))
    assert [e.id for e in got] == added
    assert [e.member_id for e in got] == [ids[i % MEMBERS] for i in range(500)]
    assert {(e.note, e.status, e.entered_by) for e in got} == {("不按时按标准缴纳党费", "申报", "书记")}
    lines = st.audit()[log:]
    assert [(a.action, a.quarter_id) for a in lines] == [("entries_added", st.quarter(QuarterRef(YEAR, 2)).id)]
    assert '"count": 500' in lines[0].detail


def after_the_first_check(monkeypatch: pytest.MonkeyPatch, action: Callable[[], object]) -> list[int]:
    """Run `action` (another console's write) once, right after the import's first check and
    before its write; the returned list grows by one per check the import makes."""
    plan = Store._plan_entries
    calls: list[int] = []

    def plan_then_act(self: Store, *args: Any) -> Any:
        out = plan(self, *args)
        if not calls:
            action()
        calls.append(1)
        return out

    monkeypatch.setattr(Store, "_plan_entries", plan_then_act)
    return calls


def test_a_change_between_the_checks_and_the_write_is_checked_again(db_target, monkeypatch):
    """Another console renames a member after the import checked its rows but before it wrote
    them: the write sees the roster changed and checks the rows again before it writes."""
    meeting_ready(db_target)
    st = Store(open_engine(db_target), "书记")
    other = Store(open_engine(db_target), "另一个控制台")
    ids = [m.id for m in st.members()]
    calls = after_the_first_check(monkeypatch, lambda: other.update_member(ids[1], name="党员01甲"))
    log = len(st.audit())
    assert len(st.add_entries(YEAR, _rows(ids, 40))) == 40
    assert len(calls) == 2
    assert [a.action for a in st.audit()[log:]] == ["member_updated", "entries_added"]


def test_a_change_that_the_checks_do_not_read_needs_no_second_check(db_target, monkeypatch):
    meeting_ready(db_target)
    st = Store(open_engine(db_target), "书记")
    other = Store(open_engine(db_target), "另一个控制台")
    ids = [m.id for m in st.members()]
    # A roll call is not what an entry's checks read.
    calls = after_the_first_check(monkeypatch, lambda: other.roll_call(QuarterRef(YEAR, Q), ids[0], False, "病假"))
    assert len(st.add_entries(YEAR, _rows(ids, 40))) == 40
    assert len(calls) == 1


def test_a_quarter_locked_between_the_checks_and_the_write_is_refused(db_target, monkeypatch):
    meeting_ready(db_target)
    st = Store(open_engine(db_target), "书记")
    other = Store(open_engine(db_target), "另一个控制台")
    ids = [m.id for m in st.members()]
    after_the_first_check(monkeypatch, lambda: other.lock(QuarterRef(YEAR, Q)))
    rows = [dict(quarter=Q, member_id=ids[0], kind="deduction", points=1, item="K3.1", month=3)]
    with pytest.raises(StoreError) as info:
        st.add_entries(YEAR, rows, where=["积分.csv 第2行"])
    assert str(info.value) == "积分.csv 第2行：2026年第一季度已锁定，不能再修改"
    assert len(st.entries(QuarterRef(YEAR, Q))) == MEMBERS
    assert st.verify() == []
