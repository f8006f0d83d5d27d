"""Rank, grade and flags: the scheme's ordered rules applied to each member's figures."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.branch import HistoryRecord
from core.numbers import share_count, show
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


def describe(when: Condition, s: Standing) -> str:
    """The facts a condition looked at, in the member's own figures."""
    bits: list[str] = []
    if when.vetoed:
        bits.append("一票否决")
    if when.total_min is not None:
        bits.append(f"总分{show(s.total)} ≥ {show(when.total_min)}")
    if when.total_below is not None:
        bits.append(f"总分{show(s.total)} < {show(when.total_below)}")
    if when.points_min is not None:
        bits.append(f"积分{show(s.points)} ≥ {show(when.points_min)}")
    if when.points_below is not None:
        bits.append(f"积分{show(s.points)} < {show(when.points_below)}")
    if when.evaluation_missing:
        bits.append("尚无评议")
    if when.evaluation_min is not None:
        bits.append(f"评议分{show(s.evaluation)} ≥ {show(when.evaluation_min)}")
    if when.evaluation_below is not None:
        bits.append(f"评议分{show(s.evaluation)} < {show(when.evaluation_below)}")
    if when.top_share is not None:
        n = share_count(when.top_share, s.ranked)
        bits.append(f"排名第{s.rank}，在前{n}名内（{s.ranked}人的{when.top_share.numerator}/{when.top_share.denominator}）")
    if when.bottom_ranked:
        bits.append(f"排名第{s.rank}，为末位")
    if when.list_deductions is False:
        bits.append("无减分项")
    if when.list_deductions is True:
        bits.append(f"有减分项{s.list_deductions}项")
    if when.previous_year is not None and s.previous is not None:
        prev = s.previous
        text = f"上年（{prev.year}）"
        if prev.total is not None:
            text += f"总分{show(prev.total)}"
        if prev.bottom:
            text += "，排名末位"
        bits.append(text)
    return "，".join(bits)
