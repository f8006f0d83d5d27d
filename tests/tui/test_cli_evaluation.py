"""`jifen evaluation codes|close|results` through the installed console script on a real SQLite
file: codes issued on slips (PDF) or in a list (.txt) are the ones the store accepts, the round's
count, the results JSON against ballots brought in through the store once the round is closed,
and every refusal in Chinese with exit 2, no traceback and the database as it was."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

import pytest

from core.labels import RATING_LABELS
from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.ballots import OK, normal_code
from db.engine import open_engine
from db.store import MeetingFacts, Store
from db.writer import WriterLock
from tests.support import pdf_lines
from tests.tui.test_cli import jifen
from tests.tui.test_console import snapshot
from web.addresses import LOOPBACK, code_address, local_addresses

SCHEME = "xinmi-hospital-2023"
Q = QuarterRef(2026, 4)
SHOWN = re.compile(r"\b[2-9A-Z]{5}-[2-9A-Z]{5}\b")


def _store(db: Path) -> Store:
    return Store(open_engine(db), "书记")


@pytest.fixture
def meeting(tmp_path):
    """Nine full members and one probationary, the Q4 meeting open and the roll called."""
    db = tmp_path / "branch.db"
    st = _store(db)
    st.init_branch("中共第一党支部", SCHEME, builtin_text(SCHEME), 2026)
    ids = st.add_members([dict(name=f"党员{i:02d}", status="full") for i in range(9)]
                         + [dict(name="预备甲", status="probationary", status_since="2026-03-01")])
    st.open_meeting(Q, MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "甲", "乙"))
    st.roll_call_rest(Q)
    st.engine.dispose()
    return db, ids


def codes_cmd(db: Path, out: Path | str, *more: str) -> list[str]:
    return ["evaluation", "codes", "--db", str(db), "--quarter", "2026Q4", "--out", str(out), *more]


def test_slips_carry_codes_the_store_accepts(meeting, tmp_path):
    db, _ = meeting
    out = tmp_path / "测评码.pdf"
    r = jifen(*codes_cmd(db, out, "--count", "12", "--host", "192.168.1.5"))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert f"已生成测评码纸条 12 个：{out}" in r.stdout
    assert "手机测评地址：http://192.168.1.5:8765/" in r.stdout
    assert "本轮已发出 12 张（纸质 0，测评码 12）" in r.stdout
    printed = [m for ln in pdf_lines(out) for m in SHOWN.findall(ln.text)]
    assert len(printed) == len(set(printed)) == 12
    st = _store(db)
    assert all(st.code_status(Q, c) == OK for c in printed)
    text = " ".join(ln.text for ln in pdf_lines(out)).replace(" ", "")
    assert "中共第一党支部2026年第四季度民主测评（第1轮）" in text
    state = st.round_state(Q)
    assert (state.codes, state.issued, state.sealed) == (12, 12, True)


def test_a_txt_list_and_the_count_with_paper_ballots(meeting, tmp_path):
    db, _ = meeting
    st = _store(db)
    st.set_ballots_issued(Q, 3)
    out = tmp_path / "codes.txt"
    r = jifen(*codes_cmd(db, out, "--count", "5", "--host", "jifen.local", "--port", "80"))
    assert r.returncode == 0, r.stderr
    assert "手机测评地址：http://jifen.local/" in r.stdout
    assert "本轮已发出 8 张（纸质 3，测评码 5）" in r.stdout
    lines = out.read_bytes().decode("utf-8").splitlines()
    assert len(lines) == 5 and all(SHOWN.fullmatch(line) for line in lines)
    assert all(st.code_status(Q, c) == OK for c in lines)
    # a second batch adds to the round
    r = jifen(*codes_cmd(db, out, "--count", "2", "--host", "10.0.0.9"))
    assert r.returncode == 0, r.stderr
    assert "本轮已发出 10 张（纸质 3，测评码 7）" in r.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_the_default_host_is_this_machines_lan_address(meeting, tmp_path):
    db, _ = meeting
    out = tmp_path / "codes.pdf"
    r = jifen(*codes_cmd(db, out, "--count", "1", "--port", "9000"))
    first = local_addresses()[0]
    if first == LOOPBACK:  # no network at all: refused, since a phone cannot reach 127.0.0.1
        assert r.returncode == 1 and "--host" in r.stderr and not out.exists()
        return
    assert r.returncode == 0, r.stderr
    assert f"手机测评地址：http://{first}:9000/" in r.stdout
    (code,) = [m for ln in pdf_lines(out) for m in SHOWN.findall(ln.text)]
    addresses = " ".join(ln.text for ln in pdf_lines(out))
    assert f"http://{first}:9000/" in addresses
    assert code_address(first, 9000, normal_code(code)).startswith(f"http://{first}:9000/?c=")


def _refusals(db: Path, tmp_path: Path) -> list[tuple[list[str], str]]:
    """Commands that must be refused, each with a piece of its message."""
    folder = tmp_path / "slips.pdf"
    folder.mkdir()
    return [
        (codes_cmd(db, folder, "--count", "3", "--host", "192.168.1.5"), "文件夹"),
        (codes_cmd(db, tmp_path / "missing" / "a.pdf", "--count", "3", "--host", "192.168.1.5"), "不存在"),
        (codes_cmd(db, "/proc/jifen-codes.pdf", "--count", "3", "--host", "192.168.1.5"), "不能写入"),
        (codes_cmd(db, tmp_path / "codes.docx", "--count", "3", "--host", "192.168.1.5"), "扩展名"),
        (codes_cmd(db, tmp_path / "codes", "--count", "3", "--host", "192.168.1.5"), "扩展名"),
        (codes_cmd(db, tmp_path / "a.pdf", "--count", "3", "--host", "0.0.0.0"), "0.0.0.0"),
        (codes_cmd(db, tmp_path / "a.pdf", "--count", "3", "--host", "no such host"), "不是地址"),
        (codes_cmd(db, tmp_path / "a.pdf", "--count", "3", "--host", "fe80::1"), "IPv4"),
        (codes_cmd(db, tmp_path / "a.pdf", "--count", "0", "--host", "192.168.1.5"), "测评码个数"),
        (codes_cmd(db, tmp_path / "a.pdf", "--count", "501", "--host", "192.168.1.5"), "测评码个数"),
        (codes_cmd(db, tmp_path / "a.pdf", "--count", "3", "--round", "2", "--host", "192.168.1.5"), "没有第2轮"),
        (["evaluation", "codes", "--db", str(db), "--quarter", "2026Q3", "--count", "3", "--host", "192.168.1.5",
          "--out", str(tmp_path / "a.pdf")], "还没有开始"),
        (["evaluation", "codes", "--db", str(db), "--quarter", "2026Q9", "--count", "3", "--host", "192.168.1.5",
          "--out", str(tmp_path / "a.pdf")], "季度"),
        (["evaluation", "codes", "--db", str(tmp_path / "none.db"), "--quarter", "2026Q4", "--count", "3",
          "--out", str(tmp_path / "a.pdf")], ""),
        (["evaluation", "results", "--db", str(db), "--quarter", "2026Q4"], "结束本轮后"),
        (["evaluation", "close", "--db", str(db), "--quarter", "2026Q4", "--round", "3"], "没有第3轮"),
    ]


def test_refusals_change_nothing(meeting, tmp_path):
    db, _ = meeting
    st = _store(db)
    st.issue_codes(Q, 2)  # the round sealed: results refused
    st.engine.dispose()
    before = snapshot(db)
    for args, said in _refusals(db, tmp_path):
        r = jifen(*args)
        # argparse's usage errors exit 2, every refusal of the command itself 1
        assert r.returncode == (2 if said == "测评码个数" else 1), (args, r.stdout, r.stderr)
        assert said in r.stderr, (args, r.stderr)
        assert r.stdout == "" and "Traceback" not in r.stderr
        assert re.search(r"[\u4e00-\u9fff]", r.stderr), r.stderr
        assert snapshot(db) == before, args
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "codes.docx").exists()
    assert not list(tmp_path.glob(".*"))


def test_a_closed_round_issues_no_more_codes(meeting, tmp_path):
    db, _ = meeting
    assert jifen("evaluation", "close", "--db", str(db), "--quarter", "2026Q4").returncode == 0
    before = snapshot(db)
    r = jifen(*codes_cmd(db, tmp_path / "a.pdf", "--count", "3", "--host", "192.168.1.5"))
    assert r.returncode == 1 and "已结束" in r.stderr and not (tmp_path / "a.pdf").exists()
    assert snapshot(db) == before


def test_a_console_holding_the_database_refuses_the_writers_not_the_results(meeting, tmp_path):
    db, _ = meeting
    lock = WriterLock(db)
    assert lock.try_acquire()
    try:
        before = snapshot(db)
        r = jifen(*codes_cmd(db, tmp_path / "a.pdf", "--count", "3", "--host", "192.168.1.5"))
        assert r.returncode == 1 and "正由" in r.stderr and "控制台的民主测评页面" in r.stderr, r.stderr
        r = jifen("evaluation", "close", "--db", str(db), "--quarter", "2026Q4")
        assert r.returncode == 1 and "正由" in r.stderr
        assert snapshot(db) == before and not (tmp_path / "a.pdf").exists()
        r = jifen("evaluation", "results", "--db", str(db), "--quarter", "2026Q4")
        assert r.returncode == 0, r.stderr  # read-only: the console may hold the lock
        assert json.loads(r.stdout)["issued"] == 0
    finally:
        lock.release()


def test_results_after_close_count_paper_and_phone_ballots(meeting, tmp_path):
    db, ids = meeting
    out = tmp_path / "codes.txt"
    assert jifen(*codes_cmd(db, out, "--count", "5", "--host", "192.168.1.5")).returncode == 0
    codes = out.read_text(encoding="utf-8").split()
    st = _store(db)
    st.set_ballots_issued(Q, 2)
    phone = [
        (codes[0], {ids[0]: "优秀", ids[1]: "合格", ids[9]: "优秀"}),
        (codes[1], {ids[0]: "优秀", ids[1]: "基本合格", ids[2]: "不合格"}),
        (codes[2], {}),  # blank
    ]
    assert st.add_code_ballots(Q, phone) == [OK, OK, OK]
    st.add_ballot(Q, {ids[0]: "合格", ids[2]: "不合格"})  # one paper ballot
    st.engine.dispose()
    sealed = jifen("evaluation", "results", "--db", str(db), "--quarter", "2026Q4")
    assert sealed.returncode == 1 and "结束本轮后" in sealed.stderr and sealed.stdout == ""
    closed = jifen("evaluation", "close", "--db", str(db), "--quarter", "2026Q4")
    assert closed.returncode == 0, closed.stderr
    assert "2026年第四季度第1轮测评已结束" in closed.stdout
    assert "发出 7 张（纸质 2，测评码 5），收回 4 张（其中手机 3 张）" in closed.stdout
    r = jifen("evaluation", "results", "--db", str(db), "--quarter", "2026Q4")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    summary = _store(db).ballot_summary(Q)
    assert {k: got[k] for k in ("quarter", "round", "issued", "returned", "blank", "void")} == {
        "quarter": "2026Q4", "round": 1, "issued": 7, "returned": 4,
        "blank": summary["blank"], "void": summary["void"]}
    assert summary["blank"] == 1
    assert [m["name"] for m in got["members"]] == [*(f"党员{i:02d}" for i in range(9)), "预备甲"]
    assert [m["id"] for m in got["members"]] == ids
    by = {m["id"]: m["counts"] for m in got["members"]}
    assert all(list(c) == list(RATING_LABELS) for c in by.values())
    zero = dict.fromkeys(RATING_LABELS, 0)
    assert by[ids[0]] == {**zero, "优秀": 2, "合格": 1}
    assert by[ids[1]] == {**zero, "合格": 1, "基本合格": 1}
    assert by[ids[2]] == {**zero, "不合格": 2}
    assert by[ids[9]] == {**zero, "优秀": 1}
    assert all(by[i] == zero for i in ids[3:9])
    assert "\\u" not in r.stdout  # UTF-8 as it is, not escaped
    # closing again is refused, the results stay
    again = jifen("evaluation", "close", "--db", str(db), "--quarter", "2026Q4")
    assert again.returncode == 1 and "已结束" in again.stderr



def test_hostile_out_paths_are_refused_before_any_code_is_issued(meeting, tmp_path):
    """A name too long for the disk failed as an unexpected error (OSError, a log file); a name
    the disk refuses was found only when the slips were written, after the codes were issued."""
    db, _ = meeting
    before = snapshot(db)
    for out, said in [(tmp_path / ("码" * 90 + ".txt"), "太长"), (tmp_path / ("a" * 300 + ".pdf"), "太长"),
                      (tmp_path / "no" / ".." / "a.txt", "不存在")]:
        r = jifen(*codes_cmd(db, out, "--count", "3", "--host", "192.168.1.5"))
        assert r.returncode == 1 and said in r.stderr, (out, r.stderr)
        assert "意外" not in r.stderr and "Error" not in r.stderr and r.stdout == ""
        assert snapshot(db) == before
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith("branch.db")]
    # Over a file that is a FIFO (no reader: writing into it would hang) the list replaces it.
    fifo = tmp_path / "codes.txt"
    os.mkfifo(fifo)
    r = jifen(*codes_cmd(db, fifo, "--count", "3", "--host", "192.168.1.5"))
    assert r.returncode == 0 and fifo.is_file() and len(SHOWN.findall(fifo.read_text())) == 3
