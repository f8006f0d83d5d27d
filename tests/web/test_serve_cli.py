"""`jifen evaluation serve` as a secretary runs it: refusals in Chinese with exit 2, the
addresses and a terminal QR code that decodes, the count as ballots come in, a clean stop on
SIGTERM and SIGINT."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from db.writer import WriterLock
from tests.support import missing
from tests.web.conftest import new_meeting
from tests.web.test_load import ROOT, free_port


def serve_args(db: str, *more: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "evaluation", "serve", "--db", db, *more]


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


class Serving:
    """A serve process whose output is read as it comes."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, seconds: float = 30) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no “{text}” in:\n" + "\n".join(self.lines))

    def end(self, sig: int) -> tuple[int, str]:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self.reader.join(timeout=5)
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read()


@pytest.fixture
def ready(tmp_path):
    m = new_meeting(str(tmp_path / "branch.db"), codes=5)
    m.store.engine.dispose()
    return m


def test_refusals_are_one_chinese_line_with_exit_2(tmp_path, ready):
    bare = new_meeting(str(tmp_path / "bare.db"))
    bare.store.engine.dispose()
    cases = [
        (serve_args(bare.db, "--quarter", "2026Q4", "--port", str(free_port())), "尚未生成测评码"),
        (serve_args(ready.db, "--quarter", "2026Q3", "--port", str(free_port())), "还没有开始"),
        (serve_args(ready.db, "--quarter", "2026Q9"), "写法不对"),
        (serve_args(ready.db, "--quarter", "2026Q4", "--round", "2", "--port", str(free_port())), "没有第2轮"),
        (serve_args(ready.db, "--quarter", "2026Q4", "--host", "203.0.113.77", "--port", str(free_port())),
         "本机没有地址"),
        (serve_args(ready.db, "--quarter", "2026Q4", "--host", "::1", "--port", str(free_port())), "IPv4 地址"),
    ]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        cases.append((serve_args(ready.db, "--quarter", "2026Q4", "--host", "127.0.0.1", "--port", str(port)),
                      f"端口 {port} 已被占用"))
        for args, words in cases:
            done = run(args)
            assert done.returncode == 1, (args, done.stdout, done.stderr)
            assert words in done.stderr and "Traceback" not in done.stderr + done.stdout
    lock = WriterLock(ready.db)  # a console holds the database
    assert lock.try_acquire()
    try:
        done = run(serve_args(ready.db, "--quarter", "2026Q4", "--port", str(free_port())))
    finally:
        lock.release()
    assert done.returncode == 1 and "不能修改" in done.stderr and "Traceback" not in done.stderr


def qr_image(lines: list[str], into: Path) -> Path:
    """The terminal's QR code drawn as pixels: a cell is two modules, █ both light, ▀ the upper,
    ▄ the lower, a space both dark."""
    from PIL import Image

    rows = [line for line in lines if line and set(line) <= set("█▀▄ ")]
    assert rows, "no QR code printed"
    scale, width = 8, max(len(r) for r in rows)
    img = Image.new("L", ((width + 8) * scale, (2 * len(rows) + 8) * scale), 255)
    for y, row in enumerate(rows):
        for x, ch in enumerate(row.ljust(width, "█")):
            upper, lower = ch in "█▀", ch in "█▄"
            for dy, light in ((0, upper), (1, lower)):
                if not light:
                    img.paste(0, ((x + 4) * scale, (2 * y + dy + 4) * scale,
                                  (x + 5) * scale, (2 * y + dy + 5) * scale))
    path = into / "qr.png"
    img.save(path)
    return path


def test_serving_prints_addresses_a_qr_that_decodes_and_the_count(ready, tmp_path):
    port = free_port()
    s = Serving(serve_args(ready.db, "--quarter", "2026Q4", "--port", str(port)))
    try:
        s.wait_for("已提交 0 / 5")
        out = "\n".join(s.lines)
        shown = re.findall(r"http://([\d.]+):(\d+)/", out)
        assert ("127.0.0.1", str(port)) == shown[-1] and len(shown) >= 1
        r = httpx.post(f"http://127.0.0.1:{port}/api/ballot", json={"code": ready.codes[0], "marks": {}})
        assert r.status_code == 200
        s.wait_for("已提交 1 / 5")
        if not shutil.which("zbarimg"):
            missing("zbarimg (zbar-tools) is not installed")
        decoded = subprocess.run(["zbarimg", "--raw", "-q", str(qr_image(s.lines, tmp_path))], capture_output=True,
                                 text=True, timeout=30)
        assert decoded.stdout.strip() == f"http://{shown[0][0]}:{port}/"
    finally:
        code, err = s.end(signal.SIGTERM)
    assert code == 0 and err == "" and s.lines[-1] == "测评服务已停止"  # no access log, no warning
    # Nothing on disk but the database and its writer lock: no log, no cache, no temporary file.
    left = {p.name for p in Path(ready.db).parent.iterdir()}
    assert left <= {"branch.db", "branch.db-wal", "branch.db-shm", "branch.db-writer.lock", "branch.db-writer.json",
                    "qr.png"}, left


def test_ctrl_c_stops_it_cleanly_and_frees_the_lock(ready):
    port = free_port()
    s = Serving(serve_args(ready.db, "--quarter", "2026Q4", "--host", "127.0.0.1", "--port", str(port)))
    s.wait_for("已提交 0 / 5")
    code, err = s.end(signal.SIGINT)
    assert code == 0 and err == "" and "测评服务已停止" in s.lines
    lock = WriterLock(ready.db)
    assert lock.try_acquire()  # the writer lock went with the process
    lock.release()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/")


def test_hostile_requests_print_nothing_on_the_secretarys_terminal(ready):
    """Garbage, upgrade headers, a TLS hello, bad chunking: uvicorn warned in English (with pip
    advice) on stderr for each; a phone could fill the terminal with them."""
    port = free_port()
    s = Serving(serve_args(ready.db, "--quarter", "2026Q4", "--host", "127.0.0.1", "--port", str(port)))
    s.wait_for("已提交 0 / 5")
    hostile = [b"GARBAGE\r\n\r\n",
               b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
               b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
               b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100,
               b"POST /api/ballot HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
               b"POST /api/ballot HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"]
    for request in hostile:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.sendall(request)
            assert c.recv(12).startswith(b"HTTP/1.1 ")
    assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    code, err = s.end(signal.SIGINT)
    assert code == 0 and err == ""
    assert not [line for line in s.lines if re.search(r"[A-Za-z]{4,}", line) and "http://" not in line
                and "jifen" not in line and "Ctrl" not in line]
