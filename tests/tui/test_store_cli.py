"""The store's command line, run as a user would: init, import, add, list, verify."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

JIFEN = Path(sys.executable).parent / "jifen"


def jifen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True)


ROSTER = ("姓名,性别,出生年月,职务,党员类别\n王建国,男,1971-03,支部书记,正式党员\n"
          "李秀英,女,1978.11,护士长,正式党员\n郑雨欣,女,1997年2月,护士,预备党员\n")
ITEMS = ("姓名,季度,类型,事项编号,级别,分值,事由\n王建国,2026Q1,加分,J1.1,市级,3,全市会议发言\n"
         "李秀英,1,减分,K3.1,,1,党费迟交\n")


def test_a_branch_from_init_to_verify(tmp_path):
    db = str(tmp_path / "b.db")
    done = jifen("init", "--db", db, "--branch", "第一党支部", "--scheme", "xinmi-hospital-2023", "--year", "2026")
    assert done.returncode == 0, done.stderr
    (tmp_path / "名册.csv").write_bytes(ROSTER.encode("gb18030"))
    done = jifen("members", "import", str(tmp_path / "名册.csv"), "--db", db)
    assert done.returncode == 0, done.stderr
    assert "3 人" in done.stdout
    listed = jifen("members", "list", "--db", db).stdout
    assert "王建国" in listed and "预备党员" in listed and "1978-11" in listed and "1997-02" in listed
    (tmp_path / "事项.csv").write_bytes(ITEMS.encode("utf-8-sig"))
    done = jifen("items", "import", str(tmp_path / "事项.csv"), "--db", db, "--year", "2026")
    assert done.returncode == 0, done.stderr
    done = jifen("items", "add", "--db", db, "--quarter", "2026Q1", "--member", "郑雨欣", "--kind", "加分",
                 "--item", "J6.5", "--points", "1")
    assert done.returncode == 0, done.stderr
    listed = jifen("items", "list", "--db", db, "--quarter", "2026Q1").stdout.splitlines()
    assert len(listed) == 3
    assert "王建国" in listed[0] and "J1.1·市级" in listed[0] and "全市会议发言" in listed[0]
    assert jifen("verify", "--db", db).returncode == 0


def test_refusals_name_the_problem_and_change_nothing(tmp_path):
    db = str(tmp_path / "b.db")
    jifen("init", "--db", db, "--branch", "第一党支部", "--scheme", "xinmi-hospital-2023", "--year", "2026")
    (tmp_path / "名册.csv").write_text(ROSTER, encoding="utf-8")
    jifen("members", "import", str(tmp_path / "名册.csv"), "--db", db)
    again = jifen("members", "import", str(tmp_path / "名册.csv"), "--db", db)
    assert again.returncode == 1
    assert "名册.csv 第2行" in again.stderr and "已在名册中" in again.stderr
    bad = jifen("items", "add", "--db", db, "--quarter", "2026Q1", "--member", "王建国", "--kind", "加分",
                "--item", "J1.4", "--points", "6")
    assert bad.returncode == 1 and "每次不超过5分" in bad.stderr
    nobody = jifen("items", "add", "--db", db, "--quarter", "2026Q1", "--member", "张三", "--kind", "加分",
                   "--points", "1")
    assert nobody.returncode == 1 and "名册中没有“张三”" in nobody.stderr
    quarter = jifen("items", "list", "--db", db, "--quarter", "2026-3")
    assert quarter.returncode == 1 and "2026Q3" in quarter.stderr
    assert jifen("items", "list", "--db", db, "--quarter", "2026Q1").stdout == ""
    twice = jifen("init", "--db", db, "--branch", "第一党支部", "--scheme", "xinmi-hospital-2023", "--year", "2026")
    assert twice.returncode == 1 and "已经建立" in twice.stderr
    assert "Traceback" not in again.stderr + bad.stderr + twice.stderr
