"""`jifen bundle`, `jifen bundle verify` and `jifen committee import` as a user runs them: a real
subprocess, exit codes, Chinese words, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.committee.conftest import NAMES, edited

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
