"""The canonical content of a locked quarter, its SHA-256 and the chain `jifen verify` checks.

The canonical form is JSON with sorted keys; ratings appear as counts per member, round and
grade (ballot order and ids never enter it). Members appear as they were at the lock.

Format 2 adds the meeting's record (objections, agenda notes, how each vote was taken, the
end time, void ballots by reason). A quarter locked in format 1 is verified in format 1, so
upgrading the program never breaks an existing chain.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session, col, select

from db.tables import (
    AgendaNote,
    Ballot,
    BallotCount,
    Branch,
    Lock,
    Meeting,
    Objection,
    PointsEntry,
    Quarter,
    QuarterMember,
    RollCall,
    SchemeYear,
    Tally,
    Vote,
)

FORMAT = 2


def digest_of(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _content(s: Session, q: Quarter, previous: str, fmt: int = FORMAT) -> dict[str, Any]:
    branch = s.exec(select(Branch)).one()
    sy = s.exec(select(SchemeYear).where(SchemeYear.year == q.year)).one()
    mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).first()
    ratings: dict[str, dict[str, dict[str, int]]] = {}
    returned: dict[str, dict[str, int]] = {}
    void: dict[str, dict[str, int]] = {}
    for b in s.exec(select(Ballot).where(Ballot.quarter_id == q.id)):
        r = returned.setdefault(str(b.round), {"returned": 0, "blank": 0})
        r["returned"] += 1
        marks = json.loads(b.marks)
        r["blank"] += not marks
        if b.void:
            by_reason = void.setdefault(str(b.round), {})
            by_reason[b.void] = by_reason.get(b.void, 0) + 1
        for mid, label in marks.items():
            c = ratings.setdefault(str(b.round), {}).setdefault(mid, {})
            c[label] = c.get(label, 0) + 1
    for t in s.exec(select(Tally).where(Tally.quarter_id == q.id)):
        if t.count:
            c = ratings.setdefault(str(t.round), {}).setdefault(str(t.member_id), {})
            c[t.rating] = c.get(t.rating, 0) + t.count
    content: dict[str, Any] = {
        "branch": branch.name,
        "year": q.year,
        "quarter": q.number,
        "scheme": {"id": sy.scheme_id, "sha256": sy.sha256},
        "members": sorted((json.loads(m.facts) for m in s.exec(
            select(QuarterMember).where(QuarterMember.quarter_id == q.id))), key=lambda f: f["id"]),
        "entries": [
            {"id": e.id, "member": e.member_id, "month": e.month, "kind": e.kind, "item": e.item_code,
             "level": e.level, "category": e.category, "points": None if e.points is None else format(e.points, "f"),
             "note": e.note, "evidence": e.evidence, "status": e.status, "entered_at": e.entered_at.isoformat(),
             "entered_by": e.entered_by}
            for e in s.exec(select(PointsEntry).where(PointsEntry.quarter_id == q.id).order_by(col(PointsEntry.id)))
        ],
        "meeting": None if mt is None else {
            "held_at": mt.held_at.isoformat(), "place": mt.place, "host": mt.host, "recorder": mt.recorder,
            "observers": mt.observers, "agenda": mt.agenda},
        "roll_call": [
            {"member": r.member_id, "present": r.present, "reason": r.reason, "opinion": r.opinion}
            for r in s.exec(select(RollCall).where(RollCall.quarter_id == q.id).order_by(col(RollCall.member_id)))
        ],
        "votes": [
            {"entry": v.entry_id, "yes": v.yes, "no": v.no, "abstain": v.abstain, "written_yes": v.written_yes,
             "written_no": v.written_no, "written_abstain": v.written_abstain, "expected": v.expected,
             "present": v.present, "passed": v.passed}
            for v in s.exec(select(Vote).where(Vote.quarter_id == q.id).order_by(col(Vote.entry_id)))
        ],
        "ratings": ratings,
        "ballots": returned,
        "ballots_issued": {str(c.round): c.issued
                           for c in s.exec(select(BallotCount).where(BallotCount.quarter_id == q.id))},
        "previous": previous,
    }
    if fmt >= 2:
        content["format"] = fmt
        if mt is not None and content["meeting"] is not None:
            content["meeting"]["ended_at"] = mt.ended_at.isoformat() if mt.ended_at else None
        methods = {v.entry_id: v.method for v in s.exec(select(Vote).where(Vote.quarter_id == q.id))}
        for v in content["votes"]:
            v["method"] = methods[v["entry"]]
        content["void_ballots"] = void
        content["objections"] = [
            {"id": o.id, "entry": o.entry_id, "raised_by": o.raised_by, "reason": o.reason, "withdrawn": o.withdrawn}
            for o in s.exec(select(Objection).where(Objection.quarter_id == q.id).order_by(Objection.id))]
        content["agenda_notes"] = [
            {"id": n.id, "item": n.item, "kind": n.kind, "speaker": n.speaker, "text": n.text}
            for n in s.exec(select(AgendaNote).where(AgendaNote.quarter_id == q.id).order_by(AgendaNote.id))]
    return content


def canonical_quarter(s: Session, q: Quarter, previous: str, fmt: int = FORMAT) -> str:
    return json.dumps(_content(s, q, previous, fmt), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def format_of(canonical: str) -> int:
    """The format a lock was written in (1 when the record predates the format key)."""
    try:
        return int(json.loads(canonical).get("format", 1))
    except (ValueError, TypeError, AttributeError):
        return FORMAT


def verify_chain(s: Session) -> list[str]:
    """One line per fault: a quarter whose content no longer gives its digest, or a broken link."""
    problems = []
    prev = ""
    for lock in s.exec(select(Lock).order_by(col(Lock.id))):
        q = s.get(Quarter, lock.quarter_id)
        assert q is not None
        label = f"{q.year}Q{q.number}"
        if lock.previous_digest != prev:
            problems.append(f"{label}：摘要链断开：记录的上一季度摘要为 {lock.previous_digest[:12] or '（无）'}…，"
                            f"应为 {prev[:12] or '（无）'}…")
        now = canonical_quarter(s, q, lock.previous_digest, format_of(lock.canonical))
        if digest_of(now) != lock.digest:
            stored = json.loads(lock.canonical)
            current = json.loads(now)
            differs = sorted(k for k in set(stored) | set(current) if stored.get(k) != current.get(k))
            if digest_of(lock.canonical) != lock.digest:
                differs.append("锁定记录本身")
            problems.append(f"{label}：数字摘要不符：{'、'.join(differs) or '内容'}在锁定后被改动"
                            f"（锁定时 {lock.digest[:12]}…，现在 {digest_of(now)[:12]}…）")
        if q.state != "locked":
            problems.append(f"{label}：有锁定记录，但季度未标为已锁定")
        prev = lock.digest
    return problems
