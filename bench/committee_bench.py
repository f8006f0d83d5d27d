"""The committee at scale (run by hand, not a test): 50 branches x 4 locked quarters x 40 members,
their 200 bundles imported into a committee database on SQLite and on PostgreSQL, then the
2026Q4 report computed and written as PDF, XLSX and CSV.

The branches and their bundles are slow to make (a branch's year replayed through the store, two
PDFs per bundle) and are kept in CACHE: a run finds them there and makes only what is missing, so
the timed part can be run again and again. Every timed phase runs in a child process of its own
(`--phase ...`), so its peak resident set (ru_maxrss) is its own and one phase's caches do not
help the next. PostgreSQL is a throwaway server (tests/postgres.py, fsync off) started for the run.

    .venv/bin/python bench/committee_bench.py CACHE [--branches 50] [--members 40] [--workers 2]
                                                    [--no-postgres]
    .venv/bin/python bench/committee_bench.py CACHE --bundle-speed RUNS   (write_bundle, before/after)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEAR = 2026
Q4_DAY = datetime(2026, 12, 25, 14, 30)


def branch_name(i: int) -> str:
    return f"示范医院第{i:02d}党支部"


def _rss_now_mb() -> float:
    """The current resident set (not the peak): to see whether memory grows bundle by bundle."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the cache: branches and bundles ------------------------------------------------------------


def make_branch(i: int, members: int, folder: str) -> float:
    """Branch i: the demo year (Q1-Q3 locked) with `members` members, then its Q4 meeting held
    through the store (everyone present but the excused, each contested entry voted through)
    and the quarter locked. Written under a temporary name, so an interrupted run leaves nothing
    that looks finished."""
    from core.quarter import QuarterRef
    from db.demo import build_demo
    from db.store import MeetingFacts

    start = time.perf_counter()
    final = Path(folder) / f"{i:02d}.db"
    part = final.with_suffix(".part")
    part.unlink(missing_ok=True)
    st = build_demo(part, branch=branch_name(i), seed=i, members=members)
    q4 = QuarterRef(YEAR, 4)
    st.clock = lambda: Q4_DAY
    meeting = st.meeting(QuarterRef(YEAR, 3))
    assert meeting is not None
    st.open_meeting(q4, MeetingFacts(Q4_DAY, meeting.place, meeting.host, meeting.recorder, meeting.observers,
                                     meeting.agenda))
    st.roll_call_rest(q4)
    for e in st.entries(q4):
        if e.status == "有异议" and e.id is not None:
            st.vote(e.id, st.quorum(q4).voting_present, 0, 0)
    st.lock(q4)
    st.engine.dispose()
    part.rename(final)
    return time.perf_counter() - start


def make_bundles(i: int, branches: str, bundles: str) -> list[float]:
    """Branch i's four bundles (2026Q1-Q4); the time of each write_bundle."""
    from committee.bundle import write_bundle
    from core.quarter import QuarterRef
    from db.engine import open_engine
    from db.store import Store

    st = Store(open_engine(Path(branches) / f"{i:02d}.db"), "bench")
    took = []
    for n in (1, 2, 3, 4):
        out = Path(bundles) / f"{i:02d}-{YEAR}Q{n}.jifen"
        if out.exists():
            continue
        start = time.perf_counter()
        write_bundle(st, QuarterRef(YEAR, n), out)
        took.append(time.perf_counter() - start)
    st.engine.dispose()
    return took


def ensure_cache(cache: Path, count: int, members: int, workers: int) -> dict[str, Any]:
    branches, bundles = cache / "branches", cache / "bundles"
    branches.mkdir(parents=True, exist_ok=True)
    bundles.mkdir(parents=True, exist_ok=True)
    made: dict[str, Any] = {}
    todo = [i for i in range(1, count + 1) if not (branches / f"{i:02d}.db").exists()]
    if todo:
        print(f"building {len(todo)} branches of {members} members in {workers} processes...", flush=True)
        with ProcessPoolExecutor(workers) as pool:
            made["branch_s"] = list(pool.map(make_branch, todo, [members] * len(todo), [str(branches)] * len(todo)))
    todo = [i for i in range(1, count + 1)
            if not all((bundles / f"{i:02d}-{YEAR}Q{n}.jifen").exists() for n in (1, 2, 3, 4))]
    if todo:
        print(f"writing the bundles of {len(todo)} branches in {workers} processes...", flush=True)
        with ProcessPoolExecutor(workers) as pool:
            made["bundle_s"] = [t for ts in pool.map(make_bundles, todo, [str(branches)] * len(todo),
                                                     [str(bundles)] * len(todo)) for t in ts]
    return made


def bundle_files(cache: Path, count: int, order: str) -> list[Path]:
    """Chain order: quarter by quarter, every branch's Q1 before any Q2 (as reports come in).
    Shuffled: a fixed shuffle, so later quarters often arrive before earlier ones."""
    files = [cache / "bundles" / f"{i:02d}-{YEAR}Q{n}.jifen" for n in (1, 2, 3, 4) for i in range(1, count + 1)]
    if order == "shuffled":
        random.Random(15).shuffle(files)
    return files


# -- the timed phases, each in a child process --------------------------------------------------


def phase_import(db: str, cache: Path, count: int, order: str) -> dict[str, Any]:
    from committee.store import CommitteeStore

    files = bundle_files(cache, count, order)
    store = CommitteeStore.open(db, create=True)
    base = _rss_now_mb()
    took: list[float] = []
    statuses: dict[str, int] = {}
    rss: list[float] = []
    start = time.perf_counter()
    for k, f in enumerate(files, 1):
        t = time.perf_counter()
        result = store.import_file(f)
        took.append(time.perf_counter() - t)
        statuses[result.status] = statuses.get(result.status, 0) + 1
        if k % 20 == 0:
            rss.append(round(_rss_now_mb(), 1))
    total = time.perf_counter() - start
    store.engine.dispose()
    took.sort()
    return {"total_s": total, "median_ms": statistics.median(took) * 1000,
            "p95_ms": took[int(0.95 * (len(took) - 1))] * 1000, "max_ms": took[-1] * 1000,
            "statuses": statuses, "rss_start_mb": base, "rss_every_20_mb": rss, "peak_mb": _peak_mb(),
            "bundles_mb": sum(f.stat().st_size for f in files) / 2**20}


def phase_report(db: str, out: str) -> dict[str, Any]:
    from committee.report import committee_report
    from committee.report_files import write_report
    from committee.store import CommitteeStore
    from core.quarter import QuarterRef

    quarter = QuarterRef(YEAR, 4)
    got: dict[str, Any] = {}
    start = time.perf_counter()
    store = CommitteeStore.open(db)
    records = store.branch_records(quarter)
    known = [b.name for b in store.branches()]
    store.engine.dispose()
    got["read_s"] = time.perf_counter() - start
    t = time.perf_counter()
    report = committee_report(records, quarter, known)
    got["compute_s"] = time.perf_counter() - t
    got["branches"] = len(report.branches)
    got["members"] = sum(len(b.members) for b in report.branches)
    for suffix in (".pdf", ".xlsx", ".csv"):
        t = time.perf_counter()
        path = write_report(report, out + suffix)
        got[f"{suffix[1:]}_s"] = time.perf_counter() - t
        got[f"{suffix[1:]}_kb"] = path.stat().st_size / 1024
    got["peak_mb"] = _peak_mb()
    return got


def bundle_speed(cache: Path, runs: int) -> None:
    """write_bundle of branch 01's 2026Q4, with exports.document skipping the bounds in fpdf2's
    discarded whole-font save (as it does) and without (as before), interleaved in one process
    after a warm-up, so both meet the same load."""
    import exports.document as document
    from committee.bundle import write_bundle
    from core.quarter import QuarterRef
    from db.engine import open_engine
    from db.store import Store

    st = Store(open_engine(cache / "branches" / "01.db"), "bench")
    skip = document._skip_bounds_in_save
    times: dict[str, list[float]] = {"before": [], "now": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(runs + 1):
            for name, hook in (("before", lambda font: None), ("now", skip)):
                document._skip_bounds_in_save = hook
                start = time.perf_counter()
                write_bundle(st, QuarterRef(YEAR, 4), Path(tmp) / f"{name}.jifen")
                if k:
                    times[name].append(time.perf_counter() - start)
    document._skip_bounds_in_save = skip
    for name, got in times.items():
        print(f"write_bundle 2026Q4, 40 members, {name}: median {statistics.median(got):.2f} s, "
              f"min {min(got):.2f} s ({runs} runs)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)


def _pages(pdf: str) -> int:
    done = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Pages:")))


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"phase {args[0]} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _db_size_mb(db: str) -> float:
    if not db.startswith("postgresql://"):
        return Path(db).stat().st_size / 2**20
    import psycopg

    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) / 2**20 if row else 0.0


def run_store(label: str, new_db: Any, cache: Path, count: int, out: Path) -> list[str]:
    lines = []
    for order in ("chain", "shuffled"):
        db = new_db(order)
        got = _child("import", db, str(cache), str(count), order)
        size = _db_size_mb(db)
        lines.append(f"| {label}, import {count * 4} in {order} order | {got['total_s']:.1f} s | "
                     f"{got['median_ms']:.0f} / {got['p95_ms']:.0f} / {got['max_ms']:.0f} ms | "
                     f"{got['peak_mb']:.0f} MB (start {got['rss_start_mb']:.0f}) | {size:.1f} MB | "
                     f"{', '.join(f'{v} {k}' for k, v in sorted(got['statuses'].items()))} |")
        print(lines[-1], flush=True)
        print(f"    resident set every 20 bundles (MB): {got['rss_every_20_mb']}; "
              f"bundle files {got['bundles_mb']:.1f} MB", flush=True)
        if order == "chain":
            report_db = db
    rep = _child("report", report_db, str(out / label))
    pages = _pages(str(out / label) + ".pdf")
    lines.append(f"| {label}, report 2026Q4 ({rep['branches']} branches, {rep['members']} members) | "
                 f"read {rep['read_s']:.2f} s, compute {rep['compute_s']:.2f} s | "
                 f"PDF {rep['pdf_s']:.2f} s ({pages} pages, {rep['pdf_kb']:.0f} KB), "
                 f"XLSX {rep['xlsx_s']:.2f} s ({rep['xlsx_kb']:.0f} KB), CSV {rep['csv_s']:.2f} s "
                 f"({rep['csv_kb']:.0f} KB) | {rep['peak_mb']:.0f} MB | | |")
    print(lines[-1], flush=True)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cache", nargs="?", type=Path)
    ap.add_argument("--branches", type=int, default=50)
    ap.add_argument("--members", type=int, default=40)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--phase", nargs="+")
    ap.add_argument("--bundle-speed", type=int, metavar="RUNS", help="only time write_bundle, before/after")
    args = ap.parse_args()
    if args.phase:
        name, *rest = args.phase
        if name == "import":
            got = phase_import(rest[0], Path(rest[1]), int(rest[2]), rest[3])
        else:
            got = phase_report(rest[0], rest[1])
        print(json.dumps(got))
        return
    if args.cache is None:
        ap.error("CACHE (a folder for the branches and bundles) is required")
    if args.bundle_speed:
        bundle_speed(args.cache, args.bundle_speed)
        return
    made = ensure_cache(args.cache, args.branches, args.members, args.workers)
    for key, what in (("branch_s", "build a branch (Q1-Q4 locked)"), ("bundle_s", "write_bundle")):
        if made.get(key):
            print(f"{what}: median {statistics.median(made[key]):.2f} s over {len(made[key])} "
                  f"({args.workers} in parallel)", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print("| phase | total | per bundle median / p95 / max | peak RSS | database | results |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="jifen-committee-bench-") as tmp:
        out = Path(tmp)
        lines = run_store("SQLite", lambda order: str(out / f"committee-{order}.db"), args.cache, args.branches, out)
        if not args.no_postgres:
            from tests.postgres import throwaway_server

            with throwaway_server() as server:
                lines += run_store("PostgreSQL", lambda order: server.new_database(), args.cache, args.branches,
                                   out)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)


if __name__ == "__main__":
    main()
