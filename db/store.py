"""The store's writes: every operation the meeting performs, each one transaction.

A refusal raises StoreError with a plain Chinese sentence and leaves the database as it
was. Every operation writes an audit line; meeting actions also leave an undo slot so
the last one can be taken back before the lock. The reads the screens and exports share
are in db.reads (`StoreReads`, the base class), the meeting's record in db.record
(`RecordOps`), the undo handlers in db.undo, ballot secrecy in db.secrecy, the Chinese
refusals of database errors in db.refusals.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from core.branch import Entry, is_kind
from core.quarter import EntryStatus, QuarterRef, QuarterState
from db.appeals import AppealOps
from db.ballots import BallotOps
from db.engine import WRITE_OPTION, write_engine
from db.errors import StoreError
from db.grading import GradingOps
from db.reads import StoreReads, member_facts, scheme_from_text
from db.record import RecordOps, check_meeting_date, check_vote_method
from db.refusals import BUSY, CHANGED, refusal_of
from db.secrecy import LAST_BALLOT, after_commit, ballot_key
from db.tables import (
    AgendaNote,
    AuditLog,
    Ballot,
    BallotCode,
    Branch,
    Lock,
    Meeting,
    Member,
    Objection,
    PastResult,
    PointsEntry,
    Quarter,
    QuarterMember,
    RollCall,
    SchemeYear,
    Tally,
    UndoSlot,
    Vote,
    saved_id,
)
from db.undo import UNDO
from db.votes import VoteOutcome, decide_vote
from db.years import YearOps

if TYPE_CHECKING:
    from core.scheme import Scheme

# What other modules import from here (the reads and refusals live in their own modules).
__all__ = ["ABSENCE_REASONS", "BUSY", "CHANGED", "SESSION", "MeetingFacts", "Store", "now", "refusal_of"]


ABSENCE_REASONS = ("病假", "事假", "公差", "其他")
# A telephone number as people write it: digits with an optional +, area code in brackets,
# hyphens or spaces between groups, and an extension after 转 (0371-12345678转8001).
_PHONE = re.compile(r"\+?(?:\(\d{2,5}\)|\d)[\d\- ]{3,22}\d(?:转\d{1,6})?")


# Which console wrote an undo slot: random per process, kept inside the slot's JSON payload.
SESSION = secrets.token_hex(8)


def now() -> datetime:
    return datetime.now().replace(microsecond=0)



@dataclass(frozen=True)
class MeetingFacts:
    held_at: datetime
    place: str = ""
    host: str = ""
    recorder: str = ""
    observers: str = ""
    agenda: str = ""


@dataclass(frozen=True)
class _EntryBasis:
    """What an entry's checks read: compared again inside the write transaction."""

    scheme_text: str
    scheme_id: str
    quarters: tuple[tuple[int, int, bool], ...]  # number, id, locked
    members: tuple[tuple[int, str, bool], ...]  # id, name, exempt


@dataclass(frozen=True)
class _EntryPlan:
    year: int
    basis: _EntryBasis
    values: list[dict[str, Any]]  # the rows to insert, checked



class Store(StoreReads, RecordOps, BallotOps, YearOps, AppealOps, GradingOps):
    """Operations on one database. `actor` names who works the console (the audit log).
    The reads live in db.reads (StoreReads); the meeting's record (objections, agenda notes,
    end, cancelling) in db.record."""

    # --- plumbing -----------------------------------------------------------------------------

    def __init__(self, engine: Engine, actor: str = "", clock: Callable[[], datetime] | None = None,
                 session: str = SESSION):
        self.engine = engine
        self.actor = actor
        self.clock = clock or now  # when things happen; the demo replays a year on its own dates
        self.session = session  # undo takes back only what this session did
        # Why this store may not write (another console holds the database), or "" when it may.
        self.read_only = ""

    def _may_write(self) -> None:
        if self.read_only:
            raise StoreError(self.read_only)

    @contextmanager
    def _tx(self, conn: sa.Connection | None = None) -> Iterator[Session]:
        """One write transaction: it holds the database's write lock from its first statement
        (db.engine.write_engine), so what it checks stays so until it commits; commit at the
        end, roll back on any refusal or fault. A write that loses a race, waits too long for
        another program's write or meets a constraint is refused in Chinese (`refusal_of`).
        `conn`: a connection of this store's engine, outside any transaction, to write on.
        What an operation hands to `after_commit` runs once the commit is through (never after
        a rollback), with the transaction's connection back in the pool."""
        self._may_write()
        after: list[Callable[[], object]] = []
        try:
            bind = write_engine(self.engine) if conn is None else conn.execution_options(**WRITE_OPTION)
            with Session(bind, expire_on_commit=False) as s:
                s.info["after_commit"] = after
                with s.begin():
                    yield s
        except DBAPIError as exc:
            raise StoreError(refusal_of(exc)) from exc
        for step in after:
            step()

    def _audit(self, s: Session, action: str, quarter_id: int | None = None, **detail: Any) -> None:
        s.add(AuditLog(at=self.clock(), actor=self.actor, action=action, quarter_id=quarter_id,
                       detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)))

    def _undo_slot(self, s: Session, q: Quarter, action: str, payload: dict[str, Any]) -> None:
        if action != "ballot":  # the last ballot can no longer be taken back: forget what it said
            key = ballot_key(s, q)
            after_commit(s, lambda: LAST_BALLOT.pop(key, None))
        slot = s.get(UndoSlot, q.id)
        text = json.dumps({**payload, "session": self.session}, ensure_ascii=False, default=str)
        if slot is None:
            s.add(UndoSlot(quarter_id=q.id, action=action, payload=text))
        else:
            slot.action, slot.payload = action, text
            s.add(slot)

    def _refuse_exemption(self, s: Session, who: str) -> None:
        """Exemption from points management exists only where the scheme (of the latest year)
        provides it, decided by the scheme's own route."""
        sy = s.exec(select(SchemeYear).order_by(col(SchemeYear.year).desc())).first()
        if sy is None:
            return
        scheme = scheme_from_text(sy.text, f"{sy.scheme_id}.toml")
        if scheme.exemption is None:
            raise StoreError(f"{who}不能设为免于积分管理：{scheme.name}没有免于积分管理的规定"
                             "（长期病休等不能参会的，可设为免于参会）")

    # --- set-up -------------------------------------------------------------------------------

    def init_branch(self, name: str, scheme_id: str, scheme_text: str, year: int) -> None:
        """Create the branch (once) and the year's four quarters under a scheme."""
        if not name.strip():
            raise StoreError("请填写党支部名称")
        scheme_from_text(scheme_text, f"{scheme_id}.toml")  # a bad scheme never reaches the database
        with self._tx() as s:
            branch = s.exec(select(Branch).order_by(col(Branch.id))).first()
            if branch is None:
                branch = Branch(name=name.strip(), created_at=self.clock())
                s.add(branch)
                s.flush()
            elif branch.name != name.strip():
                raise StoreError(f"本数据库已是“{branch.name}”的，不能再建“{name}”")
            if s.exec(select(SchemeYear).where(SchemeYear.year == year)).first():
                raise StoreError(f"{year}年度已经建立")
            newest = s.exec(select(SchemeYear.year).order_by(col(SchemeYear.year).desc())).first()
            if newest is not None:  # a later year carries the roster and last year's results: db.years
                raise StoreError(f"本支部已有{newest}年度；开始新的年度请运行 jifen year open {newest + 1}")
            s.add(SchemeYear(branch_id=branch.id, year=year, scheme_id=scheme_id, text=scheme_text,
                             sha256=hashlib.sha256(scheme_text.encode()).hexdigest()))
            for n in range(1, 5):
                s.add(Quarter(branch_id=branch.id, year=year, number=n, state=QuarterState.OPEN))
            self._audit(s, "init", branch=name, scheme=scheme_id, year=year)

    def set_contact(self, name: str, phone: str) -> None:
        """Store the contact the publicity notices print (联系人, 联系电话); both empty clears it.
        Allowed after a lock: the contact is not part of any locked quarter's content."""
        name, phone = name.strip(), phone.strip()
        if bool(name) != bool(phone):
            raise StoreError("联系人和联系电话请一起填写（清除时两项都留空）")
        if len(name) > 20:
            raise StoreError(f"联系人姓名过长（{len(name)}个字），请只写姓名，不超过20个字")
        if phone and not _PHONE.fullmatch(phone):
            raise StoreError(f"联系电话“{phone}”无法识别，请写数字，可带区号和连字符，如 0371-12345678 或 13812345678")
        with self._tx() as s:
            branch = self._branch(s)
            before = {"name": branch.contact_name, "phone": branch.contact_phone}
            branch.contact_name, branch.contact_phone = name, phone
            s.add(branch)
            self._audit(s, "branch_contact", before=before, after={"name": name, "phone": phone})

    def add_members(self, rows: list[dict[str, Any]], where: list[str] | None = None) -> list[int]:
        """Add members, all or none; each row holds Member fields (name required). A refusal
        names the row by `where[i]` (e.g. "名册.xlsx 第3行") when given. A roster is small:
        it is checked inside its write transaction, against the roster as it stands there,
        and written with one flush."""
        with self._tx() as s:
            branch = self._branch(s)
            existing = {(m.name, m.birth_month): m for m in s.exec(select(Member))}
            seq = len(existing)
            added: list[Member] = []
            exemption_allowed = False
            for i, row in enumerate(rows):
                here = where[i] if where else f"第{i + 1}人"
                if row.get("exempt") and not exemption_allowed:
                    self._refuse_exemption(s, f"{here}：“{row['name']}”")
                    exemption_allowed = True  # the scheme provides it: for every row alike
                key = (row["name"], row.get("birth_month", ""))
                found = existing.get(key)
                if found is not None:
                    raise StoreError(f"{here}：“{row['name']}”"
                                     + ("曾在名册中（已转出）" if found.left else "已在名册中"))
                seq += 1
                m = Member(branch_id=branch.id, seq=seq, **row)
                existing[key] = m
                added.append(m)
            s.add_all(added)
            s.flush()
            self._audit(s, "members_added", count=len(rows), names=[r["name"] for r in rows])
        return [saved_id(m) for m in added]

    def update_member(self, member_id: int, **changes: Any) -> None:
        with self._tx() as s:
            self._update_member(s, member_id, changes)

    def _update_member(self, s: Session, member_id: int, changes: dict[str, Any], **why: str) -> dict[str, Any]:
        """Change a member's facts (audit-logged, with `why` when given); returns what they were."""
        m = self._member(s, member_id)
        for k in changes:
            if not hasattr(m, k) or k in ("id", "branch_id"):
                raise StoreError(f"党员信息没有“{k}”一项")
        before = {k: getattr(m, k) for k in changes}
        exempt = bool(changes.get("exempt", m.exempt))
        reason = changes.get("exempt_reason", m.exempt_reason) if exempt else ""
        if (exempt, reason) != (m.exempt, m.exempt_reason if m.exempt else ""):
            if exempt and not m.exempt:
                self._refuse_exemption(s, f"“{m.name}”")
            self._refuse_exemption_midyear(s, m)
        for k, v in changes.items():
            setattr(m, k, v)
        s.add(m)
        detail: dict[str, Any] = {"member": m.name, "before": before, "after": changes, **why}
        self._audit(s, "member_updated", **detail)
        return before

    def _refuse_exemption_midyear(self, s: Session, m: Member) -> None:
        """免于积分管理 is decided for a whole year (不计分、不排名、不评定等次), while each lock
        puts the member's exemption as it stood under its digest (the QuarterMember snapshot)
        and publishes that quarter's ranking. Granting or ending it after the year's first lock
        would grade the year on a footing its locked quarters contradict, so it may change only
        before the year's first lock, or once Q4 is locked (a decision for the next year, which
        `year open` keeps), and not while the open quarter's evaluation has ballots: their
        list of names was the roster's exemption as it stood."""
        year = s.exec(select(SchemeYear.year).order_by(col(SchemeYear.year).desc())).first()
        if year is None:
            return
        quarters = list(s.exec(select(Quarter).where(Quarter.year == year).order_by(col(Quarter.number))))
        locked = [q for q in quarters if q.state == QuarterState.LOCKED]
        now_exempt = "免于积分管理" if m.exempt else "参加积分管理"
        if locked and locked[-1].number != 4:
            raise StoreError(f"不能更改“{m.name}”的免于积分管理：{QuarterRef(year, locked[0].number).name}已锁定，"
                             f"锁定记录中“{m.name}”为{now_exempt}。免于积分管理按年度决定，只能在本年度第一次锁定之前"
                             "更改；第四季度锁定后可为下一年度更改")
        open_ids = [q.id for q in quarters if q.state != QuarterState.LOCKED]
        for table in (Ballot, BallotCode, Tally):
            if s.exec(select(table).where(col(table.quarter_id).in_(open_ids))).first() is not None:
                raise StoreError(f"不能更改“{m.name}”的免于积分管理：本季度的民主测评已经开始，测评票上的名单已定；"
                                 "请在测评之前更改")

    def exemption_refusal(self, member_id: int) -> str:
        """Why the member's exemption may not be granted or ended now ("" when it may): asked
        before the console asks for a reason, so a refusal comes before any typing."""
        with Session(self.engine) as s:
            m = self._member(s, member_id)
            try:
                if not m.exempt:
                    self._refuse_exemption(s, f"“{m.name}”")
                self._refuse_exemption_midyear(s, m)
            except StoreError as exc:
                return str(exc)
        return ""

    def set_exemption(self, member_id: int, exempt: bool, reason: str = "",
                      quarter: QuarterRef | None = None) -> str:
        """Grant 免于积分管理 with its reason, or end it (a reason then is optional and goes to
        the audit log): one transaction, audit-logged, and undoable (Ctrl+Z) when `quarter` is
        holding its meeting, where the branch decides it. Returns what was done, in Chinese."""
        reason = reason.strip()
        if exempt and not reason:
            raise StoreError("请写明免于积分管理的理由")
        with self._tx() as s:
            m = self._member(s, member_id)
            if m.left:
                raise StoreError(f"“{m.name}”已转出，不在名册中")
            if exempt == m.exempt and (not exempt or reason == m.exempt_reason):
                raise StoreError(f"“{m.name}”" + ("已是免于积分管理，理由相同" if exempt else "本来就参加积分管理"))
            before = self._update_member(s, member_id, {"exempt": exempt, "exempt_reason": reason if exempt else ""},
                                         **({} if exempt or not reason else {"ended_because": reason}))
            q = self._quarter(s, quarter) if quarter is not None else None
            if q is not None and q.state == QuarterState.MEETING:
                self._undo_slot(s, q, "exemption", {"member": member_id, "before": before})
            return f"“{m.name}”" + (f"免于积分管理（{reason}）" if exempt else "恢复参加积分管理")

    def set_past_result(self, member_id: int, year: int, total: Decimal | None, bottom: bool) -> None:
        with self._tx() as s:
            self._member(s, member_id)
            sealed = self._past_results_sealed(s, year)
            if sealed:
                raise StoreError(f"不能修改{year}年度的结果：{sealed}")
            row = s.exec(select(PastResult).where(PastResult.member_id == member_id, PastResult.year == year)).first()
            row = row or PastResult(member_id=member_id, year=year)
            row.total, row.bottom = total, bottom
            s.add(row)
            self._audit(s, "past_result", member_id=member_id, year=year, total=total, bottom=bottom)

    # --- entries ------------------------------------------------------------------------------

    def add_entry(self, quarter: QuarterRef, member_id: int, kind: str, points: Decimal | int | str | None = None,
                  *, item: str | None = None, level: str | None = None, category: str | None = None,
                  month: int | None = None, note: str = "", evidence: str = "", status: str = EntryStatus.DECLARED,
                  entered_by: str = "") -> int:
        """Record one entry after checking it against the scheme and its catalogue."""
        return self.add_entries(quarter.year, [dict(quarter=quarter.number, member_id=member_id, kind=kind,
                                                    points=points, item=item, level=level, category=category,
                                                    month=month, note=note, evidence=evidence, status=status,
                                                    entered_by=entered_by)],
                                undoable=True)[0]

    def add_entries(self, year: int, rows: list[dict[str, Any]], where: list[str] | None = None,
                    undoable: bool = False) -> list[int]:
        """Record several entries, all or none. Each row: quarter, member_id, kind, points and the
        optional item, level, category, month, note, evidence, status, entered_by. A refusal names
        the row by `where[i]` (e.g. "第3行") when given.

        The rows are checked first, outside any write transaction, against the quarters, the
        members and the scheme as they stand (`_plan_entries`); then written in one short write
        transaction (`_write_entries`) that first makes sure none of those changed meanwhile,
        else checks again. An import of 100,000 rows so holds the write lock about as long as
        its INSERT takes, never while it checks (bench/import_bench.py)."""
        self._may_write()
        for _ in range(3):
            plan = self._plan_entries(year, rows, where)
            ids = self._write_entries(plan, undoable)
            if ids is not None:
                return ids
        raise StoreError("导入期间其他控制台（或命令）一直在修改名册、季度或积分方案，请稍后重新导入；未做任何改动")

    def _entry_basis(self, s: Session, year: int) -> _EntryBasis:
        """What the checks of an entry depend on: the year's scheme, its quarters, the roster."""
        sy = s.exec(select(SchemeYear).where(SchemeYear.year == year)).first()
        if sy is None:
            raise StoreError(f"{year}年还没有指定积分方案，请先运行 jifen init")
        quarters = tuple(s.exec(Select(col(Quarter.number), col(Quarter.id), col(Quarter.state))
                                .where(Quarter.year == year).order_by(col(Quarter.number))))
        members = tuple(s.exec(Select(col(Member.id), col(Member.name), col(Member.exempt))
                               .order_by(col(Member.id))))
        return _EntryBasis(sy.text, sy.scheme_id,
                           tuple((n, i, st == "locked") for n, i, st in quarters), members)

    def _plan_entries(self, year: int, rows: list[dict[str, Any]], where: list[str] | None) -> _EntryPlan:
        """Check every row in memory (a plain read, no write lock) and make the rows to insert."""
        with Session(self.engine) as s:
            basis = self._entry_basis(s, year)
        scheme = scheme_from_text(basis.scheme_text, f"{basis.scheme_id}.toml")
        quarters = {n: (qid, locked) for n, qid, locked in basis.quarters}
        members = {mid: (name, exempt) for mid, name, exempt in basis.members}
        at = self.clock()
        values: list[dict[str, Any]] = []
        for i, row in enumerate(rows):
            try:
                values.append(self._plan_entry(scheme, year, quarters, members, at, **row))
            except StoreError as exc:
                if where:
                    raise StoreError(f"{where[i]}：{exc}") from None
                raise
        return _EntryPlan(year, basis, values)

    def _plan_entry(self, scheme: Scheme, year: int, quarters: dict[int, tuple[int, bool]],
                    members: dict[int, tuple[str, bool]], at: datetime, quarter: int, member_id: int, kind: str,
                    points: Decimal | int | str | None = None, item: str | None = None, level: str | None = None,
                    category: str | None = None, month: int | None = None, note: str = "", evidence: str = "",
                    status: str = EntryStatus.DECLARED, entered_by: str = "") -> dict[str, Any]:
        try:
            pts = None if points is None else Decimal(str(points).strip())
        except ArithmeticError:  # decimal.InvalidOperation: text that is no number
            raise StoreError(f"分值“{points}”不是数字") from None
        if quarter not in quarters:
            raise StoreError(f"没有{QuarterRef(year, quarter).name}，请先用 jifen init 建立该年度")
        quarter_id, locked = quarters[quarter]
        if locked:
            raise StoreError(f"{QuarterRef(year, quarter).name}已锁定，不能再修改")
        if member_id not in members:
            raise StoreError(f"没有编号为 {member_id} 的党员")
        name, exempt = members[member_id]
        self._check_entry(scheme, quarter, name, exempt, member_id, kind, pts, item, level, category, month, status)
        if item and not note:
            found = scheme.item(item)
            note = found.label if found else ""
        return dict(quarter_id=quarter_id, member_id=member_id, month=month, kind=kind, item_code=item,
                    level=level, category=category, points=pts, note=note, evidence=evidence,
                    status=status, entered_at=at, entered_by=entered_by or self.actor)

    def _write_entries(self, plan: _EntryPlan, undoable: bool) -> list[int] | None:
        """Insert the planned rows in one write transaction, or None (nothing written) when
        what their checks relied on changed since.

        Several rows first go, outside the write transaction, into a temporary table of the
        connection's own (SQLite: its temp database, which locks nothing of the branch's
        file; PostgreSQL: its pg_temp schema); the write transaction then copies them with
        one INSERT ... SELECT, without a Python call per row, and so holds the write lock
        for well under a second even for 100,000 rows (bench/import_bench.py). The new ids:
        on SQLite rowids only grow and nobody else inserts under the write lock, so they are
        those above the largest before, in order; on PostgreSQL the write reserves a block of
        the id sequence and inserts with those ids."""
        table = cast("Any", PointsEntry).__table__
        columns = [c for c in table.c if c.name != "id"]
        names = ", ".join(f'"{c.name}"' for c in columns)
        with self.engine.connect() as conn:
            stage = None
            if len(plan.values) > 1:
                try:
                    stage = sa.Table("jifen_entry_stage", sa.MetaData(), sa.Column("n", sa.Integer),
                                     *(sa.Column(c.name, c.type) for c in columns), prefixes=["TEMPORARY"])
                    stage.drop(conn, checkfirst=True)
                    stage.create(conn)
                    conn.execute(stage.insert(), [{"n": n, **v} for n, v in enumerate(plan.values)])
                    conn.commit()
                except DBAPIError as exc:
                    raise StoreError(refusal_of(exc)) from exc
            try:
                with self._tx(conn) as s:
                    if self._entry_basis(s, plan.year) != plan.basis:
                        return None
                    if not plan.values:
                        return []
                    if stage is None:
                        ids = [int(i) for i in conn.execute(table.insert().returning(table.c.id), plan.values[0])
                               .scalars()]
                    elif conn.dialect.name == "sqlite":
                        last = conn.execute(sa.select(func.max(table.c.id))).scalar() or 0
                        conn.exec_driver_sql(f"INSERT INTO entry ({names}) SELECT {names} "
                                             "FROM jifen_entry_stage ORDER BY rowid")  # staged in order: rowid = n + 1
                        ids = [int(i) for i in conn.execute(sa.select(table.c.id).where(table.c.id > last)
                                                            .order_by(table.c.id)).scalars()]
                    else:
                        seq = "pg_get_serial_sequence('entry', 'id')"
                        first = int(conn.exec_driver_sql(f"SELECT nextval({seq})").scalar_one())
                        conn.exec_driver_sql(f"SELECT setval({seq}, {first + len(plan.values) - 1})")
                        conn.exec_driver_sql(f"INSERT INTO entry (id, {names}) SELECT {first} + n, {names} "
                                             "FROM jifen_entry_stage")
                        ids = list(range(first, first + len(plan.values)))
                    assert len(ids) == len(plan.values)
                    self._audit_entries(s, plan, ids, undoable)
            finally:
                if stage is not None:
                    with contextlib.suppress(DBAPIError):
                        conn.rollback()
                        conn.execution_options(**dict.fromkeys(WRITE_OPTION, False))
                        stage.drop(conn, checkfirst=True)
                        conn.commit()
        return ids

    def _audit_entries(self, s: Session, plan: _EntryPlan, ids: list[int], undoable: bool) -> None:
        quarter_ids = sorted({v["quarter_id"] for v in plan.values})
        one_quarter = quarter_ids[0] if len(quarter_ids) == 1 else None
        if len(ids) == 1:
            v = plan.values[0]
            name = next(n for mid, n, _ in plan.basis.members if mid == v["member_id"])
            self._audit(s, "entry_added", one_quarter, entry=ids[0], member=name, kind=v["kind"],
                        points=v["points"], item=v["item_code"], note=v["note"])
            q = s.get(Quarter, one_quarter)
            if undoable and q is not None and q.state == QuarterState.MEETING:
                # an item raised at the meeting can be taken back at once
                self._undo_slot(s, q, "entry", {"entry": ids[0]})
        else:
            # One line for the whole batch (an import), not one per row.
            self._audit(s, "entries_added", one_quarter, year=plan.year, count=len(ids),
                        first=ids[0], last=ids[-1], quarters=quarter_ids)

    def _check_entry(self, scheme: Scheme, quarter: int, name: str, exempt: bool, member_id: int, kind: str,
                     pts: Decimal | None, item: str | None, level: str | None, category: str | None,
                     month: int | None, status: str) -> None:
        if status not in tuple(EntryStatus):
            raise StoreError(f"事项状态“{status}”不对，应为{'/'.join(EntryStatus)}")
        if not is_kind(kind):
            raise StoreError(f"事项类别“{kind}”不对")
        if month is not None and Entry.quarter_of(month) != quarter:
            raise StoreError(f"{month}月不在第{quarter}季度")
        if exempt:
            raise StoreError(f"{name}免于积分管理，不记积分事项")
        e = Entry(str(member_id), kind, quarter, month, pts, category, item, level)
        from core.checks import check_entry

        problems = check_entry(scheme, e)
        if problems:
            raise StoreError(f"{name}的事项不符合积分方案：" + "；".join(zh for _, _, zh in problems))

    def _set_status(self, entry_id: int, status: str, allowed_from: tuple[str, ...], action: str,
                    needs_meeting: bool,
                    also: Callable[[Session, PointsEntry], dict[str, Any]] | None = None) -> None:
        """Change an entry's state; `also` records what goes with it in the same transaction
        and returns what its undo needs."""
        with self._tx() as s:
            e = s.get(PointsEntry, entry_id)
            if e is None:
                raise StoreError(f"没有编号为 {entry_id} 的积分事项")
            q = s.get(Quarter, e.quarter_id)
            assert q is not None
            if needs_meeting:
                self._meeting_quarter(s, QuarterRef(q.year, q.number))
            else:
                self._open_quarter(s, QuarterRef(q.year, q.number))
            if e.status not in allowed_from:
                raise StoreError(f"该事项当前为“{e.status}”，不能改为“{status}”")
            before = e.status
            e.status = status
            s.add(e)
            extra = also(s, e) if also else {}
            self._audit(s, action, q.id, entry=entry_id, before=before, after=status, **extra)
            if q.state == QuarterState.MEETING:
                self._undo_slot(s, q, "status", {"entry": entry_id, "status": before, **extra})

    def contest_entry(self, entry_id: int, raised_by: str, reason: str) -> None:
        """有异议: the entry goes to a vote and stops counting until it passes. An objection
        may be raised before the meeting or during it; it names who raised it and why."""
        raised_by, reason = raised_by.strip(), reason.strip()
        if not raised_by:
            raise StoreError("请写明异议由谁提出")
        if not reason:
            raise StoreError("请写明异议的理由")

        def record(s: Session, e: PointsEntry) -> dict[str, Any]:
            row = Objection(quarter_id=e.quarter_id, entry_id=e.id, raised_by=raised_by, reason=reason)
            s.add(row)
            s.flush()
            return {"objection": row.id, "raised_by": raised_by, "reason": reason}

        self._set_status(entry_id, EntryStatus.CONTESTED, (EntryStatus.DECLARED, EntryStatus.CONFIRMED),
                         "entry_contested", False, record)

    def drop_objection(self, entry_id: int) -> None:
        """撤回异议: the objection is taken back before any vote; the entry stands as 申报.
        The objection stays on the record, marked withdrawn."""

        def withdraw(s: Session, e: PointsEntry) -> dict[str, Any]:
            row = s.exec(select(Objection).where(Objection.entry_id == e.id, col(Objection.withdrawn).is_(False))
                         .order_by(col(Objection.id).desc())).first()
            if row is None:
                return {}
            row.withdrawn = True
            s.add(row)
            return {"withdrawn": row.id}

        self._set_status(entry_id, EntryStatus.DECLARED, (EntryStatus.CONTESTED,), "objection_dropped", False, withdraw)

    def confirm_entry(self, entry_id: int) -> None:
        """已确认 at the meeting."""
        self._set_status(entry_id, EntryStatus.CONFIRMED, (EntryStatus.DECLARED,), "entry_confirmed", True)

    def withdraw_entry(self, entry_id: int) -> None:
        """撤回: the member or the branch takes the entry back; it no longer counts."""
        self._set_status(entry_id, EntryStatus.WITHDRAWN,
                         (EntryStatus.DECLARED, EntryStatus.CONFIRMED, EntryStatus.CONTESTED), "entry_withdrawn", False)

    # --- the meeting --------------------------------------------------------------------------

    def open_meeting(self, quarter: QuarterRef, facts: MeetingFacts, confirm_date: bool = False) -> None:
        """Open the quarter's meeting. A date outside the quarter, or before the previous
        meeting, is refused unless `confirm_date` says the secretary has confirmed it."""
        with self._tx() as s:
            q = self._open_quarter(s, quarter)
            if q.state == QuarterState.MEETING:
                raise StoreError(f"{quarter.name}的党员大会已经开始")
            if not confirm_date:
                check_meeting_date(s, q, facts.held_at)
            s.add(Meeting(quarter_id=q.id, held_at=facts.held_at, place=facts.place, host=facts.host,
                          recorder=facts.recorder, observers=facts.observers, agenda=facts.agenda))
            q.state = QuarterState.MEETING
            s.add(q)
            self._audit(s, "meeting_opened", q.id, held_at=facts.held_at, place=facts.place, host=facts.host,
                        recorder=facts.recorder)

    def set_meeting_facts(self, quarter: QuarterRef, confirm_date: bool = False,
                          **changes: str | datetime | None) -> None:
        """Change the meeting's facts; a new date is checked as at the opening (`confirm_date`),
        the end may not come before the start, and an agenda item that holds notes stays."""
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).one()
            allowed = ("held_at", "place", "host", "recorder", "observers", "agenda", "ended_at")
            before = {}
            for k, v in changes.items():
                if k not in allowed:
                    raise StoreError(f"会议信息没有“{k}”一项")
                before[k] = getattr(mt, k)
                setattr(mt, k, v)
            if "held_at" in changes and changes["held_at"] != before["held_at"] and not confirm_date:
                check_meeting_date(s, q, mt.held_at)
            if mt.ended_at is not None and mt.ended_at < mt.held_at:
                raise StoreError(f"散会时间 {mt.ended_at:%Y-%m-%d %H:%M} 早于开会时间 {mt.held_at:%Y-%m-%d %H:%M}")
            if "agenda" in changes:
                items = len([a for a in mt.agenda.splitlines() if a.strip()])
                used = max((n.item for n in s.exec(select(AgendaNote).where(AgendaNote.quarter_id == q.id))), default=0)
                if used > items:
                    raise StoreError(f"第{used}项议题下已有发言或决议记录，不能删去该议题")
            s.add(mt)
            self._audit(s, "meeting_facts", q.id, **changes)
            self._undo_slot(s, q, "facts", {k: v.isoformat() if isinstance(v, datetime) else v
                                            for k, v in before.items()})

    def roll_call(self, quarter: QuarterRef, member_id: int, present: bool, reason: str = "",
                  opinion: str = "") -> None:
        """签到: present, or absent with a reason (病假/事假/公差/其他) and any written opinion."""
        if not present and reason not in ABSENCE_REASONS:
            raise StoreError(f"请注明缺席原因（{'/'.join(ABSENCE_REASONS)}）")
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            m = self._member(s, member_id)
            if m.meeting_exempt:
                raise StoreError(f"{m.name}经批准免于参加党员大会，不需签到")
            row = s.exec(select(RollCall).where(RollCall.quarter_id == q.id, RollCall.member_id == member_id)).first()
            before = None if row is None else {"present": row.present, "reason": row.reason, "opinion": row.opinion}
            row = row or RollCall(quarter_id=q.id, member_id=member_id, present=present)
            row.present, row.reason, row.opinion = present, "" if present else reason, "" if present else opinion
            s.add(row)
            self._audit(s, "roll_call", q.id, member=m.name, present=present, reason=row.reason)
            self._undo_slot(s, q, "roll_call", {"member": member_id, "before": before})

    def roll_call_rest(self, quarter: QuarterRef) -> int:
        """Everyone not yet called is present: one action, undone as one. The number marked."""
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            called = {r.member_id for r in s.exec(select(RollCall).where(RollCall.quarter_id == q.id))}
            rest = [m for m in s.exec(select(Member).order_by(col(Member.seq)))
                    if not m.left and not m.meeting_exempt and m.id not in called]
            for m in rest:
                s.add(RollCall(quarter_id=q.id, member_id=m.id, present=True))
            if rest:
                self._audit(s, "roll_call_rest", q.id, members=[m.name for m in rest])
                self._undo_slot(s, q, "roll_call_rest", {"members": [m.id for m in rest]})
            return len(rest)

    def vote(self, entry_id: int, yes: int, no: int, abstain: int, *, count_written: bool = False,
             written_yes: int = 0, written_no: int = 0, written_abstain: int = 0, method: str = "举手") -> VoteOutcome:
        """表决 on a contested entry, taken by `method` (举手 or 无记名投票); refused without a
        quorum or with impossible counts."""
        check_vote_method(method)
        with self._tx() as s:
            e = s.get(PointsEntry, entry_id)
            if e is None:
                raise StoreError(f"没有编号为 {entry_id} 的积分事项")
            q = s.get(Quarter, e.quarter_id)
            assert q is not None
            self._meeting_quarter(s, QuarterRef(q.year, q.number))
            if e.status != EntryStatus.CONTESTED:
                raise StoreError(f"该事项当前为“{e.status}”，只有“有异议”的事项才付诸表决")
            status = self._quorum(s, q)
            if not count_written:
                written_yes = written_no = written_abstain = 0
            outcome = decide_vote(status, yes, no, abstain, written_yes, written_no, written_abstain)
            s.add(Vote(quarter_id=q.id, entry_id=entry_id, yes=yes, no=no, abstain=abstain,
                       written_yes=written_yes, written_no=written_no, written_abstain=written_abstain,
                       expected=status.voting_expected, present=status.voting_present, passed=outcome.passed,
                       rule=outcome.rule, method=method))
            e.status = EntryStatus.PASSED if outcome.passed else EntryStatus.REJECTED
            s.add(e)
            self._audit(s, "vote", q.id, entry=entry_id, yes=yes, no=no, abstain=abstain, written_yes=written_yes,
                        written_no=written_no, written_abstain=written_abstain, passed=outcome.passed, method=method)
            self._undo_slot(s, q, "vote", {"entry": entry_id})
            return outcome

    # --- undo ---------------------------------------------------------------------------------

    def undo(self, quarter: QuarterRef) -> str:
        """Take back the last meeting action; returns what was undone, in Chinese."""
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            slot = s.get(UndoSlot, q.id)
            if slot is None:
                raise StoreError("没有可以撤销的操作")
            p = json.loads(slot.payload)
            if p.pop("session", self.session) != self.session:  # slots from before sessions were kept: anyone
                raise StoreError("上一步是另一个控制台（或本控制台重新打开之前）做的，这里不能撤销；"
                                 "如需改正，请直接修改")
            said = UNDO[slot.action](s, q, p)
            s.delete(slot)
            self._audit(s, "undo", q.id, undone=slot.action)
            return said

    # --- lock ---------------------------------------------------------------------------------

    def lock(self, quarter: QuarterRef) -> str:
        """Lock the quarter: confirm what stands, snapshot the members, write the chained digest.
        At the fourth quarter the year's results are written first, so the digest holds them."""
        from db.digest import canonical_quarter, digest_of

        with self._tx() as s:
            q = self._quarter(s, quarter)
            problems = self._lock_problems(s, q)
            if problems:
                raise StoreError("不能锁定：" + "；".join(problems))
            for e in s.exec(select(PointsEntry).where(PointsEntry.quarter_id == q.id,
                                                      PointsEntry.status == EntryStatus.DECLARED)):
                e.status = EntryStatus.CONFIRMED
                s.add(e)
            mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).one()
            if mt.ended_at is None:  # the meeting ends at the lock unless the secretary ended it before
                mt.ended_at = max(self.clock(), mt.held_at)
                s.add(mt)
            for m in s.exec(select(Member)):
                if not m.left:
                    s.add(QuarterMember(quarter_id=q.id, member_id=m.id,
                                        facts=json.dumps(member_facts(m), ensure_ascii=False, sort_keys=True)))
            slot = s.get(UndoSlot, q.id)
            if slot is not None:
                s.delete(slot)
            key = ballot_key(s, q)
            after_commit(s, lambda: LAST_BALLOT.pop(key, None))
            s.flush()
            if quarter.number == 4:
                self._keep_year_result(s, quarter.year)
                s.flush()
            previous = s.exec(select(Lock).order_by(col(Lock.id).desc())).first()
            prev = previous.digest if previous else ""
            locked_at = self.clock()
            canonical = canonical_quarter(s, q, prev, locked_at=locked_at)
            digest = digest_of(canonical)
            s.add(Lock(quarter_id=q.id, locked_at=locked_at, digest=digest, previous_digest=prev, canonical=canonical))
            s.flush()  # the lock row first: the database refuses a quarter marked locked without one
            q.state = QuarterState.LOCKED
            s.add(q)
            self._audit(s, "locked", q.id, digest=digest, previous=prev)
            return digest

    def _keep_year_result(self, s: Session, year: int) -> None:
        """The year's results for the two-year rules of the next year, kept at the Q4 lock (a
        result entered by hand for the year is replaced). Not when a quarter of the next year is
        already locked: that year was scored without them, and its lock holds what it read."""
        from core.engine import score

        if self._past_results_sealed(s, year):
            return
        scheme, by = self._branch_year(s, year)
        kept = {p.member_id: p for p in s.exec(select(PastResult).where(PastResult.year == year))}
        for r in score(scheme, by, explain=False).members:
            if r.exempt:
                continue
            row = kept.get(int(r.id)) or PastResult(member_id=int(r.id), year=year)
            row.total, row.bottom = r.total, "bottom_ranked" in r.flags
            s.add(row)

    def _past_results_sealed(self, s: Session, year: int) -> str:
        """Why the results of `year` may no longer change ("" when they may): its Q4 is locked
        (the lock wrote them), or a quarter of the next year is (its two-year rules read them)."""
        for q in s.exec(select(Quarter).where(col(Quarter.year).in_((year, year + 1)),
                                              Quarter.state == QuarterState.LOCKED)):
            if q.year == year and q.number == 4:
                return f"{QuarterRef(year, 4).name}已锁定，{year}年度的结果已随锁定计入校验码"
            if q.year == year + 1:
                return f"{QuarterRef(q.year, q.number).name}已锁定，它所依据的{year}年度结果不能再改"
        return ""
