"""三、有异议事项的表决: each contested entry of the minute with what it is (member, kind,
points, item code, level), the scheme clause it rests on as the seed words it, who objected and
why, how the vote was taken and its count under the rule of 《中国共产党支部工作条例（试行）》
第十一条; objections that never came to a vote after them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from core.labels import KIND_LABELS
from core.numbers import show
from core.quarter import QuarterRef
from db.store import Store
from exports.minute_text import sentence

if TYPE_CHECKING:
    from core.scheme import Scheme
    from db.tables import Objection, PointsEntry, Vote
    from exports.document import Document

RULE = "《中国共产党支部工作条例（试行）》第十一条"
_TITLE = re.compile(r"《[^《》]*》")


def basis(clause: str, reading: str, title: str = "") -> str:
    """依据 (the seed's words, after the scheme document's title) and 说明 (the scheme's
    reading), as the minute prints them."""
    return "；".join([*([f"依据：{title}{clause}"] if clause else []), *([f"说明：{reading}"] if reading else [])])


def document_title(scheme: Scheme) -> str:
    """The scheme document's title in 《》 as its `document` line gives it, or "" when that
    line names no titled document."""
    found = _TITLE.search(scheme.document)
    return found.group(0) if found else ""


def _entry_line(k: int, name: str, e: PointsEntry) -> str:
    what = [e.item_code or "", e.level or "", e.category or "", f"{e.month}月" if e.month else ""]
    tags = "，".join(t for t in what if t)
    points = f"{show(e.points)}分" if e.points is not None else ""
    return f"{k}. {name}，{KIND_LABELS.get(e.kind, e.kind)}{points}" + (f"（{tags}）" if tags else "")


def _objection_text(os_: list[Objection]) -> str:
    return "；".join(f"{o.raised_by}提出，理由是{o.reason.rstrip('。')}" + ("（后撤回）" if o.withdrawn else "")
                    for o in os_) + "。"


def _vote_text(v: Vote) -> str:
    written = ""
    if v.written_yes or v.written_no or v.written_abstain:
        written = (f"；另计缺席党员书面意见赞成{v.written_yes}份、反对{v.written_no}份、"
                   f"弃权{v.written_abstain}份")
    needed = v.expected // 2 + 1
    return (f"　　表决：以{v.method}方式表决，到会有表决权的党员{v.present}人，"
            f"赞成{v.yes}票，反对{v.no}票，弃权{v.abstain}票{written}。"
            f"按{RULE}，赞成票须超过应到会有表决权党员{v.expected}人的半数，即至少{needed}票；"
            f"本事项{'通过' if v.passed else '未通过'}。")


def write_votes(doc: Document, store: Store, quarter: QuarterRef, facts: dict[int, dict[str, Any]]) -> None:
    scheme = store.scheme(quarter.year)
    title = document_title(scheme)
    votes = store.votes(quarter)
    entries = {e.id: e for e in store.entries(quarter)}
    objections: dict[int, list[Objection]] = {}
    for o in store.objections(quarter):
        objections.setdefault(o.entry_id, []).append(o)
    doc.heading("三、有异议事项的表决")
    shown = [v for v in votes if v.entry_id in entries]
    if not shown:
        pending = any(not o.withdrawn for os_ in objections.values() for o in os_)
        doc.para("本次会议未对有异议事项进行表决。" if pending else "本次会议没有需要表决的有异议事项。")
    for k, v in enumerate(shown, 1):
        e = entries[v.entry_id]
        doc.para(_entry_line(k, facts.get(e.member_id, {}).get("name", ""), e))
        if e.note:
            doc.para(f"　　事项：{sentence(e.note)}", size=10.5)
        cited = scheme.item(e.item_code) if e.item_code else None
        if cited is not None:
            if cited.clause:
                doc.para(f"　　依据：{title}{cited.cite}", size=10.5)
            if cited.reading:
                doc.para(f"　　说明：{cited.reading}", size=10.5)
        if e.evidence:
            doc.para(f"　　证明材料：{e.evidence}", size=10.5)
        if objections.get(v.entry_id):
            doc.para(f"　　异议：{_objection_text(objections[v.entry_id])}", size=10.5)
        doc.para(_vote_text(v), size=10.5)

    voted = {v.entry_id for v in votes}
    unvoted = [(eid, os_) for eid, os_ in objections.items() if eid not in voted and eid in entries]
    if unvoted:
        doc.para("未付诸表决的异议：", size=10.5)
        for eid, os_ in unvoted:
            e = entries[eid]
            name = facts.get(e.member_id, {}).get("name", "")
            state = "异议已撤回" if all(o.withdrawn for o in os_) else f"事项现为“{e.status}”"
            what = _entry_line(0, name, e)[3:] + (f"：{e.note}" if e.note else "")
            doc.para(f"　　{what}。{_objection_text(os_)[:-1]}；{state}。", size=10.5)
