"""`jifen bundle`, `jifen bundle verify` and `jifen committee import` as a user runs them: a real
subprocess, exit codes, Chinese words, never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.committee.conftest import NAMES, edited, members_of

JIFEN = Path(sys.executable).parent / "jifen"


def jifen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(JIFEN), *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_bundle_verify_and_import(made, tmp_path):
    branch = made.folder / "乙.db"
    out = tmp_path / "乙-2026Q2.jifen"
    done = jifen("bundle", "--db", str(branch), "--quarter", "2026Q2", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0 and "已生成报送文件" in done.stdout and out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left beside it

    refused = jifen("bundle", "--db", str(branch), "--quarter", "2026Q4", "--out", str(tmp_path / "q4.jifen"),
                    cwd=tmp_path)
    assert refused.returncode == 1 and "2026年第四季度尚未锁定：只有锁定的季度才能报送" in refused.stderr
    assert not (tmp_path / "q4.jifen").exists()
    assert jifen("bundle", "--db", str(branch), cwd=tmp_path).returncode == 2

    ok = jifen("bundle", "verify", str(out), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert f"党支部：{NAMES['乙']}" in ok.stdout and "校验码链：2 个锁定季度（2026Q1—2026Q2）" in ok.stdout
    assert "更正：0 项" in ok.stdout and "等次批复：0 项" in ok.stdout

    bad = edited(out, tmp_path / "bad.jifen", lambda m: m.update(branch="别的党支部"))
    said = jifen("bundle", "verify", str(bad), cwd=tmp_path)
    assert said.returncode == 1 and "未通过核验" in said.stderr and "别的党支部" in said.stderr
    (tmp_path / "cut.jifen").write_bytes(out.read_bytes()[:1000])
    cut = jifen("bundle", "verify", str(tmp_path / "cut.jifen"), cwd=tmp_path)
    assert cut.returncode == 1 and "cut.jifen" in cut.stderr and "截断" in cut.stderr

    db = tmp_path / "committee.db"
    first = jifen("committee", "import", "--db", str(db), str(out), str(bad), str(made.files["甲3"]), cwd=tmp_path)
    assert first.returncode == 1
    assert "✓ 乙-2026Q2.jifen：已导入" in first.stdout and "✓ 甲3.jifen：已导入" in first.stdout
    assert "✗ bad.jifen：已拒绝，未导入任何内容" in first.stderr
    assert "共 3 个报送文件：接受 2 个，拒绝 1 个" in first.stdout
    again = jifen("committee", "import", "--db", str(db), str(out), cwd=tmp_path)
    assert again.returncode == 0 and "重复导入，未作改动" in again.stdout
    fork = jifen("committee", "import", "--db", str(db), str(made.files["甲2x"]), cwd=tmp_path)
    assert fork.returncode == 1 and "分叉" in fork.stderr

    assert jifen("committee", "import", str(out), cwd=tmp_path).returncode == 2  # no --db: never a default
    wrong = jifen("committee", "import", "--db", str(branch), str(out), cwd=tmp_path)
    assert wrong.returncode == 1 and "是党支部的积分数据库，不是党委的汇总数据库" in wrong.stderr
    mixed = jifen("verify", "--db", str(db), cwd=tmp_path)
    assert mixed.returncode == 1 and "是党委的汇总数据库" in mixed.stderr


def test_the_committee_report_end_to_end(made, tmp_path):
    """Bundles imported from the command line, then `jifen committee report` as CSV, XLSX and PDF:
    甲 and 乙 reported 2026Q3; 丙 only up to 2026Q2, so it is named as not reported; then 丙
    reports its 2026Q3 again from a laptop where an appeal has since been filed: the open appeal
    appears in the report as the branch stated it."""
    from datetime import date

    from openpyxl import load_workbook

    from core.quarter import QuarterRef
    from exports.deadlines import WorkCalendar
    from tests.committee.branches import copy_branch
    from tests.db.test_grading import pdf_text

    db = str(tmp_path / "committee.db")
    files = [str(made.files[k]) for k in ("甲3", "乙3", "丙2")]
    assert jifen("committee", "import", "--db", db, *files, cwd=tmp_path).returncode == 0
    csv_out = tmp_path / "汇总.csv"
    done = jifen("committee", "report", "--db", db, "--quarter", "2026Q3", "--out", str(csv_out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = csv_out.read_text(encoding="utf-8-sig")
    assert all(n in text for n in names_of("甲", "乙")) and "吴八" not in text

    xlsx = tmp_path / "汇总.xlsx"
    assert jifen("committee", "report", "--db", db, "--quarter", "2026Q3", "--out", str(xlsx),
                 cwd=tmp_path).returncode == 0
    summary = load_workbook(xlsx)["各支部汇总"]
    cells = [c.value for row in summary.iter_rows() for c in row if c.value is not None]
    assert NAMES["丙"] in cells  # 未报送的党支部

    # 丁 never reported: named on the committee's list, it is 未报送 too.
    listed = jifen("committee", "branches", "--db", db, "--add", "丁党支部", cwd=tmp_path)
    assert listed.returncode == 0 and "已列入应报送名单：丁党支部" in listed.stdout
    assert re.search(r"^丁党支部 +是 +尚未报送 +0$", listed.stdout, re.M), listed.stdout
    done = jifen("committee", "report", "--db", db, "--quarter", "2026Q3", "--out", str(csv_out), cwd=tmp_path)
    assert done.returncode == 0 and "未报送2个" in done.stdout, done.stdout
    assert jifen("committee", "branches", "--db", db, "--remove", "丁党支部", cwd=tmp_path).returncode == 0

    laptop = copy_branch(_open(made.folder / "丙.db"), tmp_path / "丙-now.db")
    laptop.clock = lambda: __import__("datetime").datetime(2026, 10, 9, 9, 0)
    laptop.add_appeal(QuarterRef(2026, 3), "郑九", date(2026, 9, 30), "K5扣分有误", WorkCalendar())
    again = tmp_path / "丙3.jifen"
    assert jifen("bundle", "--db", str(tmp_path / "丙-now.db"), "--quarter", "2026Q3", "--out", str(again),
                 cwd=tmp_path).returncode == 0
    laptop.engine.dispose()
    assert jifen("committee", "import", "--db", db, str(again), cwd=tmp_path).returncode == 0
    pdf = tmp_path / "汇总.pdf"
    assert jifen("committee", "report", "--db", db, "--quarter", "2026Q3", "--out", str(pdf),
                 cwd=tmp_path).returncode == 0
    said = pdf_text(pdf)
    assert "未报送：无" in said and "申诉第1号（郑九，2026Q3，待党支部答复" in said
    # The same laptop's file once more: nothing new.
    same = jifen("committee", "import", "--db", db, str(again), cwd=tmp_path)
    assert same.returncode == 0 and "重复导入，未作改动" in same.stdout

    # The minute 乙 signed, handed out by the committee as it came.
    minute = tmp_path / "乙-2026Q3-会议记录.pdf"
    out = jifen("committee", "document", "--db", db, "--branch", NAMES["乙"], "--quarter", "2026Q3",
                "--what", "minute", "--out", str(minute), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert minute.read_bytes() == members_of(made.files["乙3"])["minute.pdf"]
    missing = jifen("committee", "document", "--db", db, "--branch", NAMES["乙"], "--quarter", "2026Q4",
                    "--what", "publicity", "--out", str(tmp_path / "p.pdf"), cwd=tmp_path)
    assert missing.returncode == 1 and "没有报送2026年第四季度（最后报送：2026Q3）" in missing.stderr
    assert not (tmp_path / "p.pdf").exists()

    bad = jifen("committee", "report", "--db", db, "--quarter", "2026Q9", "--out", str(pdf), cwd=tmp_path)
    assert bad.returncode == 2 and "2026Q3" in bad.stderr
    assert jifen("committee", "report", "--db", db, "--quarter", "2026Q3", "--out", str(tmp_path / "r.doc"),
                 cwd=tmp_path).returncode == 2


def names_of(*keys: str) -> list[str]:
    from tests.committee.conftest import ROSTERS

    return [n for k in keys for n in ROSTERS[k]]


def _open(path: Path):
    from db.engine import open_engine
    from db.store import Store

    return Store(open_engine(path), "书记")
