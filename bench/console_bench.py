"""The console's speed as the secretary feels it.

1. Time to first paint of `jifen` on the demo database against a bare Textual app that
   shows a 60-row table with sqlmodel imported, interleaved in one run (goal: <= 1.3x).
   Each is a fresh process running headless; the clock stops when the app reports its
   first paint (Textual's Ready event) on stdout.
   The ratio is taken pair by pair (each console run against the bare run next to it);
   the goal is now <= 1.2x.
2. Key to screen while entering ballots for 60 members: the time from a rating key to
   the table showing it, and from Enter (save the ballot) to the cleared ballot.
   Goal: under 50 ms.
3. The longest frame: the UI thread's longest stall (a 5 ms heartbeat on the event loop,
   late by how much) while entering those ballots and while locking the quarter and
   writing its two PDFs (in a child process). Goal: under 100 ms.
4. Keystrokes for the demo's meeting, key by key as the secretary would press them,
   against the floor: one key per rating and per ballot, and the keys the facts need
   (vote counts, an absence's reason).

Run by hand: `.venv/bin/python bench/console_bench.py [runs]`.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONSOLE = '''
import sys
from tui.app import JifenApp
class Timed(JifenApp):
    def on_ready(self):
        print("READY", flush=True)
        self.exit()
Timed(db_path=sys.argv[1]).run(headless=True, size=(100, 30))
'''

BARE = '''
import sqlmodel  # noqa: F401  (the comparison app pays for the same database library)
from textual.app import App
from textual.widgets import DataTable, Footer, Header
class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()
    def on_mount(self):
        t = self.query_one(DataTable)
        t.add_columns("名次", "姓名", "类别", "积分", "评议", "总分", "等次")
        for i in range(60):
            t.add_row(str(i + 1), f"党员{i:02d}", "正式党员", "85", "88.33", "85", "合格")
    def on_ready(self):
        print("READY", flush=True)
        self.exit()
Bare().run(headless=True, size=(100, 30))
'''


def first_paint(code: str, *args: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.wait()
    if "READY" not in line:
        raise SystemExit(f"no first paint: {line!r}")
    return elapsed


async def key_to_screen(db: Path) -> tuple[list[float], list[float]]:
    """Key event received -> the next frame painted, timed inside the app (the Pilot's own
    waiting is not counted)."""
    from textual import events
    from textual.screen import Screen
    from textual.widgets import DataTable

    from tui.app import JifenApp

    marks: dict[str, float] = {}
    painted: list[float] = []
    refresh = Screen._compositor_refresh

    def timed_refresh(self: Screen) -> None:
        refresh(self)
        if "key" in marks:
            painted.append(time.perf_counter() - marks.pop("key"))

    Screen._compositor_refresh = timed_refresh

    class Timed(JifenApp):
        async def on_event(self, event: events.Event) -> None:
            if isinstance(event, events.Key):
                marks["key"] = time.perf_counter()
            await super().on_event(event)

    app = Timed(db_path=db)
    rate, save = [], []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        table = app.screen.query_one("#ballot", DataTable)
        for _ballot in range(5):
            for row in range(table.row_count):
                painted.clear()
                await pilot.press("2")
                await pilot.pause()
                rate.append(painted[0])
                assert str(table.get_row_at(row)[2]) == "合格"
            painted.clear()
            await pilot.press("enter")
            await pilot.pause()
            save.append(painted[0])
            assert str(table.get_row_at(0)[2]) == "·"
    Screen._compositor_refresh = refresh
    return rate, save


class Heartbeat:
    """How late a 5 ms sleep on the event loop wakes: the longest time the UI thread was busy."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - t - 0.005)

    def __enter__(self) -> Heartbeat:
        self.task = asyncio.get_running_loop().create_task(self._beat())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()


async def longest_frames(db: Path) -> tuple[float, float]:
    """The longest stall while entering five 60-member ballots, and while locking."""
    from tui.app import JifenApp

    app = JifenApp(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        with Heartbeat() as ballots:
            for _ in range(5):
                for _row in range(60):
                    await pilot.press("2")
                await pilot.press("enter")
                await pilot.pause()
        await pilot.press("f6", "l")
        await pilot.pause()
        with Heartbeat() as lock:
            await pilot.press("y")
            lock_page = app.get_screen("lock")
            while getattr(lock_page, "locking", False) or app.state != "locked":
                await asyncio.sleep(0.02)
            await pilot.pause()
        assert app.state == "locked" and not app.failures
    return ballots.worst, lock.worst


async def meeting_keys(db: Path) -> tuple[int, int]:
    """The demo's meeting by keyboard (open, roll call with one absence, three votes, ballots
    from the 22 present members, lock): keys pressed against the floor."""
    from tui.app import JifenApp

    graded = 23
    pressed = 0
    floor = 0

    app = JifenApp(db)
    async with app.run_test(size=(100, 30)) as pilot:
        async def press(*keys: str) -> None:
            nonlocal pressed
            pressed += len(keys)
            await pilot.press(*keys)

        await press("o", "ctrl+s")  # the proposed facts are last meeting's
        await press("f2", "ctrl+end", "a", "1", "enter", "ctrl+a")  # 谢德明 away (病假), the rest present
        floor += 1  # the reason
        for yes, no, abstain in (("15", "3", "1"), ("5", "10", "4"), ("11", "8", "0")):
            await press("f3", "d", "v", *yes, "enter", *no, "enter", *abstain, "enter", "escape")
            floor += len(yes) + len(no) + len(abstain) + 3  # the counts, each closed with Enter
        await press("f4")
        for _ballot in range(22):
            await press(*("2" * graded), "enter")
            floor += graded + 1
        await press("f6", "l", "y")
        lock_page = app.get_screen("lock")
        while getattr(lock_page, "locking", False) or app.state != "locked":
            await asyncio.sleep(0.02)
        assert app.state == "locked" and not app.failures
    return pressed, floor


def sixty(path: Path) -> None:
    """60 members, 40 entries each in today's quarter (the one the console opens on), the meeting open."""
    from core.quarter import QuarterRef
    from core.schemes import builtin_text
    from db.engine import open_engine
    from db.store import MeetingFacts, Store

    now = datetime.now()
    year, q = now.year, (now.month - 1) // 3 + 1
    st = Store(open_engine(path), "书记")
    st.init_branch("第一党支部", "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), year)
    ids = st.add_members([dict(name=f"党员{i:02d}", status="full") for i in range(60)])
    st.add_entries(year, [dict(quarter=q, member_id=m, kind="bonus", points=2, item="J6.3") for m in ids
                          for _ in range(40)])
    st.open_meeting(QuarterRef(year, q), MeetingFacts(now.replace(hour=14, minute=30), "活动室", "甲", "乙"))
    for m in ids:
        st.roll_call(QuarterRef(year, q), m, True)
    st.engine.dispose()


def main(runs: int = 15) -> None:
    from db.demo import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp, "demo.db")
        build_demo(demo)
        console, bare = [], []
        for i in range(runs + 1):
            c = first_paint(CONSOLE, str(demo))
            b = first_paint(BARE)
            if i:  # one warm-up round
                console.append(c)
                bare.append(b)
        big = Path(tmp, "sixty.db")
        sixty(big)
        rate, save = asyncio.run(key_to_screen(big))
        stalls = Path(tmp, "stalls.db")
        sixty(stalls)
        ballots_worst, lock_worst = asyncio.run(longest_frames(stalls))
        meeting = Path(tmp, "meeting.db")
        build_demo(meeting)
        pressed, floor = asyncio.run(meeting_keys(meeting))
    c, b = statistics.median(console), statistics.median(bare)
    pairs = statistics.median(x / y for x, y in zip(console, bare, strict=True))
    print(f"first paint, {runs} runs each, interleaved:")
    print(f"  jifen on the demo database:        median {c * 1000:.0f} ms  min {min(console) * 1000:.0f} ms")
    print(f"  bare Textual, 60-row table+sqlmodel: median {b * 1000:.0f} ms  min {min(bare) * 1000:.0f} ms")
    print(f"  ratio of the medians: {c / b:.2f}; median of the pair-by-pair ratios: {pairs:.2f}  (goal <= 1.2)")
    p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95) - 1]  # noqa: E731
    print(f"ballot entry, 60 members, {len(save)} ballots:")
    print(f"  rating key -> table shows it: median {statistics.median(rate) * 1000:.1f} ms,"
          f" p95 {p95(rate) * 1000:.1f} ms")
    print(f"  Enter (save ballot) -> cleared ballot: median {statistics.median(save) * 1000:.1f} ms,"
          f" max {max(save) * 1000:.1f} ms")
    print("  goal: under 50 ms")
    print("longest frame (event-loop stall), 60 members:")
    print(f"  entering 5 ballots: {ballots_worst * 1000:.0f} ms;  locking + two PDFs: {lock_worst * 1000:.0f} ms"
          "  (goal < 100 ms)")
    print(f"keystrokes, the demo's meeting: {pressed} against a floor of {floor} ({pressed / floor:.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
