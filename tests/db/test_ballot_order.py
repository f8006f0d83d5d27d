"""Nobody can put the ballots back in the order they were entered from what the store leaves.

The adversary enters nothing and guesses nothing: the test enters ballots of distinct content in a
known order (and takes a few back), then reads the raw bytes of every file the store leaves (main
database, -wal, -shm, -journal) and, on PostgreSQL, what any SQL user sees (the plain SELECT's order,
ctid, xmin) and the table's data files. For every way of placing a ballot it can think of (where
its id or its marks first and last occur in each file, which WAL frame or page holds it, how often
it occurs) it counts the pairs of ballots that come out in entry order. Random order gives one half;
the test wants every measure between LOW and HIGH, at two moments: right after the last ballot
with the console still open, and after the entering process was SIGKILLed in the middle of it.

The same attack on the store before issue 11 (commit 8fe663a: one INSERT per ballot, the undo
slot naming the newest id, no checkpoint, no secure_delete) gave, with 60 ballots:
  SQLite, console open: first WAL frame holding a ballot's id or marks 1.000 (all 1770 pairs in
  entry order), occurrences of the id in the WAL 0.983; the undone ballots readable in the WAL.
  The main file once checkpointed: first offset of the id 0.075 (the quarter_id index's page, its
  cells at decreasing offsets in entry order: the order reversed).
  SQLite, killed after 71 ballots: first WAL frame 1.000.
  PostgreSQL: plain SELECT order 1.000, ctid 1.000, xmin 1.000; page of the tuple in the heap file
  0.81.
A random layout falls outside [0.35, 0.65] for 60 ballots with probability about 7e-4 (Kendall's
tau, sd 0.044 for the share); every measure here follows the random ids, so a run draws a handful
of independent permutations.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.store import MeetingFacts, Store
from db.tables import Ballot, UndoSlot

ROOT = Path(__file__).resolve().parents[2]
SCHEME = "xinmi-hospital-2023"
MEMBERS = 12
KEPT = 60
UNDO_AFTER = (9, 24, 41)  # after the kept ballot at this index one more ballot is entered and taken back
LOW, HIGH = 0.35, 0.65
LABELS = ("优秀", "合格", "基本合格", "不合格")
FILES = ("", "-wal", "-shm", "-journal")


def contents(n: int, seed: int) -> list[list[str]]:
    """n distinct valid ballots (at most 4 of 12 rated 优秀, the scheme's 1/3)."""
    rng, seen, out = random.Random(seed), set(), []
    while len(out) < n:
        labels = tuple(rng.choice(LABELS) for _ in range(MEMBERS))
        if labels.count("优秀") <= 4 and labels not in seen:
            seen.add(labels)
            out.append(list(labels))
    return out


def marks_text(member_ids: Sequence[int], labels: Sequence[str]) -> str:
    """The marks as the ballot table stores them (checked against the stored rows below)."""
    return json.dumps({str(k): v for k, v in sorted(zip(member_ids, labels, strict=True))}, ensure_ascii=False)


def share_in_order(positions: Sequence[Any]) -> tuple[float, int]:
    """Positions of ballots listed in entry order (None: not found). The share of pairs of found
    ballots whose positions are in entry order, a tie counting one half; and how many were found."""
    found = [p for p in positions if p is not None]
    pairs = in_order = 0.0
    for i in range(len(found)):
        for j in range(i + 1, len(found)):
            pairs += 1
            in_order += 1 if found[i] < found[j] else 0.5 if found[i] == found[j] else 0
    return (in_order / pairs if pairs else 0.5), len(found)


def occurrences(data: bytes, key: bytes) -> list[int]:
    out, at = [], data.find(key)
    while at >= 0:
        out.append(at)
        at = data.find(key, at + 1)
    return out


def byte_measures(files: dict[str, bytes], keys: dict[str, list[bytes]], page: int) -> dict[str, tuple[float, int]]:
    """Every placement of a ballot in the raw bytes the attack tries, as (share in order, found)."""
    out = {}
    for name, data in files.items():
        for kind, ks in keys.items():
            places = [occurrences(data, k) for k in ks]
            first = [p[0] if p else None for p in places]
            last = [p[-1] if p else None for p in places]
            measures: dict[str, list[Any]] = {"first offset": first, "last offset": last,
                                              "occurrences": [-len(p) if p else None for p in places]}
            if name == "-wal":  # 32-byte header, then frames of a 24-byte header and one page
                measures["first frame"] = [None if o is None else (o - 32) // (page + 24) for o in first]
                measures["last frame"] = [None if o is None else (o - 32) // (page + 24) for o in last]
            else:
                measures["first page"] = [None if o is None else o // page for o in first]
                measures["last page"] = [None if o is None else o // page for o in last]
            for how, positions in measures.items():
                out[f"{name or 'main'} {kind} {how}"] = share_in_order(positions)
    return out


def assert_untraceable(measures: dict[str, tuple[float, int]], least: int) -> None:
    """Each measure that places at least `least` ballots stays near one half."""
    shown = "\n".join(f"  {k}: {v[0]:.3f} of {v[1]}" for k, v in sorted(measures.items()))
    bad = {k: v for k, v in measures.items() if v[1] >= least and not LOW <= v[0] <= HIGH}
    assert not bad, f"entry order recoverable:\n{shown}"


def assert_nowhere(files: dict[str, bytes], secrets_: dict[str, bytes]) -> None:
    for what, needle in secrets_.items():
        for name, data in files.items():
            assert needle not in data, f"{what} readable in {name or 'main'}"


def undone_pieces(undone: list[tuple[str, str]], kept_texts: list[str]) -> dict[str, bytes]:
    """What of an undone ballot could betray it: its id, its marks, and every half of its marks
    that no kept ballot shares (a cell may be cut across pages)."""
    out = {}
    for n, (bid, text) in enumerate(undone):
        if bid:
            out[f"undone ballot {n} id"] = bid.encode()
        raw = text.encode()
        out[f"undone ballot {n} marks"] = raw
        half = len(raw) // 2
        for at in range(0, len(raw) - half + 1, 7):
            piece = raw[at:at + half]
            if not any(piece in k.encode() for k in kept_texts):
                out[f"undone ballot {n} marks[{at}:{at + half}]"] = piece
    return out


# --- the store under attack ---------------------------------------------------------------------


@dataclass
class Meeting:
    target: str
    member_ids: list[int]


def new_meeting(target: str) -> Meeting:
    st = Store(open_engine(target), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), 2026)
    ids = st.add_members([dict(name=f"党员{i:02d}", status="full") for i in range(MEMBERS)])
    st.open_meeting(QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "甲", "乙"))
    for mid in ids:
        st.roll_call(QuarterRef(2026, 4), mid, True)
    st.engine.dispose()
    return Meeting(target, ids)


def enter(st: Store, ids: list[int], kept: list[list[str]], undone: list[list[str]],
          ballot_ids: Callable[[], set[str]], done: Callable[[str], None] = lambda _: None) -> list[str]:
    """Enter the kept ballots in order; after those at UNDO_AFTER, one more that is taken back.
    Returns the ids the undone ballots had (read between entering and undoing)."""
    gone = []
    for k, labels in enumerate(kept):
        st.add_ballot(QuarterRef(2026, 4), dict(zip(ids, labels, strict=True)))
        done(f"k {k}")
        if k in UNDO_AFTER:
            before = ballot_ids()
            st.add_ballot(QuarterRef(2026, 4), dict(zip(ids, undone[UNDO_AFTER.index(k)], strict=True)))
            gone.append("".join(ballot_ids() - before))
            assert st.undo(QuarterRef(2026, 4)) == "已撤销最后录入的一张测评票"
            done(f"u {k}")
    return gone


def ids_reader(target: str) -> Callable[[], set[str]]:
    """The ballot ids now in the database, read on a connection of the test's own."""
    if "://" in target:
        import psycopg

        def pg() -> set[str]:
            with psycopg.connect(target) as c:
                return {r[0] for r in c.execute("SELECT id FROM ballot")}
        return pg

    def lite() -> set[str]:
        con = sqlite3.connect(target)
        try:
            return {r[0] for r in con.execute("SELECT id FROM ballot")}
        finally:
            con.close()
    return lite


# --- SQLite: the files --------------------------------------------------------------------------


def sqlite_snapshot(path: Path, into: Path) -> tuple[dict[str, bytes], sqlite3.Connection]:
    """The bytes of every file beside the database, read once; and a connection on a copy of
    exactly those bytes (opening the original would checkpoint it)."""
    files = {}
    for suffix in FILES:
        f = Path(f"{path}{suffix}")
        if f.exists():
            files[suffix] = f.read_bytes()
    into.mkdir()
    for suffix in ("", "-wal"):
        if suffix in files:
            Path(f"{into / 'copy.db'}{suffix}").write_bytes(files[suffix])
    return files, sqlite3.connect(into / "copy.db")


def rows_named_nothing(con: Any, ids: list[str], texts: list[str]) -> None:
    """No audit row and no undo slot names a ballot (its id or its marks); a ballot's audit row
    says only its round."""
    audit = list(con.execute("SELECT action, detail FROM audit_log"))
    details = [d for action, d in audit if action == "ballot_added"]
    assert details and all(set(json.loads(d)) == {"round"} for d in details)
    logged = [d for _, d in audit] + [r[0] for r in con.execute("SELECT payload FROM undo_slot")]
    for row in logged:
        for bid in ids:
            assert bid not in row
        for text in texts:
            assert text.removeprefix("{").removesuffix("}") not in row


def attack_sqlite(files: dict[str, bytes], con: sqlite3.Connection, meeting: Meeting, kept: list[list[str]],
                  undone: list[tuple[str, str]]) -> dict[str, tuple[float, int]]:
    stored = dict(con.execute("SELECT marks, id FROM ballot"))
    texts = [marks_text(meeting.member_ids, labels) for labels in kept]
    present = [t for t in texts if t in stored]  # in entry order
    assert set(present) == set(stored), "the attack reads back exactly the ballots entered"
    ids = [stored[t] for t in present]
    page = con.execute("PRAGMA page_size").fetchone()[0]
    measures = byte_measures(files, {"id": [i.encode() for i in ids], "marks": [t.encode() for t in present]}, page)
    # All of them sit in the main file or in the WAL: the attack does find them.
    assert all(i.encode() in files[""] + files.get("-wal", b"") for i in ids)
    assert_untraceable(measures, least=20)
    assert_nowhere(files, undone_pieces(undone, texts))
    rows_named_nothing(con, ids + [b for b, _ in undone if b], texts + [t for _, t in undone])
    return measures


CHILD = textwrap.dedent("""
    import json, sys
    from db.engine import open_engine
    from db.store import Store
    from tests.db.test_ballot_order import enter, ids_reader
    target, plan, log = sys.argv[1], json.loads(open(sys.argv[2], encoding="utf-8").read()), open(sys.argv[3], "a")

    def done(line):
        log.write(line + "\\n")
        log.flush()

    enter(Store(open_engine(target), "书记"), plan["ids"], plan["kept"], plan["undone"], ids_reader(target), done)
    done("end")
""")


def enter_until_killed(tmp_path: Path, meeting: Meeting, kept: list[list[str]], undone: list[list[str]],
                       seed: int) -> list[str]:
    """A child process enters the ballots; it is SIGKILLed in the middle, once at least KEPT are
    in, at a random moment within a ballot or two. Returns what it reported done."""
    plan, log, script = tmp_path / "plan.json", tmp_path / "done.txt", tmp_path / "enter.py"
    plan.write_text(json.dumps({"ids": meeting.member_ids, "kept": kept, "undone": undone}), encoding="utf-8")
    script.write_text(CHILD, encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), meeting.target, str(plan), str(log)], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.time() + 120
    while time.time() < deadline and child.poll() is None:
        if log.exists() and log.read_text().count("k ") >= KEPT:
            break
        time.sleep(0.002)
    time.sleep(random.Random(seed).uniform(0, 0.03))
    child.send_signal(signal.SIGKILL)
    child.wait()
    lines = log.read_text().splitlines()
    assert "end" not in lines, "the child finished before it was killed"
    assert sum(1 for line in lines if line.startswith("k ")) >= KEPT
    return lines


# --- PostgreSQL: what an SQL user sees, and the table's files --------------------------------------


def attack_postgres(target: str, meeting: Meeting, kept: list[list[str]], undone: list[tuple[str, str]],
                    least: int) -> dict[str, tuple[float, int]]:
    import psycopg

    texts = [marks_text(meeting.member_ids, labels) for labels in kept]
    with psycopg.connect(target, autocommit=True) as c:
        rows = c.execute("SELECT id, marks, ctid::text, xmin::text::bigint FROM ballot").fetchall()  # no ORDER BY
        by_text = {r[1]: (n, r) for n, r in enumerate(rows)}
        present = [t for t in texts if t in by_text]
        assert set(present) == set(by_text)

        def ctid(s: str) -> tuple[int, int]:
            block, item = s.strip("()").split(",")
            return int(block), int(item)

        measures = {
            "SELECT order": share_in_order([by_text[t][0] for t in present]),
            "ctid": share_in_order([ctid(by_text[t][1][2]) for t in present]),
            "xmin": share_in_order([by_text[t][1][3] for t in present]),
        }
        # The server's administrator reads the data files too: the ballot table's, and every other
        # table of the database, once the server has written its buffers out.
        c.execute("CHECKPOINT")
        data = Path(c.execute("SHOW data_directory").fetchone()[0])
        heap = data / c.execute("SELECT pg_relation_filepath('ballot')").fetchone()[0]
        base = heap.parent
        files = {f.name: f.read_bytes() for f in base.iterdir() if f.is_file() and f.name.split(".")[0].isdigit()}
        ids = [by_text[t][1][0] for t in present]
        heap_bytes = {"ballot heap": heap.read_bytes()}
        measures.update(byte_measures(heap_bytes, {"id": [i.encode() for i in ids],
                                                   "marks": [t.encode() for t in present]}, 8192))
        assert_untraceable(measures, least)
        assert_nowhere(files, undone_pieces(undone, texts))
        rows_named_nothing(c, ids + [b for b, _ in undone if b], texts + [t for _, t in undone])
    return measures


def attack(target: str, seen: Path, meeting: Meeting, kept: list[list[str]],
           undone: list[tuple[str, str]]) -> dict[str, tuple[float, int]]:
    if "://" in target:
        return attack_postgres(target, meeting, kept, undone, least=20)
    files, con = sqlite_snapshot(Path(target), seen)
    measures = attack_sqlite(files, con, meeting, kept, undone)
    con.close()
    return measures


def test_the_files_with_the_console_open_do_not_tell_the_order(db_target, tmp_path):
    meeting = new_meeting(db_target)
    kept, extra = contents(KEPT, 1), contents(KEPT + len(UNDO_AFTER), 1)[KEPT:]
    st = Store(open_engine(db_target), "书记")
    gone = enter(st, meeting.member_ids, kept, extra, ids_reader(db_target))
    undone = [(b, marks_text(meeting.member_ids, labels)) for b, labels in zip(gone, extra, strict=True)]
    # The console is still open (its engine and pooled connections alive) while the files are read.
    attack(db_target, tmp_path / "seen", meeting, kept, undone)
    if "://" not in db_target:  # the WAL is emptied after each ballot: it keeps no history of commits
        assert Path(f"{db_target}-wal").stat().st_size == 0
    assert st.ballot_summary(QuarterRef(2026, 4))["returned"] == KEPT


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_the_files_after_a_kill_mid_entry_do_not_tell_the_order(db_target, tmp_path):
    meeting = new_meeting(db_target)
    kept, extra = contents(KEPT + 40, 2), contents(KEPT + 40 + len(UNDO_AFTER), 2)[KEPT + 40:]
    enter_until_killed(tmp_path, meeting, kept, extra, seed=2)
    # Nobody has opened the database since the kill. The child cannot tell the undone ids: their
    # marks are what the attack looks for.
    undone = [("", marks_text(meeting.member_ids, labels)) for labels in extra]
    attack(db_target, tmp_path / "seen", meeting, kept, undone)
    assert Store(open_engine(db_target)).ballot_summary(QuarterRef(2026, 4))["returned"] >= KEPT


def test_a_reader_holding_a_snapshot_delays_the_clean_up_only_until_the_next_ballot(db_target):
    """A read-only console in the middle of a read can stop the WAL checkpoint (SQLite) or
    VACUUM FULL (PostgreSQL): the ballot is still committed at once, and the next ballot after
    the read cleans up."""
    meeting = new_meeting(db_target)
    kept = contents(3, 5)
    st = Store(open_engine(db_target), "书记")
    pg = "://" in db_target

    def remains() -> Any:
        """SQLite: the WAL's size; PostgreSQL: the ballot table's file (VACUUM FULL writes a new one)."""
        if not pg:
            return Path(f"{db_target}-wal").stat().st_size
        import psycopg

        with psycopg.connect(db_target) as c:
            return c.execute("SELECT pg_relation_filenode('ballot')").fetchone()[0]

    st.add_ballot(QuarterRef(2026, 4), dict(zip(meeting.member_ids, kept[0], strict=True)))
    first = remains()
    if pg:
        import psycopg

        reader: Any = psycopg.connect(db_target)
        reader.execute("SELECT COUNT(*) FROM ballot").fetchone()  # its transaction holds the table
    else:
        reader = sqlite3.connect(db_target, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM ballot").fetchone()  # its snapshot pins the WAL
    t0 = time.perf_counter()
    st.add_ballot(QuarterRef(2026, 4), dict(zip(meeting.member_ids, kept[1], strict=True)))
    assert time.perf_counter() - t0 < 2  # it waited for the reader a fifth of a second, not the busy timeout
    blocked = remains()
    if pg:
        assert blocked == first  # no VACUUM FULL (a plain VACUUM instead)
        reader.rollback()
    else:
        assert first == 0 < blocked  # the WAL keeps the commit while the reader reads
        reader.execute("ROLLBACK")
    reader.close()
    st.add_ballot(QuarterRef(2026, 4), dict(zip(meeting.member_ids, kept[2], strict=True)))
    assert remains() != blocked and (pg or remains() == 0)
    assert st.ballot_summary(QuarterRef(2026, 4))["returned"] == 3


def test_undo_takes_back_one_ballot_by_what_it_said(db_target):
    """Identical ballots are interchangeable: undo removes one that says what the newest said,
    and the undo slot holds only a random token."""
    meeting = new_meeting(db_target)
    same, other = contents(2, 6)
    st = Store(open_engine(db_target), "书记")
    for labels in (same, other, same):
        st.add_ballot(QuarterRef(2026, 4), dict(zip(meeting.member_ids, labels, strict=True)))
    assert st.ballot_summary(QuarterRef(2026, 4))["returned"] == 3
    with Session(st.engine) as s:
        payload = json.loads(s.exec(select(UndoSlot)).one().payload)
        assert set(payload) == {"ballot", "session"} and len(payload["ballot"]) == 16
        assert payload["ballot"] not in {b.id for b in s.exec(select(Ballot))}
    assert st.undo(QuarterRef(2026, 4)) == "已撤销最后录入的一张测评票"
    assert st.ballot_summary(QuarterRef(2026, 4))["returned"] == 2 and st.last_action(QuarterRef(2026, 4)) is None
    # What is left is one of each: member by member, `same`'s rating once and `other`'s once.
    counts = st.ratings_of_quarter(QuarterRef(2026, 4))[1]
    for mid, a, b in zip(meeting.member_ids, same, other, strict=True):
        assert counts[mid] == ({a: 2} if a == b else {a: 1, b: 1})
