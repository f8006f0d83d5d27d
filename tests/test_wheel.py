"""The wheel a user installs (pipx, uv tool, pip): built from the source tree, holding every file
the program reads, installed (not editable) into a fresh virtual environment outside the
repository, and run from there: the console's first frame, the demo, an export, compute.

The environment gets its dependencies the way a user's does, from the package index (pip's cache
makes that quick after `make test` has installed them once)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "db", "exports", "tui", "web", "committee")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}

FIRST_FRAME = """
import asyncio, sys
from tui.app import JifenApp

async def main():
    app = JifenApp(db_path=sys.argv[1])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        sys.stdout.write(app.export_screenshot())

asyncio.run(main())
"""


def source_files() -> list[str]:
    """Files of the repository as a clone holds them (tracked, plus new ones not ignored)."""
    if (REPO / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                                cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
        return sorted(f for f in listed if f and (REPO / f).is_file())
    return sorted(str(p.relative_to(REPO)) for p in REPO.rglob("*")
                  if p.is_file() and not SKIPPED_PARTS.intersection(p.parts) and ".venv" not in p.parts
                  and ".git" not in p.parts and p.suffix != ".pyc")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the source tree (a stale build/ folder cannot leak in)."""
    tree = tmp_path_factory.mktemp("source")
    for name in source_files():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, tree / name)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(tree)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels = list(out.glob("jifen-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(built: Path, tmp_path_factory) -> Path:
    """A fresh virtual environment outside the repository with the wheel installed; its bin folder."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           str(built)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return bin_dir


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Nothing of the repository may be importable: a clean environment, run from elsewhere.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JIFEN_DB")}
    env.update(PYTHONIOENCODING="utf-8", HOME=str(cwd), XDG_DATA_HOME=str(cwd / "data"),
               XDG_CONFIG_HOME=str(cwd / "config"))
    return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=180)


def test_wheel_holds_exactly_the_source_packages(built: Path):
    with zipfile.ZipFile(built) as z:
        in_wheel = {n for n in z.namelist() if ".dist-info/" not in n}
        metadata = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    expected = {f for f in source_files() if f.split("/", 1)[0] in PACKAGES}
    assert in_wheel == expected, {"missing from the wheel": sorted(expected - in_wheel),
                                  "not in the source": sorted(in_wheel - expected)}
    # What the console cannot start without, named so a failure says what broke.
    for needed in ("tui/app.tcss", "tui/screens/members.py", "core/schemes/xinmi-hospital-2023.toml",
                   "db/migrations/script.py.mako", "db/migrations/versions/0001_first_schema.py"):
        assert needed in in_wheel
    assert "Provides-Extra: postgres" in metadata


def test_installed_wheel_runs_outside_the_repository(installed: Path, tmp_path):
    where = run(installed, "python", "-c", "import core, tui; print(core.__file__); print(tui.__file__)", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    for line in where.stdout.splitlines():
        assert Path(line).resolve().is_relative_to(installed.parent.resolve()), line

    demo = run(installed, "jifen", "demo", "--db", "demo.db", "--no-tui", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "demo.db").is_file()

    frame = run(installed, "python", "-c", FIRST_FRAME, "demo.db", cwd=tmp_path)
    assert frame.returncode == 0, frame.stderr[-3000:]
    from tests.support import screen_text

    text = screen_text(frame.stdout)
    assert "新密市中医院第一党支部" in text and "概况" in text and "2026年第四季度" in text

    export = run(installed, "jifen", "export", "minutes", "--db", "demo.db", "--quarter", "2026Q3",
                 "--out", "会议记录.pdf", cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    assert (tmp_path / "会议记录.pdf").read_bytes().startswith(b"%PDF-")

    case = REPO / "tests" / "cases" / "xinmi-basic.json"
    computed = run(installed, "jifen", "compute", str(case), cwd=tmp_path)
    assert computed.returncode == 0, computed.stderr
    # The installed schemes give what the source tree's engine gives.
    here = subprocess.run([str(Path(sys.executable).parent / "jifen"), "compute", str(case)],
                          capture_output=True, text=True, encoding="utf-8")
    assert json.loads(computed.stdout) == json.loads(here.stdout)
    assert json.loads(computed.stdout)["members"]

    # Where the console script is not on PATH (pip --user on Windows), `python -m tui.cli` is the same.
    listed = run(installed, "python", "-m", "tui.cli", "schemes", "list", cwd=tmp_path)
    assert listed.returncode == 0 and "xinmi-hospital-2023" in listed.stdout, listed.stderr


def test_postgresql_without_the_extra_is_one_chinese_line(installed: Path, tmp_path):
    done = run(installed, "jifen", "verify", "--db", "postgresql://jifen@127.0.0.1:1/branch", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "jifen[postgres]" in lines[0], done.stderr
