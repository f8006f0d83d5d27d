"""What a branch hands its committee: its locked records as they are under their digests.

`BranchRecords` is the one shape both ends use: the bundle is written from it (read from a branch
database by `records_of`) and read back into it, and the committee's figures are made from it alone
(never from figures a branch computed), so what the committee reports is what the digests vouch for.
Every record is kept as the exact canonical text its digest was computed from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from core.quarter import QuarterRef
from db.appeal_tables import Amendment
from db.store import Store
from db.tables import GradeApproval, Lock, Quarter, SchemeYear


@dataclass(frozen=True)
class LockRecord:
    """One locked quarter: digest = SHA-256(canonical); the canonical holds `previous`."""

    quarter: str  # "2026Q3"
    locked_at: str  # ISO time of the lock
    digest: str
    previous_digest: str
    canonical: str


@dataclass(frozen=True)
class AmendmentRecord:
    """A correction (更正) after a lock: digest = SHA-256(previous_digest + canonical); the first
    of a quarter follows that quarter's lock digest."""

    quarter: str
    digest: str
    previous_digest: str
    canonical: str


@dataclass(frozen=True)
class ApprovalRecord:
    """The 党委's 批复 of a year's grades: digest = SHA-256(Q4 lock digest + canonical)."""

    year: int
    digest: str
    previous_digest: str
    canonical: str


@dataclass(frozen=True)
class AppealRecord:
    """An appeal as the branch states it when it reports. Not under any digest (an appeal is
    not a locked record; only an upheld one's correction is): the committee's report shows it
    as the branch's statement, to follow up on."""

    number: int  # 申诉第N号
    quarter: str
    member: str
    filed_on: str  # ISO date
    state: str  # 待党支部答复 / 党支部已答复 / 复议中（…） / …已复议
    deadline: str  # ISO date the pending answer is due, "" when none
    overdue: bool
    outcome: str  # 党支部予以支持；更正：… ("" while unanswered)

    @property
    def open(self) -> bool:
        return self.state.startswith(("待", "复议中"))


@dataclass(frozen=True)
class BranchRecords:
    """A branch's chain from its first lock up to one quarter, with what hangs on it."""

    branch: str
    schemes: dict[int, tuple[str, str]]  # year -> (scheme id, scheme file text)
    locks: tuple[LockRecord, ...]  # in chain order, first lock first
    amendments: tuple[AmendmentRecord, ...] = ()  # in the order made
    approvals: tuple[ApprovalRecord, ...] = ()
    appeals: tuple[AppealRecord, ...] = ()  # every appeal on the quarters covered, as of reporting
    extra: dict[str, str] = field(default_factory=dict)  # room for later formats

    @property
    def last(self) -> LockRecord:
        return self.locks[-1]


def records_of(store: Store, upto: QuarterRef) -> BranchRecords:
    """The branch's records up to and including the locked quarter `upto`: every lock before it
    (the whole chain back to the first), the corrections and approvals made to those quarters so
    far, and the scheme text of each year they span."""
    from db.errors import StoreError

    with Session(store.engine) as s:
        quarters = {q.id: q for q in s.exec(select(Quarter))}
        locks: list[LockRecord] = []
        for lock in s.exec(select(Lock).order_by(col(Lock.id))):
            q = quarters[lock.quarter_id]
            locks.append(LockRecord(f"{q.year}Q{q.number}", lock.locked_at.isoformat(), lock.digest,
                                    lock.previous_digest, lock.canonical))
            if (q.year, q.number) == (upto.year, upto.number):
                break
        else:
            raise StoreError(f"{upto.name}尚未锁定：只有锁定的季度才能报送")
        covered = {r.quarter for r in locks}
        amendments = tuple(
            AmendmentRecord(f"{q.year}Q{q.number}", a.digest, a.previous_digest, a.canonical)
            for a in s.exec(select(Amendment).order_by(col(Amendment.id)))
            for q in [quarters[a.quarter_id]] if f"{q.year}Q{q.number}" in covered)
        approvals = tuple(
            ApprovalRecord(a.year, a.digest, a.previous_digest, a.canonical)
            for a in s.exec(select(GradeApproval).order_by(col(GradeApproval.year)))
            if f"{a.year}Q4" in covered)
        years = {int(r.quarter[:4]) for r in locks}
        schemes = {sy.year: (sy.scheme_id, sy.text)
                   for sy in s.exec(select(SchemeYear).where(col(SchemeYear.year).in_(years)))}
    appeals = tuple(
        AppealRecord(a.number, f"{a.quarter.year}Q{a.quarter.number}", a.member, a.filed_on.isoformat(), a.state,
                     a.deadline.isoformat() if a.deadline else "", a.overdue, a.outcome)
        for a in store.appeals() if f"{a.quarter.year}Q{a.quarter.number}" in covered)
    return BranchRecords(store.branch_name(), schemes, tuple(locks), amendments, approvals, appeals)


def span(first: str, last: str) -> str:
    """Quarters from `first` to `last` as a message says them: "2026Q1—2026Q3", or one quarter."""
    return first if first == last else f"{first}—{last}"
