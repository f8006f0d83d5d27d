"""The store at meeting speed: one ballot and its board for 60 members, and locking a
quarter of 60 members. Real SQLite file (WAL, synchronous=FULL) in a temporary folder.

Goal: a ballot and its board under 20 ms. Run by hand:
`.venv/bin/python bench/store_bench.py [ballots]`.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.quarter import QuarterRef  # noqa: E402
from core.schemes import builtin, builtin_text  # noqa: E402
from db.engine import open_engine  # noqa: E402
from db.store import MeetingFacts, Store  # noqa: E402

SCHEME = "xinmi-hospital-2023"
LABELS = ("优秀", "合格", "基本合格", "不合格")


def branch(path: Path, members: int = 60, per_member: int = 40) -> tuple[Store, list[int]]:
    st = Store(open_engine(path), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), 2026)
    ids = st.add_members([dict(name=f"党员{i:02d}", status="probationary" if i % 12 == 0 else "full")
                          for i in range(members)])
    scheme = builtin(SCHEME)
    items = [i for i in scheme.items if i.kind in ("bonus", "deduction") and i.points is not None]
    rng = random.Random(3)
    rows = []
    for mid in ids:
        for _ in range(per_member):
            item = rng.choice(items)
            rows.append(dict(quarter=4, member_id=mid, kind=item.kind, points=item.points, item=item.code))
    st.add_entries(2026, rows)
    st.open_meeting(QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "甲", "乙"))
    for mid in ids:
        st.roll_call(QuarterRef(2026, 4), mid, True)
    return st, ids


def main(ballots: int = 60) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        st, ids = branch(Path(tmp) / "bench.db")
        add, board, both = [], [], []
        for _ in range(ballots):
            marks = {mid: rng.choice(LABELS) for mid in ids}
            t0 = time.perf_counter()
            st.add_ballot(QuarterRef(2026, 4), marks)
            t1 = time.perf_counter()
            st.board(2026)
            t2 = time.perf_counter()
            add.append(t1 - t0)
            board.append(t2 - t1)
            both.append(t2 - t0)
        t0 = time.perf_counter()
        st.lock(QuarterRef(2026, 4))
        lock = time.perf_counter() - t0
        t0 = time.perf_counter()
        problems = st.verify()
        verify = time.perf_counter() - t0
        assert not problems

    def ms(xs: list[float]) -> str:
        return f"median {statistics.median(xs) * 1000:.1f} ms, p95 {sorted(xs)[int(len(xs) * .95) - 1] * 1000:.1f} ms"

    print(f"60 members x 40 entries, {ballots} ballots (each a full 60-member ballot):")
    print(f"  add one ballot (commit):   {ms(add)}")
    print(f"  recompute the board:       {ms(board)}")
    print(f"  ballot + board:            {ms(both)}   (goal < 20 ms)")
    print(f"lock the quarter (60 members, 2,400 entries, {ballots} ballots): {lock * 1000:.1f} ms")
    print(f"verify the chain: {verify * 1000:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
