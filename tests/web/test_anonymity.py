"""Phone ballots are anonymous by construction: the files the store leaves do not tell the order
in which phones submitted (the attack of tests/db/test_ballot_order.py, on ballots that came in
through the server, with the server still running and after it was SIGKILLed), the spent-code
table holds no time and no link to a ballot, and nothing of the round's content shows before it
is closed."""

from __future__ import annotations

import hashlib
import signal
from pathlib import Path

import httpx

from tests.db.test_ballot_order import (
    assert_untraceable,
    byte_measures,
    contents,
    marks_text,
    share_in_order,
    sqlite_snapshot,
)
from tests.web.conftest import FULL, Meeting, Q, new_meeting
from tests.web.test_load import free_port, start_serve

KEPT = 60


def submit_in_order(url: str, meeting: Meeting, kept: list[list[str]], stop_after: int | None = None) -> list[int]:
    """One phone after another, each waiting for its 200: the indexes confirmed, in order."""
    done = []
    with httpx.Client(timeout=30) as c:
        for i, labels in enumerate(kept):
            marks = {str(mid): label for mid, label in zip(meeting.ids[:FULL], labels, strict=True)}
            try:
                r = c.post(url, json={"code": meeting.codes[i], "marks": marks})
            except httpx.HTTPError:
                break
            assert r.status_code == 200, r.text
            done.append(i)
            if stop_after is not None and len(done) >= stop_after:
                break
    return done


def attack(db: str, seen: Path, meeting: Meeting, kept: list[list[str]], done: list[int]) -> None:
    """The ballot-order attack on the raw files, extended to the spent codes' hashes."""
    files, con = sqlite_snapshot(Path(db), seen)
    try:
        stored = dict(con.execute("SELECT marks, id FROM ballot"))
        texts = [marks_text(meeting.ids[:FULL], kept[i]) for i in done]  # in submission order
        assert set(texts) <= set(stored) and len(stored) >= len(texts)
        ids = [stored[t] for t in texts]
        salt = con.execute("SELECT salt FROM ballot_count").fetchone()[0]
        hashes = [hashlib.sha256((salt + meeting.codes[i]).encode()).hexdigest().encode() for i in done]
        assert all(h in files[""] + files.get("-wal", b"") for h in hashes)  # the attack does find them
        page = con.execute("PRAGMA page_size").fetchone()[0]
        measures = byte_measures(files, {"id": [i.encode() for i in ids], "marks": [t.encode() for t in texts],
                                         "spent code": hashes}, page)
        assert_untraceable(measures, least=20)
        # What an SQL reader sees: the plain SELECT's order of ballots and of spent codes.
        by_id = {b: n for n, (b,) in enumerate(con.execute("SELECT id FROM ballot"))}
        by_hash = {h.encode(): n for n, (h,) in enumerate(con.execute("SELECT hash FROM ballot_code WHERE spent"))}
        for share, found in (share_in_order([by_id[b] for b in ids]), share_in_order([by_hash[h] for h in hashes])):
            assert found == len(done) and 0.35 <= share <= 0.65
        # No audit row, no undo slot names a ballot or a code.
        logged = " ".join(str(r) for r in con.execute("SELECT action, detail FROM audit_log"))
        logged += " ".join(str(r) for r in con.execute("SELECT payload FROM undo_slot"))
        for secret in ids + [t.strip("{}") for t in texts] + [h.decode() for h in hashes] + meeting.codes:
            assert secret not in logged
    finally:
        con.close()


def test_the_spent_code_table_has_no_time_and_no_link(meeting):
    import sqlite3

    con = sqlite3.connect(meeting.db)
    try:
        columns = {r[1] for r in con.execute("PRAGMA table_info(ballot_code)")}
        ballot_columns = {r[1] for r in con.execute("PRAGMA table_info(ballot)")}
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'ballot_code'").fetchone()[0]
    finally:
        con.close()
    assert columns == {"hash", "quarter_id", "round", "spent"}  # no time, no ballot id, no sequence
    assert ballot_columns == {"id", "quarter_id", "round", "marks", "void"}  # no code, no time
    assert "WITHOUT ROWID" in sql.upper()  # no rowid to number the codes in the order they were spent


def test_the_files_do_not_tell_the_order_phones_submitted_in(meeting, server, tmp_path):
    kept = contents(KEPT, 11)
    done = submit_in_order(server.ballot_url() + "api/ballot", meeting, kept)
    assert done == list(range(KEPT))
    attack(meeting.db, tmp_path / "seen", meeting, kept, done)  # the server still running
    # Sealed: neither the store's reads nor the console's evaluation data show what came in.
    st = meeting.store
    assert st.ratings_of_quarter(Q) == {} and st.branch_year(2026)[1].evaluations == ()
    state = st.round_state(Q)
    assert state.sealed and (state.returned, state.spent) == (KEPT, KEPT)
    st.close_round(Q)
    assert sum(st.ratings_of_quarter(Q)[1][meeting.ids[0]].values()) == KEPT


def test_the_files_after_a_kill_mid_load_do_not_tell_the_order(tmp_path):
    meeting = new_meeting(str(tmp_path / "branch.db"), codes=KEPT + 40)
    meeting.store.engine.dispose()
    kept = contents(KEPT + 40, 12)
    proc, base = start_serve(meeting.db, free_port())
    try:
        done = submit_in_order(base + "api/ballot", meeting, kept, stop_after=KEPT)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(done) == KEPT
    attack(meeting.db, tmp_path / "seen", meeting, kept, done)  # nobody has opened the file since
