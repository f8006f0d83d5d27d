"""年度定级 in the store: the engine's proposal for each member at the year's last meeting, the
meeting's own decisions (a grade with its reason) and the 党委's approval (批复) after the lock.

The final grade of a member is, in order: the 党委's change recorded with the 批复, the
meeting's decision, the engine's proposal. Until the 批复 is recorded every grade is 拟定.
The 批复 never rewrites a grade row: where the 党委 decided differently its approval carries
the member's new grade, with the 批复 itself as the reason. The approval is chained on the
fourth quarter's lock: digest = SHA-256(Q4 lock digest + canonical approval), checked by
`jifen verify` (`approval_problems`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from core.labels import RATING_LABELS
from core.numbers import share_count, show
from core.probation import Probation, probation_of
from core.quarter import QuarterRef, QuarterState
from db.errors import StoreError
from db.store_base import StoreInternals
from db.tables import AuditLog, GradeApproval, GradeDecision, Lock, Member, Quarter
from db.undo import UNDO

if TYPE_CHECKING:
    from core.engine import YearResult
    from core.scheme import Scheme

APPROVAL_FORMAT = 1
APPROVED = "grades_approved"  # the audit action that records an approval's digest


@dataclass(frozen=True)
class GradeRow:
    """One member at the year's grading."""

    member_id: int
    name: str
    status: str
    total: str  # as shown; "" when none
    rank: int | None
    proposed: str | None  # the engine's grade (None: no grade, e.g. 预备党员 or a scheme without grades)
    why: tuple[str, ...]  # the engine's reasons for the grade, as printed
    tie: bool  # in a tied group straddling the top share: the meeting decides
    decided: str | None = None  # the meeting's decision
    reason: str = ""  # why the meeting decided so
    changed: str | None = None  # the 党委's different decision (its 批复 is the reason)
    probation: Probation | None = None
    # A correction (更正) made after the 批复 that changes the engine's grade: the grade the
    # corrected figures propose. The approved grade stands until the 党委 decides again.
    corrected: str | None = None

    @property
    def final(self) -> str | None:
        return self.changed or self.decided or self.proposed

    @property
    def overridden(self) -> bool:
        return self.decided is not None and self.decided != self.proposed


@dataclass(frozen=True)
class YearGrades:
    year: int
    grades: tuple[str, ...]  # the grades a member may be given
    scheme_grades: bool  # False: the scheme sets none, the meeting records every grade
    rows: tuple[GradeRow, ...]
    top: str  # the top grade (优秀)
    cap: int | None  # how many may be 优秀 (the share of full members); None: no cap in the scheme
    full: int  # full members counted for the cap
    share: str  # the cap's share as the scheme writes it ("1/3"), "" when none
    q4: str  # the fourth quarter's state: open | meeting | locked
    approval: GradeApproval | None = None
    probations: tuple[Probation, ...] = field(default=())
    probationary_graded: bool = False  # the scheme grades 预备党员 too (most do not)

    def gradable(self, r: GradeRow) -> bool:
        """Whether the meeting may give the member a grade."""
        return r.status == "full" or self.probationary_graded

    @property
    def top_count(self) -> int:
        return sum(r.final == self.top for r in self.rows)

    @property
    def over_cap(self) -> bool:
        return self.cap is not None and self.top_count > self.cap

    @property
    def ties(self) -> list[str]:
        return [r.name for r in self.rows if r.tie]

    @property
    def undecided(self) -> list[str]:
        """Members still without a grade where the meeting must give every one (no scheme grades)."""
        if self.scheme_grades:
            return []
        return [r.name for r in self.rows if self.gradable(r) and r.final is None]

    @property
    def heading(self) -> str:
        """等次 once the 党委 has approved, 拟定等次 until then."""
        return "等次" if self.approval else "拟定等次"

    def row(self, name: str) -> GradeRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise StoreError(f"{self.year}年度评定等次的党员中没有“{name}”")

    def cap_line(self) -> str:
        if self.cap is None:
            return f"{self.top}{self.top_count}人（积分方案未规定{self.top}比例）"
        line = f"{self.top}{self.top_count}人，限额{self.cap}人（正式党员{self.full}人的{self.share}）"
        if self.over_cap:
            line += f"，超出限额{self.top_count - self.cap}人"
        if self.ties:
            line += f"；并列跨过名额、须由党员大会决定：{'、'.join(self.ties)}"
        return line


def _share_of(scheme: Scheme) -> tuple[str, Any]:
    """The top grade and the share that caps it (first rule giving the top grade with a share)."""
    top = scheme.grading.grades[0] if scheme.grading.grades else RATING_LABELS[0]
    for rule in scheme.grading.rules:
        if rule.grade == top and rule.when.top_share is not None:
            return top, rule.when.top_share
    return top, None


def grades_of(scheme: Scheme, board: YearResult, decisions: dict[int, GradeDecision],
              approval: GradeApproval | None, facts: dict[int, dict[str, Any]], year: int, q4: str,
              now: YearResult | None = None) -> YearGrades:
    """The year's grading from the engine's result, the meeting's decisions and the approval.
    Once approved, `board` is the year as the 党委 saw it and `now` as corrected since."""
    changes = {int(k): v for k, v in json.loads(approval.changes).items()} if approval else {}
    later = {int(m.id): m for m in now.members} if now is not None else {}
    rows: list[GradeRow] = []
    probations: list[Probation] = []
    for m in board.members:
        if m.exempt:
            continue
        mid = int(m.id)
        d = decisions.get(mid)
        prob = None
        if m.status == "probationary":
            prob = probation_of(scheme, m, str(facts.get(mid, {}).get("status_since", "")))
            probations.append(prob)
        after = later.get(mid)
        corrected = after.grade if after is not None and after.grade != m.grade else None
        rows.append(GradeRow(mid, m.name, m.status, "" if m.total is None else show(m.total), m.rank, m.grade,
                             tuple(r.text for r in m.why("grade")), "tie_at_limit" in m.flags,
                             d.grade if d else None, d.reason if d else "", changes.get(mid), prob, corrected))
    top, share = _share_of(scheme)
    full = sum(1 for m in board.members if not m.exempt and m.status == "full" and m.total is not None)
    cap = share_count(share, full) if share is not None else None
    grades = tuple(scheme.grading.grades) or RATING_LABELS
    return YearGrades(year, grades, bool(scheme.grading.grades), tuple(rows), top, cap, full,
                      "" if share is None else f"{share.numerator}/{share.denominator}", q4, approval,
                      tuple(probations), scheme.grading.probationary)


def approval_canonical(a: GradeApproval) -> str:
    """What the approval's digest covers: its own content (the Q4 lock's digest is chained in)."""
    return json.dumps({"format": APPROVAL_FORMAT, "year": a.year, "approved_on": a.approved_on.isoformat(),
                       "text": a.text, "changes": json.loads(a.changes), "recorded_at": a.recorded_at.isoformat()},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def approval_digest(previous: str, canonical: str) -> str:
    return hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


def approval_problems(s: Session) -> list[str]:
    """`jifen verify` on the approvals: each chained on its year's Q4 lock as it stands, its
    content still giving its digest, and none the audit log recorded gone or changed."""
    problems: list[str] = []
    kept: dict[int, GradeApproval] = {}
    for a in s.exec(select(GradeApproval).order_by(col(GradeApproval.id))):
        kept[a.year] = a
        label = f"{a.year}年度等次批复"
        q4 = s.exec(select(Quarter).where(Quarter.year == a.year, Quarter.number == 4)).first()
        lock = None if q4 is None else s.exec(select(Lock).where(Lock.quarter_id == q4.id)).first()
        if lock is None:
            problems.append(f"{label}：有批复记录，但{a.year}年第四季度没有锁定记录")
            continue
        if a.previous_digest != lock.digest:
            problems.append(f"{label}：校验码链断开：批复所接的第四季度校验码为 {a.previous_digest[:12]}…，"
                            f"应为 {lock.digest[:12]}…")
        try:
            now = approval_canonical(a)
        except (ValueError, TypeError):
            now = ""
        if approval_digest(lock.digest, now) != a.digest:
            problems.append(f"{label}：校验码不符：批复的日期、文本或等次变更在记录后被改动"
                            f"（记录时 {a.digest[:12]}…，现在 {approval_digest(lock.digest, now)[:12]}…）")
    for log in s.exec(select(AuditLog).where(AuditLog.action == APPROVED).order_by(col(AuditLog.id))):
        try:
            said = json.loads(log.detail)
            year, digest = int(said["year"]), str(said["digest"])
        except (ValueError, KeyError, TypeError):
            continue
        row = kept.get(year)
        if row is None:
            problems.append(f"{year}年度等次批复：审计日志记载已批复（校验码 {digest[:12]}…），但批复记录已不存在")
        elif row.digest != digest:
            problems.append(f"{year}年度等次批复：记录的校验码 {row.digest[:12]}… 与审计日志记载的 "
                            f"{digest[:12]}… 不符：批复记录或审计日志被改写")
    return problems


def _undo_grade(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    row = s.exec(select(GradeDecision).where(GradeDecision.quarter_id == q.id,
                                             GradeDecision.member_id == p["member"])).first()
    before = p.get("before")
    if before is None:
        if row is not None:
            s.delete(row)
    else:
        row = row or GradeDecision(quarter_id=q.id, member_id=p["member"], grade="", reason="")
        row.grade, row.reason = before["grade"], before["reason"]
        s.add(row)
    return f"已撤销{p.get('name', '')}年度等次的决定"


UNDO["grade"] = _undo_grade  # registered here so the grading stays in its own module


class GradingOps(StoreInternals):
    """The year's grading; db.store.Store provides the rest."""

    # --- reads ----------------------------------------------------------------------------------

    def year_grades(self, year: int) -> YearGrades:
        """The proposal, the meeting's decisions and the approval of `year`, member by member."""
        facts = {int(f["id"]): f for f in self.members_at(QuarterRef(year, 4))}
        with Session(self.engine) as s:
            q = self._quarter(s, QuarterRef(year, 4))
            scheme = self._scheme(s, year)
            decisions = {d.member_id: d for d in s.exec(select(GradeDecision).where(GradeDecision.quarter_id == q.id))}
            approval = s.exec(select(GradeApproval).where(GradeApproval.year == year)).first()
        board = self.board(year)
        if approval is None:
            return grades_of(scheme, board, decisions, approval, facts, year, q.state)
        # The 党委 approved the grades proposed from the figures it had: the corrections answered
        # by the day of its 批复. A later correction does not silently change an approved grade.
        seen = self.board(year, amended_before=approval.approved_on + timedelta(days=1))
        return grades_of(scheme, seen, decisions, approval, facts, year, q.state, now=board)

    def approval(self, year: int) -> GradeApproval | None:
        with Session(self.engine) as s:
            return s.exec(select(GradeApproval).where(GradeApproval.year == year)).first()

    # --- the meeting's decisions ---------------------------------------------------------------

    def set_grade(self, year: int, member_id: int, grade: str, reason: str) -> None:
        """The Q4 meeting decides `grade` for the member, for `reason`. Giving the engine's own
        proposal takes a decision back (no reason needed then)."""
        grade, reason = grade.strip(), reason.strip()
        board = self.board(year, explain=False)  # read before the write transaction takes the lock
        with self._tx() as s:
            q = self._grading_meeting(s, year)
            scheme = self._scheme(s, year)
            m = s.get(Member, member_id)
            if m is None or m.left:
                raise StoreError(f"没有编号为 {member_id} 的党员")
            if m.exempt:
                raise StoreError(f"{m.name}免于积分管理，不评定等次")
            if m.status == "probationary" and not scheme.grading.probationary:
                raise StoreError(f"{m.name}是预备党员，按积分方案不评定等次")
            allowed = tuple(scheme.grading.grades) or RATING_LABELS
            if grade not in allowed:
                raise StoreError(f"等次应为{'、'.join(allowed)}之一，“{grade}”不是")
            proposed = next((r.grade for r in board.members if r.id == str(member_id)), None)
            row = s.exec(select(GradeDecision).where(GradeDecision.quarter_id == q.id,
                                                     GradeDecision.member_id == member_id)).first()
            before = None if row is None else {"grade": row.grade, "reason": row.reason}
            if grade == proposed and scheme.grading.grades:
                if row is None:
                    raise StoreError(f"{m.name}的拟定等次已是{grade}，无需改定")
                s.delete(row)
            else:
                if not reason:
                    raise StoreError(f"请写明党员大会将{m.name}定为{grade}的理由")
                row = row or GradeDecision(quarter_id=q.id, member_id=member_id, grade=grade, reason=reason)
                row.grade, row.reason = grade, reason
                s.add(row)
                self._check_cap(s, q, scheme, board)
            self._audit(s, "grade_decided", q.id, member=m.name, grade=grade, proposed=proposed, reason=reason)
            self._undo_slot(s, q, "grade", {"member": member_id, "name": m.name, "before": before})

    def _check_cap(self, s: Session, q: Quarter, scheme: Scheme, board: YearResult) -> None:
        """The top grade stays within the scheme's share of full members (the decisions as written)."""
        decisions = {d.member_id: d for d in s.exec(select(GradeDecision).where(GradeDecision.quarter_id == q.id))}
        g = grades_of(scheme, board, decisions, None, {}, q.year, q.state)
        if g.over_cap:
            raise StoreError(f"{g.top}已有{g.top_count - 1}人，达到限额{g.cap}人（正式党员{g.full}人的{g.share}），"
                             f"不能再定为{g.top}；如需改定，请先将另一名党员改为其他等次")

    def _grading_meeting(self, s: Session, year: int) -> Quarter:
        q = self._quarter(s, QuarterRef(year, 4))
        if q.state == QuarterState.LOCKED:
            raise StoreError(f"{year}年第四季度已锁定，年度等次已随锁定计入校验码，不能再改；"
                             "党委批复不同的，在记录批复时写明（jifen grade approve --change）")
        return self._meeting_quarter(s, QuarterRef(year, 4))

    # --- the 党委's approval -------------------------------------------------------------------

    def approve_grades(self, year: int, on: date, text: str, changes: dict[str, str] | None = None) -> str:
        """Record the 党委's 批复 of the year's grades (after the Q4 lock); `changes` names the
        members (by name) whose grade the 党委 decided differently. Returns the approval's digest."""
        text = text.strip()
        if not text:
            raise StoreError("请写明党委批复的内容")
        grading = self.year_grades(year)
        if grading.q4 != QuarterState.LOCKED:
            raise StoreError(f"{year}年第四季度尚未锁定：党员大会确定等次并锁定后，才能记录党委批复")
        if grading.approval is not None:
            raise StoreError(f"{year}年度等次已于{grading.approval.approved_on:%Y-%m-%d}批复，批复记录不能更改")
        by_id: dict[str, str] = {}
        for name, grade in (changes or {}).items():
            row = grading.row(name.strip())
            grade = grade.strip()
            if row.status == "probationary" and row.proposed is None:
                raise StoreError(f"{row.name}是预备党员，不评定等次")
            if grade not in grading.grades:
                raise StoreError(f"等次应为{'、'.join(grading.grades)}之一，“{grade}”不是")
            if grade == row.final:
                raise StoreError(f"{row.name}的等次已是{grade}，批复与之相同的不必列为变更")
            by_id[str(row.member_id)] = grade
        with self._tx() as s:
            q = self._quarter(s, QuarterRef(year, 4))
            mt_lock = s.exec(select(Lock).where(Lock.quarter_id == q.id)).one()
            if on < mt_lock.locked_at.date():
                raise StoreError(f"批复日期 {on:%Y-%m-%d} 早于第四季度锁定的日期 {mt_lock.locked_at:%Y-%m-%d}")
            if s.exec(select(GradeApproval).where(GradeApproval.year == year)).first() is not None:
                raise StoreError(f"{year}年度等次已经批复")
            a = GradeApproval(year=year, approved_on=on, text=text, changes=json.dumps(by_id, sort_keys=True),
                              recorded_at=self.clock(), previous_digest=mt_lock.digest, digest="", canonical="")
            a.canonical = approval_canonical(a)
            a.digest = approval_digest(mt_lock.digest, a.canonical)
            s.add(a)
            self._audit(s, APPROVED, q.id, year=year, digest=a.digest, approved_on=on.isoformat(),
                        changes={grading.row(n.strip()).name: g.strip() for n, g in (changes or {}).items()})
            return a.digest
