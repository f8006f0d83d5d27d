"""Sixty phones at once against the ballot server: `jifen evaluation serve` in a process of its
own on a real SQLite file (WAL, synchronous=FULL), 60 members, 60 codes; every phone loads its
ballot (GET) and then all submit at the same moment (POST). Measures each POST's latency as the
phone sees it, and the server's peak RSS (VmHWM). Repeated on a fresh database each run.

Goal: p95 under 200 ms on the 2-core development machine. Run by hand:
`.venv/bin/python bench/ballot_server_bench.py [runs]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.quarter import QuarterRef  # noqa: E402
from core.schemes import builtin_text  # noqa: E402
from db.engine import open_engine  # noqa: E402
from db.store import MeetingFacts, Store  # noqa: E402

SCHEME = "xinmi-hospital-2023"
LABELS = ("优秀", "合格", "基本合格", "不合格")
PHONES = MEMBERS = 60
Q = QuarterRef(2026, 4)


def meeting(path: Path) -> tuple[list[int], list[str], int]:
    st = Store(open_engine(path), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), 2026)
    ids = st.add_members([dict(name=f"党员{i:02d}", status="probationary" if i % 12 == 0 else "full")
                          for i in range(MEMBERS)])
    st.open_meeting(Q, MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "甲", "乙"))
    st.roll_call_rest(Q)
    codes = st.issue_codes(Q, PHONES)
    limit = st.ballot_form(Q).max_excellent
    st.engine.dispose()
    return ids, codes, limit


def ballot(rng: random.Random, ids: list[int], limit: int) -> dict[str, str]:
    marks, excellent = {}, 0
    for k, mid in enumerate(ids):
        label = rng.choice(LABELS)
        if label == "优秀" and k % 12 and excellent >= limit:
            label = "合格"
        excellent += label == "优秀" and k % 12 != 0
        marks[str(mid)] = label
    return marks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024  # type: ignore[union-attr]


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str, path: str,
                   body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request on a kept-alive connection, written by hand: the phones are other
    machines, so the client here should cost the 2 cores as little as possible (httpx's async
    client costs as much CPU per request as the server)."""
    head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    writer.write(head + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def phones(port: int, codes: list[str], ballots: list[dict[str, str]]) -> list[float]:
    go = asyncio.Event()

    async def one(code: str, marks: dict[str, str]) -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        status, _ = await exchange(reader, writer, "GET", f"/api/ballot?code={code}")
        assert status == 200
        body = json.dumps({"code": code, "marks": marks}, ensure_ascii=False).encode()
        await go.wait()
        t0 = time.perf_counter()
        status, text = await exchange(reader, writer, "POST", "/api/ballot", body)
        took = time.perf_counter() - t0
        assert status == 200, text.decode()
        writer.close()
        return took

    tasks = [asyncio.create_task(one(code, marks)) for code, marks in zip(codes, ballots, strict=True)]
    await asyncio.sleep(1.0)  # every phone has its ballot loaded
    go.set()
    return list(await asyncio.gather(*tasks))


def run_once(seed: int) -> tuple[list[float], float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        ids, codes, limit = meeting(db)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": tmp, "XDG_DATA_HOME": tmp}
        proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "evaluation", "serve", "--db", str(db), "--quarter",
                                 "2026Q4", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("已提交"):
                    break
            rng = random.Random(seed)
            took = asyncio.run(phones(port, codes, [ballot(rng, ids, limit) for _ in codes]))
            rss = peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        return took, rss


def main(runs: int = 5) -> None:
    all_took, peaks = [], []
    for k in range(runs):
        took, rss = run_once(k)
        all_took += took
        peaks.append(rss)
        q = statistics.quantiles(took, n=20)
        print(f"run {k + 1}: median {statistics.median(took) * 1000:.1f} ms, p95 {q[18] * 1000:.1f} ms, "
              f"max {max(took) * 1000:.1f} ms, server peak RSS {rss:.1f} MB")
    q = statistics.quantiles(all_took, n=20)
    print(f"{datetime.now():%Y-%m-%d}, {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{runs} runs x {PHONES} phones at once: POST median {statistics.median(all_took) * 1000:.1f} ms, "
          f"p95 {q[18] * 1000:.1f} ms, max {max(all_took) * 1000:.1f} ms; "
          f"server peak RSS {max(peaks):.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
