"""The committee's figures of a branch, made from its records alone (committee.records).

What a branch computed is never taken: the engine's year (core.branch.BranchYear) is built again
from the canonical texts the digests vouch for, as db.reads `_branch_year` builds it from the
rows: the members as they were at the quarter's lock (only they are scored), the entries of the
year's locked quarters up to it that count (core.quarter.COUNTED), the corrections of upheld
appeals put on top (db.amendments.amended_entries, from the amendments' canonical "changes"),
the rating counts of those quarters, and last year's results as the lock kept them (derived
again from last year's records when a correction of last year has been made since, as the store
does). The grade as decided comes from the Q4 meeting's decisions and the 党委's approval.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from committee.records import BranchRecords
from core.branch import BranchYear, Entry, HistoryRecord, Ratings, Status
from core.branch import Member as CoreMember
from core.labels import RATING_LABELS
from core.quarter import COUNTED, QuarterRef
from db.amendments import Correction, amended_entries
from db.errors import StoreError
from db.reads import scheme_from_text

if TYPE_CHECKING:
    from core.engine import YearResult
    from core.scheme import Scheme

_COUNTED = {str(s) for s in COUNTED}


@dataclass(frozen=True)
class BranchFigures:
    """One branch's year up to a quarter, as the committee computes it."""

    branch: str
    quarter: QuarterRef
    scheme: Scheme
    result: YearResult
    facts: dict[str, dict[str, Any]]  # member id -> facts at the lock (name, gender, post, seq ...)
    decided: dict[str, str] = field(default_factory=dict)  # member id -> grade the Q4 meeting decided
    approved: dict[str, str] = field(default_factory=dict)  # member id -> grade the 党委's 批复 changed to
    approval: bool = False  # the year's grades approved by the 党委
    corrections: int = 0  # corrections (更正) of upheld appeals applied
    # Once approved: the engine's grades from the figures the 党委 had (the corrections made by
    # the day of its 批复), as db.grading does: a later correction does not change an approved grade.
    proposed: dict[str, str | None] = field(default_factory=dict)

    def final(self, member_id: str) -> str | None:
        """The grade as decided: the 党委's change, the meeting's decision, else the engine's."""
        m = self.result.member(member_id)
        engine = self.proposed.get(member_id, m.grade)
        return self.approved.get(member_id) or self.decided.get(member_id) or engine


def _locks_of(records: BranchRecords, year: int, upto: int) -> list[dict[str, Any]]:
    out = []
    for lock in records.locks:
        y, n = int(lock.quarter[:4]), int(lock.quarter[5:])
        if y == year and n <= upto:
            out.append(json.loads(lock.canonical))
    return out


_POINTS = re.compile(r"-?\d{1,6}(\.\d{1,6})?")


def _points(e: dict[str, Any]) -> Decimal | None:
    """An entry's points as the store writes them (a plain decimal): the records of a hand-made
    file may hold anything the JSON allows, and "NaN" or "1e999999" must not reach a figure."""
    raw = e["points"]
    if raw is None:
        return None
    if not isinstance(raw, str) or not _POINTS.fullmatch(raw):
        raise ValueError(f"积分事项#{e.get('id')}的分值“{str(raw)[:20]}”不是普通的数")
    return Decimal(raw)


def _corrections(records: BranchRecords, year: int, upto: int, owner: dict[str, str],
                 before: date | None = None) -> list[Correction]:
    """The year's corrections to quarters 1..upto in the order made, as db.amendments reads them
    (`before`: only those made before that day)."""
    out = []
    for a in records.amendments:
        y, n = int(a.quarter[:4]), int(a.quarter[5:])
        if y != year or n > upto:
            continue
        c = json.loads(a.canonical)
        if before is not None and date.fromisoformat(c["made_on"]) >= before:
            continue
        appeal = c.get("appeal") or {}
        for ch in c.get("changes") or []:
            entry = str(ch["entry"])
            out.append(Correction(int(appeal.get("number", 0)), n, int(owner.get(entry, appeal.get("member", 0))),
                                  int(entry), ch.get("item"),
                                  _points({"id": entry, "points": ch.get("was")}),
                                  _points({"id": entry, "points": ch.get("points")}),
                                  bool(ch.get("withdrawn")), date.fromisoformat(c["made_on"]), c.get("body", "")))
    return out


def branch_year_of(records: BranchRecords, quarter: QuarterRef,
                   before: date | None = None) -> tuple[Scheme, BranchYear, dict[str, dict[str, Any]]]:
    """The engine's year from the records, counting quarters 1..quarter.number; with the
    members' facts at the quarter's lock (`before`: only the corrections made before that day)."""
    year, upto = quarter.year, quarter.number
    if year not in records.schemes:
        raise StoreError(f"{records.branch}的报送中没有{year}年的积分方案")
    sid, text = records.schemes[year]
    scheme = scheme_from_text(text, f"{sid}.toml")
    locks = _locks_of(records, year, upto)
    at = next((c for c in locks if c.get("quarter") == upto), None)
    if at is None:
        raise StoreError(f"{records.branch}的报送中没有{quarter.name}的锁定记录")
    facts = sorted(at.get("members") or [], key=lambda f: f["seq"])
    on_roster = {str(f["id"]) for f in facts}
    rows = sorted(((e, c["quarter"]) for c in locks for e in c.get("entries") or []), key=lambda r: r[0]["id"])
    owner = {str(e["id"]): str(e["member"]) for e, _ in rows}
    entries = [Entry(str(e["member"]), e["kind"], qn, e["month"], _points(e), e["category"], e["item"], e["level"],
                     e["note"], str(e["id"]))
               for e, qn in rows if e["status"] in _COUNTED and str(e["member"]) in on_roster]
    made = _corrections(records, year, upto, owner, before)
    entries = amended_entries(entries, made)
    counts: dict[tuple[str, int], dict[str, int]] = {}
    for c in locks:
        for rnd, by_member in (c.get("ratings") or {}).items():
            for mid, labels in by_member.items():
                into = counts.setdefault((mid, int(rnd)), {})
                for label, n in labels.items():
                    into[label] = into.get(label, 0) + n
    ratings = [Ratings(mid, rnd, c) for (mid, rnd), c in sorted(counts.items()) if mid in on_roster]
    past = [r for r in _past_results(records, year - 1, at) if r.member in on_roster]
    members = tuple(CoreMember(str(f["id"]), f["name"], cast("Status", f["status"]), bool(f["exempt"])) for f in facts)
    by = BranchYear(year, members, tuple(entries), tuple(ratings), tuple(past))
    return scheme, by, {str(f["id"]): f for f in facts}


def _past_results(records: BranchRecords, year: int, lock: dict[str, Any]) -> list[HistoryRecord]:
    """Last year's results as this year's lock kept them; when last year's fourth quarter is in
    the records and a correction of last year was made, that year derived again with it."""
    kept = [HistoryRecord(str(p["member"]), year, None if p["total"] is None else Decimal(p["total"]),
                          bool(p["bottom"])) for p in lock.get("past_results") or []]
    corrected = any(int(a.quarter[:4]) == year for a in records.amendments)
    if not kept or not corrected or not any(lk.quarter == f"{year}Q4" for lk in records.locks):
        return kept
    from core.engine import score

    scheme, by, _ = branch_year_of(records, QuarterRef(year, 4))
    return [HistoryRecord(r.id, year, r.total, "bottom_ranked" in r.flags)
            for r in score(scheme, by, explain=False).members if not r.exempt]


def _grade(value: Any, allowed: tuple[str, ...], branch: str, what: str) -> str:
    """A decided grade as the report will print it: only one of the grades the scheme has (a
    hand-made record could decide 特等, or a grade hiding characters)."""
    if value not in allowed:
        raise StoreError(f"{branch}：{what}中的等次“{str(value)[:20]}”不是积分方案的等次（{'、'.join(allowed)}）")
    return str(value)


def figures_of(records: BranchRecords, quarter: QuarterRef, explain: bool = False) -> BranchFigures:
    """The branch's figures for the year up to `quarter`, with the grades decided at Q4."""
    from core.engine import score

    scheme, by, facts = branch_year_of(records, quarter)
    result = score(scheme, by, explain=explain)
    decided: dict[str, str] = {}
    approved: dict[str, str] = {}
    approval = False
    proposed: dict[str, str | None] = {}
    if quarter.number == 4:
        q4 = next(json.loads(lk.canonical) for lk in records.locks if lk.quarter == f"{quarter.year}Q4")
        allowed = tuple(scheme.grading.grades) or RATING_LABELS  # what db.grading lets a meeting decide
        decided = {str(d["member"]): _grade(d["grade"], allowed, records.branch, "第四季度会议的等次决定")
                   for d in q4.get("grade_decisions") or []}
        for a in records.approvals:
            if a.year == quarter.year:
                approval = True
                said = json.loads(a.canonical)
                approved = {str(k): _grade(v, allowed, records.branch, "党委批复")
                            for k, v in (said.get("changes") or {}).items()}
                seen_by = branch_year_of(records, quarter, date.fromisoformat(said["approved_on"]) + timedelta(days=1))
                proposed = {m.id: m.grade for m in score(scheme, seen_by[1], explain=False).members}
    made = sum(1 for a in records.amendments if int(a.quarter[:4]) == quarter.year
               and int(a.quarter[5:]) <= quarter.number)
    return BranchFigures(records.branch, quarter, scheme, result, facts, decided, approved, approval, made,
                         proposed)
