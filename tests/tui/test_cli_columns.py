"""The command line's tables line up on a terminal whatever the length of the Chinese names: every
column starts at the same display cell on every line (Chinese characters take two cells), through
the installed console script: `jifen grade list`, `jifen members list`, `jifen items list`. A
member with a four-character name is added to the demo so that names of 2, 3 and 4 characters meet."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.store import Store
from tests.tui.test_cli import jifen
from tui.cli_columns import columns

LONG = "欧阳晓峰"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    st = build_demo(path)
    (mid,) = st.add_members([dict(name=LONG, gender="男", birth_month="1985-05", status="full", post="放射科医师")])
    st.add_entry(QuarterRef(2026, 4), mid, "bonus", 1, item="J6.5", note="讲授党课")
    st.engine.dispose()
    return path


def starts(line: str, cells: list[str]) -> list[int]:
    """The display cell at which each of `cells` begins in `line`, searched left to right."""
    out, at = [], 0
    for c in cells:
        i = line.index(c, at)
        out.append(cell_len(line[:i]))
        at = i + len(c)
    return out


def ends(line: str, cells: list[str]) -> list[int]:
    out, at = [], 0
    for c in cells:
        i = line.index(c, at)
        at = i + len(c)
        out.append(cell_len(line[:at]))
    return out


def test_columns_pad_by_display_width() -> None:
    lines = columns([["序号", "姓名", "总分", "说明"], ["1", "张伟", "89", "甲"], ["12", LONG, "95.5", ""]],
                    right={0, 2})
    assert lines == ["序号  姓名      总分  说明",
                     "   1  张伟        89  甲",
                     "  12  欧阳晓峰  95.5"]
    assert columns([]) == []


def test_grade_list_lines_up(demo: Path) -> None:
    r = jifen("grade", "list", "--db", str(demo), "--year", "2026")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    head = lines[1]
    left = starts(head, ["姓名", "系统拟定", "拟定等次", "说明"])
    right = ends(head, ["序号", "总分", "名次"])
    st = Store(open_engine(demo))
    rows = st.year_grades(2026).rows
    st.engine.dispose()
    names = {len(r.name) for r in rows}
    assert {2, 3, 4} <= names  # 张伟, 王建国, 欧阳晓峰
    for k, row in enumerate(rows, 1):
        line = lines[1 + k]
        proposed = row.proposed or "—"
        final = row.final or ("不定等次" if row.status == "probationary" else "—")
        assert starts(line, [row.name, proposed])[:2] == left[:2], (line, head)
        assert starts(line, [row.name, proposed, final])[2] == left[2], (line, head)
        assert ends(line, [str(k), row.total or "—", str(row.rank or "—")]) == right, (line, head)
        if row.why and not row.probation:  # the note, after the final grade, starts under 说明
            assert starts(line, [row.name, proposed, final, "依据："])[3] == left[3], (line, head)


def test_members_and_items_list_line_up(demo: Path) -> None:
    listed = jifen("members", "list", "--db", str(demo))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert any(LONG in x for x in lines) and any("张伟" in x for x in lines) and any("王建国" in x for x in lines)
    # The gender, birth month and status columns start at one cell on every line.
    at = {tuple(starts(x, [x.split()[2], x.split()[3], x.split()[4]])) for x in lines}
    assert len(at) == 1, lines

    items = jifen("items", "list", "--db", str(demo), "--quarter", "2026Q4")
    assert items.returncode == 0, items.stderr
    lines = items.stdout.splitlines()
    assert any(LONG in x for x in lines) and any("张伟" in x for x in lines)
    kinds = {cell_len(x[:min(x.index(k) for k in ("加分", "减分", "否决") if k in x)]) for x in lines}
    assert len(kinds) == 1, lines
