"""`jifen grade list|set|approve` through the installed console script on the demo branch: the
proposal with the 优秀 cap, a grade decided at the Q4 meeting with its reason, the 党委's 批复
after the lock with one change; every refusal in Chinese, exit 1, no traceback, nothing changed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store
from tests.tui.test_cli import jifen
from tests.tui.test_console import snapshot

Q4 = QuarterRef(2026, 4)
DAY = datetime(2026, 12, 18, 14, 30)


@pytest.fixture
def q4(tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    st = build_demo(db)
    st.clock = lambda: DAY
    st.open_meeting(Q4, MeetingFacts(DAY, "党员活动室", "王建国", "刘丽娟"))
    st.roll_call_rest(Q4)
    for e in st.entries(Q4):
        if e.status == "有异议":
            st.vote(e.id, 18, 1, 0)
    st.engine.dispose()
    return db


def refused(db: Path, *args: str, said: str) -> None:
    before = snapshot(db)
    r = jifen("grade", *args)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert said in r.stderr and "Traceback" not in r.stderr and r.stdout == ""
    assert snapshot(db) == before


def test_list_set_lock_approve(q4: Path) -> None:
    db = str(q4)
    store = Store(open_engine(q4))
    g = store.year_grades(2026)
    best = next(r for r in g.rows if r.proposed == "优秀")
    listed = jifen("grade", "list", "--db", db, "--year", "2026")
    assert listed.returncode == 0, listed.stderr
    assert "2026年度等次（第四季度党员大会进行中，可改定等次）" in listed.stdout
    assert g.cap_line() in listed.stdout and "党委尚未批复：以上等次均为拟定" in listed.stdout
    assert all(r.name in listed.stdout for r in g.rows)

    refused(q4, "set", "--db", db, "--year", "2026", "--member", best.name, "--grade", "合格", said="请写明党员大会将")
    refused(q4, "set", "--db", db, "--year", "2026", "--member", "无此人", "--grade", "合格", "--reason", "x",
            said="名册中没有“无此人”")
    refused(q4, "approve", "--db", db, "--year", "2026", "--date", "2027-01-08", "--text", "同意",
            said="第四季度尚未锁定")
    done = jifen("grade", "set", "--db", db, "--year", "2026", "--member", best.name, "--grade", "合格",
                 "--reason", "本人让出优秀名额")
    assert done.returncode == 0, done.stderr
    assert f"{best.name}的年度等次定为合格，理由：本人让出优秀名额" in done.stdout
    assert f"优秀{g.top_count - 1}人" in done.stdout

    store.clock = lambda: DAY
    store.lock(Q4)
    refused(q4, "set", "--db", db, "--year", "2026", "--member", best.name, "--grade", "优秀", "--reason", "x",
            said="第四季度已锁定")
    other = next(r for r in g.rows if r.proposed == "优秀" and r.name != best.name)
    refused(q4, "approve", "--db", db, "--year", "2026", "--date", "2027-01-08", "--text", "同意",
            "--change", f"{other.name}合格", said="--change 应写成 姓名=等次")
    refused(q4, "approve", "--db", db, "--year", "2026", "--date", "2027-01-08", "--text", " ",
            said="请写明党委批复的内容")
    bad_date = jifen("grade", "approve", "--db", db, "--year", "2026", "--date", "明年", "--text", "同意")
    assert bad_date.returncode == 2 and "应为日期" in bad_date.stderr and "Traceback" not in bad_date.stderr

    approved = jifen("grade", "approve", "--db", db, "--year", "2026", "--date", "2027-01-08",
                     "--text", "同意党支部意见", "--change", f"{other.name}=合格")
    assert approved.returncode == 0, approved.stderr
    assert f"已记录党委对2026年度等次的批复（2027-01-08），改定1人：{other.name}为合格" in approved.stdout
    digest = store.approval(2026).digest
    assert f"批复校验码：{digest}" in approved.stdout
    listed = jifen("grade", "list", "--db", db, "--year", "2026")
    assert "党委批复：2027-01-08，同意党支部意见" in listed.stdout and "拟定等次" not in listed.stdout
    assert "党委批复改定" in listed.stdout
    refused(q4, "approve", "--db", db, "--year", "2026", "--date", "2027-01-09", "--text", "再批",
            said="批复记录不能更改")
    verified = jifen("verify", "--db", db)
    assert verified.returncode == 0, verified.stderr
    assert "核验通过：已锁定 4 个季度、2026年度等次批复，校验码链完整" in verified.stdout
    store.engine.dispose()
