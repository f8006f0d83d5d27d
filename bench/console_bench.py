"""The console's speed as the secretary feels it.

1. Time to first paint of `jifen` on the demo database against a bare Textual app that
   shows a 60-row table with sqlmodel imported, interleaved in one run (goal: <= 1.3x).
   Each is a fresh process running headless; the clock stops when the app reports its
   first paint (Textual's Ready event) on stdout.
2. Key to screen while entering ballots for 60 members: the time from a rating key to
   the table showing it, and from Enter (save the ballot) to the cleared ballot.
   Goal: under 50 ms.

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
        await pilot.press("4")
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


def sixty(path: Path) -> None:
    from core.schemes import builtin_text
    from db.engine import open_engine
    from db.store import MeetingFacts, Store

    st = Store(open_engine(path), "书记")
    st.init_branch("第一党支部", "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), 2026)
    ids = st.add_members([dict(name=f"党员{i:02d}", status="full") for i in range(60)])
    st.add_entries(2026, [dict(quarter=1, member_id=m, kind="bonus", points=2, item="J6.3")
                          for m in ids for _ in range(40)])
    st.open_meeting(2026, 1, MeetingFacts(datetime(2026, 3, 27, 14, 30), "活动室", "甲", "乙"))
    for m in ids:
        st.roll_call(2026, 1, m, True)


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
    c, b = statistics.median(console), statistics.median(bare)
    print(f"first paint, {runs} runs each, interleaved:")
    print(f"  jifen on the demo database:        median {c * 1000:.0f} ms  min {min(console) * 1000:.0f} ms")
    print(f"  bare Textual, 60-row table+sqlmodel: median {b * 1000:.0f} ms  min {min(bare) * 1000:.0f} ms")
    print(f"  ratio (median): {c / b:.2f}  (goal <= 1.3)")
    p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95) - 1]  # noqa: E731
    print(f"ballot entry, 60 members, {len(save)} ballots:")
    print(f"  rating key -> table shows it: median {statistics.median(rate) * 1000:.1f} ms,"
          f" p95 {p95(rate) * 1000:.1f} ms")
    print(f"  Enter (save ballot) -> cleared ballot: median {statistics.median(save) * 1000:.1f} ms,"
          f" max {max(save) * 1000:.1f} ms")
    print("  goal: under 50 ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
