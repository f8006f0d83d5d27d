"""A 100,000-row points-entry import, and what another console feels meanwhile.

A real SQLite file (WAL, synchronous=FULL) in a temporary folder, or the database given with
--db (e.g. a PostgreSQL URL of an empty database): a branch of 60 members under
xinmi-hospital-2023, and a CSV of realistic rows (姓名, 月份, 类型, 事项编号, 分值, 事由,
佐证材料; catalogue items with their points, spread over the year's twelve months).

Three processes: this one; the importer (`jifen`'s own db.imports.import_items, in a child
process so its peak memory is its own); and a prober, a second "console" that makes one small
write (a member's 职务 changed, one transaction with its audit line) every 50 ms from before
the import starts until after it ends, recording how long each write takes and whether it
was refused. Goal: no write of the prober waits more than a second.

Run by hand: `.venv/bin/python bench/import_bench.py [rows] [--db URL]`.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.schemes import builtin, builtin_text  # noqa: E402
from db.engine import open_engine  # noqa: E402
from db.store import Store  # noqa: E402

SCHEME = "xinmi-hospital-2023"
YEAR = 2026
KINDS = {"bonus": "加分", "deduction": "减分"}


def prepare(target: str, members: int) -> list[str]:
    st = Store(open_engine(target), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), YEAR)
    names = [f"党员{i:02d}" for i in range(members)]
    st.add_members([dict(name=n, status="probationary" if i % 12 == 0 else "full") for i, n in enumerate(names)])
    st.engine.dispose()
    return names


def write_csv(path: Path, names: list[str], rows: int) -> None:
    scheme = builtin(SCHEME)
    items = [i for i in scheme.items if i.kind in KINDS and i.points is not None and i.levels is None]
    rng = random.Random(5)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["姓名", "月份", "类型", "事项编号", "分值", "事由", "佐证材料"])
        for n in range(rows):
            item = rng.choice(items)
            w.writerow([rng.choice(names), rng.randint(1, 12), KINDS[item.kind], item.code, str(item.points),
                        f"{item.label}（第{n + 1}条）", rng.choice(["会议签到表", "党费台账", "活动照片", ""])])


def importer(target: str, path: str, out: Any) -> None:
    from sqlalchemy import event

    from db.engine import WRITE_OPTION
    from db.imports import import_items

    st = Store(open_engine(target), "书记")
    write_phase: list[float] = []  # how long each write transaction holds the write lock
    began: list[float] = []

    def on_begin(conn: Any) -> None:
        if all(conn.get_execution_options().get(k) for k in WRITE_OPTION):
            began.append(time.perf_counter())

    def on_end(conn: Any) -> None:
        if all(conn.get_execution_options().get(k) for k in WRITE_OPTION) and began:
            write_phase.append(time.perf_counter() - began.pop())

    event.listen(st.engine, "begin", on_begin)
    event.listen(st.engine, "commit", on_end)
    event.listen(st.engine, "rollback", on_end)
    t0 = time.perf_counter()
    error = ""
    try:
        n = import_items(st, path, YEAR)
    except Exception as exc:  # the bench reports it
        n, error = 0, f"{exc.__class__.__name__}: {str(exc)[:200]}"
    took = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send((n, took, write_phase, peak_mb, error))


def baseline(target: str, out: Any) -> None:
    """The importer's process before it reads anything: Python, the store, an open engine."""
    import db.imports  # noqa: F401

    Store(open_engine(target)).members()
    out.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def prober(target: str, stop: Any, ready: Any, out: Any) -> None:
    from db.errors import StoreError

    st = Store(open_engine(target), "另一个控制台")
    member = st.members()[-1].id
    waits: list[tuple[float, float, str]] = []  # (start, seconds, refusal or "")
    n = 0
    ready.set()
    while not stop.is_set():
        n += 1
        t0 = time.perf_counter()
        try:
            st.update_member(member, post=f"组织委员{n}")
            refused = ""
        except StoreError as exc:
            refused = str(exc)
        waits.append((t0, time.perf_counter() - t0, refused))
        time.sleep(0.05)
    out.send(waits)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--db", help="an empty database (path or URL); default a SQLite file in a temporary folder")
    parser.add_argument("--members", type=int, default=60)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        target = args.db or str(Path(tmp) / "bench.db")
        names = prepare(target, args.members)
        path = Path(tmp) / "积分事项.csv"
        write_csv(path, names, args.rows)
        size_mb = path.stat().st_size / 1e6

        ours, theirs = ctx.Pipe()
        p = ctx.Process(target=baseline, args=(target, theirs))
        p.start()
        base_mb = ours.recv()
        p.join()

        stop, ready = ctx.Event(), ctx.Event()
        probe_out, probe_in = ctx.Pipe()
        probe = ctx.Process(target=prober, args=(target, stop, ready, probe_in))
        probe.start()
        ready.wait(60)
        time.sleep(1.0)  # a second of writes before the import, for comparison
        imp_out, imp_in = ctx.Pipe()
        t_start = time.perf_counter()
        imp = ctx.Process(target=importer, args=(target, str(path), imp_in))
        imp.start()
        n, took, write_phase, peak_mb, error = imp_out.recv()
        t_end = time.perf_counter()
        imp.join()
        time.sleep(1.0)
        stop.set()
        waits = probe_out.recv()
        probe.join()

    during = [(t, w, r) for t, w, r in waits if t_start <= t + w and t <= t_end]
    worst = max(during, key=lambda x: x[1]) if during else (0.0, 0.0, "")
    refused = [r for _, _, r in during if r]
    lat = sorted(w for _, w, _ in during)
    before = [w for t, w, _ in waits if t + w < t_start]
    print(f"database: {'SQLite file (WAL, synchronous=FULL)' if not args.db else args.db.split('://')[0]}")
    print(f"file: {args.rows:,} rows, {size_mb:.1f} MB CSV; {args.members} members")
    print(f"imported: {n:,} rows{'  ERROR ' + error if error else ''}")
    print(f"import wall time (process start to done): {t_end - t_start:.2f} s; import_items itself {took:.2f} s")
    print(f"write transaction(s): {', '.join(f'{w * 1000:.0f} ms' for w in write_phase)}")
    print(f"peak memory of the importing process: {peak_mb:.0f} MB (before reading: {base_mb:.0f} MB)")
    print(f"other console, before the import: {len(before)} writes, median {statistics.median(before) * 1000:.1f} ms")
    if lat:
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"other console, during the import: {len(during)} writes, median {statistics.median(lat) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms, worst {worst[1] * 1000:.0f} ms, refused {len(refused)}")
    if refused:
        print(f"  refusal: {refused[0]}")


if __name__ == "__main__":
    main()
