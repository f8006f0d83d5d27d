"""A branch-year as the engine sees it: members, entries, ratings and history.

These are plain frozen records; the store and `jifen compute` both build them,
and the engine reads nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Status = Literal["full", "probationary"]
Kind = Literal["bonus", "deduction", "score", "veto"]
KINDS: tuple[str, ...] = ("bonus", "deduction", "score", "veto")


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str = ""
    status: Status = "full"
    exempt: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    member: str
    kind: Kind
    quarter: int
    month: int | None = None
    points: Decimal | None = None
    category: str | None = None
    item: str | None = None
    level: str | None = None
    note: str = ""
    ref: str = ""  # the caller's name for this entry (a row id), shown in reasons

    @staticmethod
    def quarter_of(month: int) -> int:
        return (month - 1) // 3 + 1


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
