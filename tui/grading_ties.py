"""When a tie at the grading's share is news. The engine flags every tie that straddles a share
(tie_at_limit) whatever the date; early in a year everyone may still be level at the base, and
the whole roster "并列待定" would be noise. The grading is decided at the year's last meeting, so
the console and `jifen grade list` raise ties from the Q4 meeting on, and before it say once, in
a plain line, that ties are left to that meeting. The engine's flags are not changed."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from core.quarter import QuarterState

if TYPE_CHECKING:
    from db.grading import YearGrades

TIE_FLAG = "tie_at_limit"
# Said instead of the tied names before the grading is due.
TIES_LATER = "年内总分并列不作处理：第四季度党员大会定级时，并列跨过名额的由党员大会决定"


def grading_due(q4_state: str) -> bool:
    """Whether the year's grading is under way (its Q4 meeting has begun) or done (Q4 locked)."""
    return q4_state in (QuarterState.MEETING, QuarterState.LOCKED)


def ties_shown(g: YearGrades) -> YearGrades:
    """The grading as shown: before the Q4 meeting, without its tie marks (rows and cap line)."""
    if grading_due(g.q4) or not g.ties:
        return g
    return replace(g, rows=tuple(replace(r, tie=False) for r in g.rows))


def ties_later(g: YearGrades) -> str:
    """The plain line said in place of the ties before the grading is due, or ''."""
    return TIES_LATER if g.ties and not grading_due(g.q4) else ""
