"""The demo's 2026Q3 minute against fpdf2 alone rendering the same number of member rows
with the same font, interleaved in one run. Goal: the minute takes at most 1.5x.

Both build a whole PDF from nothing each time (font loaded, subset, written to disk).
Run by hand: `.venv/bin/python bench/minutes_bench.py [runs]`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def bare_fpdf(rows: list[list[str]], out: Path) -> None:
    """fpdf2 alone: the same font, one title, one table of the same rows."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    from exports.fonts import find_font

    font = find_font()
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=str(font.path), collection_font_number=font.index)
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 10, "新密市中医院第一党支部党员大会会议记录", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9.5)
    pdf.add_font("cjk", style="B", fname=str(font.path), collection_font_number=font.index)
    with pdf.table(col_widths=(12, 30, 24, 24, 24, 24, 18), wrapmode=WrapMode.CHAR) as table:
        for r in [["序号", "姓名", "基础分", "加分", "减分", "合计", "名次"], *rows]:
            row = table.row()
            for c in r:
                row.cell(c)
    pdf.output(str(out))


def main(runs: int = 10) -> None:
    from db.demo import build_demo
    from db.engine import open_engine
    from db.store import Store
    from exports.minutes import write_minutes

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp, "demo.db")
        build_demo(db)
        store = Store(open_engine(db))
        board = store.board(2026, explain=False, upto=3)
        rows = [[str(i), m.name, "80", "5", "1", "84", str(m.rank or "")] for i, m in enumerate(board.members, 1)]
        minute, bare = [], []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            write_minutes(store, 2026, 3, Path(tmp, "minute.pdf"))
            t1 = time.perf_counter()
            bare_fpdf(rows, Path(tmp, "bare.pdf"))
            t2 = time.perf_counter()
            if i:  # one warm-up round
                minute.append(t1 - t0)
                bare.append(t2 - t1)
        size_m = Path(tmp, "minute.pdf").stat().st_size
        size_b = Path(tmp, "bare.pdf").stat().st_size
    m, b = statistics.median(minute), statistics.median(bare)
    print(f"{len(rows)} member rows, {runs} runs each, interleaved, same process:")
    print(f"  jifen minute 2026Q3 (whole document, from the store): median {m * 1000:.0f} ms, {size_m // 1024} KB")
    print(f"  fpdf2 alone, same rows and font:                      median {b * 1000:.0f} ms, {size_b // 1024} KB")
    print(f"  ratio (median): {m / b:.2f}  (goal <= 1.5)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
