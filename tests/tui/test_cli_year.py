"""`jifen year open`, run as a user would on real database files: what it reports, the scheme kept
or replaced from a file (checked as `jifen schemes check` does), refusals in Chinese that change
nothing, and `jifen verify` passing across the years."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.demo import build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store

JIFEN = Path(sys.executable).parent / "jifen"


def jifen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True)


def lock_q4(path: Path) -> None:
    st = Store(open_engine(path), "书记", clock=lambda: datetime(2026, 12, 25, 14, 30))
    q4 = QuarterRef(2026, 4)
    st.open_meeting(q4, MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "王建国", "刘丽娟"))
    st.roll_call_rest(q4)
    for e in st.entries(q4):
        if e.status == "有异议":
            st.vote(e.id, st.quorum(q4).voting_present, 0, 0)
    st.lock(q4)
    st.engine.dispose()


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo(path).engine.dispose()
    return path


def test_year_open_on_the_demo(demo: Path):
    db = str(demo)
    early = jifen("year", "open", "2027", "--db", db)
    assert early.returncode == 1
    assert early.stderr.strip().startswith("2026年第四季度尚未锁定，不能开始2027年度")

    lock_q4(demo)
    done = jifen("year", "open", "2027", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "已开始2027年度：四个季度已建立，积分方案 xinmi-hospital-2023（沿用上一年度）",
        "名册：24 人转入新年度（已转出的不在其中）",
        "2026年度结果 24 人，供2027年度的两年规则使用",
    ]
    again = jifen("year", "open", "2027", "--db", db)
    assert again.returncode == 1 and again.stderr.strip() == "2027年度已经开始（已建立），不能再次开始"
    assert jifen("verify", "--db", db).returncode == 0
    st = Store(open_engine(demo))
    assert [q.state for q in st.quarters(2027)] == ["open"] * 4
    st.engine.dispose()


def test_year_open_with_a_scheme_file_and_refusals(demo: Path, tmp_path: Path):
    db = str(demo)
    lock_q4(demo)
    before = fingerprint(demo)
    far = jifen("year", "open", "2029", "--db", db)
    assert far.returncode == 1
    assert far.stderr.strip() == "只能开始下一年度（2027年度）：数据库中最近的年度是2026年，不能开始2029年度"
    bad = tmp_path / "坏方案.toml"
    bad.write_text('id = "x"\nname = "坏方案"\n', encoding="utf-8")
    broken = jifen("year", "open", "2027", "--db", db, "--scheme", str(bad))
    assert broken.returncode == 1 and "积分方案" in broken.stderr and "坏方案.toml" in broken.stderr
    missing = jifen("year", "open", "2027", "--db", db, "--scheme", str(tmp_path / "没有.toml"))
    assert missing.returncode == 1 and "没有.toml" in missing.stderr
    nobody = jifen("year", "open", "2027", "--db", db, "--keep-exempt", "张三")
    assert nobody.returncode == 1 and nobody.stderr.strip() == "名册中没有“张三”"
    init = jifen("init", "--db", db, "--branch", "新密市中医院第一党支部", "--scheme", "xinmi-hospital-2023",
                 "--year", "2027")
    assert init.returncode == 1 and init.stderr.strip() == "本支部已有2026年度；开始新的年度请运行 jifen year open 2027"
    word = jifen("year", "open", "明年", "--db", db)
    assert word.returncode == 2 and "应为整数" in word.stderr
    for run in (far, broken, missing, nobody, init, word):
        assert "Traceback" not in run.stderr
    assert fingerprint(demo) == before  # nothing changed

    own = tmp_path / "municipal.toml"
    own.write_text(builtin_text("municipal-bureau"), encoding="utf-8")
    done = jifen("year", "open", "2027", "--db", db, "--scheme", str(own))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "已开始2027年度：四个季度已建立，积分方案 municipal-bureau（与上一年度不同）"
    assert jifen("verify", "--db", db).returncode == 0


def test_exemptions_end_with_the_year_unless_kept(tmp_path: Path):
    """jsit grants 免于积分管理 per year: opening 2027 ends 王瑞's and says so; --keep-exempt keeps 李红's."""
    db = tmp_path / "college.db"
    st = Store(open_engine(db), "书记", clock=lambda: datetime(2026, 1, 5, 9, 0))
    st.init_branch("教工党支部", "jsit-college-2020", builtin_text("jsit-college-2020"), 2026)
    st.add_members([dict(name="周明", status="full"), dict(name="吴芳", status="full"),
                    dict(name="王瑞", status="full", exempt=True, exempt_reason="长期病休"),
                    dict(name="李红", status="full", exempt=True, exempt_reason="一年内连续外出")])
    st.engine.dispose()
    st = Store(open_engine(db), "书记", clock=lambda: datetime(2026, 12, 25, 14, 30))
    q4 = QuarterRef(2026, 4)
    st.open_meeting(q4, MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "周明", "吴芳"))
    st.roll_call_rest(q4)
    st.lock(q4)
    st.engine.dispose()
    done = jifen("year", "open", "2027", "--db", str(db), "--keep-exempt", "李红")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "2026年度结果 2 人，供2027年度的两年规则使用" in lines
    assert ("免于积分管理按年度决定，2026年度的已取消：王瑞（长期病休）；"
            "如本年度仍需免于积分管理，请按积分方案规定的程序重新决定后登记") in lines
    assert "免于积分管理保留：李红" in lines


def test_year_open_help_is_chinese():
    done = jifen("year", "open", "--help")
    assert done.returncode == 0
    assert "开始下一年度" in done.stdout and "--keep-exempt" in done.stdout and "用法：" in done.stdout
