"""The canonical content of a locked quarter, its SHA-256 and the chain `jifen verify` checks.

The canonical form is JSON with sorted keys; ratings appear as counts per member, round and
grade (ballot order and ids never enter it). Members appear as they were at the lock.

Format 2 adds the meeting's record (objections, agenda notes, how each vote was taken, the
end time, void ballots by reason). Format 3 puts under the digest everything else a locked
quarter's figures and documents depend on: the scheme's SHA-256 computed from its text at
verify time (format 2 held only a stored column, which could be left as it was while the text
changed), the time of the lock the minute prints, the previous year's results the two-year rules
read (past_result rows of year - 1) and, at the fourth quarter, the year's results written by the
lock itself. A quarter locked in an older format is verified in that format, so upgrading the
program never breaks an existing chain. Of the branch row only the name is content: the
publicity notices' contact (联系人, 联系电话) is for whoever reads a notice now and may change
after a lock, so it stays out and the digests made before it existed still verify.

`jifen verify` checks more than the digests: each quarter marked locked has its lock and each
lock its quarter; every lock the append-only audit log records still exists with the digest the
log gave it (so a deleted last lock shows); the scheme text of a locked year still gives the
fingerprint stored when the year was created (this catches a scheme edit under older formats
too); and, given a digest from the signed minute (the one anchor outside the database), that
some lock in the chain carries it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.quarter import QuarterState
from db.ballots import round_state_of
from db.tables import (
    AgendaNote,
    AuditLog,
    Ballot,
    BallotCount,
    Branch,
    GradeDecision,
    Lock,
    Meeting,
    Objection,
    PastResult,
    PointsEntry,
    Quarter,
    QuarterMember,
    RollCall,
    SchemeYear,
    Tally,
    Vote,
    saved_id,
)

FORMAT = 3
# The shortest prefix of a digest `jifen verify --expect` takes (48 bits: no accidental match).
MIN_EXPECT = 12


# What verify names when a part of a locked quarter's content changed.
PART_NAMES = {
    "agenda_notes": "议题记录",
    "ballots": "测评票收回数",
    "ballots_issued": "测评票发出数",
    "branch": "党支部名称",
    "entries": "积分事项",
    "format": "记录格式",
    "grade_decisions": "年度等次决定",
    "locked_at": "锁定时间",
    "meeting": "会议信息",
    "members": "锁定时的党员名单",
    "objections": "异议",
    "past_results": "上一年度结果",
    "previous": "上一季度校验码",
    "quarter": "季度",
    "ratings": "测评结果",
    "roll_call": "签到",
    "scheme": "积分方案",
    "void_ballots": "无效票",
    "votes": "表决",
    "year": "年度",
    "year_results": "年度结果",
}


def digest_of(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def scheme_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _results(s: Session, year: int) -> list[dict[str, Any]]:
    return [{"member": p.member_id, "total": None if p.total is None else format(p.total, "f"), "bottom": p.bottom}
            for p in s.exec(select(PastResult).where(PastResult.year == year).order_by(col(PastResult.member_id)))]


def _content(s: Session, q: Quarter, previous: str, fmt: int = FORMAT,
             locked_at: datetime | None = None) -> dict[str, Any]:
    # A branch or scheme row deleted behind the program's back shows as a changed key, not a crash.
    branch = s.exec(select(Branch).order_by(col(Branch.id))).first()
    sy = s.exec(select(SchemeYear).where(SchemeYear.year == q.year)).first()
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
        "branch": branch.name if branch else None,
        "year": q.year,
        "quarter": q.number,
        "scheme": {"id": sy.scheme_id, "sha256": sy.sha256} if sy else None,
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
        # paper and phone codes together (a branch without codes gets the number as before)
        "ballots_issued": {str(c.round): round_state_of(s, q, c.round).issued
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
    if fmt >= 3:
        # The scheme as its text says now, not a column stored beside it.
        content["scheme"] = {"id": sy.scheme_id, "sha256": scheme_sha256(sy.text)} if sy else None
        content["locked_at"] = None if locked_at is None else locked_at.isoformat()
        for v, row in zip(content["votes"], s.exec(select(Vote).where(Vote.quarter_id == q.id)
                                                   .order_by(col(Vote.entry_id))), strict=True):
            v["rule"] = row.rule
        content["past_results"] = _results(s, q.year - 1)
        if q.number == 4:
            content["year_results"] = _results(s, q.year)
            # The meeting's grade decisions: only when there are any, so older Q4 digests stay valid.
            decided = [{"member": d.member_id, "grade": d.grade, "reason": d.reason}
                       for d in s.exec(select(GradeDecision).where(GradeDecision.quarter_id == q.id)
                                       .order_by(col(GradeDecision.member_id)))]
            if decided:
                content["grade_decisions"] = decided
    return content


def canonical_quarter(s: Session, q: Quarter, previous: str, fmt: int = FORMAT,
                      locked_at: datetime | None = None) -> str:
    return json.dumps(_content(s, q, previous, fmt, locked_at), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def format_of(canonical: str) -> int:
    """The format a lock was written in (1 when the record predates the format key)."""
    try:
        return int(json.loads(canonical).get("format", 1))
    except (ValueError, TypeError, AttributeError):
        return FORMAT


def _label(q: Quarter | None, quarter_id: int) -> str:
    return f"{q.year}Q{q.number}" if q is not None else f"编号为 {quarter_id} 的季度"


def verify_chain(s: Session, expect: str = "") -> list[str]:
    """One line per fault: a quarter whose content no longer gives its digest, a broken link, a
    locked quarter without its lock, a lock the audit log knows but the database lost, a scheme
    text changed under a locked year, or (given `expect`) no lock with the digest the user holds."""
    problems = []
    prev = ""
    quarters = {saved_id(q): q for q in s.exec(select(Quarter))}
    locks = list(s.exec(select(Lock).order_by(col(Lock.id))))
    for lock in locks:
        q = quarters.get(lock.quarter_id)
        label = _label(q, lock.quarter_id)
        if lock.previous_digest != prev:
            problems.append(f"{label}：校验码链断开：记录的上一季度校验码为 {lock.previous_digest[:12] or '（无）'}…，"
                            f"应为 {prev[:12] or '（无）'}…")
        prev = lock.digest
        if q is None:
            problems.append(f"{label}：有锁定记录，但该季度已不存在")
            continue
        now = canonical_quarter(s, q, lock.previous_digest, format_of(lock.canonical), lock.locked_at)
        if digest_of(now) != lock.digest:
            try:
                stored = json.loads(lock.canonical)
            except ValueError:
                stored = {}
            current = json.loads(now)
            differs = [PART_NAMES.get(k, k) for k in sorted(set(stored) | set(current))
                       if stored.get(k) != current.get(k)]
            if digest_of(lock.canonical) != lock.digest:
                differs.append("锁定记录本身")
            problems.append(f"{label}：校验码不符：{'、'.join(differs) or '内容'}在锁定后被改动"
                            f"（锁定时 {lock.digest[:12]}…，现在 {digest_of(now)[:12]}…）")
        if q.state != QuarterState.LOCKED:
            problems.append(f"{label}：有锁定记录，但季度未标为已锁定")
    held = {lock.quarter_id: lock for lock in locks}
    for qid, q in sorted(quarters.items(), key=lambda kv: (kv[1].year, kv[1].number)):
        if q.state == QuarterState.LOCKED and qid not in held:
            problems.append(f"{_label(q, qid)}：季度标为已锁定，但没有锁定记录（校验码）："
                            "锁定记录被删除，或季度未经锁定被直接改为已锁定")
    # The audit log only grows: every lock it recorded must still be there, with the same digest.
    recorded: dict[int, str] = {}
    for a in s.exec(select(AuditLog).where(AuditLog.action == "locked").order_by(col(AuditLog.id))):
        try:
            digest = str(json.loads(a.detail).get("digest", ""))
        except (ValueError, AttributeError):
            digest = ""
        if a.quarter_id is not None:
            recorded[a.quarter_id] = digest
    for qid, digest in recorded.items():
        label = _label(quarters.get(qid), qid)
        kept = held.get(qid)
        if kept is None:
            problems.append(f"{label}：审计日志记载本季度已锁定（校验码 {digest[:12]}…），但锁定记录已不存在："
                            "最后的锁定可能被删除")
        elif kept.digest != digest:
            problems.append(f"{label}：锁定记录的校验码 {kept.digest[:12]}… 与审计日志记载的 "
                            f"{digest[:12] or '（无）'}… 不符：锁定记录或审计日志被改写")
    for qid in held:
        if qid not in recorded:
            problems.append(f"{_label(quarters.get(qid), qid)}：锁定记录在审计日志中没有对应的锁定操作")
    locked_years = {q.year for q in quarters.values() if q.state == QuarterState.LOCKED} | {
        quarters[qid].year for qid in held if qid in quarters}
    schemes = {sy.year: sy for sy in s.exec(select(SchemeYear))}
    for year in sorted(locked_years):
        sy = schemes.get(year)
        if sy is None:
            problems.append(f"{year}年：已有锁定的季度，但该年度的积分方案已不存在")
        elif scheme_sha256(sy.text) != sy.sha256:
            problems.append(f"{year}年：积分方案（{sy.scheme_id}）的文本与建立年度时记下的指纹不符："
                            "方案在锁定后被改动")
    from db.grading import approval_problems

    problems += approval_problems(s)
    if expect:
        anchored = anchor_of(s, expect)
        if anchored is None:
            head = f"校验码链最后一个是 {locks[-1].digest[:12]}…" if locks else "数据库中没有任何锁定记录"
            problems.append(f"没有一个锁定季度的校验码是 {expect}…（{head}）：请核对会议记录上的校验码；"
                            "若抄写无误，则校验码链在签字后被改写")
    return problems


def expected_digest(text: str) -> str:
    """The digest (or its first 12+ characters) as the user copied it from the signed minute:
    spaces, line breaks and a trailing ellipsis are dropped, letters read in either case."""
    from db.errors import StoreError

    hexes = "".join(text.split()).rstrip("…").rstrip(".").lower()
    if not hexes or any(c not in "0123456789abcdef" for c in hexes):
        raise StoreError(f"--expect 后应为会议记录上印的校验码（0-9、a-f 组成），“{text}”不是")
    if len(hexes) > 64:
        raise StoreError(f"校验码（SHA-256）是 64 位，“{text}”有 {len(hexes)} 位")
    if len(hexes) < MIN_EXPECT:
        raise StoreError(f"请至少写出校验码的前 {MIN_EXPECT} 位（“{text}”只有 {len(hexes)} 位）")
    return hexes


def anchor_of(s: Session, expect: str) -> Lock | None:
    """The lock whose digest is (or begins with) the expected one, earliest first."""
    for lock in s.exec(select(Lock).order_by(col(Lock.id))):
        if lock.digest.startswith(expect):
            return lock
    return None
