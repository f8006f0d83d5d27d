"""`jifen appeal add|answer|review|review-answer|list` through the installed console script on the
demo branch (2026Q1-Q3 locked): the number and the deadline printed, the correction recorded and
verified, tampering named by `jifen verify` in Chinese, and every refusal in Chinese with its exit
code, no traceback and the database as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from db.demo import build_demo
from tests.tui.test_cli import jifen
from tests.tui.test_console import snapshot


@pytest.fixture
def demo(tmp_path) -> Path:
    db = tmp_path / "demo.db"
    build_demo(db).engine.dispose()
    return db


def appeal(db: Path, *args: str) -> tuple[int, str, str]:
    r = jifen("appeal", *args, "--db", str(db))
    assert "Traceback" not in r.stderr
    return r.returncode, r.stdout, r.stderr


def test_an_appeal_answered_late_and_upheld_is_listed_and_verified(demo):
    code, out, err = appeal(demo, "add", "--quarter", "2026Q3", "--member", "刘丽娟", "--date", "2026-09-30",
                            "--text", "K3.4 扣分有误")
    assert code == 0, err
    assert "已登记申诉第1号：刘丽娟，2026Q3，2026年9月30日收到" in out
    assert "党支部应在3个工作日内、于2026年10月10日前作出答复" in out  # across 国庆, to the 调休 Saturday
    code, out, err = appeal(demo, "list", "--open")
    assert code == 0
    assert out.startswith("第1号\t刘丽娟\t2026Q3\t申诉 2026-09-30\t待党支部答复\t2026-10-10前答复（逾期）")
    code, out, err = appeal(demo, "answer", "1", "--date", "2026-10-12", "--upheld", "--text", "经核实予以撤销",
                            "--withdraw", "K3.4")
    assert code == 0, err
    assert "已记录党支部对申诉第1号的答复：予以支持，2026年10月12日（逾期）" in out
    assert "已记录更正（申诉第1号）" in out
    code, out, _ = appeal(demo, "list", "--open")
    assert (code, out.strip()) == (0, "没有未答复的申诉")
    code, out, _ = appeal(demo, "list", "--quarter", "2026Q3")
    assert "党支部予以支持；更正：撤销事项#" in out and "（K3.4）" in out
    r = jifen("verify", "--db", str(demo))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("核验通过：已锁定 3 个季度、会后更正 1 次（申诉第1号），校验码链完整"), r.stdout


def test_a_review_to_the_hospital_committee(demo):
    appeal(demo, "add", "--quarter", "2026Q3", "--member", "张伟", "--date", "2026-10-08", "--text", "加分偏少")
    assert appeal(demo, "answer", "1", "--date", "2026-10-09", "--rejected", "--text", "不予支持")[0] == 0
    code, out, err = appeal(demo, "review", "1", "--date", "2026-10-12", "--text", "申请复议")
    assert code == 0, err
    assert "已登记申诉第1号的复议申请（医院党委），2026年10月12日收到" in out
    assert "医院党委应于2026年10月15日前作出答复" in out
    code, out, err = appeal(demo, "review-answer", "1", "--date", "2026-10-14", "--upheld", "--text", "予以支持",
                            "--points", "J1.4=4")
    assert code == 0, err
    assert "已记录医院党委对申诉第1号的复议答复：予以支持，2026年10月14日" in out and "逾期" not in out
    assert "医院党委复议予以支持" in appeal(demo, "list")[1]
    assert jifen("verify", "--db", str(demo)).returncode == 0


def test_tampering_with_the_amendment_is_named_by_verify(demo):
    appeal(demo, "add", "--quarter", "2026Q3", "--member", "刘丽娟", "--date", "2026-09-30", "--text", "有误")
    appeal(demo, "answer", "1", "--date", "2026-10-09", "--upheld", "--text", "改为0分", "--withdraw", "K3.4")
    with sqlite3.connect(demo) as conn:  # what someone with the file can do: the guard away, then the edit
        conn.execute("DROP TRIGGER amendment_append_only_update")
        done = conn.execute("UPDATE amendment SET changes = replace(changes, 'true', 'false')")
        assert done.rowcount == 1
    r = jifen("verify", "--db", str(demo))
    assert r.returncode == 1
    assert "2026Q3：更正（申诉第1号）：校验码不符：更正内容在记录后被改动" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(("args", "code", "said"), [
    (["add", "--quarter", "2026Q3", "--member", "无此人", "--date", "2026-09-30", "--text", "x"], 1,
     "2026年第三季度的党员名单中没有“无此人”"),
    (["add", "--quarter", "2026Q3", "--member", "张伟", "--date", "2026-09-01", "--text", "x"], 1,
     "申诉日期 2026-09-01 早于2026年第三季度党员大会"),
    (["add", "--quarter", "2026Q4", "--member", "张伟", "--date", "2026-10-08", "--text", "x"], 1,
     "2026年第四季度的党员大会尚未召开"),
    (["add", "--quarter", "2026Q3", "--member", "张伟", "--date", "9月30日", "--text", "x"], 2, "应为日期"),
    (["answer", "1", "--date", "2026-10-09", "--rejected", "--text", "x", "--withdraw", "K3.4"], 2,
     "--withdraw、--points 只能与 --upheld 同用"),
    (["answer", "1", "--date", "2026-10-09", "--upheld", "--text", "x", "--points", "K3.4"], 2, "事项=分值"),
    (["answer", "1", "--date", "2026-10-09", "--upheld", "--rejected", "--text", "x"], 2, "不能与参数"),
    (["answer", "7", "--date", "2026-10-09", "--upheld", "--text", "x"], 1, "没有申诉第7号"),
    (["answer", "1", "--date", "2026-10-09", "--upheld", "--text", "x", "--points", "K3.4=0.5"], 1,
     "不符合积分方案"),
    (["review", "1", "--date", "2026-10-09", "--text", "x"], 1, "申诉第1号党支部尚未答复"),
])
def test_refusals_in_chinese_change_nothing(demo, args, code, said):
    appeal(demo, "add", "--quarter", "2026Q3", "--member", "刘丽娟", "--date", "2026-09-30", "--text", "有误")
    before = snapshot(demo)
    got, out, err = appeal(demo, *args)
    assert (got, out) == (code, "")
    assert said in err
    assert snapshot(demo) == before


def test_help_says_how_entries_are_named():
    r = jifen("appeal", "answer", "--help")
    assert r.returncode == 0
    assert "#编号（jifen items list 所列，如 #67）" in r.stdout and "--upheld" in r.stdout
    assert "review-answer" in jifen("appeal", "--help").stdout
