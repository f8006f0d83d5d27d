"""Documents of a locked quarter come only from what the lock holds.

The demo branch (2026Q1-Q3 locked, Q4 open), on SQLite and on PostgreSQL: each locked quarter's
minute and publicity form (PDF read back with pypdf, and the table behind the XLSX/CSV) are
written, then today's roster changes in every way it can - a member renamed, one exempted, one
gone (转出), one new, a probationary member made full, another's gender, post, birth month,
meeting exemption and 留党察看 changed - and the documents are written again: the same text.
The open quarter's documents do follow the roster, so the changes did take.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from core.quarter import QuarterRef
from db.demo import build_demo
from db.store import Store
from exports.forms import ledger_table, publicity_table, write_publicity
from exports.minutes import write_minutes
from tests.exports.test_documents import read_pdf

YEAR = 2026


def documents(store: Store, out: Path, tag: str) -> dict[str, object]:
    got: dict[str, object] = {}
    # The PDFs of Q1 (its minute and publicity form) and the Q3 minute (three quarters of figures);
    # the rows behind every locked quarter's forms and spreadsheets.
    got["minute Q1"] = read_pdf(write_minutes(store, YEAR, 1, out / f"{tag}-minute-1.pdf"))
    got["publicity Q1"] = read_pdf(write_publicity(store, YEAR, 1, out / f"{tag}-publicity-1.pdf"))
    got["minute Q3"] = read_pdf(write_minutes(store, YEAR, 3, out / f"{tag}-minute-3.pdf"))
    for q in (1, 2, 3):
        got[f"publicity table Q{q}"] = publicity_table(store, YEAR, q)
        got[f"board Q{q}"] = [(r.id, r.name, r.status, r.exempt, r.total, r.rank, r.grade, r.flags)
                              for r in store.board(YEAR, explain=False, upto=q).members]
        got[f"members Q{q}"] = store.members_at(QuarterRef(YEAR, q))
        got[f"quorum Q{q}"] = store.quorum(QuarterRef(YEAR, q))
    return got


def test_a_roster_changed_after_the_lock_leaves_the_locked_documents_as_they_were(db_target, tmp_path):
    store = build_demo(db_target)
    before = documents(store, tmp_path, "before")
    members = store.members()
    by_name = {m.name: m for m in members}
    probationary = next(m for m in members if m.status == "probationary")
    full = [m for m in members if m.status == "full" and not m.meeting_exempt]
    renamed, exempted, gone, changed = full[0], full[1], full[2], full[3]
    store.update_member(renamed.id, name=renamed.name + "（改）")
    # xinmi has no exemption, so the store refuses it; the row changed behind its back is the same test.
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE member SET exempt = :t, exempt_reason = '长期病休' WHERE id = :i"),
                     dict(t=True, i=exempted.id))
    store.update_member(gone.id, left=True)
    store.update_member(probationary.id, status="full", status_since="2026-10-01")
    store.update_member(changed.id, gender="女" if changed.gender == "男" else "男", post="新职务",
                        birth_month="1950-01", meeting_exempt=True, suspended_from="2026-01-01")
    new = store.add_members([dict(name="新来的", status="full", gender="男", birth_month="1990-05", post="护士")])[0]
    assert "罗志刚" in by_name
    store.update_member(by_name["罗志刚"].id, meeting_exempt=False)

    after = documents(store, tmp_path, "after")
    for key in before:
        assert after[key] == before[key], key
    # The live figures do follow today's roster.
    live = {f["id"]: f for f in store.members_at(QuarterRef(YEAR, 4))}
    assert new in live and gone.id not in live and live[renamed.id]["name"].endswith("（改）")
    assert live[exempted.id]["exempt"] and live[probationary.id]["status"] == "full"
    board = {r.id: r for r in store.board(YEAR, explain=False).members}
    assert str(new) in board and board[str(exempted.id)].exempt
    assert [row[1] for row in ledger_table(store, YEAR, draft=True).rows].count("新来的") == 1
    assert store.verify() == []
