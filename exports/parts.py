"""How the forms show a member's figures (core.figures.Parts).

Most schemes add and take away: 基础分, 加分 and 减分 columns. A monthly scheme (xingping) scores
its categories each month and adds a capped bonus; its seed has no deductions, and the engine's
`Parts.deduction` there is what the categories did not earn (full marks less the score), which a
form must not print as 扣分. Its forms show the categories' score and the bonus instead.
"""

from __future__ import annotations

from decimal import Decimal

from core.figures import Parts
from core.scheme import Scheme

# The monthly categories' score (the month's full marks less the bonus category).
EARNED = "基础项得分"


def monthly(scheme: Scheme) -> bool:
    return scheme.points.method == "monthly"


def part_headings(scheme: Scheme) -> list[str]:
    if monthly(scheme):
        return [EARNED, scheme.bonus.label]
    return ["基础分", scheme.bonus.label, scheme.deduction.label]


def part_values(scheme: Scheme, p: Parts) -> list[Decimal | None]:
    if monthly(scheme):
        earned = None if p.base is None or p.deduction is None else p.base - p.deduction
        return [earned, p.bonus]
    return [p.base, p.bonus, p.deduction]
