"""Many phones at once: sixty ballots submitted together are each counted exactly once; the same
code from two phones at once goes in once; a server SIGKILLed in the middle of the load has lost
no ballot it answered 200."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from db.ballots import OK, SPENT
from tests.web.conftest import FULL, Meeting, Q, new_meeting
from web.server import BallotServer

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("优秀", "合格", "基本合格", "不合格")


def ballot_of(meeting: Meeting, seed: int) -> dict[str, str]:
    """A valid ballot: at most 4 of the 12 full members 优秀, some names left unrated."""
    rng = random.Random(seed)
    marks: dict[str, str] = {}
    for k, mid in enumerate(meeting.ids):
        label = rng.choice((*LABELS, None))
        if label == "优秀" and k < FULL and sum(1 for v in marks.values() if v == "优秀") >= 4:
            label = "合格"
        if label:
            marks[str(mid)] = label
    return marks


def all_at_once(n: int, work) -> list:
    """Run work(i) in n threads released together; their results in order."""
    out: list = [None] * n
    gate = threading.Barrier(n)

    def one(i: int) -> None:
        gate.wait()
        out[i] = work(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


@pytest.fixture
def served(db_target):
    """A meeting and its server on each store: a SQLite file, then PostgreSQL."""
    m = new_meeting(db_target, codes=80)
    srv = BallotServer(m.store, Q, host="127.0.0.1", port=0)
    srv.start()
    yield m, srv
    srv.stop()
    m.store.engine.dispose()


def test_sixty_phones_at_once_each_counted_exactly_once(served):
    meeting, server = served
    url = server.ballot_url() + "api/ballot"
    ballots = [ballot_of(meeting, i) for i in range(60)]

    def phone(i: int) -> int:
        with httpx.Client(timeout=60) as c:
            assert c.get(url, params={"code": meeting.codes[i]}).status_code == 200
            return c.post(url, json={"code": meeting.codes[i], "marks": ballots[i]}).status_code

    assert all_at_once(60, phone) == [200] * 60
    state = meeting.store.round_state(Q)
    assert (state.returned, state.spent, state.sealed) == (60, 60, True)
    assert meeting.store.ratings_of_quarter(Q) == {}  # sealed until closed
    meeting.store.close_round(Q)
    expected: dict[int, dict[str, int]] = {}
    for b in ballots:
        for mid, label in b.items():
            c = expected.setdefault(int(mid), {})
            c[label] = c.get(label, 0) + 1
    assert meeting.store.ratings_of_quarter(Q)[1] == expected


def test_the_same_code_from_two_phones_at_once_goes_in_once(meeting, server):
    url = server.ballot_url() + "api/ballot"
    codes = meeting.codes[:8]
    ids = meeting.ids

    def phone(i: int) -> int:
        marks = {str(ids[0]): LABELS[i % 2 + 1]}  # the two phones of a pair say different things
        with httpx.Client(timeout=60) as c:
            return c.post(url, json={"code": codes[i // 2], "marks": marks}).status_code

    answers = all_at_once(16, phone)
    for k in range(8):
        assert sorted(answers[2 * k:2 * k + 2]) == [200, 409]
    assert meeting.store.round_state(Q).returned == 8 and meeting.store.round_state(Q).spent == 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(db: str, port: int) -> tuple[subprocess.Popen, str]:
    """`jifen evaluation serve` in a process of its own; returns it once it serves, and its address."""
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "evaluation", "serve", "--db", db, "--quarter", "2026Q4",
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("已提交"):
            break
    found = re.search(r"http://127\.0\.0\.1:\d+/", "".join(lines))
    assert found, "".join(lines) + (proc.stderr.read() if proc.stderr else "")
    return proc, found.group(0)


def test_sigkill_during_the_load_loses_no_ballot_that_got_its_200(tmp_path):
    meeting = new_meeting(str(tmp_path / "branch.db"), codes=300)
    meeting.store.engine.dispose()
    proc, base = start_serve(meeting.db, free_port())
    url = base + "api/ballot"
    confirmed: list[str] = []
    lock = threading.Lock()
    queue = list(range(300))

    def phone(_: int) -> None:
        with httpx.Client(timeout=30) as c:
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop()
                try:
                    r = c.post(url, json={"code": meeting.codes[i], "marks": ballot_of(meeting, i)})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200:
                    with lock:
                        confirmed.append(meeting.codes[i])

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while time.time() < deadline and len(confirmed) < 60:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for t in threads:
        t.join()
    assert 60 <= len(confirmed) < 300, "the kill came in the middle of the load"
    # Read the file as the kill left it: every ballot answered 200 is in, with its code spent.
    from db.engine import open_engine
    from db.store import Store

    st = Store(open_engine(meeting.db))
    for code in confirmed:
        assert st.code_status(Q, code) == SPENT
    state = st.round_state(Q)
    assert state.spent == state.returned >= len(confirmed)
    assert sum(1 for c in meeting.codes if st.code_status(Q, c) == OK) == 300 - state.spent
