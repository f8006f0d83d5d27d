"""Ballot secrecy: what keeps the order in which ballots were entered out of every trace the
store leaves (the rows' layout, the WAL, freed pages, PostgreSQL's heap), and the in-memory
content of the newest ballot that its undo needs. The reasons are below.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.engine import BUSY_TIMEOUT_MS
from db.tables import Ballot, Quarter

# Nothing the store leaves may put the ballots back in the order they were entered (papers are
# often collected, and so entered, in seat order): not the main file, -wal, -shm or -journal,
# at any moment, the console open or killed; not on PostgreSQL. How each trace is closed:
# - The row: a random 16-byte hex key, no rowid (WITHOUT ROWID), no time, no link to a person.
# - The byte layout: inside a SQLite page, cell content is allocated in insertion order, and the
#   ballot table's index on quarter_id does the same; on PostgreSQL the heap order (a plain
#   SELECT), ctid and xmin follow insertion. So each ballot's transaction rewrites every ballot of
#   its quarter: delete them all, insert them again sorted by their random keys
#   (`rewrite_ballots`). Layout, ctid and heap order then follow the keys; xmin is one
#   transaction's for all. About 1 ms for 60 ballots.
# - The history of commits: each SQLite commit appends frames to the WAL, so after every ballot
#   (and the undo of one) the WAL is checkpointed with TRUNCATE (`scrub_ballot_traces`): it holds
#   at most the latest commit, and between a commit and its checkpoint (or after a kill there)
#   that commit tells only which ballot is newest. The -shm keeps page numbers of the latest
#   commit's frames, no content. A reader holding an old snapshot (a read-only console in the
#   middle of a read) can stop the checkpoint: it is retried for about a fifth of a second; if it
#   still cannot finish, the WAL keeps the ballot commits since the last checkpoint that did (their
#   differences order those few ballots) until the next ballot's checkpoint, or the last
#   connection's close, empties it. The one-writer model (db/writer.py) keeps such readers brief.
#   PostgreSQL: VACUUM FULL of the ballot table after each ballot and undo leaves no dead tuple of
#   an earlier version (or of an undone ballot) in the table's files; if a reader's lock stops it
#   for its lock_timeout, a plain VACUUM frees what no snapshot needs (the bytes stay in the files
#   until reused; SQL users never see dead tuples). What remains visible, only to the server's
#   administrator: the server's own WAL (pg_wal, and any archive or backup of it) holds every
#   insert and delete in commit order, and a server logging statements (log_statement = 'mod')
#   logs each ballot's marks with a time.
# - Deleted content: PRAGMA secure_delete=ON on every connection (db.engine) zeroes freed cells
#   and freed pages, so a rewritten ballot's old place and an undone ballot leave nothing behind.
# - The audit log: one "ballot_added" line per ballot with its time and round only; the time says
#   when a ballot came, never which (no id, no marks, not even whether it was blank).
# - Undo by content, kept in memory: the undo slot of a ballot holds a random token, never the
#   ballot's id or marks; what the newest ballot said (round, marks, void reason) stays in this
#   process (`LAST_BALLOT`) until another action or the undo, and undo deletes one ballot with
#   that content (identical ballots are interchangeable). Undo is only ever for the session that
#   entered the ballot (the slot's session check), which a restart ends anyway; so the slot's
#   rewrites in the WAL say nothing, and no file names the newest ballot beyond the window above.
# The time of each ballot's commit in the audit log, and the count, are not secret.

# What the newest ballot said, per (database, quarter): its undo token, round, marks and void reason.
LAST_BALLOT: dict[tuple[str, int], tuple[str, int, str, str]] = {}
# How long a checkpoint waits for readers, per try, and how many tries (about 0.2 s in all).
CHECKPOINT_WAIT_MS = 40
CHECKPOINT_TRIES = 5
# How long VACUUM FULL of the ballot table waits for a reader's lock on PostgreSQL.
VACUUM_LOCK_TIMEOUT = "200ms"


def after_commit(s: Session, step: Callable[[], object]) -> None:
    """Run `step` once the store's write transaction (Store._tx) has committed, never after a
    rollback: forgetting or remembering the newest ballot, scrubbing the traces."""
    s.info["after_commit"].append(step)


def ballot_key(s: Session, q: Quarter) -> tuple[str, int]:
    # The bind is the write engine, or a connection when an import writes on its own one.
    return str(cast(Engine, s.get_bind()).engine.url), cast(int, q.id)


def rewrite_ballots(s: Session, q: Quarter, new: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Add a ballot (or several: phone ballots come in batches) by writing all of its quarter's
    ballots again, in the order of their random keys, so nothing in the layout follows the
    order of entry."""
    table = cast(sa.Table, Ballot.__table__)  # type: ignore[attr-defined]  # SQLModel sets it
    conn = s.connection()
    rows = [dict(r._mapping) for r in conn.execute(sa.select(table).where(table.c.quarter_id == q.id))]
    rows += new if isinstance(new, list) else [new]
    rows.sort(key=lambda r: r["id"])
    conn.execute(sa.delete(table).where(table.c.quarter_id == q.id))
    conn.execute(sa.insert(table), rows)


def scrub_ballot_traces(engine: Engine) -> str:
    """After a commit that added or removed a ballot: SQLite checkpoints its WAL and truncates
    it; PostgreSQL rewrites the ballot table (VACUUM FULL). Returns "" when done, else what was
    left (for the log and the tests; the ballot itself is committed either way)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                for attempt in range(CHECKPOINT_TRIES):
                    busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                    if not busy:
                        return ""
                    time.sleep(0.005 * (attempt + 1))
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            return "a reader held the WAL: it keeps the ballots since the last checkpoint until the next"
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET lock_timeout = '{VACUUM_LOCK_TIMEOUT}'")
            try:
                conn.exec_driver_sql("VACUUM FULL ballot, ballot_code")  # spent codes too: dead rows date a batch
                return ""
            except sa.exc.OperationalError:
                conn.exec_driver_sql("VACUUM ballot, ballot_code")
                return "a reader held the ballot table: plain VACUUM; dead tuples' bytes stay until reused"
            finally:
                conn.exec_driver_sql("RESET lock_timeout")
    return ""

