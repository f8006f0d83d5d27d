"""One writer per database, with real processes: a holder (a process that took the writer lock,
or a headless console) and a console or a command beside it. The second reads only, its writes
are refused and change nothing; when the holder is SIGKILLed the console takes over within a few
seconds; undo never takes back another console's action. SQLite and a real PostgreSQL server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store
from tests.postgres import PostgresServer
from tests.support import screen_text

JIFEN = Path(sys.executable).parent / "jifen"
REPO = Path(__file__).resolve().parents[2]

TAKE_LOCK = """
import sys, time
from db.writer import WriterLock
lock = WriterLock(sys.argv[1])
assert lock.try_acquire()
print("ready", flush=True)
time.sleep(600)
"""

# A headless console that opens today's meeting, marks the first member present and waits.
CONSOLE = """
import asyncio, sys
from datetime import datetime
from core.quarter import QuarterRef
from db.store import MeetingFacts
from tui.app import JifenApp

async def main():
    app = JifenApp(db_path=sys.argv[1])
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert not app.seat.read_only
        assert app.attempt(app.store.open_meeting, QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 25, 14, 30),
                                                                                     "活动室"))
        first = [m for m in app.store.members() if not m.meeting_exempt][0]
        assert app.attempt(app.store.roll_call, QuarterRef(2026, 4), first.id, True)
        print("ready", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


@pytest.fixture(autouse=True)
def quick_poll(monkeypatch):
    monkeypatch.setenv("JIFEN_WRITER_POLL", "0.5")  # the console tries the lock twice a second here


@contextmanager
def holder(script: str, db: str) -> Iterator[subprocess.Popen[str]]:
    """A process holding the database; SIGKILLed at the end if the test has not killed it."""
    proc = subprocess.Popen([sys.executable, "-c", script, db], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip() == "ready", proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def jifen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True, encoding="utf-8",
                          env=dict(os.environ, PYTHONIOENCODING="utf-8"), timeout=120, stdin=subprocess.DEVNULL)


def fresh_store(db: str | Path) -> Store:
    return Store(open_engine(db))


def contents(db: str | Path) -> tuple:
    """What a write could change, read through a fresh store."""
    s = fresh_store(db)
    entries = [(e.id, e.member_id, e.kind, str(e.points), e.status) for e in s.entries(2026)]
    return (s.branch_name(), s.years(), len(s.members(include_left=True)), entries,
            [q.state for q in s.quarters(2026)], s.roll_calls(QuarterRef(2026, 4)).keys(), len(s.audit()))


WHO = f"@{socket.gethostname()}正在使用，自 "


def refused_write_commands(db: str, tmp_path: Path) -> None:
    """Every writing command is refused with one Chinese line and exit 1; reading ones work."""
    roster = tmp_path / "名册.csv"
    roster.write_text("姓名,性别,出生年月,职务,党员类别\n新党员,男,1990-01,党员,正式党员\n", encoding="utf-8")
    items = tmp_path / "事项.csv"
    items.write_text("姓名,季度,类型,事项编号,级别,分值,事由\n王建国,2026Q4,加分,J1.1,市级,3,发言\n", encoding="utf-8")
    before = contents(db)
    for args in (["items", "add", "--db", db, "--quarter", "2026Q4", "--member", "王建国", "--kind", "加分",
                  "--item", "J1.1", "--level", "市级", "--points", "3"],
                 ["members", "import", str(roster), "--db", db],
                 ["items", "import", str(items), "--db", db, "--year", "2026"],
                 ["init", "--db", db, "--branch", "另一支部", "--scheme", "xinmi-hospital-2023", "--year", "2027"],
                 ["--db", db, "demo", "--no-tui"]):
        done = jifen(*args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("此数据库正由") and "不能修改" in lines[0], (args, lines)
        assert f"@{socket.gethostname()}（自 " in lines[0], lines
    assert contents(db) == before
    assert jifen("verify", "--db", db).returncode == 0
    assert "王建国" in jifen("members", "list", "--db", db).stdout
    assert jifen("items", "list", "--db", db, "--quarter", "2026Q4").returncode == 0
    out = tmp_path / "公示.csv"
    assert jifen("export", "publicity", "--db", db, "--quarter", "2026Q3", "--out", str(out)).returncode == 0
    assert out.stat().st_size > 0


def test_a_command_beside_a_holder_reads_only_until_it_dies(tmp_path: Path):
    db = str(tmp_path / "b.db")
    build_demo(db).engine.dispose()
    with holder(TAKE_LOCK, db) as proc:
        refused_write_commands(db, tmp_path)
        kill(proc)
    # The holder's sidecar files are left behind by the kill; they block nobody.
    assert (tmp_path / "b.db-writer.lock").exists() and (tmp_path / "b.db-writer.json").exists()
    done = jifen("items", "add", "--db", db, "--quarter", "2026Q4", "--member", "王建国", "--kind", "加分",
                 "--item", "J1.1", "--level", "市级", "--points", "3")
    assert done.returncode == 0, done.stderr
    wang = next(m.id for m in fresh_store(db).members() if m.name == "王建国")
    assert len(fresh_store(db).entries(QuarterRef(2026, 4), wang)) > 0


async def read_only_console(db: str, proc: subprocess.Popen[str], what_holder_did: Callable | None = None) -> None:
    from tui.app import JifenApp

    app = JifenApp(db_path=db)
    # At the narrowest size the console supports, the warning comes first and is whole.
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        assert app.seat.read_only
        title = screen_text(app.export_screenshot()).splitlines()[0]
        assert "只读：" in title and WHO in title and title.index("只读：") < title.index("概况"), title
        assert re.search(r"自 \d\d:\d\d 起", title), title
        before = contents(db)
        done = app.attempt(app.store.open_meeting, QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 25, 14, 30),
                                                                                     "会议室"))
        assert not done and "不能修改" in done.error
        assert contents(db) == before
        kill(proc)
        started = time.monotonic()
        while app.seat.read_only and time.monotonic() - started < 8:
            await pilot.pause(0.1)
        assert not app.seat.read_only, "the console did not take over"
        assert time.monotonic() - started < 5
        await pilot.pause(0.2)
        title = screen_text(app.export_screenshot()).splitlines()[0]
        assert "只读" not in title, title
        assert "已接管" in screen_text(app.export_screenshot())
        if what_holder_did is not None:
            await what_holder_did(app, pilot)
        else:
            assert app.attempt(app.store.open_meeting, QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 25, 14, 30),
                                                                                         "会议室"))
            assert fresh_store(db).quarter(QuarterRef(2026, 4)).state == "meeting"


def test_a_console_beside_a_holder_reads_only_and_takes_over(tmp_path: Path):
    import asyncio

    db = str(tmp_path / "b.db")
    build_demo(db).engine.dispose()
    with holder(TAKE_LOCK, db) as proc:
        asyncio.run(read_only_console(db, proc))


def test_undo_never_takes_back_another_consoles_action(tmp_path: Path):
    import asyncio

    db = str(tmp_path / "b.db")
    build_demo(db).engine.dispose()

    async def undo_refused(app, pilot) -> None:
        called = fresh_store(db).roll_calls(QuarterRef(2026, 4))
        assert len(called) == 1
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "不能撤销" in screen_text(app.export_screenshot())
        assert fresh_store(db).roll_calls(QuarterRef(2026, 4)).keys() == called.keys()
        # Its own action it may take back.
        member = [m for m in app.store.members() if not m.meeting_exempt][1]
        assert app.attempt(app.store.roll_call, QuarterRef(2026, 4), member.id, True)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert fresh_store(db).roll_calls(QuarterRef(2026, 4)).keys() == called.keys()

    with holder(CONSOLE, db) as proc:
        asyncio.run(read_only_console(db, proc, undo_refused))


def test_one_writer_on_postgresql(postgres_server: PostgresServer, tmp_path: Path):
    import asyncio

    url = postgres_server.new_database()
    build_demo(url).engine.dispose()
    with holder(TAKE_LOCK, url) as proc:
        refused_write_commands(url, tmp_path)
        asyncio.run(read_only_console(url, proc))
    # Another database on the same server is not held by this one's writer.
    other = postgres_server.new_database()
    with holder(TAKE_LOCK, url):
        from db.writer import WriterLock

        lock = WriterLock(other)
        assert lock.try_acquire()
        lock.release()


def test_a_stale_sidecar_blocks_nobody(tmp_path: Path):
    db = tmp_path / "b.db"
    build_demo(db).engine.dispose()
    (tmp_path / "b.db-writer.lock").write_text("")
    (tmp_path / "b.db-writer.json").write_text('{"user": "x", "host": "gone", "pid": 1, "since": "2026-01-01T08:00"}')
    done = jifen("members", "import", str(tmp_path / "none.csv"), "--db", str(db))
    assert "正由" not in done.stderr  # refused for the missing file, not for the lock
    from db.writer import WriterLock

    lock = WriterLock(db)
    assert lock.try_acquire()
    lock.release()
    assert not (tmp_path / "b.db-writer.json").exists()



# Holds the database, and opens today's meeting when told to (a line on stdin).
WRITE_WHEN_TOLD = """
import sys
from datetime import datetime
from db.engine import open_engine
from core.quarter import QuarterRef
from db.store import MeetingFacts, Store
from db.writer import WriterLock
lock = WriterLock(sys.argv[1])
assert lock.try_acquire()
print("ready", flush=True)
sys.stdin.readline()
Store(open_engine(sys.argv[1])).open_meeting(QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 25, 14, 30),
                                                                               "活动室"))
print("written", flush=True)
sys.stdin.readline()
"""


@pytest.mark.asyncio
async def test_a_read_only_console_follows_the_writer(tmp_path):
    """A second screen on the meeting stays live: what the writer commits is shown within a poll."""
    from tui.app import JifenApp

    db = str(tmp_path / "b.db")
    build_demo(db)
    proc = subprocess.Popen([sys.executable, "-c", WRITE_WHEN_TOLD, db], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready"
        app = JifenApp(db_path=db)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            assert app.seat.read_only
            first = screen_text(app.export_screenshot()).splitlines()[0]
            assert "未开会" in first, first
            proc.stdin.write("go\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "written"
            started = time.monotonic()
            title = first
            while "会议进行中" not in title and time.monotonic() - started < 8:
                await pilot.pause(0.2)
                title = screen_text(app.export_screenshot()).splitlines()[0]
            assert "会议进行中" in title, title
            assert app.seat.read_only  # still only reading
    finally:
        proc.kill()
        proc.wait(timeout=10)
