"""The store: every operation the meeting performs, each one transaction.

A refusal raises StoreError with a plain Chinese sentence and leaves the database as it
was. Every operation writes an audit line; meeting actions also leave an undo slot so
the last one can be taken back before the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy import String, func, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from core.branch import BranchYear, Entry, HistoryRecord, Ratings, Status, is_kind
from core.branch import Member as CoreMember
from core.labels import RATING_LABELS
from core.quarter import COUNTED, EntryStatus, QuarterState
from db.engine import BUSY_TIMEOUT_MS, WRITE_OPTION, write_engine
from db.errors import StoreError
from db.record import RecordOps, check_meeting_date, check_vote_method
from db.tables import (
    AgendaNote,
    AuditLog,
    Ballot,
    BallotCount,
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
from db.votes import QuorumStatus, VoteOutcome, decide_vote, quorum_of

if TYPE_CHECKING:
    from core.engine import YearResult
    from core.scheme import Scheme

ABSENCE_REASONS = ("病假", "事假", "公差", "其他")


# Which console wrote an undo slot: random per process, kept inside the slot's JSON payload.
SESSION = secrets.token_hex(8)


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


# --- Ballot secrecy ---------------------------------------------------------------------------------
# Nothing the store leaves may put the ballots back in the order they were entered (papers are
# often collected, and so entered, in seat order): not the main file, -wal, -shm or -journal,
# at any moment, the console open or killed; not on PostgreSQL. How each trace is closed:
# - The row: a random 16-byte hex key, no rowid (WITHOUT ROWID), no time, no link to a person.
# - The byte layout: inside a SQLite page, cell content is allocated in insertion order, and the
#   ballot table's index on quarter_id does the same; on PostgreSQL the heap order (a plain
#   SELECT), ctid and xmin follow insertion. So each ballot's transaction rewrites every ballot of
#   its quarter: delete them all, insert them again sorted by their random keys
#   (`_rewrite_ballots`). Layout, ctid and heap order then follow the keys; xmin is one
#   transaction's for all. About 1 ms for 60 ballots.
# - The history of commits: each SQLite commit appends frames to the WAL, so after every ballot
#   (and the undo of one) the WAL is checkpointed with TRUNCATE (`scrub_ballot_traces`): it holds
#   at most the latest commit, and between a commit and its checkpoint (or after a kill there)
#   that commit tells only which ballot is newest. The -shm keeps page numbers of the latest
#   commit's frames, no content. A reader holding an old snapshot (a read-only console in the
#   middle of a read) can stop the checkpoint: it is retried for about a fifth of a second; if it
#   still cannot finish, the WAL keeps the ballot commits since the last checkpoint that did (their
#   differences order those few ballots) until the next ballot's checkpoint, or the last
#   connection's close, empties it. The one-writer model (db/writer.py) keeps such readers brief.
#   PostgreSQL: VACUUM FULL of the ballot table after each ballot and undo leaves no dead tuple of
#   an earlier version (or of an undone ballot) in the table's files; if a reader's lock stops it
#   for its lock_timeout, a plain VACUUM frees what no snapshot needs (the bytes stay in the files
#   until reused; SQL users never see dead tuples). What remains visible, only to the server's
#   administrator: the server's own WAL (pg_wal, and any archive or backup of it) holds every
#   insert and delete in commit order, and a server logging statements (log_statement = 'mod')
#   logs each ballot's marks with a time.
# - Deleted content: PRAGMA secure_delete=ON on every connection (db.engine) zeroes freed cells
#   and freed pages, so a rewritten ballot's old place and an undone ballot leave nothing behind.
# - The audit log: one "ballot_added" line per ballot with its time and round only; the time says
#   when a ballot came, never which (no id, no marks, not even whether it was blank).
# - Undo by content, kept in memory: the undo slot of a ballot holds a random token, never the
#   ballot's id or marks; what the newest ballot said (round, marks, void reason) stays in this
#   process (`_LAST_BALLOT`) until another action or the undo, and undo deletes one ballot with
#   that content (identical ballots are interchangeable). Undo is only ever for the session that
#   entered the ballot (the slot's session check), which a restart ends anyway; so the slot's
#   rewrites in the WAL say nothing, and no file names the newest ballot beyond the window above.
# The time of each ballot's commit in the audit log, and the count, are not secret.

# What the newest ballot said, per (database, quarter): its undo token, round, marks and void reason.
_LAST_BALLOT: dict[tuple[str, int], tuple[str, int, str, str]] = {}
# How long a checkpoint waits for readers, per try, and how many tries (about 0.2 s in all).
CHECKPOINT_WAIT_MS = 40
CHECKPOINT_TRIES = 5
# How long VACUUM FULL of the ballot table waits for a reader's lock on PostgreSQL.
VACUUM_LOCK_TIMEOUT = "200ms"


def _after_commit(s: Session, step: Callable[[], object]) -> None:
    s.info["after_commit"].append(step)


def _ballot_key(s: Session, q: Quarter) -> tuple[str, int]:
    # The bind is the write engine, or a connection when an import writes on its own one.
    return str(cast(Engine, s.get_bind()).engine.url), cast(int, q.id)


def _rewrite_ballots(s: Session, q: Quarter, new: dict[str, Any]) -> None:
    """Add a ballot by writing all of its quarter's ballots again, in the order of their random
    keys, so nothing in the layout follows the order of entry."""
    table = cast(sa.Table, Ballot.__table__)  # type: ignore[attr-defined]  # SQLModel sets it
    conn = s.connection()
    rows = [dict(r._mapping) for r in conn.execute(sa.select(table).where(table.c.quarter_id == q.id))]
    rows.append(new)
    rows.sort(key=lambda r: r["id"])
    conn.execute(sa.delete(table).where(table.c.quarter_id == q.id))
    conn.execute(sa.insert(table), rows)


def scrub_ballot_traces(engine: Engine) -> str:
    """After a commit that added or removed a ballot: SQLite checkpoints its WAL and truncates
    it; PostgreSQL rewrites the ballot table (VACUUM FULL). Returns "" when done, else what was
    left (for the log and the tests; the ballot itself is committed either way)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                for attempt in range(CHECKPOINT_TRIES):
                    busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                    if not busy:
                        return ""
                    time.sleep(0.005 * (attempt + 1))
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            return "a reader held the WAL: it keeps the ballots since the last checkpoint until the next"
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET lock_timeout = '{VACUUM_LOCK_TIMEOUT}'")
            try:
                conn.exec_driver_sql("VACUUM FULL ballot")
                return ""
            except sa.exc.OperationalError:
                conn.exec_driver_sql("VACUUM ballot")
                return "a reader held the ballot table: plain VACUUM; dead tuples' bytes stay until reused"
            finally:
                conn.exec_driver_sql("RESET lock_timeout")
    return ""


@lru_cache(maxsize=16)
def _scheme_from_text(text: str, name: str) -> Scheme:
    from core.scheme import parse_scheme  # pydantic loads with the first scheme, not at start-up

    return parse_scheme(text, name)


def quarter_name(year: int, number: int) -> str:
    """2026年第四季度, as the screens and the minutes say it."""
    return f"{year}年第{'一二三四'[number - 1]}季度"


def quarter_label(year: int, number: int) -> str:
    return f"{year}Q{number}"


def parse_quarter(label: str) -> tuple[int, int]:
    """'2026Q3' -> (2026, 3)."""
    text = label.strip().upper()
    if len(text) == 6 and text[4] == "Q" and text[:4].isdigit() and text[5] in "1234":
        return int(text[:4]), int(text[5])
    raise StoreError(f"季度“{label}”的写法不对，应写成 2026Q3 这样")


BUSY = "数据库正忙（另一个程序正在写入），请稍后再试；未做任何改动"
CHANGED = "该记录刚被另一个控制台（或命令）修改，请刷新后再试；未做任何改动"

# SQLSTATEs of PostgreSQL's refusals that mean "someone else got there first": serialization
# failure, deadlock, lock timeout, statement timeout.
_PG_RACE = {"40001": CHANGED, "40P01": CHANGED, "55P03": BUSY, "57014": BUSY}


def refusal_of(exc: DBAPIError) -> str:
    """The Chinese sentence for a database error met while writing; nothing was written (the
    transaction rolled back). Losing a race or a constraint, or a busy database, is the user's
    to retry; anything else is named by the server's own first line."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state in _PG_RACE:
        return _PG_RACE[state]
    if isinstance(exc, IntegrityError):
        return CHANGED
    text = str(orig or exc).strip()
    low = text.lower()
    if "database is locked" in low or "database table is locked" in low or "busy" in low:
        return BUSY
    first = text.splitlines()[0] if text else exc.__class__.__name__
    return f"写入数据库时出错（{first}），未做任何改动；请稍后再试，如仍出错请联系管理员"


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


class Store(RecordOps):
    """Operations on one database. `actor` names who works the console (the audit log).
    The meeting's record (objections, agenda notes, end, cancelling) lives in db.record."""

    def __init__(self, engine: Engine, actor: str = "", clock: Callable[[], datetime] | None = None,
                 session: str = SESSION):
        self.engine = engine
        self.actor = actor
        self.clock = clock or now  # when things happen; the demo replays a year on its own dates
        self.session = session  # undo takes back only what this session did
        # Why this store may not write (another console holds the database), or "" when it may.
        self.read_only = ""

    # --- plumbing ---------------------------------------------------------------------------------

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
        What an operation hands to `_after_commit` runs once the commit is through (never after
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
            key = _ballot_key(s, q)
            _after_commit(s, lambda: _LAST_BALLOT.pop(key, None))
        slot = s.get(UndoSlot, q.id)
        text = json.dumps({**payload, "session": self.session}, ensure_ascii=False, default=str)
        if slot is None:
            s.add(UndoSlot(quarter_id=q.id, action=action, payload=text))
        else:
            slot.action, slot.payload = action, text
            s.add(slot)

    def _branch(self, s: Session) -> Branch:
        branch = s.exec(select(Branch).order_by(col(Branch.id))).first()
        if branch is None:
            raise StoreError("数据库中还没有党支部，请先运行 jifen init")
        return branch

    def _quarter(self, s: Session, year: int, number: int) -> Quarter:
        q = s.exec(select(Quarter).where(Quarter.year == year, Quarter.number == number)).first()
        if q is None:
            raise StoreError(f"没有{quarter_name(year, number)}，请先用 jifen init 建立该年度")
        return q

    def _open_quarter(self, s: Session, year: int, number: int) -> Quarter:
        q = self._quarter(s, year, number)
        if q.state == QuarterState.LOCKED:
            raise StoreError(f"{quarter_name(year, number)}已锁定，不能再修改")
        return q

    def _meeting_quarter(self, s: Session, year: int, number: int) -> Quarter:
        q = self._open_quarter(s, year, number)
        if q.state != QuarterState.MEETING:
            raise StoreError(f"{quarter_name(year, number)}的党员大会还没有开始，请先开始会议")
        return q

    def _member(self, s: Session, member_id: int) -> Member:
        m = s.get(Member, member_id)
        if m is None:
            raise StoreError(f"没有编号为 {member_id} 的党员")
        return m

    def _refuse_exemption(self, s: Session, who: str) -> None:
        """Exemption from points management exists only where the scheme (of the latest year)
        provides it, decided by the scheme's own route."""
        sy = s.exec(select(SchemeYear).order_by(col(SchemeYear.year).desc())).first()
        if sy is None:
            return
        scheme = _scheme_from_text(sy.text, f"{sy.scheme_id}.toml")
        if scheme.exemption is None:
            raise StoreError(f"{who}不能设为免于积分管理：{scheme.name}没有免于积分管理的规定"
                             "（长期病休等不能参会的，可设为免于参会）")

    def _scheme(self, s: Session, year: int) -> Scheme:
        sy = s.exec(select(SchemeYear).where(SchemeYear.year == year)).first()
        if sy is None:
            raise StoreError(f"{year}年还没有指定积分方案，请先运行 jifen init")
        return _scheme_from_text(sy.text, f"{sy.scheme_id}.toml")

    # --- set-up -----------------------------------------------------------------------------------

    def init_branch(self, name: str, scheme_id: str, scheme_text: str, year: int) -> None:
        """Create the branch (once) and the year's four quarters under a scheme."""
        if not name.strip():
            raise StoreError("请填写党支部名称")
        _scheme_from_text(scheme_text, f"{scheme_id}.toml")  # a bad scheme never reaches the database
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
            s.add(SchemeYear(branch_id=branch.id, year=year, scheme_id=scheme_id, text=scheme_text,
                             sha256=hashlib.sha256(scheme_text.encode()).hexdigest()))
            for n in range(1, 5):
                s.add(Quarter(branch_id=branch.id, year=year, number=n, state=QuarterState.OPEN))
            self._audit(s, "init", branch=name, scheme=scheme_id, year=year)

    def branch_name(self) -> str:
        with Session(self.engine) as s:
            return self._branch(s).name

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

    def quarter(self, year: int, number: int) -> Quarter:
        with Session(self.engine) as s:
            return self._quarter(s, year, number)

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
            m = self._member(s, member_id)
            before = {k: getattr(m, k) for k in changes}
            if changes.get("exempt") and not m.exempt:
                self._refuse_exemption(s, f"“{m.name}”")
            for k, v in changes.items():
                if not hasattr(m, k) or k in ("id", "branch_id"):
                    raise StoreError(f"党员信息没有“{k}”一项")
                setattr(m, k, v)
            s.add(m)
            self._audit(s, "member_updated", member=m.name, before=before, after=changes)

    def members(self, include_left: bool = False) -> list[Member]:
        with Session(self.engine) as s:
            q = select(Member).order_by(col(Member.seq))
            rows = list(s.exec(q))
            return rows if include_left else [m for m in rows if not m.left]

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

    # --- entries ----------------------------------------------------------------------------------

    def add_entry(self, year: int, number: int, member_id: int, kind: str, points: Decimal | int | str | None = None,
                  *, item: str | None = None, level: str | None = None, category: str | None = None,
                  month: int | None = None, note: str = "", evidence: str = "", status: str = EntryStatus.DECLARED,
                  entered_by: str = "") -> int:
        """Record one entry after checking it against the scheme and its catalogue."""
        return self.add_entries(year, [dict(quarter=number, member_id=member_id, kind=kind, points=points, item=item,
                                            level=level, category=category, month=month, note=note,
                                            evidence=evidence, status=status, entered_by=entered_by)],
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
        scheme = _scheme_from_text(basis.scheme_text, f"{basis.scheme_id}.toml")
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
            raise StoreError(f"没有{quarter_name(year, quarter)}，请先用 jifen init 建立该年度")
        quarter_id, locked = quarters[quarter]
        if locked:
            raise StoreError(f"{quarter_name(year, quarter)}已锁定，不能再修改")
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

    def entries(self, year: int, number: int | None = None, member_id: int | None = None) -> list[PointsEntry]:
        with Session(self.engine) as s:
            q = select(PointsEntry).join(Quarter).where(Quarter.year == year)
            if number is not None:
                q = q.where(Quarter.number == number)
            if member_id is not None:
                q = q.where(PointsEntry.member_id == member_id)
            return list(s.exec(q.order_by(col(PointsEntry.id))))

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
                self._meeting_quarter(s, q.year, q.number)
            else:
                self._open_quarter(s, q.year, q.number)
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

    # --- the meeting ------------------------------------------------------------------------------

    def open_meeting(self, year: int, number: int, facts: MeetingFacts, confirm_date: bool = False) -> None:
        """Open the quarter's meeting. A date outside the quarter, or before the previous
        meeting, is refused unless `confirm_date` says the secretary has confirmed it."""
        with self._tx() as s:
            q = self._open_quarter(s, year, number)
            if q.state == QuarterState.MEETING:
                raise StoreError(f"{quarter_name(year, number)}的党员大会已经开始")
            if not confirm_date:
                check_meeting_date(s, q, facts.held_at)
            s.add(Meeting(quarter_id=q.id, held_at=facts.held_at, place=facts.place, host=facts.host,
                          recorder=facts.recorder, observers=facts.observers, agenda=facts.agenda))
            q.state = QuarterState.MEETING
            s.add(q)
            self._audit(s, "meeting_opened", q.id, held_at=facts.held_at, place=facts.place, host=facts.host,
                        recorder=facts.recorder)

    def meeting(self, year: int, number: int) -> Meeting | None:
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            return s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).first()

    def set_meeting_facts(self, year: int, number: int, confirm_date: bool = False,
                          **changes: str | datetime | None) -> None:
        """Change the meeting's facts; a new date is checked as at the opening (`confirm_date`),
        the end may not come before the start, and an agenda item that holds notes stays."""
        with self._tx() as s:
            q = self._meeting_quarter(s, year, number)
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

    def roll_call(self, year: int, number: int, member_id: int, present: bool, reason: str = "",
                  opinion: str = "") -> None:
        """签到: present, or absent with a reason (病假/事假/公差/其他) and any written opinion."""
        if not present and reason not in ABSENCE_REASONS:
            raise StoreError(f"请注明缺席原因（{'/'.join(ABSENCE_REASONS)}）")
        with self._tx() as s:
            q = self._meeting_quarter(s, year, number)
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

    def roll_call_rest(self, year: int, number: int) -> int:
        """Everyone not yet called is present: one action, undone as one. The number marked."""
        with self._tx() as s:
            q = self._meeting_quarter(s, year, number)
            called = {r.member_id for r in s.exec(select(RollCall).where(RollCall.quarter_id == q.id))}
            rest = [m for m in s.exec(select(Member).order_by(col(Member.seq)))
                    if not m.left and not m.meeting_exempt and m.id not in called]
            for m in rest:
                s.add(RollCall(quarter_id=q.id, member_id=m.id, present=True))
            if rest:
                self._audit(s, "roll_call_rest", q.id, members=[m.name for m in rest])
                self._undo_slot(s, q, "roll_call_rest", {"members": [m.id for m in rest]})
            return len(rest)

    def roll_calls(self, year: int, number: int) -> dict[int, RollCall]:
        """The roll call so far, by member id."""
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            return {r.member_id: r for r in s.exec(select(RollCall).where(RollCall.quarter_id == q.id))}

    def quorum(self, year: int, number: int) -> QuorumStatus:
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            return self._quorum(s, q)

    def _quorum(self, s: Session, q: Quarter) -> QuorumStatus:
        mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).first()
        day = (mt.held_at if mt else self.clock()).date().isoformat()
        members = self._roster(s, q)
        calls = {r.member_id: r for r in s.exec(select(RollCall).where(RollCall.quarter_id == q.id))}
        return quorum_of(members, calls, day)

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
            self._meeting_quarter(s, q.year, q.number)
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

    def votes(self, year: int, number: int) -> list[Vote]:
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            return list(s.exec(select(Vote).where(Vote.quarter_id == q.id).order_by(col(Vote.id))))

    # --- democratic evaluation --------------------------------------------------------------------

    def graded_members(self, year: int) -> list[Member]:
        """Who appears on a ballot: members on the roster who are not exempt."""
        return [m for m in self.members() if not m.exempt]

    def add_ballot(self, year: int, number: int, marks: dict[int, str] | None, round: int = 1,
                   void: str = "") -> str:
        """One paper ballot as it came: ratings for the names marked on it (a name left
        unmarked is not rated on it), or None when nothing is marked. The scheme's ballot
        rules decide whether it is void; `void` records a reason the secretary sees on the
        paper (e.g. 无法辨认). A void ballot is returned, not counted, and keeps no marks.
        Returns the reason it is void, or ""."""
        from core.ballots import BallotRules, void_reason

        void = void.strip()
        with self._tx() as s:
            q = self._meeting_quarter(s, year, number)
            self._check_round(s, q, round)
            graded = [m for m in s.exec(select(Member)) if not m.left and not m.exempt]
            if marks:
                ids = {m.id for m in graded}
                stray = [k for k in marks if k not in ids]
                if stray:
                    raise StoreError(f"编号为 {stray[0]} 的党员不在本次测评名单中")
                bad = [v for v in marks.values() if v not in RATING_LABELS]
                if bad:
                    raise StoreError(f"“{bad[0]}”不是测评等次（{'/'.join(RATING_LABELS)}）")
            rule = self._scheme(s, q.year).evaluation.ballot
            void = void or void_reason(BallotRules(rule.excellent_share, rule.all_unmarked_void), marks or {},
                                       len(graded))
            kept = {} if void else (marks or {})
            text = json.dumps({str(k): v for k, v in sorted(kept.items())}, ensure_ascii=False)
            _rewrite_ballots(s, q, {"id": secrets.token_hex(16), "quarter_id": q.id, "round": round,
                                    "marks": text, "void": void})
            # The round only: not blank, void or marks (a blank ballot's time would name it).
            self._audit(s, "ballot_added", q.id, round=round)
            # The slot holds a random token; what the ballot said stays in this process (see above).
            token, key = secrets.token_hex(8), _ballot_key(s, q)
            self._undo_slot(s, q, "ballot", {"ballot": token})
            _after_commit(s, lambda: _LAST_BALLOT.__setitem__(key, (token, round, text, void)))
            _after_commit(s, lambda: scrub_ballot_traces(self.engine))
            return void

    def _check_round(self, s: Session, q: Quarter, round: int) -> None:
        rounds = self._scheme(s, q.year).evaluation.rounds
        if not 1 <= round <= rounds:
            raise StoreError(f"本方案每年民主评议{rounds}轮，没有第{round}轮")

    def set_tally(self, year: int, number: int, member_id: int, counts: dict[str, int], round: int = 1) -> None:
        """Direct entry of a member's rating counts for a round (instead of ballot by ballot)."""
        for label, n in counts.items():
            if label not in RATING_LABELS:
                raise StoreError(f"“{label}”不是测评等次（{'/'.join(RATING_LABELS)}）")
            if not isinstance(n, int) or n < 0:
                raise StoreError(f"“{label}”的票数应为不小于0的整数")
        with self._tx() as s:
            q = self._meeting_quarter(s, year, number)
            self._check_round(s, q, round)
            m = self._member(s, member_id)
            if m.exempt:
                raise StoreError(f"{m.name}免于积分管理，不参加测评")
            issued = s.exec(select(BallotCount.issued).where(BallotCount.quarter_id == q.id,
                                                             BallotCount.round == round)).first()
            if issued:
                on_ballots = sum(1 for marks in s.exec(select(Ballot.marks).where(
                    Ballot.quarter_id == q.id, Ballot.round == round)) if str(member_id) in json.loads(marks))
                if sum(counts.values()) + on_ballots > issued:
                    raise StoreError(f"{m.name}的票数合计{sum(counts.values())}，加上逐张录入的{on_ballots}票，"
                                     f"超过发出的{issued}张测评票")
            rows = {t.rating: t for t in s.exec(select(Tally).where(
                Tally.quarter_id == q.id, Tally.round == round, Tally.member_id == member_id))}
            before = {k: t.count for k, t in rows.items()}
            for label in RATING_LABELS:
                n = counts.get(label, 0)
                row = rows.get(label) or Tally(quarter_id=q.id, round=round, member_id=member_id, rating=label, count=0)
                row.count = n
                s.add(row)
            self._audit(s, "tally_set", q.id, member=m.name, round=round, counts=counts)
            self._undo_slot(s, q, "tally", {"member": member_id, "round": round, "before": before})

    def set_ballots_issued(self, year: int, number: int, issued: int, round: int = 1) -> None:
        if issued < 0:
            raise StoreError("发出票数不能为负数")
        with self._tx() as s:
            q = self._meeting_quarter(s, year, number)
            self._check_round(s, q, round)
            row = s.exec(select(BallotCount).where(BallotCount.quarter_id == q.id, BallotCount.round == round)).first()
            before = None if row is None else row.issued
            row = row or BallotCount(quarter_id=q.id, round=round, issued=0)
            row.issued = issued
            s.add(row)
            self._audit(s, "ballots_issued", q.id, round=round, issued=issued)
            self._undo_slot(s, q, "issued", {"round": round, "before": before})

    def tally(self, year: int, number: int, member_id: int, round: int = 1) -> dict[str, int]:
        """The counts entered directly for a member (not those from ballots)."""
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            return {t.rating: t.count for t in s.exec(select(Tally).where(
                Tally.quarter_id == q.id, Tally.round == round, Tally.member_id == member_id))}

    def ballot_summary(self, year: int, number: int, round: int = 1) -> dict[str, int]:
        """发出 / 收回 / 有效 / 无效 / 空白 for a round; never the content of a single ballot.
        A blank ballot is void when the scheme says so (the built-in schemes do)."""
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            ballots = list(s.exec(select(Ballot).where(Ballot.quarter_id == q.id, Ballot.round == round)))
            issued = s.exec(select(BallotCount)
                            .where(BallotCount.quarter_id == q.id, BallotCount.round == round)).first()
            blank = sum(1 for b in ballots if b.marks == "{}" and (not b.void or "空白" in b.void))
            void = sum(1 for b in ballots if b.void)
            return {"issued": issued.issued if issued else 0, "returned": len(ballots),
                    "valid": len(ballots) - void, "void": void, "blank": blank}

    def void_reasons(self, year: int, number: int, round: int = 1) -> dict[str, int]:
        """How many void ballots for each reason (counts only)."""
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            out: dict[str, int] = {}
            for reason in s.exec(select(Ballot.void).where(Ballot.quarter_id == q.id, Ballot.round == round,
                                                           Ballot.void != "")):
                out[reason] = out.get(reason, 0) + 1
            return dict(sorted(out.items()))

    def _ratings(self, s: Session, year: int, upto: int = 4) -> list[Ratings]:
        """Counts per member and round for the year: ballots and direct tallies together."""
        counts: dict[tuple[str, int], dict[str, int]] = {}
        in_year = select(Quarter.id).where(Quarter.year == year, Quarter.number <= upto)
        for rnd, marks in s.exec(select(Ballot.round, Ballot.marks).where(col(Ballot.quarter_id).in_(in_year))):
            for mid, label in json.loads(marks).items():
                c = counts.setdefault((mid, rnd), {})
                c[label] = c.get(label, 0) + 1
        for rnd, mid, rating, n in s.exec(select(Tally.round, Tally.member_id, Tally.rating, Tally.count)
                                          .where(col(Tally.quarter_id).in_(in_year), Tally.count > 0)):
            c = counts.setdefault((str(mid), rnd), {})
            c[rating] = c.get(rating, 0) + n
        return [Ratings(mid, rnd, c) for (mid, rnd), c in sorted(counts.items())]

    # --- the board ------------------------------------------------------------------------------

    def branch_year(self, year: int, upto: int = 4) -> tuple[Scheme, BranchYear]:
        with Session(self.engine) as s:
            return self._branch_year(s, year, upto)

    def _branch_year(self, s: Session, year: int, upto: int = 4) -> tuple[Scheme, BranchYear]:
        """The year as the engine sees it, counting quarters 1..upto only (a quarter's minute
        shows the figures as they stood at that quarter's end)."""
        scheme = self._scheme(s, year)
        members = self._roster(s, self._quarter(s, year, upto))
        # Plain column rows, not ORM objects: the console rebuilds this on every change.
        # Points come as their text and become Decimals once per distinct value.
        # (sqlmodel's select() is typed for up to four columns; its Select class takes any number.)
        rows = s.exec(Select(col(PointsEntry.member_id), col(Quarter.number), col(PointsEntry.kind),
                             col(PointsEntry.month), type_coerce(PointsEntry.points, String),
                             col(PointsEntry.category), col(PointsEntry.item_code), col(PointsEntry.level),
                             col(PointsEntry.note), col(PointsEntry.id))
                      .join(Quarter).where(Quarter.year == year, Quarter.number <= upto,
                                           col(PointsEntry.status).in_(COUNTED))
                      .order_by(col(PointsEntry.id)))
        # Only the roster's members are scored: one who has left (before the lock, for a locked
        # quarter) takes their entries and ratings with them, as they leave the forms.
        on_roster = {str(m.id) for m in members}
        exact: dict[str, Decimal] = {}
        entries = [Entry(str(mid), kind, qn, month,
                         None if pts is None else exact.get(pts) or exact.setdefault(pts, Decimal(pts)),
                         cat, item, level, note, str(eid))
                   for mid, qn, kind, month, pts, cat, item, level, note, eid in rows if str(mid) in on_roster]
        past = [HistoryRecord(str(p.member_id), p.year, p.total, p.bottom)
                for p in s.exec(select(PastResult).where(PastResult.year == year - 1)) if str(p.member_id) in on_roster]
        ratings = [r for r in self._ratings(s, year, upto) if r.member in on_roster]
        # The store writes "full" or "probationary" only (the imports and the console check them).
        by = BranchYear(year, tuple(CoreMember(str(m.id), m.name, cast("Status", m.status), m.exempt) for m in members),
                        tuple(entries), tuple(ratings), tuple(past))
        return scheme, by

    def board(self, year: int, explain: bool = True, upto: int = 4) -> YearResult:
        """Every member's figures, rank, grade and flags as they stand (or as they stood at the
        end of quarter `upto`), with reasons."""
        scheme, by = self.branch_year(year, upto)
        from core.engine import score

        return score(scheme, by, explain=explain)

    def ratings_of_quarter(self, year: int, number: int) -> dict[int, dict[int, dict[str, int]]]:
        """Rating counts collected at one quarter's meeting: round -> member id -> counts."""
        out: dict[int, dict[int, dict[str, int]]] = {}
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            for rnd, marks in s.exec(select(Ballot.round, Ballot.marks).where(Ballot.quarter_id == q.id)):
                for mid, label in json.loads(marks).items():
                    c = out.setdefault(rnd, {}).setdefault(int(mid), {})
                    c[label] = c.get(label, 0) + 1
            for t in s.exec(select(Tally).where(Tally.quarter_id == q.id, Tally.count > 0)):
                c = out.setdefault(t.round, {}).setdefault(t.member_id, {})
                c[t.rating] = c.get(t.rating, 0) + t.count
        return out

    def members_at(self, year: int, number: int) -> list[dict[str, Any]]:
        """The members as they were at the lock (or as they are, for a quarter not yet locked)."""
        with Session(self.engine) as s:
            return [member_facts(m) for m in self._roster(s, self._quarter(s, year, number))]

    def _roster(self, s: Session, q: Quarter) -> list[Member]:
        """The members of a quarter in roster order: as locked (the snapshot the digest holds),
        so that no later change to the roster alters a locked quarter's figures or documents;
        as they are today (not those who left) while the quarter is not locked. The locked ones
        come back as detached rows built from the snapshot, never written."""
        snap = [json.loads(r.facts) for r in s.exec(select(QuarterMember).where(QuarterMember.quarter_id == q.id))]
        if snap:
            return [Member(branch_id=q.branch_id, left=False, **f) for f in sorted(snap, key=lambda f: f["seq"])]
        return [m for m in s.exec(select(Member).order_by(col(Member.seq))) if not m.left]

    # --- undo -----------------------------------------------------------------------------------

    def last_action(self, year: int, number: int) -> str | None:
        with Session(self.engine) as s:
            slot = s.get(UndoSlot, self._quarter(s, year, number).id)
            return None if slot is None else slot.action

    def undo(self, year: int, number: int) -> str:
        """Take back the last meeting action; returns what was undone, in Chinese."""
        with self._tx() as s:
            q = self._meeting_quarter(s, year, number)
            slot = s.get(UndoSlot, q.id)
            if slot is None:
                raise StoreError("没有可以撤销的操作")
            p = json.loads(slot.payload)
            if p.pop("session", self.session) != self.session:  # slots from before sessions were kept: anyone
                raise StoreError("上一步是另一个控制台（或本控制台重新打开之前）做的，这里不能撤销；"
                                 "如需改正，请直接修改")
            said = _UNDO[slot.action](s, q, p)
            s.delete(slot)
            self._audit(s, "undo", q.id, undone=slot.action)
            return said

    # --- lock and verify -----------------------------------------------------------------------

    def lock_problems(self, year: int, number: int) -> list[str]:
        """What stands between the quarter and its lock (empty when it may be locked)."""
        with Session(self.engine) as s:
            return self._lock_problems(s, self._quarter(s, year, number))

    def _lock_problems(self, s: Session, q: Quarter) -> list[str]:
        if q.state == QuarterState.LOCKED:
            return [f"{quarter_name(q.year, q.number)}已锁定"]
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
            returned = len(list(s.exec(select(Ballot.id).where(Ballot.quarter_id == q.id, Ballot.round == c.round))))
            if returned > c.issued:
                head = f"第{c.round}轮：" if rounds > 1 else ""
                out.append(f"{head}{RETURNED_OVER_ISSUED}（发出{c.issued}张，收回{returned}张）；"
                           "请核对发出票数，或清除本轮测评票后重新测评")
        return out

    def lock(self, year: int, number: int) -> str:
        """Lock the quarter: confirm what stands, snapshot the members, write the chained digest.
        At the fourth quarter the year's results are written first, so the digest holds them."""
        from db.digest import canonical_quarter, digest_of

        with self._tx() as s:
            q = self._quarter(s, year, number)
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
            key = _ballot_key(s, q)
            _after_commit(s, lambda: _LAST_BALLOT.pop(key, None))
            s.flush()
            if number == 4:
                self._keep_year_result(s, year)
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
                return f"{quarter_name(year, 4)}已锁定，{year}年度的结果已随锁定记入数字摘要"
            if q.year == year + 1:
                return f"{quarter_name(q.year, q.number)}已锁定，它所依据的{year}年度结果不能再改"
        return ""

    def quarter_rows(self, year: int) -> list[tuple[Quarter, Meeting | None, Lock | None]]:
        """Each quarter of the year with its meeting and lock (the overview's table), in one session."""
        with Session(self.engine) as s:
            quarters = list(s.exec(select(Quarter).where(Quarter.year == year).order_by(col(Quarter.number))))
            ids = [q.id for q in quarters]
            meetings = {m.quarter_id: m for m in s.exec(select(Meeting).where(col(Meeting.quarter_id).in_(ids)))}
            locks = {lk.quarter_id: lk for lk in s.exec(select(Lock).where(col(Lock.quarter_id).in_(ids)))}
            return [(q, meetings.get(q.id), locks.get(q.id)) for q in quarters]

    def lock_of(self, year: int, number: int) -> Lock | None:
        with Session(self.engine) as s:
            q = self._quarter(s, year, number)
            return s.exec(select(Lock).where(Lock.quarter_id == q.id)).first()

    def verify(self, expect: str = "") -> list[str]:
        """Recompute every locked quarter's digest and the chain; one line per fault. `expect`
        is a digest (or its first 12+ characters) from a signed minute: some lock must carry it."""
        from db.digest import expected_digest, verify_chain

        with Session(self.engine) as s:
            return verify_chain(s, expected_digest(expect) if expect else "")

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
            label = quarter_label(q.year, q.number) if q else str(lock.quarter_id)
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
    are interchangeable). The content is this process's own (see "Ballot secrecy")."""
    key = _ballot_key(s, q)
    last = _LAST_BALLOT.get(key)
    if last is None or last[0] != p.get("ballot"):
        raise StoreError("上一张测评票是另一个控制台（或本控制台重新打开之前）录入的，这里不能撤销")
    _, rnd, marks, void = last
    b = s.exec(select(Ballot).where(Ballot.quarter_id == q.id, Ballot.round == rnd, Ballot.marks == marks,
                                    Ballot.void == void)).first()
    if b is not None:
        s.delete(b)
    engine = cast(Engine, s.get_bind())
    _after_commit(s, lambda: _LAST_BALLOT.pop(key, None))
    _after_commit(s, lambda: scrub_ballot_traces(engine))
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
    if p["before"] is None:
        s.delete(row)
    else:
        row.issued = p["before"]
        s.add(row)
    return "已撤销发出票数的修改"


def _undo_entry(s: Session, q: Quarter, p: dict[str, Any]) -> str:
    e = s.get(PointsEntry, p["entry"])
    if e is not None:
        s.delete(e)
    return "已撤销刚登记的积分事项"


_UNDO = {**RecordOps.UNDO, "roll_call_rest": _undo_roll_call_rest, "issued": _undo_issued, "entry": _undo_entry,
         "status": _undo_status, "vote": _undo_vote, "roll_call": _undo_roll_call, "ballot": _undo_ballot,
         "tally": _undo_tally, "facts": _undo_facts}
