"""Which database the command line works on (--db anywhere, JIFEN_DB, --last, the default), the
demo's fixed home, and the command line speaking Chinese, argparse's own words included.
Every command runs as a subprocess with user folders of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from db.engine import open_engine
from db.store import MeetingFacts, Store

JIFEN = Path(sys.executable).parent / "jifen"
SUBCOMMANDS = [[], ["compute"], ["schemes"], ["schemes", "list"], ["schemes", "show"], ["schemes", "check"],
               ["demo"], ["init"], ["members"], ["members", "import"], ["members", "list"], ["items"],
               ["items", "import"], ["items", "add"], ["items", "list"], ["export"], ["verify"]]


def jifen(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "JIFEN_DB"}
    full.update(PYTHONIOENCODING="utf-8", COLUMNS="200", XDG_CONFIG_HOME=str(home / "config"),
                XDG_DATA_HOME=str(home / "data"), **(env or {}))
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True, encoding="utf-8", cwd=home,
                          env=full, stdin=subprocess.DEVNULL, timeout=120)


def fresh_store(path: Path) -> Store:
    return Store(open_engine(path))


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("demo")
    done = jifen("demo", "--db", str(home / "demo.db"), "--no-tui", home=home)
    assert done.returncode == 0, done.stderr
    return home / "demo.db"


def test_db_before_the_command_is_the_db_after_it(demo_file: Path, tmp_path: Path):
    before = jifen("--db", str(demo_file), "verify", home=tmp_path)
    after = jifen("verify", "--db", str(demo_file), home=tmp_path)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout and "已锁定 3 个季度" in before.stdout
    listed = jifen("--db", str(demo_file), "members", "list", home=tmp_path)
    assert listed.returncode == 0 and "王建国" in listed.stdout
    # Two different --db are a mistake, not a silent choice.
    both = jifen("--db", str(demo_file), "verify", "--db", str(tmp_path / "other.db"), home=tmp_path)
    assert both.returncode == 2 and "--db 写了两次且不相同" in both.stderr
    # No default database was created on the way.
    assert not (tmp_path / "data" / "jifen" / "jifen.db").exists()


def test_a_named_database_that_is_missing_is_refused_never_replaced(demo_file: Path, tmp_path: Path):
    missing = tmp_path / "typo.db"
    for args in (["--db", str(missing), "verify"], ["verify", "--db", str(missing)], ["--db", str(missing)]):
        done = jifen(*args, home=tmp_path, env={"JIFEN_DB": str(demo_file)})
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.strip().splitlines() == [
            f"数据库文件不存在：{missing}（由 --db 指定）。请检查 --db，或先用 jifen init 建立支部"], args
        assert not missing.exists()
    # JIFEN_DB is used when there is no --db, and said to be.
    via_env = jifen("verify", home=tmp_path, env={"JIFEN_DB": str(demo_file)})
    assert via_env.returncode == 0 and "已锁定 3 个季度" in via_env.stdout
    gone = jifen("verify", home=tmp_path, env={"JIFEN_DB": str(missing)})
    assert gone.returncode == 1 and "由环境变量 JIFEN_DB 指定" in gone.stderr


def test_init_says_where_and_last_reopens_it(tmp_path: Path):
    db = tmp_path / "branch.db"
    done = jifen("init", "--db", str(db), "--branch", "第一党支部", "--scheme", "xinmi-hospital-2023", "--year", "2026",
                 home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"数据库：{db}（由 --db 指定）" in done.stdout
    assert f"打开控制台：jifen --last（或 jifen --db {db}）" in done.stdout
    assert (tmp_path / "config" / "jifen" / "last-db.txt").read_text(encoding="utf-8").strip() == str(db)
    # Commands given --last work on it.
    listed = jifen("--last", "verify", home=tmp_path)
    assert listed.returncode == 0 and "已锁定 0 个季度" in listed.stdout
    # A plain `jifen` keeps to the default database: it does not exist here, and it says how to reach the last one.
    plain = jifen(home=tmp_path)
    assert plain.returncode == 1
    default = tmp_path / "data" / "jifen" / "jifen.db"
    assert plain.stderr.strip() == (f"数据库文件不存在：{default}（默认位置）。"
                                    "请检查 --db，或先用 jifen init 建立支部；"
                                    f"上次使用的是 {db}，可用 jifen --last 打开")
    assert not default.exists()
    (tmp_path / "elsewhere").mkdir()
    nothing = jifen("--last", "verify", home=tmp_path / "elsewhere")
    assert nothing.returncode == 1 and "还没有记下上次使用的数据库" in nothing.stderr
    both = jifen("--last", "--db", str(db), "verify", home=tmp_path)
    assert both.returncode == 1 and "--db 和 --last 只能用一个" in both.stderr


def test_the_demo_has_a_fixed_home_and_keeps_its_meeting(tmp_path: Path):
    home = tmp_path / "data" / "jifen" / "demo" / "demo.db"
    first = jifen("demo", "--no-tui", home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"示范数据库（新生成）：{home}" in first.stdout
    assert "再次打开：jifen demo；重新生成：jifen demo --fresh" in first.stdout
    assert f"也可以用：jifen --db {home}" in first.stdout
    # A meeting opened on the demo is still there the next time.
    fresh_store(home).open_meeting(QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 25, 14, 30), "党员活动室"))
    again = jifen("demo", "--no-tui", home=tmp_path)
    assert again.returncode == 0 and f"示范数据库（接着上次的会议）：{home}" in again.stdout
    assert fresh_store(home).quarter(QuarterRef(2026, 4)).state == "meeting"
    assert jifen("--last", "verify", home=tmp_path).returncode == 0
    # --fresh does not throw a meeting away without being told twice (no terminal here to ask on).
    refused = jifen("demo", "--fresh", "--no-tui", home=tmp_path)
    assert refused.returncode == 1 and "请加 --yes" in refused.stderr
    assert fresh_store(home).quarter(QuarterRef(2026, 4)).state == "meeting"
    rebuilt = jifen("demo", "--fresh", "--yes", "--no-tui", home=tmp_path)
    assert rebuilt.returncode == 0 and "新生成" in rebuilt.stdout
    store = fresh_store(home)
    assert store.quarter(QuarterRef(2026, 4)).state == "open" and len(store.members()) == 24
    assert sorted(p.name for p in home.parent.iterdir() if not p.name.startswith("demo.db-")) == ["demo.db"]
    # --fresh is for the demo's own home only; --db still refuses a database that holds data.
    assert jifen("demo", "--db", str(home), "--fresh", "--no-tui", home=tmp_path).returncode == 1
    taken = jifen("demo", "--db", str(home), "--no-tui", home=tmp_path)
    assert taken.returncode == 1 and "示范数据只能写入新的数据库文件" in taken.stderr


ENGLISH = re.compile(r"\b(usage|options|positional|arguments?|show this help|error|required|invalid|choose)\b", re.I)


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=lambda w: " ".join(w) or "jifen")
def test_every_help_speaks_chinese(words: list[str], tmp_path: Path):
    done = jifen(*words, "--help", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("用法：jifen")
    assert not ENGLISH.search(done.stdout), done.stdout


@pytest.mark.parametrize("args, said", [
    (["init"], "缺少必需的参数：--branch, --scheme, --year"),
    (["export", "memo", "--out", "x.pdf"], "无效的选项 'memo'"),
    (["verify", "--nonsense"], "无法识别的参数：--nonsense"),
    (["items", "list", "--quarter"], "参数 --quarter：需要一个值"),
    (["init", "--branch", "a", "--scheme", "b", "--year", "二〇二六"], "参数 --year：应为整数，不是“二〇二六”"),
    (["nosuch"], "无效的选项 'nosuch'"),
    (["members"], "缺少必需的参数：操作"),
])
def test_argparse_speaks_chinese(args: list[str], said: str, tmp_path: Path):
    done = jifen(*args, home=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("用法：jifen"), done.stderr
    assert said in done.stderr, done.stderr
    assert "：错误：" in done.stderr and not ENGLISH.search(done.stderr), done.stderr
