"""Every export's wall time and peak memory on the demo database (run by hand, not a test).

Each export runs in a fresh child process (`python bench/export_bench.py --one NAME DB OUT`) so
that one export's imports, fonts and caches do not help the next: the child reports its wall
time for the export call (imports included), tracemalloc's peak of Python allocations during
the call, and its own peak resident set (ru_maxrss, the whole process). tracemalloc slows
Python down severalfold, so the wall times come from runs without it and the traced peak from
one more run with it. The demo's fourth
quarter is open, so the year documents are written as drafts (--draft), as a branch would
before its December meeting.

    .venv/bin/python bench/export_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXPORTS = ["minute 2026Q3", "publicity 2026Q3", "publicity 2026 (draft)", "ledger PDF (draft)",
           "ledger XLSX (draft)", "ledger CSV (draft)", "personal lists, all 24 (draft)",
           "ballots x1", "ballots x30", "ballots x500"]


def run_one(name: str, db: str, out: str, trace: bool) -> dict[str, float]:
    from db.engine import open_engine
    from db.store import Store

    store = Store(open_engine(db), "bench")
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    from exports import forms

    if name == "minute 2026Q3":
        from exports.minutes import write_minutes

        write_minutes(store, 2026, 3, out + ".pdf")
    elif name == "publicity 2026Q3":
        forms.write_publicity(store, 2026, 3, out + ".pdf")
    elif name == "publicity 2026 (draft)":
        forms.write_publicity(store, 2026, None, out + ".pdf", draft=True)
    elif name == "ledger PDF (draft)":
        forms.write_ledger(store, 2026, out + ".pdf", draft=True)
    elif name.startswith("ledger "):
        from exports.sheets import write_table

        write_table(forms.ledger_table(store, 2026, draft=True), out + "." + name.split()[1].lower())
    elif name.startswith("personal"):
        forms.write_personal(store, 2026, out + ".pdf", draft=True)
    else:
        forms.write_ballots(store, 2026, out + ".pdf", copies=int(name.split("x")[1]))
    wall = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"wall_ms": wall * 1000, "traced_mb": peak / 2**20, "rss_mb": rss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", nargs=3, metavar=("NAME", "DB", "OUT"))
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one, trace=args.trace)))
        return
    from db.demo import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "demo.db")
        build_demo(db)
        print("| export | wall (median) | tracemalloc peak | peak RSS of the child |")
        print("|---|---|---|---|")
        for name in EXPORTS:
            def child(k: int, trace: bool, name: str = name) -> dict[str, float]:
                cmd = [sys.executable, __file__, "--one", name, db, str(Path(tmp) / f"o{k}")]
                done = subprocess.run(cmd + (["--trace"] if trace else []), capture_output=True, text=True,
                                      check=True, cwd=ROOT)
                return dict(json.loads(done.stdout.strip().splitlines()[-1]))

            got = [child(k, False) for k in range(args.runs)]
            med = {key: statistics.median(g[key] for g in got) for key in ("wall_ms", "rss_mb")}
            med["traced_mb"] = child(args.runs, True)["traced_mb"]
            print(f"| {name} | {med['wall_ms']:.0f} ms | {med['traced_mb']:.1f} MB | {med['rss_mb']:.0f} MB |",
                  flush=True)


if __name__ == "__main__":
    main()
