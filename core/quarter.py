"""A quarter by one value, its states, and the states of a points entry.

The enums are `str` subclasses whose values are the very strings the database stores and
the screens show (no migration): a member compares equal to its text, and `str()` and
f-strings give that text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class _Text(str, Enum):
    """An enum whose members are their text (str.__str__/__format__, on every Python >= 3.10)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class QuarterState(_Text):
    """Where a quarter stands: before its meeting, during it, locked after it."""

    OPEN = "open"
    MEETING = "meeting"
    LOCKED = "locked"


class EntryStatus(_Text):
    """Where a points entry stands."""

    DECLARED = "申报"  # entered, not yet confirmed at the meeting
    CONFIRMED = "已确认"
    CONTESTED = "有异议"  # an objection stands: it goes to a vote
    PASSED = "表决通过"
    REJECTED = "表决未通过"
    WITHDRAWN = "撤回"


# The entries that count towards the figures: defined here once.
COUNTED: tuple[EntryStatus, ...] = (EntryStatus.DECLARED, EntryStatus.CONFIRMED, EntryStatus.PASSED)
# What the meeting has settled: a draft document counts only these (a lock confirms what is
# still declared, so a locked quarter has nothing else that counts).
SETTLED: tuple[EntryStatus, ...] = (EntryStatus.CONFIRMED, EntryStatus.PASSED)

_NUMERALS = "一二三四"


@dataclass(frozen=True, order=True)
class QuarterRef:
    """One quarter of one year, e.g. QuarterRef(2026, 3)."""

    year: int
    number: int

    @property
    def label(self) -> str:
        """2026Q3."""
        return f"{self.year}Q{self.number}"

    @property
    def name(self) -> str:
        """2026年第三季度, as the screens and the minutes say it."""
        return f"{self.year}年第{_NUMERALS[self.number - 1]}季度"

    @classmethod
    def parse(cls, label: str) -> QuarterRef:
        """'2026Q3' (any case, spaces around) -> QuarterRef(2026, 3); ValueError otherwise."""
        text = label.strip().upper()
        if len(text) == 6 and text[4] == "Q" and text[:4].isdigit() and text[5] in "1234":
            return cls(int(text[:4]), int(text[5]))
        raise ValueError(f"not a quarter label: {label!r}")

    def __str__(self) -> str:
        return self.label
