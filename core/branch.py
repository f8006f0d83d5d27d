"""A branch-year as the engine sees it: members, entries, ratings and history.

These are plain frozen records; the store and `jifen compute` both build them,
and the engine reads nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Literal, TypeGuard

from pydantic import ConfigDict, Field

Status = Literal["full", "probationary"]
Kind = Literal["bonus", "deduction", "score", "veto"]
KINDS: tuple[str, ...] = ("bonus", "deduction", "score", "veto")


def is_kind(kind: str) -> TypeGuard[Kind]:
    return kind in KINDS


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str = ""
    status: Status = "full"
    exempt: bool = False


@dataclass(slots=True)
class Entry:
    """One points item of one member.

    The field constraints are the domain's (a quarter is 1-4, points are never negative);
    `jifen compute` has pydantic build entries straight from JSON with them, because a
    branch-year may hold tens of thousands. `quarter` is filled from `month` when only
    the month is known (see `settle_quarter`)."""

    __pydantic_config__ = ConfigDict(extra="forbid", strict=True)

    member: str
    kind: Kind
    quarter: Annotated[int, Field(ge=1, le=4)] | None = None
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    points: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] | None = None
    category: str | None = None
    item: str | None = None
    level: str | None = None
    note: str = ""
    ref: str = ""  # the caller's name for this entry (a row id), shown in reasons

    @staticmethod
    def quarter_of(month: int) -> int:
        return (month - 1) // 3 + 1

    def settle_quarter(self) -> bool:
        """Fill the quarter from the month; False when neither or both were given."""
        if self.month is None:
            return self.quarter is not None
        if self.quarter is not None:
            return False
        self.quarter = (self.month - 1) // 3 + 1
        return True


@dataclass(frozen=True, slots=True)
class Ratings:
    """One round's rating counts for one member: label -> number of ballots."""

    member: str
    round: int
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    member: str
    year: int
    total: Decimal | None = None
    bottom: bool = False


@dataclass(frozen=True, slots=True)
class BranchYear:
    year: int
    members: tuple[Member, ...]
    entries: tuple[Entry, ...] = ()
    evaluations: tuple[Ratings, ...] = ()
    history: tuple[HistoryRecord, ...] = field(default=())
