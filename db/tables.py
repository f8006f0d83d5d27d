"""The tables of a branch's database (SQLModel).

Points are stored as decimal text so that 0.5 stays 0.5 on every database. Rows that
belong to a quarter carry `quarter_id`, so that database triggers can refuse any change
to a locked quarter. Ballots carry a random id, no timestamp and nothing about who cast
them; the table has no rowid, so even storage order does not follow the order of entry.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Times are the meeting's local wall-clock times, stored as written (no time zone).


class DecimalText(TypeDecorator):
    """A Decimal kept as its exact text."""

    impl = sa.String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else format(Decimal(value), "f")

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class _Row(Protocol):
    id: int | None


def saved_id(row: _Row) -> int:
    """The id of a row the database has stored (read back, or flushed): never None then."""
    assert row.id is not None, "a row not yet flushed"
    return row.id


def _decimal(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=DecimalText, nullable=nullable)


class Branch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    created_at: datetime = Field(sa_type=sa.DateTime)
    # Whom a member reads a publicity notice's questions to (联系人, 联系电话); "" when not given.
    # Not part of a lock's content: a new secretary changes it after a quarter is locked.
    contact_name: str = Field(default="", sa_column_kwargs={"server_default": ""})
    contact_phone: str = Field(default="", sa_column_kwargs={"server_default": ""})


class SchemeYear(SQLModel, table=True):
    """The scheme text in force for a year: a locked quarter is always rescored by these rules."""

    __tablename__ = "scheme_year"
    __table_args__ = (sa.UniqueConstraint("branch_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    year: int
    scheme_id: str
    text: str = Field(sa_type=sa.Text)
    sha256: str


class Member(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("branch_id", "name", "birth_month"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    seq: int  # 序号: the order on the roster and the forms
    name: str
    gender: str = ""  # 男 / 女
    birth_month: str = ""  # YYYY-MM
    post: str = ""  # 职务
    status: str = "full"  # full | probationary
    status_since: str = ""  # date of joining as probationary or of 转正, YYYY-MM-DD
    exempt: bool = False  # 免于积分管理
    exempt_reason: str = ""
    meeting_exempt: bool = False  # excused from the meeting by the committee: not counted as should-attend
    suspended_from: str = ""  # 留党察看 from, YYYY-MM-DD
    suspended_until: str = ""
    left: bool = False  # 转出 etc.: kept for the record, no longer on the roster


class Quarter(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("branch_id", "year", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    year: int
    number: int  # 1-4
    state: str = "open"  # a core.quarter.QuarterState, kept as its text: open | meeting | locked


class PointsEntry(SQLModel, table=True):
    """积分事项: one bonus, deduction, category score or veto of one member."""

    __tablename__ = "entry"
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    month: int | None = None
    kind: str  # bonus | deduction | score | veto
    item_code: str | None = None
    level: str | None = None
    category: str | None = None
    points: Decimal | None = _decimal()
    note: str = ""
    evidence: str = ""
    status: str = "申报"  # a core.quarter.EntryStatus, kept as its text
    entered_at: datetime = Field(sa_type=sa.DateTime)
    entered_by: str = ""


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", unique=True)
    held_at: datetime = Field(sa_type=sa.DateTime)
    place: str = ""
    host: str = ""  # 主持人
    recorder: str = ""  # 记录人
    observers: str = ""  # 列席, one per line
    agenda: str = ""  # 议题, one per line
    ended_at: datetime | None = Field(default=None, sa_type=sa.DateTime)  # 散会: set at the end or the lock


class RollCall(SQLModel, table=True):
    __tablename__ = "roll_call"
    __table_args__ = (sa.UniqueConstraint("quarter_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    present: bool
    reason: str = ""  # 病假 事假 公差 其他
    opinion: str = ""  # written opinion of an absent member


class Vote(SQLModel, table=True):
    """A vote on a contested entry. `expected` is the voting members who should attend
    (应到会有表决权的党员), the denominator of the pass rule."""

    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    entry_id: int = Field(foreign_key="entry.id", unique=True)
    yes: int
    no: int
    abstain: int
    written_yes: int = 0  # absent members' written opinions, counted when the meeting so decides
    written_no: int = 0
    written_abstain: int = 0
    expected: int
    present: int
    passed: bool
    rule: str = ""
    method: str = "举手"  # 举手 | 无记名投票: how the vote was taken, for the minute


class Ballot(SQLModel, table=True):
    """One anonymous evaluation ballot: random id, marks as {member id: rating} or blank.

    No rowid, no time, nothing naming a person; the order of entry is kept out of the files by
    the store, not by this table alone: every ballot's transaction writes its quarter's ballots
    again in key order, the WAL is emptied after it, freed bytes are zeroed, and undo goes by
    content (db/secrecy.py)."""

    __table_args__ = ({"sqlite_with_rowid": False},)
    id: str = Field(primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    round: int
    marks: str = Field(sa_type=sa.Text)  # JSON; "{}" is a blank ballot or a void one
    void: str = ""  # why the ballot is void (returned, not counted); "" for a valid ballot


class Objection(SQLModel, table=True):
    """异议: who raised an objection to an entry and why. Withdrawn ones are kept for the minute."""

    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    raised_by: str
    reason: str
    withdrawn: bool = False


class AgendaNote(SQLModel, table=True):
    """What the recorder writes under an agenda item: 发言 (speaker and points), 不同意见
    (a differing opinion and whose), or the item's 决议 (one per item, speaker empty)."""

    __tablename__ = "agenda_note"
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    item: int  # the agenda line, from 1
    kind: str  # speech | dissent | resolution
    speaker: str = ""
    text: str = Field(sa_type=sa.Text)


class Tally(SQLModel, table=True):
    """Rating counts entered directly (an alternative to ballot-by-ballot entry)."""

    __table_args__ = (sa.UniqueConstraint("quarter_id", "round", "member_id", "rating"),)
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    round: int
    member_id: int = Field(foreign_key="member.id")
    rating: str
    count: int


class BallotCount(SQLModel, table=True):
    """How many ballots were issued for a round (发出); returned and valid are counted."""

    __tablename__ = "ballot_count"
    __table_args__ = (sa.UniqueConstraint("quarter_id", "round"),)
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id")
    round: int
    issued: int  # paper ballots; the round's codes are counted from ballot_code
    salt: str = ""  # hex; the round's codes are kept as SHA-256(salt + code)
    closed: bool = False  # no more ballots; the round's results may be shown


class BallotCode(SQLModel, table=True):
    """A one-time code for a phone ballot, as its salted hash: spent or not, nothing else. No
    time, no order (the rows lie in hash order), no link to the ballot it brought in."""

    __tablename__ = "ballot_code"
    __table_args__ = ({"sqlite_with_rowid": False},)
    hash: str = Field(primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    round: int
    spent: bool = False


class QuarterMember(SQLModel, table=True):
    """A member as they were when the quarter was locked (the digest covers this)."""

    __tablename__ = "quarter_member"
    __table_args__ = (sa.UniqueConstraint("quarter_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    facts: str = Field(sa_type=sa.Text)  # JSON of the member's row


class Lock(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", unique=True)
    locked_at: datetime = Field(sa_type=sa.DateTime)
    digest: str
    previous_digest: str = ""
    canonical: str = Field(sa_type=sa.Text)


class PastResult(SQLModel, table=True):
    """A member's result for an earlier year, for the rules that look at two years."""

    __tablename__ = "past_result"
    __table_args__ = (sa.UniqueConstraint("member_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    year: int
    total: Decimal | None = _decimal()
    bottom: bool = False


class UndoSlot(SQLModel, table=True):
    """The last meeting action of a quarter and how to take it back (one level)."""

    __tablename__ = "undo_slot"
    quarter_id: int = Field(foreign_key="quarter.id", primary_key=True)
    action: str
    payload: str = Field(sa_type=sa.Text)


class AuditLog(SQLModel, table=True):
    """Append-only record of every operation; triggers refuse updates and deletes."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=sa.DateTime)
    actor: str = ""
    action: str
    quarter_id: int | None = None
    detail: str = Field(default="", sa_type=sa.Text)


class GradeDecision(SQLModel, table=True):
    """年度定级 at the year's last meeting: a grade the meeting decided differently from the
    engine's proposal, with its reason (a scheme without grades has one for every member).
    Part of the fourth quarter: refused once it is locked, and covered by its digest."""

    __tablename__ = "grade_decision"
    __table_args__ = (sa.UniqueConstraint("quarter_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    grade: str
    reason: str = Field(sa_type=sa.Text)


class GradeApproval(SQLModel, table=True):
    """The 党委's 批复 of a year's grades, after the fourth quarter's lock. `changes` is JSON
    {member id: grade} for members whose grade the 党委 decided differently (the 批复 is the
    reason). Append-only; its digest is SHA-256 of the Q4 lock's digest and `canonical`."""

    __tablename__ = "grade_approval"
    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True)
    approved_on: date = Field(sa_type=sa.Date)
    text: str = Field(sa_type=sa.Text)
    changes: str = Field(default="{}", sa_type=sa.Text)
    recorded_at: datetime = Field(sa_type=sa.DateTime)
    previous_digest: str
    digest: str
    canonical: str = Field(sa_type=sa.Text)
