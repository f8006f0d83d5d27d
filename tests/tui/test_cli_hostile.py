"""The `jifen` command against hostile input, as a subprocess: numbers that are not numbers,
JSON with a BOM or nested 100,000 deep, long lists of problems, and errors no command foresaw.
Never a traceback: a Chinese line (and for the unforeseen, a log file that holds the details)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

JIFEN = Path(sys.executable).parent / "jifen"
CASES = Path(__file__).resolve().parents[1] / "cases"


def jifen(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUTF8="1", COLUMNS="200", **(env or {}))
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True, encoding="utf-8", env=full,
                          cwd=cwd, timeout=120)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "b.db"
    assert jifen("--db", str(path), "init", "--branch", "第一党支部", "--scheme", "xinmi-hospital-2023",
                 "--year", "2026").returncode == 0
    roster = tmp_path / "名册.csv"
    roster.write_text("姓名,党员类别\n王建国,正式党员\n", encoding="utf-8")
    assert jifen("--db", str(path), "members", "import", str(roster)).returncode == 0
    return path


def entries(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM entry").fetchone()[0]


@pytest.mark.parametrize("value, code, says", [
    ("abc", 2, "参数 --points：应为数字（如 5 或 0.5），不是“abc”"),
    ("NaN", 2, "参数 --points：应为数字（如 5 或 0.5），不是“NaN”"),
    ("inf", 2, "参数 --points：应为数字（如 5 或 0.5），不是“inf”"),
    ("", 2, "参数 --points：应为数字（如 5 或 0.5），不是“”"),
    ("-Infinity", 2, "参数 --points：应为数字（如 5 或 0.5），不是“-Infinity”"),
    ("-3", 2, "参数 --points：分值不能为负数（“-3”）；减分请用 --kind 减分，分值写正数"),
    ("1e400", 1, "王建国的事项不符合积分方案：分值不能超过100分（积分方案规定的单项上限），不是“1E+400”"),
    ("1e30", 1, "王建国的事项不符合积分方案：分值不能超过100分（积分方案规定的单项上限），不是“1E+30”"),
    ("0.0001", 1, "王建国的事项不符合积分方案：分值最多保留3位小数，不是“0.0001”"),
])
def test_points_that_are_no_sane_number_are_refused_in_chinese(db, value, code, says):
    r = jifen("--db", str(db), "items", "add", "--quarter", "2026Q1", "--member", "王建国", "--kind", "加分",
              f"--points={value}")
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert r.stderr.splitlines()[-1].endswith(says), r.stderr
    assert entries(db) == 0
    ok = jifen("--db", str(db), "items", "add", "--quarter", "2026Q1", "--member", "王建国", "--kind", "加分",
               "--points", "2")
    assert ok.returncode == 0, ok.stderr
    assert entries(db) == 1


@pytest.mark.parametrize("args, says", [
    (["init", "--branch", "x", "--scheme", "xinmi-hospital-2023", "--year", "abc"], "参数 --year：应为整数，不是“abc”"),
    (["init", "--branch", "x", "--scheme", "xinmi-hospital-2023", "--year", "9" * 30],
     "参数 --year：年度应在 1949 到 2200 之间，不是“999999999999999999999...”"),
    (["items", "import", "f.csv", "--year", "NaN"], "参数 --year：应为整数，不是“NaN”"),
    (["items", "add", "--quarter", "2026Q1", "--member", "a", "--kind", "加分", "--month", "13"],
     "参数 --month：月份应在 1 到 12 之间，不是“13”"),
    (["export", "ballots", "--year", "2026", "--copies", "1e3", "--out", "a.pdf"],
     "参数 --copies：应为整数，不是“1e3”"),
    (["export", "ledger", "--year", "1e400", "--out", "a.pdf"], "参数 --year：应为整数，不是“1e400”"),
])
def test_every_number_option_refuses_junk_in_chinese(tmp_path, args, says):
    r = jifen("--db", str(tmp_path / "none.db"), *args, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1].endswith(says), r.stderr


# --- jifen compute --------------------------------------------------------------------------------


def case() -> dict:
    return json.loads((CASES / "xinmi-basic.json").read_text(encoding="utf-8"))


def test_compute_reads_json_with_a_bom(tmp_path):
    plain, bom = tmp_path / "plain.json", tmp_path / "bom.json"
    text = json.dumps(case(), ensure_ascii=False)
    plain.write_text(text, encoding="utf-8")
    bom.write_text(text, encoding="utf-8-sig")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    a, b = jifen("compute", str(plain)), jifen("compute", str(bom))
    assert a.returncode == b.returncode == 0, b.stderr
    assert a.stdout == b.stdout


def test_compute_refuses_json_nested_100000_deep_in_one_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"scheme": "xinmi-hospital-2023", "year": 2026, "members": ' + "[" * 100_000 + "]" * 100_000
                    + "}", encoding="utf-8")
    start = time.perf_counter()
    r = jifen("compute", "deep.json", cwd=tmp_path)
    assert time.perf_counter() - start < 10
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith("deep.json: not valid JSON:")
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("points, says", [
    ("1e30", "entries[0].points: must be at most 100 (the scheme's points.limit), not 1E+30"),
    ("1e400", "entries[0].points: must be a finite number"),  # JSON's 1e400 is a float: infinity
    ("0.0001", "entries[0].points: has at most 3 decimal places, not 0.0001"),
])
def test_compute_refuses_absurd_points(tmp_path, points, says):
    c = case()
    c["entries"][0]["points"] = 0
    path = tmp_path / "c.json"
    path.write_text(json.dumps(c, ensure_ascii=False).replace('"points": 0', f'"points": {points}', 1),
                    encoding="utf-8")
    r = jifen("compute", str(path))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [says]


def test_compute_lists_50_problems_then_a_count(tmp_path):
    c = case()
    c["entries"] = [{"member": f"nobody{i}", "kind": "bonus", "quarter": 1, "points": 1} for i in range(120)]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(c), encoding="utf-8")
    r = jifen("compute", str(path))
    lines = r.stderr.splitlines()
    assert r.returncode == 2 and len(lines) == 51
    assert lines[0] == "entries[0].member: no member with id 'nobody0'"
    assert lines[49] == "entries[49].member: no member with id 'nobody49'"
    assert lines[50] == "……另有 70 处问题未列出"


def test_schemes_check_lists_50_problems_then_a_count(tmp_path):
    from core.schemes import builtin, builtin_text

    text = builtin_text("xinmi-hospital-2023")
    first = len(builtin("xinmi-hospital-2023").items)  # the first added line's index
    # 60 catalogue lines each above the scheme's limit.
    text += "".join(f'\n[[items]]\ncode = "Z{i}"\nkind = "bonus"\nlabel = "x"\npoints = 150\nreading = "x"\n'
                    for i in range(60))
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8-sig")  # with a BOM, as Notepad saves
    r = jifen("schemes", "check", str(path))
    lines = r.stderr.splitlines()
    assert r.returncode == 1 and len(lines) == 51, r.stderr
    assert lines[0] == f"s.toml: items[{first}].points: 有分值超过 points.limit（100）"
    assert lines[50] == "……另有 10 处问题未列出"


# --- the unforeseen ---------------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_and_a_log(db, tmp_path):
    with sqlite3.connect(db) as con:  # a database damaged behind the store's back
        con.execute("DROP TABLE member")
    state = tmp_path / "state"
    r = jifen("--db", str(db), "members", "list", env={"XDG_STATE_HOME": str(state)})
    log = state / "jifen" / "log" / "jifen.log"
    assert r.returncode == 1 and r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [
        f"jifen members list 意外出错，未能完成（OperationalError: (sqlite3.OperationalError) no such table: member）；"
        f"详细信息已写入 {log}"]
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "no such table: member" in text
    assert "members list" in text


def test_an_unwritable_log_folder_falls_back_to_the_temporary_folder(db, tmp_path):
    with sqlite3.connect(db) as con:
        con.execute("DROP TABLE member")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    r = jifen("--db", str(db), "members", "list", env={"JIFEN_LOG_DIR": str(blocker / "log"), "TMPDIR": str(temp)})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert len(r.stderr.splitlines()) == 1 and r.stderr.strip().endswith(f"详细信息已写入 {temp / 'jifen.log'}")
    assert "no such table: member" in (temp / "jifen.log").read_text(encoding="utf-8")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_ctrl_c_is_cancelled_not_a_traceback(tmp_path):
    pipe = tmp_path / "case.json"
    os.mkfifo(pipe)  # compute waits on it for a writer that never comes
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([str(JIFEN), "compute", str(pipe)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True, encoding="utf-8")
    time.sleep(2)  # imported and blocked in open()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip() == "已取消" and out == ""
