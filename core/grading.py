"""Rank, grade and flags: the scheme's ordered rules applied to each member's figures."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.branch import HistoryRecord
from core.numbers import share_count, show

if TYPE_CHECKING:
    from core.scheme import Condition


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rules may ask about one member, with figures as reported (2 decimals)."""

    status: str
    vetoed: bool
    points: Decimal
    total: Decimal
    evaluation: Decimal | None
    rank: int
    ranked: int  # non-exempt members
    worst_rank: int
    list_deductions: int
    previous: HistoryRecord | None


def competition_ranks(totals: list[Decimal]) -> list[int]:
    """1, 2, 2, 4: a member's rank is one more than the number of higher totals."""
    order = sorted(totals, reverse=True)
    first: dict[Decimal, int] = {}
    for i, t in enumerate(order):
        first.setdefault(t, i + 1)
    return [first[t] for t in totals]


def holds(when: Condition, s: Standing) -> bool:
    if when.status is not None and s.status != when.status:
        return False
    if when.vetoed is not None and s.vetoed != when.vetoed:
        return False
    if when.total_min is not None and not s.total >= when.total_min:
        return False
    if when.total_below is not None and not s.total < when.total_below:
        return False
    if when.points_min is not None and not s.points >= when.points_min:
        return False
    if when.points_below is not None and not s.points < when.points_below:
        return False
    if when.evaluation_missing is not None and (s.evaluation is None) != when.evaluation_missing:
        return False
    if when.evaluation_min is not None and (s.evaluation is None or not s.evaluation >= when.evaluation_min):
        return False
    if when.evaluation_below is not None and (s.evaluation is None or not s.evaluation < when.evaluation_below):
        return False
    if when.top_share is not None and not s.rank <= share_count(when.top_share, s.ranked):
        return False
    if when.bottom_ranked is not None and (s.rank == s.worst_rank) != when.bottom_ranked:
        return False
    if when.list_deductions is not None and (s.list_deductions > 0) != when.list_deductions:
        return False
    if when.previous_year is not None:
        p, rec = when.previous_year, s.previous
        if rec is None:
            return False
        if p.bottom is not None and rec.bottom != p.bottom:
            return False
        if p.total_min is not None and (rec.total is None or not rec.total >= p.total_min):
            return False
        if p.total_below is not None and (rec.total is None or not rec.total < p.total_below):
            return False
    return True


def describe(when: Condition, s: Standing | None = None) -> str:
    """A condition in words: with a standing, in the member's own figures
    (总分83 ≥ 80); without, as the rule reads (总分≥80)."""
    def cmp(name: str, mine: Decimal | None, sign: str, bound: Decimal) -> str:
        return f"{name}{sign}{show(bound)}" if s is None else f"{name}{show(mine)} {sign} {show(bound)}"

    bits: list[str] = []
    if when.status:
        bits.append("正式党员" if when.status == "full" else "预备党员")
    if when.vetoed:
        bits.append("一票否决")
    for name, mine, lo, hi in (("总分", None if s is None else s.total, when.total_min, when.total_below),
                               ("积分", None if s is None else s.points, when.points_min, when.points_below),
                               ("评议分", None if s is None else s.evaluation, when.evaluation_min,
                                when.evaluation_below)):
        if lo is not None:
            bits.append(cmp(name, mine, "≥", lo))
        if hi is not None:
            bits.append(cmp(name, mine, "<", hi))
    if when.evaluation_missing:
        bits.append("尚无评议")
    if when.top_share is not None:
        share = f"{when.top_share.numerator}/{when.top_share.denominator}"
        if s is None:
            bits.append(f"排名在前{share}")
        else:
            bits.append(f"排名第{s.rank}，在前{share_count(when.top_share, s.ranked)}名内（{s.ranked}人的{share}）")
    if when.bottom_ranked:
        bits.append("排名末位" if s is None else f"排名第{s.rank}，为末位")
    if when.list_deductions is False:
        bits.append("无减分项")
    if when.list_deductions:
        bits.append("有减分项" if s is None else f"有减分项{s.list_deductions}项")
    if when.previous_year is not None:
        p = when.previous_year
        if s is None:
            prev = [f"总分<{show(p.total_below)}"] if p.total_below is not None else []
            prev += [f"总分≥{show(p.total_min)}"] if p.total_min is not None else []
            prev += ["排名末位"] if p.bottom else []
            bits.append("上年" + "且".join(prev))
        elif s.previous is not None:
            rec = s.previous
            text = f"上年（{rec.year}）" + (f"总分{show(rec.total)}" if rec.total is not None else "")
            bits.append(text + ("，排名末位" if rec.bottom else ""))
    return ("且" if s is None else "，").join(bits)
