"""`jifen compute` on 300 members x 40 entries against 1 member, interleaved.

Goal: the large case takes at most 1.25x the small one (scoring is negligible beside
start-up). Run by hand: `make bench` or `.venv/bin/python bench/compute_bench.py [runs]`.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.schemes import builtin  # noqa: E402


def make_case(members: int, per_member: int, seed: int = 7) -> dict:
    """A xinmi branch-year whose entries all cite catalogue items with valid points."""
    scheme = builtin("xinmi-hospital-2023")
    rng = random.Random(seed)
    items = [i for i in scheme.items if i.kind in ("bonus", "deduction")]
    case: dict = {"scheme": scheme.id, "year": 2026, "members": [], "entries": [], "evaluations": []}
    for n in range(members):
        mid = f"m{n:03d}"
        case["members"].append({"id": mid, "name": f"党员{n}", "status": "probationary" if n % 10 == 0 else "full"})
        for _ in range(per_member):
            item = rng.choice(items)
            e: dict = {"member": mid, "kind": item.kind, "month": rng.randint(1, 12), "item": item.code}
            if item.levels:
                e["level"], pts = next(iter(item.levels.items()))
            elif item.points is not None:
                pts = item.points
            elif item.range is not None:
                pts = item.range[1]
            else:
                pts = item.max
            e["points"] = float(pts)
            case["entries"].append(e)
        case["evaluations"].append({"member": mid, "ratings": {"优秀": rng.randint(0, 10), "合格": rng.randint(5, 20),
                                                              "基本合格": rng.randint(0, 3), "不合格": 0}})
    return case


def main(runs: int = 30) -> None:
    jifen = Path(sys.executable).parent / "jifen"
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp, "small.json"), Path(tmp, "large.json")
        small.write_text(json.dumps(make_case(1, 40), ensure_ascii=False), encoding="utf-8")
        large.write_text(json.dumps(make_case(300, 40), ensure_ascii=False), encoding="utf-8")
        times: dict[str, list[float]] = {"small": [], "large": []}
        for i in range(runs + 2):
            for name, path in (("small", small), ("large", large)):
                t0 = time.perf_counter()
                done = subprocess.run([str(jifen), "compute", str(path)], capture_output=True)
                elapsed = time.perf_counter() - t0
                if done.returncode != 0:
                    raise SystemExit(done.stderr.decode())
                if i >= 2:  # two warm-up rounds
                    times[name].append(elapsed)
    small, large = statistics.median(times["small"]), statistics.median(times["large"])
    print(f"runs each: {runs} (interleaved, after 2 warm-up rounds)")
    print(f"1 member x 40 entries:     median {small * 1000:.1f} ms  min {min(times['small']) * 1000:.1f} ms")
    print(f"300 members x 40 entries:  median {large * 1000:.1f} ms  min {min(times['large']) * 1000:.1f} ms")
    print(f"ratio large/small (median): {large / small:.3f}  (goal <= 1.25)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
