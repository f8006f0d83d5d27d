"""附件 签到表: the meeting's roll call on a page of its own after the minute, one row per member
on the quarter's roster (and one per 列席 person), with a blank column each present person signs
by hand. A row of someone who did not attend has its signature cell struck (／) so that nobody
signs it afterwards."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from core.labels import STATUS_LABELS
from core.quarter import QuarterRef
from db.store import Store

if TYPE_CHECKING:
    from db.tables import Meeting, RollCall
    from exports.document import Document

SIGNIN_TITLE = "党员大会签到表"
HEADINGS = ("序号", "姓名", "身份", "签到情况", "本人签名")
WIDTHS = (12, 26, 42, 50, 36)
ROW_HEIGHT = 7.5  # mm: room for a handwritten name
STRUCK = "／"
_OBSERVER = re.compile(r"^(.+?)[（(](.+)[）)]$")


def _suspended(f: dict[str, Any], day: str) -> bool:
    start, until = f.get("suspended_from") or "", f.get("suspended_until") or ""
    return bool(start) and start <= day and (not until or day <= until)


def attendance(f: dict[str, Any], call: RollCall | None) -> str:
    """签到情况 of one member: 出席, 缺席（reason）, 经批准不参加, or 未登记 (not called)."""
    if f["meeting_exempt"]:
        return "经批准不参加"
    if call is None:
        return "未登记"
    if call.present:
        return "出席"
    extra = "，提交书面意见" if call.opinion else ""
    return f"缺席（{call.reason or '未说明原因'}{extra}）"


def signin_rows(store: Store, quarter: QuarterRef, meeting: Meeting,
                facts: dict[int, dict[str, Any]]) -> list[list[str]]:
    calls = store.roll_calls(quarter)
    day = meeting.held_at.date().isoformat()
    rows: list[list[str]] = []
    for mid, f in sorted(facts.items(), key=lambda kv: kv[1]["seq"]):
        status = STATUS_LABELS.get(f["status"], f["status"])
        if _suspended(f, day):
            status += "（留党察看）"
        said = attendance(f, calls.get(mid))
        rows.append([str(len(rows) + 1), f["name"], status, said, "" if said == "出席" else STRUCK])
    for line in meeting.observers.splitlines():
        if not line.strip():
            continue
        found = _OBSERVER.match(line.strip())
        name, role = (found.group(1), f"列席（{found.group(2)}）") if found else (line.strip(), "列席")
        rows.append([str(len(rows) + 1), name, role, "列席", ""])
    return rows


def write_signin(doc: Document, store: Store, quarter: QuarterRef, meeting: Meeting,
                 facts: dict[int, dict[str, Any]], branch: str) -> None:
    from fpdf.enums import Align, WrapMode, XPos, YPos
    from fpdf.fonts import FontFace

    from exports.document import FONT, cn_datetime

    doc.use_layout("form")  # a sheet to sign on, all on one page: the form's margins
    doc.add_page()
    doc.set_font(FONT, "B", 14)
    doc.cell(0, 8, "附件", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.title_block(f"{branch}{SIGNIN_TITLE}", f"（{quarter.name}）")
    doc.para(f"会议时间：{cn_datetime(meeting.held_at)}　　会议地点：{meeting.place or '—'}")
    doc.ln(1)
    rows = signin_rows(store, quarter, meeting, facts)
    doc.set_font(FONT, size=10)
    with doc.table(col_widths=WIDTHS, width=min(sum(WIDTHS), doc.epw), line_height=5.5, text_align="CENTER",
                   wrapmode=WrapMode.CHAR, repeat_headings=1, min_row_height=ROW_HEIGHT,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
                   padding=(0.8, 1)) as table:
        head = table.row()
        for h in HEADINGS:
            head.cell(h, align=Align.C)
        for r in rows:
            row = table.row()
            for value in r:
                row.cell(value)
    q = store.quorum(quarter)
    observers = sum(1 for r in rows if r[3] == "列席")
    doc.ln(2)
    doc.para(f"应到{q.expected}人，实到{q.present}人，缺席{q.absent}人"
             + (f"；列席{observers}人" if observers else "") + "。本人签名栏由出席人员本人手写签名。")
