"""The quarter's documents after an upheld appeal, read back: the publicity form (PDF and CSV) and
the ledger show the corrected figures with 更正（申诉第N号） in a 备注 column and a note; the personal
list marks the corrected entry; the minute keeps the figures its meeting was told and appends the
correction made after it, with the corrected figure. Forms of a period without corrections are as
before (no 备注 column). On the demo branch (2026Q1-Q3 locked)."""

from __future__ import annotations

import csv
from datetime import date, datetime

import pytest

from core.numbers import show
from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.store import Store
from exports.deadlines import WorkCalendar
from exports.forms import write_personal, write_publicity
from exports.minutes import write_minutes
from exports.sheets import write_table
from tests.exports.test_documents import flat, read_pdf

Q3 = QuarterRef(2026, 3)
WHO = "刘丽娟"


@pytest.fixture
def corrected(tmp_path) -> tuple[Store, dict[str, str]]:
    """The demo with 刘丽娟's K3.4 deduction (1 point) of 2026Q3 withdrawn on appeal: the figures
    of her row before and after, as the engine gives them."""
    db = tmp_path / "demo.db"
    build_demo(db).engine.dispose()
    st = Store(open_engine(db), "书记", clock=lambda: datetime(2026, 12, 7, 9, 0))
    before = next(m for m in st.board(2026, explain=False, upto=3).members if m.name == WHO)
    st.add_appeal(Q3, WHO, date(2026, 9, 30), "K3.4 扣分有误", WorkCalendar())
    st.answer_appeal(1, date(2026, 10, 9), True, "经核实予以撤销", withdraw=["K3.4"])
    after = next(m for m in st.board(2026, explain=False, upto=3).members if m.name == WHO)
    assert after.points == before.points + 1
    yield st, {"before": show(before.points), "after": show(after.points)}
    st.engine.dispose()


def test_the_publicity_form_shows_the_corrected_figure_marked(corrected, tmp_path):
    st, fig = corrected
    out = tmp_path / "公示.csv"
    from exports.forms import publicity_table

    write_table(publicity_table(st, 2026, 3), out)
    with open(out, encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    head = table[0] if table[0][0] == "序号" else next(r for r in table if r and r[0] == "序号")
    assert head[-1] == "备注"
    row = next(r for r in table if len(r) > 1 and r[1] == WHO)
    assert row[head.index("合计")] == fig["after"] and row[-1] == "更正（申诉第1号）"
    assert all(r[-1] == "" for r in table if len(r) > 1 and r[1] not in (WHO, "党员姓名") and r[0].isdigit())
    pdf = read_pdf(write_publicity(st, 2026, 3, tmp_path / "公示.pdf"))
    text = flat("".join(pdf))
    assert "更正（申诉第1号）" in text
    assert "更正说明：本表按申诉答复更正后的积分填写" in text
    assert "申诉第1号：2026年10月9日党支部答复予以支持，刘丽娟撤销积分事项#" in text
    # Q2's form is of a period without corrections: as before.
    from exports.forms import publicity_table as q

    assert "备注" not in q(st, 2026, 2).headings


def test_the_personal_list_marks_the_corrected_entry(corrected, tmp_path):
    st, _ = corrected
    text = flat("".join(read_pdf(write_personal(st, 2026, tmp_path / "个人.pdf", WHO, draft=True))))
    assert "（更正（申诉第1号）：已撤销，不计分）" in text
    year = next(m for m in st.board(2026, explain=False, settled=True).members if m.name == WHO)
    assert f"积分制分值（积分制分值＝基础分＋加分项－减分项）：{show(year.points)}" in text


def test_the_minute_keeps_its_figures_and_appends_the_correction(corrected, tmp_path):
    st, fig = corrected
    text = flat("".join(read_pdf(write_minutes(st, 2026, 3, tmp_path / "记录.pdf"))))
    record, note = text.split("附记：会后更正")
    # Her row as the meeting was told: 序号 4, 基础分 80, 加分 4, 减分 2, 合计 as before the correction.
    assert f"4{WHO}8042{fig['before']}" in record and f"{WHO}（有减分项2项）" in record
    assert "本记录是党员大会召开时的记录，上表为会上通报的积分" in note
    assert "申诉第1号：2026年10月9日党支部答复予以支持" in note
    assert f"更正后截至本季度末的合计：{WHO}{fig['after']}分" in note
    # The Q2 minute: no correction touched its figures.
    assert "附记" not in flat("".join(read_pdf(write_minutes(st, 2026, 2, tmp_path / "q2.pdf"))))
