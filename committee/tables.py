"""The committee database's tables, on a MetaData of their own.

The committee's tables are declared on their own SQLModel registry, not SQLModel's shared
MetaData that db.tables fills: a committee database never holds a branch table and a branch
database never a committee one, whatever either side creates.

The schema is created whole with a version row (`committee_schema`), not with Alembic: the
branch databases' Alembic history (db/migrations, db.engine.SCHEMA_REVISIONS) is one linear chain
that every branch database follows, and mixing a second set of tables into it would have every
branch laptop create committee tables (or need branch labels). The committee's schema is small
and new; when it changes, an upgrade step keyed on the version row goes beside `create_schema`.
A database whose version row is newer than this program's is refused, as db.engine refuses a
branch database from a newer jifen. db.engine refuses to open a committee database as a branch
one by the same table name (COMMITTEE_MARK).

What is kept is what the bundles brought, as text under its digests: each branch (its name and
its chain's first digest are its identity), its locks in chain order, corrections, approvals,
schemes, each imported bundle's SHA-256, and the PDFs' bytes so the committee can hand out a
minute later. The unique constraints are the last guard against two importers racing: one lock
per (branch, quarter) and per (branch, position in the chain).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from db.engine import COMMITTEE_MARK

SCHEMA_VERSION = 2  # 2: committee_expected (the branches expected to report)


class CommitteeModel(SQLModel, registry=registry()):
    """The base of the committee's tables: their own MetaData (CommitteeModel.metadata)."""


class CommitteeSchema(CommitteeModel, table=True):
    __tablename__ = COMMITTEE_MARK

    id: int | None = Field(default=None, primary_key=True)
    version: int
    created_at: datetime = Field(sa_type=sa.DateTime)


class CommitteeBranch(CommitteeModel, table=True):
    __tablename__ = "committee_branch"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    first_digest: str  # the chain's first lock: with the name, which branch this is
    last_quarter: str  # "2026Q3"
    last_digest: str


class CommitteeExpected(CommitteeModel, table=True):
    """A branch the committee expects reports from (`jifen committee branches --add`), so a branch
    that has never reported is named as 未报送 too; a branch that has reported is known anyway."""

    __tablename__ = "committee_expected"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    added_at: datetime = Field(sa_type=sa.DateTime)


class CommitteeLock(CommitteeModel, table=True):
    __tablename__ = "committee_lock"
    __table_args__ = (sa.UniqueConstraint("branch_id", "quarter"), sa.UniqueConstraint("branch_id", "position"))

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="committee_branch.id", index=True)
    position: int  # 0 for the branch's first lock
    quarter: str
    year: int
    number: int
    locked_at: str
    digest: str
    previous_digest: str
    canonical: str = Field(sa_type=sa.Text)


class CommitteeAmendment(CommitteeModel, table=True):
    __tablename__ = "committee_amendment"
    __table_args__ = (sa.UniqueConstraint("branch_id", "digest"), sa.UniqueConstraint("branch_id", "position"))

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="committee_branch.id", index=True)
    position: int  # the order the branch made its corrections in
    quarter: str
    digest: str
    previous_digest: str
    canonical: str = Field(sa_type=sa.Text)


class CommitteeApproval(CommitteeModel, table=True):
    __tablename__ = "committee_approval"
    __table_args__ = (sa.UniqueConstraint("branch_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="committee_branch.id", index=True)
    year: int
    digest: str
    previous_digest: str
    canonical: str = Field(sa_type=sa.Text)


class CommitteeScheme(CommitteeModel, table=True):
    __tablename__ = "committee_scheme"
    __table_args__ = (sa.UniqueConstraint("branch_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="committee_branch.id", index=True)
    year: int
    scheme_id: str
    text: str = Field(sa_type=sa.Text)


class CommitteeBundle(CommitteeModel, table=True):
    """The bundle file that brought a quarter (the first one, when the same came again)."""

    __tablename__ = "committee_bundle"
    __table_args__ = (sa.UniqueConstraint("branch_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="committee_branch.id", index=True)
    quarter: str
    digest: str  # the quarter's lock digest
    file_sha256: str
    file_name: str
    format: int
    extra: str = Field(default="{}", sa_type=sa.Text)  # BranchRecords.extra as JSON
    appeals: str = Field(default="[]", sa_type=sa.Text)  # the branch's appeals as it stated them then (JSON)
    imported_at: datetime = Field(sa_type=sa.DateTime)


class CommitteeDocument(CommitteeModel, table=True):
    __tablename__ = "committee_document"
    __table_args__ = (sa.UniqueConstraint("bundle_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    bundle_id: int = Field(foreign_key="committee_bundle.id", index=True)
    name: str  # minute.pdf, publicity.pdf
    sha256: str
    content: bytes = Field(sa_type=sa.LargeBinary)


METADATA = CommitteeModel.metadata
