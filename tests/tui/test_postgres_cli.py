"""The command line and the console on a real PostgreSQL server (started by the tests), as a
committee or a branch with a server would use them: `--db postgresql://...` everywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from db.engine import database_url
from db.store import Store
from tests.postgres import PostgresServer
from tests.support import screen_text

JIFEN = Path(sys.executable).parent / "jifen"


def jifen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd, env=env,
                          timeout=120)


def test_demo_is_built_in_the_server_database(postgres_server: PostgresServer, tmp_path):
    url = postgres_server.new_database()
    done = jifen("demo", "--db", url, "--no-tui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert url.split("://", 1)[1] in done.stdout
    # Nothing was written beside us: no SQLite file named after the URL.
    assert list(tmp_path.iterdir()) == []
    from db.engine import open_engine

    store = Store(open_engine(url))
    assert store.branch_name() == "新密市中医院第一党支部"
    assert [q.state for q in store.quarters(2026)] == ["locked", "locked", "locked", "open"]
    assert len(store.members()) == 24
    verified = jifen("verify", "--db", url, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "已锁定 3 个季度" in verified.stdout
    listed = jifen("members", "list", "--db", url, cwd=tmp_path)
    assert listed.returncode == 0 and "王建国" in listed.stdout
    again = jifen("demo", "--db", url, "--no-tui", cwd=tmp_path)
    assert again.returncode == 1 and "已有支部数据" in again.stderr and "Traceback" not in again.stderr


def test_console_opens_on_the_server_database(postgres_server: PostgresServer):
    import asyncio

    from db.demo import build_demo
    from tui.app import JifenApp

    url = postgres_server.new_database()
    build_demo(url)

    async def first_frame() -> str:
        app = JifenApp(db_path=url)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            return screen_text(app.export_screenshot())

    text = asyncio.run(first_frame())
    assert "新密市中医院第一党支部" in text and "2026年第四季度" in text


def test_a_server_that_is_down_is_one_chinese_line(postgres_server: PostgresServer, tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = jifen("verify", "--db", f"postgresql://jifen:secret@127.0.0.1:{port}/nowhere", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("无法连接数据库"), done.stderr
    assert "secret" not in done.stderr  # the password is never shown


def test_plain_postgresql_url_means_psycopg():
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
