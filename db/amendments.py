"""Corrections after a lock (更正): their canonical form, their chain, and their effect on figures.

An upheld appeal never edits a locked row. Its correction is an `Amendment` row: the changes
(an entry withdrawn, or an entry's points changed), the appeal's number and the date, written as
canonical JSON; digest = SHA-256(previous link's digest + canonical), the first link of a quarter
following that quarter's lock digest. `verify_amendments` recomputes every link from the rows as
they are now, so a changed, removed, inserted or reordered amendment is named by its appeal; the
append-only audit log records each link's digest, so removing the last one shows too.

`amended_entries` puts the corrections on top of the locked entries wherever the engine's figures
are made (db.reads `_branch_year`): the board, the documents, the year's later quarters.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from core.branch import Entry
from db.appeal_tables import Amendment, Appeal
from db.tables import AuditLog, Lock, PointsEntry, Quarter

FORMAT = 1
AUDIT_ACTION = "amended"


def canonical_amendment(s: Session, a: Amendment) -> str:
    """The canonical JSON of one amendment, from its row and its appeal's as they are now."""
    appeal = s.get(Appeal, a.appeal_id)
    q = s.get(Quarter, a.quarter_id)
    try:
        changes = json.loads(a.changes)
    except ValueError:
        changes = a.changes  # a row mangled behind the program's back: a changed digest, not a crash
    content: dict[str, Any] = {
        "format": FORMAT,
        "appeal": None if appeal is None else {
            "number": appeal.number, "member": appeal.member_id, "quarter_id": appeal.quarter_id,
            "filed_on": appeal.filed_on.isoformat(), "text": appeal.text},
        "quarter": None if q is None else f"{q.year}Q{q.number}",
        "stage": a.stage,
        "body": a.body,
        "made_on": a.made_on.isoformat(),
        "changes": changes,
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def link_digest(previous: str, canonical: str) -> str:
    return hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


def chain_head(s: Session, quarter_id: int) -> str:
    """The digest the quarter's next amendment follows: its last amendment's, else its lock's."""
    last = s.exec(select(Amendment).where(Amendment.quarter_id == quarter_id)
                  .order_by(col(Amendment.id).desc())).first()
    if last is not None:
        return last.digest
    lock = s.exec(select(Lock).where(Lock.quarter_id == quarter_id)).first()
    return "" if lock is None else lock.digest


@dataclass(frozen=True)
class Correction:
    """One change to one entry, as the documents tell it."""

    appeal: int  # 申诉第N号
    quarter: int  # the quarter's number in its year
    member_id: int  # whose entry it is (whose figures change)
    entry_id: int
    item: str | None
    was: Decimal | None
    points: Decimal | None  # None when withdrawn
    withdrawn: bool
    made_on: date
    body: str

    @property
    def mark(self) -> str:
        return f"更正（申诉第{self.appeal}号）"


def corrections(s: Session, year: int, upto: int = 4, before: date | None = None) -> list[Correction]:
    """The year's corrections to quarters 1..upto in the order made (`before`: only those made
    before that day). A later correction of the same entry overrides an earlier one."""
    rows = s.exec(select(Amendment, Appeal, Quarter).join(Appeal, col(Appeal.id) == Amendment.appeal_id)
                  .join(Quarter, col(Quarter.id) == Amendment.quarter_id)
                  .where(Quarter.year == year, Quarter.number <= upto).order_by(col(Amendment.id)))
    made = [(a, appeal, q, json.loads(a.changes)) for a, appeal, q in rows if before is None or a.made_on < before]
    # The member whose figures change is the entry's, who need not be the appellant (a member
    # may appeal another's points); a locked entry never changes hands.
    ids = {int(c["entry"]) for *_, cs in made for c in cs}
    # (dict(result) would take the Result for a mapping: its rows are pairs, made a list first)
    owner = dict(list(s.exec(select(col(PointsEntry.id), col(PointsEntry.member_id))
                             .where(col(PointsEntry.id).in_(ids))))) if ids else {}
    out = []
    for a, appeal, q, cs in made:
        for c in cs:
            out.append(Correction(appeal.number, q.number, owner.get(int(c["entry"]), appeal.member_id),
                                  int(c["entry"]), c.get("item"),
                                  None if c.get("was") is None else Decimal(c["was"]),
                                  None if c.get("points") is None else Decimal(c["points"]),
                                  bool(c.get("withdrawn")), a.made_on, a.body))
    return out


def amended_entries(entries: Iterable[Entry], made: list[Correction]) -> list[Entry]:
    """The engine's entries with the corrections applied: a withdrawn entry leaves, a changed one
    carries its new points (entries are matched by their `ref`, the entry's id)."""
    if not made:
        return list(entries)
    last = {str(c.entry_id): c for c in made}
    out = []
    for e in entries:
        c = last.get(e.ref)
        if c is None:
            out.append(e)
        elif not c.withdrawn:
            out.append(dataclasses.replace(e, points=c.points))
    return out


def verify_amendments(s: Session) -> list[str]:
    """One Chinese line per fault in the corrections' chains, naming the appeal."""
    problems: list[str] = []
    quarters = {q.id: q for q in s.exec(select(Quarter))}
    numbers = {a.id: a.number for a in s.exec(select(Appeal))}
    locks = {lk.quarter_id: lk.digest for lk in s.exec(select(Lock))}
    amendments = list(s.exec(select(Amendment).order_by(col(Amendment.id))))
    heads: dict[int, str] = {}

    def label(a: Amendment) -> str:
        q = quarters.get(a.quarter_id)
        where = f"{q.year}Q{q.number}" if q is not None else f"编号为 {a.quarter_id} 的季度"
        number = numbers.get(a.appeal_id)
        return f"{where}：更正（申诉第{number}号）" if number is not None else f"{where}：更正（申诉记录已不存在）"

    for a in amendments:
        if a.quarter_id not in locks:
            problems.append(f"{label(a)}：所更正的季度没有锁定记录")
        expected = heads.get(a.quarter_id, locks.get(a.quarter_id, ""))
        if a.previous_digest != expected:
            problems.append(f"{label(a)}：更正链断开：记录的上一环校验码为 {a.previous_digest[:12] or '（无）'}…，"
                            f"应为 {expected[:12] or '（无）'}…（更正被删除、插入或调换了次序）")
        heads[a.quarter_id] = a.digest
        now = canonical_amendment(s, a)
        if link_digest(a.previous_digest, now) != a.digest:
            what = "更正记录本身" if link_digest(a.previous_digest, a.canonical) != a.digest else "更正内容"
            problems.append(f"{label(a)}：校验码不符：{what}在记录后被改动"
                            f"（记录时 {a.digest[:12]}…，现在 {link_digest(a.previous_digest, now)[:12]}…）")
    held = {a.digest for a in amendments}
    logged: set[str] = set()
    for entry in s.exec(select(AuditLog).where(AuditLog.action == AUDIT_ACTION).order_by(col(AuditLog.id))):
        try:
            detail = json.loads(entry.detail)
        except ValueError:
            detail = {}
        digest = str(detail.get("digest", ""))
        logged.add(digest)
        if digest not in held:
            problems.append(f"申诉第{detail.get('appeal', '？')}号的更正（校验码 {digest[:12] or '（无）'}…）"
                            "记载于审计日志，但更正记录已不存在或被改写：更正可能被删除")
    for a in amendments:
        if a.digest not in logged:
            problems.append(f"{label(a)}：更正记录在审计日志中没有对应的操作")
    return problems
