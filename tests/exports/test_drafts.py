"""Documents of a quarter or year that is not locked: refused as final, or drafts that say so on
every page and count only what the meeting has settled (issue 12, item 2).

The demo branch has 2026 Q1-Q3 locked and Q4 open, its Q4 entries all 申报 or 有异议: a draft's
Q4 figures hold none of them until one is confirmed.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.quarter import EntryStatus, QuarterRef
from db.demo import AGENDA, HOST, OBSERVERS, PLACE, RECORDER, build_demo
from db.store import MeetingFacts
from exports.finality import DRAFT_MARK, NotFinal, quarter_finality, year_finality
from exports.forms import ledger_table, publicity_table, write_ledger, write_personal, write_publicity
from exports.minutes import write_minutes
from exports.sheets import write_table
from tests.exports.test_documents import JIFEN, flat, read_pdf

YEAR = 2026
Q4 = QuarterRef(YEAR, 4)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drafts")
    store = build_demo(folder / "demo.db")
    return store, folder


WRITERS = {
    "minute Q4": lambda s, out, d: write_minutes(s, YEAR, 4, out, draft=d),
    "publicity Q4": lambda s, out, d: write_publicity(s, YEAR, 4, out, out.with_suffix(".toml"), draft=d),
    "publicity year": lambda s, out, d: write_publicity(s, YEAR, None, out, out.with_suffix(".toml"), draft=d),
    "ledger": lambda s, out, d: write_ledger(s, YEAR, out, draft=d),
    "personal": lambda s, out, d: write_personal(s, YEAR, out, draft=d),
}


@pytest.mark.parametrize("which", sorted(WRITERS))
def test_a_final_document_of_an_open_period_is_refused_and_nothing_is_written(demo, tmp_path, which):
    store, _ = demo
    out = tmp_path / f"{which}.pdf"
    with pytest.raises(NotFinal) as err:
        WRITERS[which](store, out, False)
    assert "尚未锁定" in str(err.value) and "--draft" in str(err.value)
    assert not out.exists()


@pytest.mark.parametrize("which", sorted(WRITERS))
def test_a_draft_says_so_on_every_page(demo, tmp_path, which):
    store, _ = demo
    pages = read_pdf(WRITERS[which](store, tmp_path / f"{which}.pdf", True))
    assert pages
    for k, page in enumerate(pages, 1):
        assert DRAFT_MARK in page, (which, k)
    # The reader is told why, and how much is left out: 3 entries 有异议 and the rest 申报 in Q4.
    declared = sum(e.status == EntryStatus.DECLARED for e in store.entries(Q4))
    text = flat("\n".join(pages))
    assert "本件为草稿" in text and f"另有{declared}项申报尚未经党员大会确认、3项有异议尚待表决" in text


def test_a_locked_quarter_is_final_even_when_a_draft_is_asked_for(demo, tmp_path):
    store, _ = demo
    fin = quarter_finality(store, QuarterRef(YEAR, 3), draft=True)
    assert fin.final and fin.mark == "" and fin.note() == ""
    pages = read_pdf(write_minutes(store, YEAR, 3, tmp_path / "q3.pdf", draft=True))
    assert not any(DRAFT_MARK in p or "本件为草稿" in p for p in pages)


def test_the_year_is_final_only_after_its_fourth_quarter(demo):
    store, _ = demo
    with pytest.raises(NotFinal):
        year_finality(store, YEAR, draft=False)
    fin = year_finality(store, YEAR, draft=True)
    assert not fin.final and fin.period == "2026年度"


def test_a_draft_counts_only_settled_entries(tmp_path):
    """张伟 has +5 申报 in Q4 (J1.4): the live board counts it, a draft does not until the meeting
    confirms it."""
    store = build_demo(tmp_path / "demo.db")
    zhang = next(m for m in store.members() if m.name == "张伟")
    pending = [e for e in store.entries(Q4, member_id=zhang.id) if e.status == EntryStatus.DECLARED]
    assert [str(e.points) for e in pending] == ["5"]

    def row(draft_table):
        return next(r for r in draft_table.rows if r[1] == "张伟")

    headings = publicity_table(store, YEAR, 4, draft=True).headings
    bonus, total = headings.index("加分"), headings.index("合计")
    live = store.board(YEAR, explain=False, upto=4).member(str(zhang.id))
    assert live.parts is not None
    before = row(publicity_table(store, YEAR, 4, draft=True))
    # The quarter's figures are year-to-date: the draft has the live ones less the +5 still 申报.
    assert float(before[bonus]) == float(live.parts[3].bonus) - 5
    assert float(before[total]) == float(live.parts[3].figure) - 5

    store.open_meeting(Q4, MeetingFacts(datetime(2026, 12, 18, 14, 30), PLACE, HOST, RECORDER, OBSERVERS,
                                        "\n".join(AGENDA)))
    store.confirm_entry(pending[0].id)
    after = row(publicity_table(store, YEAR, 4, draft=True))
    assert float(after[bonus]) == float(before[bonus]) + 5 and float(after[total]) == float(before[total]) + 5


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_draft_sheet_is_marked_and_a_final_one_refused(demo, tmp_path, suffix):
    store, _ = demo
    with pytest.raises(NotFinal):
        ledger_table(store, YEAR)
    table = ledger_table(store, YEAR, draft=True)
    assert table.mark == DRAFT_MARK and "本件为草稿" in table.note
    path = write_table(table, tmp_path / f"台账{suffix}")
    if suffix == ".xlsx":
        ws = load_workbook(path).active
        assert ws is not None
        top = " ".join(str(c.value) for row in ws.iter_rows(max_row=3) for c in row if c.value)
        assert DRAFT_MARK in top


def test_the_cli_refuses_an_open_quarter_and_writes_a_draft_when_asked(demo, tmp_path):
    _, folder = demo
    db = folder / "demo.db"
    out = tmp_path / "公示表.pdf"
    done = subprocess.run([str(JIFEN), "export", "publicity", "--db", str(db), "--quarter", "2026Q4",
                           "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 1 and "尚未锁定" in done.stderr + done.stdout and "Traceback" not in done.stderr
    assert not out.exists()
    done = subprocess.run([str(JIFEN), "export", "publicity", "--db", str(db), "--quarter", "2026Q4", "--draft",
                           "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert all(DRAFT_MARK in p for p in read_pdf(Path(out)))
