"""The tables of appeals (申诉) and of the corrections (更正) they bring to a locked quarter.

Kept apart from db.tables so the year's-close work of other modules merges cleanly; they share
SQLModel's metadata all the same. An appeal's row follows it through answer and 复议 (its dates
and outcomes are filled in as they happen). An amendment never changes: it is a link of a chain
that starts at its quarter's lock digest, and the database refuses its update or deletion.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class Appeal(SQLModel, table=True):
    """申诉第N号: a member's appeal about a quarter's figures, its answer and any 复议."""

    __table_args__ = (sa.UniqueConstraint("branch_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    number: int  # 申诉第N号, from 1 per branch
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    filed_on: date = Field(sa_type=sa.Date)
    text: str = Field(sa_type=sa.Text)
    due_on: date | None = Field(default=None, sa_type=sa.Date)  # None: the scheme sets no deadline
    answered_on: date | None = Field(default=None, sa_type=sa.Date)
    upheld: bool | None = None
    answer_text: str = Field(default="", sa_type=sa.Text)
    review_on: date | None = Field(default=None, sa_type=sa.Date)  # 复议 applied for
    review_text: str = Field(default="", sa_type=sa.Text)
    review_due_on: date | None = Field(default=None, sa_type=sa.Date)
    review_answered_on: date | None = Field(default=None, sa_type=sa.Date)
    review_upheld: bool | None = None
    review_answer_text: str = Field(default="", sa_type=sa.Text)


class Amendment(SQLModel, table=True):
    """更正: what an upheld answer changed in a locked quarter. `changes` is a JSON list of
    {"entry": id, "withdrawn": true} or {"entry": id, "points": "3"} (with the entry's item and
    points before, for the record); digest = SHA-256(previous_digest + canonical)."""

    id: int | None = Field(default=None, primary_key=True)
    appeal_id: int = Field(foreign_key="appeal.id", index=True)
    quarter_id: int = Field(foreign_key="quarter.id", index=True)
    stage: str  # answer (the branch) | review (the body named by the scheme for 复议)
    body: str  # who decided: 党支部, 医院党委 …
    made_on: date = Field(sa_type=sa.Date)
    changes: str = Field(sa_type=sa.Text)
    canonical: str = Field(sa_type=sa.Text)
    digest: str
    previous_digest: str
