"""The undo handlers: for each undoable action, what restores the quarter to how it was before
it, given the slot's payload, and the Chinese sentence saying what was taken back. db.store's
`Store.undo` looks the slot's action up in `UNDO`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.quarter import EntryStatus
from db.errors import StoreError
from db.secrecy import LAST_BALLOT, after_commit, ballot_key, scrub_ballot_traces
from db.tables import (
    AgendaNote,
    Ballot,
    BallotCount,
    Meeting,
    Member,
    Objection,
    PointsEntry,
    Quarter,
    RollCall,
    Tally,
    Vote,
)

# --- undo actions: each restores what its action changed and says so --------------------------------

def _undo_status(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    e = s.get(PointsEntry, p["entry"])
    assert e is not None
    e.status = p["status"]
    s.add(e)
    if p.get("objection"):  # the objection raised with it goes too
        row = s.get(Objection, p["objection"])
        if row is not None:
            s.delete(row)
    if p.get("withdrawn"):
        row = s.get(Objection, p["withdrawn"])
        if row is not None:
            row.withdrawn = False
            s.add(row)
    m = s.get(Member, e.member_id)
    return f"已撤销：{m.name if m else ''}的事项 #{e.id} 恢复为“{p['status']}”"


def _undo_vote(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    v = s.exec(select(Vote).where(Vote.entry_id == p["entry"])).one()
    s.delete(v)
    e = s.get(PointsEntry, p["entry"])
    assert e is not None
    e.status = EntryStatus.CONTESTED
    s.add(e)
    return "已撤销表决结果，事项恢复为“有异议”"


def _undo_roll_call(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    row = s.exec(select(RollCall).where(RollCall.quarter_id == q.id, RollCall.member_id == p["member"])).one()
    if p["before"] is None:
        s.delete(row)
    else:
        row.present, row.reason, row.opinion = p["before"]["present"], p["before"]["reason"], p["before"]["opinion"]
        s.add(row)
    m = s.get(Member, p["member"])
    return f"已撤销{m.name if m else ''}的签到"


def _undo_roll_call_rest(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    for row in s.exec(select(RollCall).where(RollCall.quarter_id == q.id)):
        if row.member_id in p["members"]:
            s.delete(row)
    return f"已撤销“其余出席”（{len(p['members'])}人恢复为未签到）"


def _undo_ballot(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    """By content, not by id: one ballot that says what the newest one said (identical ballots
    are interchangeable). The content is this process's own (see db.secrecy)."""
    key = ballot_key(s, q)
    last = LAST_BALLOT.get(key)
    if last is None or last[0] != p.get("ballot"):
        raise StoreError("上一张测评票是另一个控制台（或本控制台重新打开之前）录入的，这里不能撤销")
    _, rnd, marks, void = last
    b = s.exec(select(Ballot).where(Ballot.quarter_id == q.id, Ballot.round == rnd, Ballot.marks == marks,
                                    Ballot.void == void)).first()
    if b is not None:
        s.delete(b)
    engine = cast(Engine, s.get_bind())
    after_commit(s, lambda: LAST_BALLOT.pop(key, None))
    after_commit(s, lambda: scrub_ballot_traces(engine))
    return "已撤销最后录入的一张测评票"


def _undo_tally(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    for t in s.exec(select(Tally).where(Tally.quarter_id == q.id, Tally.round == p["round"],
                                        Tally.member_id == p["member"])):
        if t.rating in p["before"]:
            t.count = p["before"][t.rating]
            s.add(t)
        else:
            s.delete(t)
    return "已撤销测评票数"


def _undo_facts(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).one()
    for k, v in p.items():
        # the slot keeps times as text
        setattr(mt, k, datetime.fromisoformat(v) if k in ("held_at", "ended_at") and v else v)
    s.add(mt)
    return "已撤销会议信息的修改"


def _undo_issued(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    row = s.exec(select(BallotCount).where(BallotCount.quarter_id == q.id, BallotCount.round == p["round"])).one()
    if p["before"] is None and not row.salt:  # a round with codes keeps its row (its salt)
        s.delete(row)
    else:
        row.issued = p["before"] or 0
        s.add(row)
    return "已撤销发出票数的修改"


def _undo_entry(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    e = s.get(PointsEntry, p["entry"])
    if e is not None:
        s.delete(e)
    return "已撤销刚登记的积分事项"


def _undo_agenda_note(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    if "added" in p:
        note = s.get(AgendaNote, p["added"])
        if note is not None:
            s.delete(note)
        return "已撤销刚记下的会议记录"
    s.add(AgendaNote(quarter_id=q.id, **p["removed"]))
    return "已恢复删去的会议记录"


def _undo_resolution(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    row = s.exec(select(AgendaNote).where(AgendaNote.quarter_id == q.id, AgendaNote.item == p["item"],
                                          AgendaNote.kind == "resolution")).first()
    if p["before"] is None:
        if row is not None:
            s.delete(row)
    else:
        row = row or AgendaNote(quarter_id=q.id, item=p["item"], kind="resolution", text="")
        row.text = p["before"]
        s.add(row)
    return f"已撤销第{p['item']}项议题决议的修改"


def _undo_exemption(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    m = s.get(Member, p["member"])
    if m is None:
        raise StoreError("该党员已不在数据库中，不能撤销")
    m.exempt, m.exempt_reason = p["before"]["exempt"], p["before"]["exempt_reason"]
    s.add(m)
    return f"已撤销：{m.name}" + ("恢复为免于积分管理" if m.exempt else "恢复为参加积分管理")


UNDO: dict[str, Callable[[Session, Quarter, dict[str, Any]], str]] = {
    "status": _undo_status, "vote": _undo_vote, "entry": _undo_entry, "roll_call": _undo_roll_call,
    "roll_call_rest": _undo_roll_call_rest, "facts": _undo_facts, "issued": _undo_issued, "ballot": _undo_ballot,
    "tally": _undo_tally, "agenda_note": _undo_agenda_note, "resolution": _undo_resolution,
    "exemption": _undo_exemption}
