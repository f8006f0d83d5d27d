"""How the documents show the corrections of upheld appeals (更正（申诉第N号）).

The figures themselves come corrected from the store (db.amendments applies them wherever the
engine's figures are made); here each document marks what changed and says why: the forms get a
备注 column on the members' rows and a short note, the personal lists mark the entries, and the
minute, the record of the meeting as it was held and signed, keeps the figures its meeting knew
and gets a note of the corrections made after it, with the corrected figures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.labels import KIND_LABELS
from core.numbers import show

if TYPE_CHECKING:
    from core.engine import YearResult
    from db.amendments import Correction
    from db.store import Store
    from db.tables import PointsEntry
    from exports.document import Document
    from exports.forms import Table

REMARK = "备注"


def marks(made: Iterable[Correction]) -> dict[int, str]:
    """Member id -> 更正（申诉第1号）、更正（申诉第3号）."""
    out: dict[int, list[str]] = {}
    for c in made:
        said = out.setdefault(c.member_id, [])
        if c.mark not in said:
            said.append(c.mark)
    return {mid: "、".join(said) for mid, said in out.items()}


def _change(c: Correction, kinds: dict[int, str]) -> str:
    item = f"（{c.item}）" if c.item else ""
    kind = KIND_LABELS.get(kinds.get(c.entry_id, ""), "")
    if c.withdrawn:
        return f"撤销积分事项#{c.entry_id}{item}" + (f"（原{kind}{show(c.was)}分）" if c.was is not None else "")
    return f"积分事项#{c.entry_id}{item}{kind}分值由{show(c.was)}分更正为{show(c.points)}分"


def sentences(store: Store, year: int, made: list[Correction], names: dict[int, str]) -> list[str]:
    """One sentence per appeal: who decided, when, and what changed for whom."""
    from exports.deadlines import chinese_date  # chinesecalendar loads with the first document that needs it

    kinds = {e.id or 0: e.kind for e in store.entries(year)}
    by_appeal: dict[int, list[Correction]] = {}
    for c in made:
        by_appeal.setdefault(c.appeal, []).append(c)
    out = []
    for number, cs in by_appeal.items():
        first = cs[0]
        changes = "；".join(f"{names.get(c.member_id, str(c.member_id))}{_change(c, kinds)}" for c in cs)
        out.append(f"申诉第{number}号：{chinese_date(first.made_on)}{first.body}答复予以支持，{changes}。")
    return out


def mark_table(store: Store, table: Table, year: int, number: int | None) -> Table:
    """The form with its corrected members marked in a 备注 column and a note; as it was when
    no correction applies to the period (a quarter's form: corrections to it and, as figures
    accumulate, to the quarters before it; a year's form, a draft too: all of the year's, made
    to its locked quarters)."""
    made = store.corrections(year, number or 4)
    if not made:
        return table
    upto = number or max((q.number for q in store.quarters(year) if q.state == "locked"), default=4)
    from core.quarter import QuarterRef

    names = {f["id"]: f["name"] for f in store.members_at(QuarterRef(year, upto))}
    by_name: dict[str, str] = {}
    for mid, said in marks(made).items():
        if mid in names:
            by_name[names[mid]] = said
    rows: list[list[Any]] = [[*r, by_name.get(str(r[1]), "")] for r in table.rows]
    note = "更正说明：本表按申诉答复更正后的积分填写，更正的党员在备注栏标注。"
    note += "".join(sentences(store, year, made, names))
    return dataclasses.replace(table, headings=[*table.headings, REMARK], rows=rows,
                               note=(table.note + "\n" if table.note else "") + note)


def personal_entries(entries: list[PointsEntry], made: list[Correction]) -> list[PointsEntry]:
    """A member's entries for the personal list, corrections applied: a changed entry carries
    its new points, a withdrawn one stays listed at 0 with the reason, each marked 更正."""
    last = {c.entry_id: c for c in made}
    out = []
    for e in entries:
        c = last.get(e.id or 0)
        if c is None:
            out.append(e)
        elif c.withdrawn:
            out.append(e.model_copy(update={"points": None if e.points is None else Decimal(0),
                                            "note": f"{e.note}（{c.mark}：已撤销，不计分）"}))
        else:
            out.append(e.model_copy(update={"points": c.points,
                                            "note": f"{e.note}（{c.mark}：原{show(c.was)}分）"}))
    return out


def minute_note(doc: Document, store: Store, year: int, number: int, held_on: date,
                facts: dict[int, dict[str, Any]]) -> None:
    """附记 after the minute's record: the corrections made after this meeting to the figures it
    was told (this quarter's and, as figures accumulate, the quarters' before), with each
    corrected member's figure as it now stands. The record above it stays as it was held."""
    made = [c for c in store.corrections(year, number) if c.made_on >= held_on]
    if not made:
        return
    names = {mid: f["name"] for mid, f in facts.items()}
    board: YearResult = store.board(year, explain=False, upto=number)
    doc.para("附记：会后更正", keep_with_next=True)
    doc.para("　　本记录是党员大会召开时的记录，上表为会上通报的积分。会后党员申诉，经答复予以支持，"
             "积分已按更正记录（接在本季度锁定校验码之后，jifen verify 一并核验）更正：")
    for line in sentences(store, year, made, names):
        doc.para(f"　　{line}")
    after = []
    for mid in marks(made):
        r = next((m for m in board.members if m.id == str(mid)), None)
        if r is not None and not r.exempt:
            after.append(f"{names.get(mid, r.name)}{show(r.total)}分（名次{r.rank}）")
    if after:
        doc.para("　　更正后截至本季度末的合计：" + "；".join(after) + "。")
