"""The direction of imports (DESIGN.md) as executable contracts: import-linter runs them."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 kept, 0 broken" in done.stdout


def test_a_broken_contract_is_caught(tmp_path):
    """The contracts bite: a core module that imports textual (or db) fails them."""
    bad = ROOT / "core" / "_contract_probe.py"
    bad.write_text("import db\nimport textual\n", encoding="utf-8")
    try:
        lint = Path(sys.executable).parent / "lint-imports"
        done = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=ROOT,
                              capture_output=True, text=True)
    finally:
        bad.unlink()
    assert done.returncode == 1
    assert "core._contract_probe -> db" in done.stdout
    assert "core._contract_probe -> textual" in done.stdout


def test_start_up_leaves_the_export_libraries_alone():
    """fpdf2 and openpyxl load only when a document or a spreadsheet is made."""
    code = ("import sys, tui.cli, tui.app, db.store, db.imports, exports.forms, exports.minutes;"
            "print(sorted(m for m in ('fpdf', 'openpyxl') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
