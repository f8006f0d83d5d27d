"""What the screens, the exports and the CLI read: the branch, its quarters, members, entries,
the meeting's roll call and votes, the evaluation's counts (never a single ballot), the board
(core.engine's figures), locks and their verification, the audit log.

`StoreReads` is the base of db.store.Store: each read is its own short session, never a
write transaction. The lookups that refuse in Chinese (`_quarter`, `_open_quarter`,
`_meeting_quarter`, `_member`, `_scheme`) live here and serve the writes too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import String, func, type_coerce
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from core.branch import BranchYear, Entry, HistoryRecord, Ratings, Status
from core.branch import Member as CoreMember
from core.quarter import COUNTED, SETTLED, EntryStatus, QuarterRef, QuarterState
from db.amendments import amended_entries, corrections
from db.ballots import round_state_of, sealed_rounds
from db.errors import StoreError
from db.tables import (
    AuditLog,
    Ballot,
    BallotCount,
    Branch,
    Lock,
    Meeting,
    Member,
    PastResult,
    PointsEntry,
    Quarter,
    QuarterMember,
    RollCall,
    SchemeYear,
    Tally,
    UndoSlot,
    Vote,
)
from db.votes import QuorumStatus, quorum_of

if TYPE_CHECKING:
    from core.engine import YearResult
    from core.scheme import Scheme


@lru_cache(maxsize=16)
def scheme_from_text(text: str, name: str) -> Scheme:
    from core.scheme import parse_scheme  # pydantic loads with the first scheme, not at start-up

    return parse_scheme(text, name)


class StoreReads:
    """The reads of one database; db.store.Store adds the writes."""

    engine: Engine
    clock: Callable[[], datetime]

    # --- the branch, its quarters, members and scheme -----------------------------------------

    def _branch(self, s: Session) -> Branch:
        branch = s.exec(select(Branch).order_by(col(Branch.id))).first()
        if branch is None:
            raise StoreError("数据库中还没有党支部，请先运行 jifen init")
        return branch

    def _quarter(self, s: Session, quarter: QuarterRef) -> Quarter:
        q = s.exec(select(Quarter).where(Quarter.year == quarter.year, Quarter.number == quarter.number)).first()
        if q is None:
            raise StoreError(f"没有{quarter.name}，请先用 jifen init 建立该年度")
        return q

    def _open_quarter(self, s: Session, quarter: QuarterRef) -> Quarter:
        q = self._quarter(s, quarter)
        if q.state == QuarterState.LOCKED:
            raise StoreError(f"{quarter.name}已锁定，不能再修改")
        return q

    def _meeting_quarter(self, s: Session, quarter: QuarterRef) -> Quarter:
        q = self._open_quarter(s, quarter)
        if q.state != QuarterState.MEETING:
            raise StoreError(f"{quarter.name}的党员大会还没有开始，请先开始会议")
        return q

    def _member(self, s: Session, member_id: int) -> Member:
        m = s.get(Member, member_id)
        if m is None:
            raise StoreError(f"没有编号为 {member_id} 的党员")
        return m

    def _scheme(self, s: Session, year: int) -> Scheme:
        sy = s.exec(select(SchemeYear).where(SchemeYear.year == year)).first()
        if sy is None:
            raise StoreError(f"{year}年还没有指定积分方案，请先运行 jifen init")
        return scheme_from_text(sy.text, f"{sy.scheme_id}.toml")

    def branch_name(self) -> str:
        with Session(self.engine) as s:
            return self._branch(s).name

    def branch_contact(self) -> tuple[str, str]:
        """(联系人, 联系电话) for the publicity notices; ("", "") when none is stored."""
        with Session(self.engine) as s:
            b = self._branch(s)
            return b.contact_name, b.contact_phone

    def years(self) -> list[int]:
        with Session(self.engine) as s:
            return [sy.year for sy in s.exec(select(SchemeYear).order_by(col(SchemeYear.year)))]

    def scheme_name(self, year: int) -> str:
        """The scheme's name for a title line, without validating the whole scheme."""
        from core.toml import tomllib

        with Session(self.engine) as s:
            sy = s.exec(select(SchemeYear).where(SchemeYear.year == year)).first()
            if sy is None:
                raise StoreError(f"{year}年还没有指定积分方案，请先运行 jifen init")
            # The top-level keys come before the first table: parsing that head is enough (a
            # scheme whose head does not stand alone is parsed whole).
            try:
                head = tomllib.loads(sy.text.split("\n[", 1)[0])
            except tomllib.TOMLDecodeError:
                head = tomllib.loads(sy.text)
            return str(head.get("name", sy.scheme_id))

    def scheme(self, year: int) -> Scheme:
        with Session(self.engine) as s:
            return self._scheme(s, year)

    def quarters(self, year: int) -> list[Quarter]:
        with Session(self.engine) as s:
            return list(s.exec(select(Quarter).where(Quarter.year == year).order_by(col(Quarter.number))))

    def quarter(self, quarter: QuarterRef) -> Quarter:
        with Session(self.engine) as s:
            return self._quarter(s, quarter)

    def quarter_rows(self, year: int) -> list[tuple[Quarter, Meeting | None, Lock | None]]:
        """Each quarter of the year with its meeting and lock (the overview's table), in one session."""
        with Session(self.engine) as s:
            quarters = list(s.exec(select(Quarter).where(Quarter.year == year).order_by(col(Quarter.number))))
            ids = [q.id for q in quarters]
            meetings = {m.quarter_id: m for m in s.exec(select(Meeting).where(col(Meeting.quarter_id).in_(ids)))}
            locks = {lk.quarter_id: lk for lk in s.exec(select(Lock).where(col(Lock.quarter_id).in_(ids)))}
            return [(q, meetings.get(q.id), locks.get(q.id)) for q in quarters]

    def members(self, include_left: bool = False) -> list[Member]:
        with Session(self.engine) as s:
            q = select(Member).order_by(col(Member.seq))
            rows = list(s.exec(q))
            return rows if include_left else [m for m in rows if not m.left]

    def graded_members(self, year: int) -> list[Member]:
        """Who appears on a ballot: members on the roster who are not exempt."""
        return [m for m in self.members() if not m.exempt]

    def members_at(self, quarter: QuarterRef) -> list[dict[str, Any]]:
        """The members as they were at the lock (or as they are, for a quarter not yet locked)."""
        with Session(self.engine) as s:
            return [member_facts(m) for m in self._roster(s, self._quarter(s, quarter))]

    def _roster(self, s: Session, q: Quarter) -> list[Member]:
        """The members of a quarter in roster order: as locked (the snapshot the digest holds),
        so that no later change to the roster alters a locked quarter's figures or documents;
        as they are today (not those who left) while the quarter is not locked. The locked ones
        come back as detached rows built from the snapshot, never written."""
        snap = [json.loads(r.facts) for r in s.exec(select(QuarterMember).where(QuarterMember.quarter_id == q.id))]
        if snap:
            return [Member(branch_id=q.branch_id, left=False, **f) for f in sorted(snap, key=lambda f: f["seq"])]
        return [m for m in s.exec(select(Member).order_by(col(Member.seq))) if not m.left]

    # --- entries and the meeting --------------------------------------------------------------

    def entries(self, period: int | QuarterRef, member_id: int | None = None) -> list[PointsEntry]:
        """The entries of a year (`period` an int) or of one quarter, in the order entered."""
        with Session(self.engine) as s:
            if isinstance(period, QuarterRef):
                q = select(PointsEntry).join(Quarter).where(Quarter.year == period.year,
                                                            Quarter.number == period.number)
            else:
                q = select(PointsEntry).join(Quarter).where(Quarter.year == period)
            if member_id is not None:
                q = q.where(PointsEntry.member_id == member_id)
            return list(s.exec(q.order_by(col(PointsEntry.id))))

    def meeting(self, quarter: QuarterRef) -> Meeting | None:
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).first()

    def roll_calls(self, quarter: QuarterRef) -> dict[int, RollCall]:
        """The roll call so far, by member id."""
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return {r.member_id: r for r in s.exec(select(RollCall).where(RollCall.quarter_id == q.id))}

    def quorum(self, quarter: QuarterRef) -> QuorumStatus:
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return self._quorum(s, q)

    def _quorum(self, s: Session, q: Quarter) -> QuorumStatus:
        mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).first()
        day = (mt.held_at if mt else self.clock()).date().isoformat()
        members = self._roster(s, q)
        calls = {r.member_id: r for r in s.exec(select(RollCall).where(RollCall.quarter_id == q.id))}
        return quorum_of(members, calls, day)

    def votes(self, quarter: QuarterRef) -> list[Vote]:
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return list(s.exec(select(Vote).where(Vote.quarter_id == q.id).order_by(col(Vote.id))))

    def last_action(self, quarter: QuarterRef) -> str | None:
        with Session(self.engine) as s:
            slot = s.get(UndoSlot, self._quarter(s, quarter).id)
            return None if slot is None else slot.action

    # --- democratic evaluation: counts only ---------------------------------------------------

    def tally(self, quarter: QuarterRef, member_id: int, round: int = 1) -> dict[str, int]:
        """The counts entered directly for a member (not those from ballots)."""
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return {t.rating: t.count for t in s.exec(select(Tally).where(
                Tally.quarter_id == q.id, Tally.round == round, Tally.member_id == member_id))}

    def ballot_summary(self, quarter: QuarterRef, round: int = 1) -> dict[str, int]:
        """发出 / 收回 / 有效 / 无效 / 空白 for a round; never the content of a single ballot.
        A blank ballot is void when the scheme says so (the built-in schemes do). While phone
        codes are out (the round sealed) only 发出 and 收回 are told: a blank phone ballot would
        otherwise show on the projector as one more 无效 the moment it lands."""
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            ballots = list(s.exec(select(Ballot).where(Ballot.quarter_id == q.id, Ballot.round == round)))
            state = round_state_of(s, q, round)
            issued = state.issued  # paper and phone codes
            if state.sealed:
                return {"issued": issued, "returned": len(ballots), "valid": 0, "void": 0, "blank": 0,
                        "sealed": 1}
            blank = sum(1 for b in ballots if b.marks == "{}" and (not b.void or "空白" in b.void))
            void = sum(1 for b in ballots if b.void)
            return {"issued": issued, "returned": len(ballots),
                    "valid": len(ballots) - void, "void": void, "blank": blank}

    def void_reasons(self, quarter: QuarterRef, round: int = 1) -> dict[str, int]:
        """How many void ballots for each reason (counts only)."""
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            out: dict[str, int] = {}
            if round_state_of(s, q, round).sealed:
                return out
            for reason in s.exec(select(Ballot.void).where(Ballot.quarter_id == q.id, Ballot.round == round,
                                                           Ballot.void != "")):
                out[reason] = out.get(reason, 0) + 1
            return dict(sorted(out.items()))

    def _ratings(self, s: Session, year: int, upto: int = 4) -> list[Ratings]:
        """Counts per member and round for the year: ballots and direct tallies together."""
        counts: dict[tuple[str, int], dict[str, int]] = {}
        in_year = select(Quarter.id).where(Quarter.year == year, Quarter.number <= upto)
        sealed = sealed_rounds(s, list(s.exec(in_year)))  # phone rounds still open count nowhere
        for qid, rnd, marks in s.exec(select(Ballot.quarter_id, Ballot.round, Ballot.marks)
                                      .where(col(Ballot.quarter_id).in_(in_year))):
            if (qid, rnd) in sealed:
                continue
            for mid, label in json.loads(marks).items():
                c = counts.setdefault((mid, rnd), {})
                c[label] = c.get(label, 0) + 1
        for t in s.exec(select(Tally).where(col(Tally.quarter_id).in_(in_year), Tally.count > 0)):
            if (t.quarter_id, t.round) in sealed:
                continue
            c = counts.setdefault((str(t.member_id), t.round), {})
            c[t.rating] = c.get(t.rating, 0) + t.count
        return [Ratings(mid, rnd, c) for (mid, rnd), c in sorted(counts.items())]

    def ratings_of_quarter(self, quarter: QuarterRef) -> dict[int, dict[int, dict[str, int]]]:
        """Rating counts collected at one quarter's meeting: round -> member id -> counts."""
        out: dict[int, dict[int, dict[str, int]]] = {}
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            sealed = {rnd for _, rnd in sealed_rounds(s, [cast(int, q.id)])}
            for rnd, marks in s.exec(select(Ballot.round, Ballot.marks).where(Ballot.quarter_id == q.id)):
                if rnd in sealed:
                    continue
                for mid, label in json.loads(marks).items():
                    c = out.setdefault(rnd, {}).setdefault(int(mid), {})
                    c[label] = c.get(label, 0) + 1
            for t in s.exec(select(Tally).where(Tally.quarter_id == q.id, Tally.count > 0)):
                if t.round in sealed:
                    continue
                c = out.setdefault(t.round, {}).setdefault(t.member_id, {})
                c[t.rating] = c.get(t.rating, 0) + t.count
        return out

    # --- the board ----------------------------------------------------------------------------

    def branch_year(self, year: int, upto: int = 4, settled: bool = False,
                    amended_before: date | None = None) -> tuple[Scheme, BranchYear]:
        with Session(self.engine) as s:
            return self._branch_year(s, year, upto, settled, amended_before)

    def _branch_year(self, s: Session, year: int, upto: int = 4, settled: bool = False,
                     amended_before: date | None = None) -> tuple[Scheme, BranchYear]:
        """The year as the engine sees it, counting quarters 1..upto only (a quarter's minute
        shows the figures as they stood at that quarter's end); `settled` leaves out entries
        the meeting has not yet confirmed (a draft document counts only those). The corrections
        of upheld appeals (db.amendments) apply on top of the locked entries: all of them, or
        with `amended_before` only those made before that day (a minute: those its meeting knew)."""
        scheme = self._scheme(s, year)
        members = self._roster(s, self._quarter(s, QuarterRef(year, upto)))
        # Plain column rows, not ORM objects: the console rebuilds this on every change.
        # Points come as their text and become Decimals once per distinct value.
        # (sqlmodel's select() is typed for up to four columns; its Select class takes any number.)
        rows = s.exec(Select(col(PointsEntry.member_id), col(Quarter.number), col(PointsEntry.kind),
                             col(PointsEntry.month), type_coerce(PointsEntry.points, String),
                             col(PointsEntry.category), col(PointsEntry.item_code), col(PointsEntry.level),
                             col(PointsEntry.note), col(PointsEntry.id))
                      .join(Quarter).where(Quarter.year == year, Quarter.number <= upto,
                                           col(PointsEntry.status).in_(SETTLED if settled else COUNTED))
                      .order_by(col(PointsEntry.id)))
        # Only the roster's members are scored: one who has left (before the lock, for a locked
        # quarter) takes their entries and ratings with them, as they leave the forms.
        on_roster = {str(m.id) for m in members}
        exact: dict[str, Decimal] = {}
        entries = [Entry(str(mid), kind, qn, month,
                         None if pts is None else exact.get(pts) or exact.setdefault(pts, Decimal(pts)),
                         cat, item, level, note, str(eid))
                   for mid, qn, kind, month, pts, cat, item, level, note, eid in rows if str(mid) in on_roster]
        entries = amended_entries(entries, corrections(s, year, upto, amended_before))
        past = [r for r in self._past_results(s, year - 1, amended_before) if r.member in on_roster]
        ratings = [r for r in self._ratings(s, year, upto) if r.member in on_roster]
        # The store writes "full" or "probationary" only (the imports and the console check them).
        by = BranchYear(year, tuple(CoreMember(str(m.id), m.name, cast("Status", m.status), m.exempt) for m in members),
                        tuple(entries), tuple(ratings), tuple(past))
        return scheme, by

    def _past_results(self, s: Session, year: int, amended_before: date | None = None) -> list[HistoryRecord]:
        """The results of `year` that the next year's two-year rules read: those its fourth
        quarter's lock kept (or entered by hand for a year before the branch's first), unless a
        correction of that year has been made since: then the year as corrected, derived again
        from its locked entries and the chained corrections (db.amendments), so an upheld appeal
        reaches the next year without touching a locked row. (Corrections made before the lock
        are already in what it kept: deriving again gives the same.)"""
        kept = [HistoryRecord(str(p.member_id), p.year, p.total, p.bottom)
                for p in s.exec(select(PastResult).where(PastResult.year == year))]
        if not kept or not corrections(s, year, 4, amended_before):
            return kept
        q4 = s.exec(select(Quarter).where(Quarter.year == year, Quarter.number == 4)).first()
        if q4 is None or q4.state != QuarterState.LOCKED:
            return kept
        from core.engine import score

        scheme, by = self._branch_year(s, year, amended_before=amended_before)
        return [HistoryRecord(r.id, year, r.total, "bottom_ranked" in r.flags)
                for r in score(scheme, by, explain=False).members if not r.exempt]

    def board(self, year: int, explain: bool = True, upto: int = 4, settled: bool = False,
              amended_before: date | None = None) -> YearResult:
        """Every member's figures, rank, grade and flags as they stand (or as they stood at the
        end of quarter `upto`), with reasons; `settled`: only what the meeting has confirmed;
        `amended_before`: only the corrections made before that day."""
        scheme, by = self.branch_year(year, upto, settled, amended_before)
        from core.engine import score

        return score(scheme, by, explain=explain)

    # --- lock and verify ----------------------------------------------------------------------

    def lock_problems(self, quarter: QuarterRef) -> list[str]:
        """What stands between the quarter and its lock (empty when it may be locked)."""
        with Session(self.engine) as s:
            return self._lock_problems(s, self._quarter(s, quarter))

    def _lock_problems(self, s: Session, q: Quarter) -> list[str]:
        if q.state == QuarterState.LOCKED:
            return [f"{QuarterRef(q.year, q.number).name}已锁定"]
        mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).first()
        if mt is None or q.state != QuarterState.MEETING:
            return ["党员大会还没有开始"]
        out = []
        if not self._quorum(s, q).has_quorum:
            out.append("到会有表决权的党员未超过半数，会议不能作出决定")
        contested = [e for e in s.exec(select(PointsEntry).where(PointsEntry.quarter_id == q.id))
                     if e.status == EntryStatus.CONTESTED]
        if contested:
            out.append(f"还有{len(contested)}项有异议的事项没有表决")
        if not mt.host.strip():
            out.append("没有填写主持人")
        if not mt.recorder.strip():
            out.append("没有填写记录人")
        from core.ballots import RETURNED_OVER_ISSUED

        rounds = self._scheme(s, q.year).evaluation.rounds
        for c in s.exec(select(BallotCount).where(BallotCount.quarter_id == q.id).order_by(BallotCount.round)):
            state = round_state_of(s, q, c.round)
            head = f"第{c.round}轮：" if rounds > 1 else ""
            if state.sealed:
                out.append(f"{head}手机测评尚未结束（已提交{state.spent}/{state.codes}），请先结束本轮测评")
            if state.returned > state.issued:
                out.append(f"{head}{RETURNED_OVER_ISSUED}（发出{state.issued}张，收回{state.returned}张）；"
                           "请核对发出票数，或清除本轮测评票后重新测评")
        return out

    def lock_of(self, quarter: QuarterRef) -> Lock | None:
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return s.exec(select(Lock).where(Lock.quarter_id == q.id)).first()

    def verify(self, expect: str = "") -> list[str]:
        """Recompute every locked quarter's digest and the chain; one line per fault. `expect`
        is a digest (or its first 12+ characters) from a signed minute: some lock must carry it."""
        from db.amendments import verify_amendments
        from db.digest import expected_digest, verify_chain

        with Session(self.engine) as s:
            return verify_chain(s, expected_digest(expect) if expect else "") + verify_amendments(s)

    def anchor(self, expect: str) -> tuple[str, int, int] | None:
        """Which lock carries the digest from a signed minute: its quarter label, its place in
        the chain (from 1) and the chain's length; None when none does."""
        from db.digest import anchor_of, expected_digest

        with Session(self.engine) as s:
            lock = anchor_of(s, expected_digest(expect))
            if lock is None:
                return None
            ids = list(s.exec(select(Lock.id).order_by(col(Lock.id))))
            q = s.get(Quarter, lock.quarter_id)
            label = QuarterRef(q.year, q.number).label if q else str(lock.quarter_id)
            return label, ids.index(lock.id) + 1, len(ids)

    def audit(self) -> list[AuditLog]:
        with Session(self.engine) as s:
            return list(s.exec(select(AuditLog).order_by(col(AuditLog.id))))

    def change_stamp(self) -> int:
        """A number that grows with every committed change (each transaction writes one audit
        line, and the audit log only grows): a reader compares it to see whether to redraw."""
        with Session(self.engine) as s:
            return int(s.exec(select(func.max(AuditLog.id))).one() or 0)


def member_facts(m: Member) -> dict[str, Any]:
    return {k: getattr(m, k) for k in ("id", "seq", "name", "gender", "birth_month", "post", "status",
                                        "status_since", "exempt", "exempt_reason", "meeting_exempt",
                                        "suspended_from", "suspended_until")}
