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


def lint_with(package: str, imports: str) -> subprocess.CompletedProcess[str]:
    """import-linter run with a probe module in `package` that imports `imports`."""
    bad = ROOT / package / "_contract_probe.py"
    bad.write_text(imports, encoding="utf-8")
    try:
        lint = Path(sys.executable).parent / "lint-imports"
        return subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=ROOT,
                              capture_output=True, text=True)
    finally:
        bad.unlink()


def test_a_broken_contract_is_caught():
    """The contracts bite: a core module that imports textual (or db) fails them."""
    done = lint_with("core", "import db\nimport textual\n")
    assert done.returncode == 1
    assert "core._contract_probe -> db" in done.stdout
    assert "core._contract_probe -> textual" in done.stdout


def test_the_committee_may_not_reach_the_console():
    """The committee's side (bundles, its database, its reports) runs headless: it may not
    import the TUI or the ballot server."""
    done = lint_with("committee", "import tui.cli\nimport web.app\n")
    assert done.returncode == 1
    assert "committee._contract_probe -> tui.cli" in done.stdout
    assert "committee._contract_probe -> web.app" in done.stdout


def test_start_up_leaves_the_export_libraries_alone():
    """fpdf2 and openpyxl load only when a document or a spreadsheet is made."""
    code = ("import sys, tui.cli, tui.app, db.store, db.imports, exports.forms, exports.minutes;"
            "print(sorted(m for m in ('fpdf', 'openpyxl') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
