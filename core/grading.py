"""Rank, grade and flags: the scheme's ordered rules applied to each member's figures."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from core.branch import HistoryRecord
from core.numbers import share_count, show

if TYPE_CHECKING:
    from core.scheme import Condition


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rules may ask about one member, with figures as reported (2 decimals).
    A total is None only under a monthly scheme before any month is scored."""

    status: str
    vetoed: bool
    points: Decimal | None
    total: Decimal | None
    evaluation: Decimal | None
    rank: int | None
    ranked: int  # members with a rank
    worst_rank: int
    list_deductions: int
    previous: HistoryRecord | None
    full_totals: tuple[Decimal, ...] = ()  # totals of the ranked full members, ascending
    grade: str | None = None  # the grade the rules gave (flag rules may ask)

    @property
    def bottom(self) -> bool:
        """Bottom ranked: the worst rank, and someone ranks better (one member alone, or
        everyone tied, is not at the bottom)."""
        return self.rank is not None and self.rank == self.worst_rank and self.rank > 1


def competition_ranks(totals: list[Decimal]) -> list[int]:
    """1, 2, 2, 4: a member's rank is one more than the number of higher totals."""
    order = sorted(totals, reverse=True)
    first: dict[Decimal, int] = {}
    for i, t in enumerate(order):
        first.setdefault(t, i + 1)
    return [first[t] for t in totals]


@dataclass(frozen=True, slots=True)
class SharePlace:
    places: int  # k = max(1, floor(share x full members))
    higher: int  # full members with a strictly higher total
    tied: int  # full members with the same total, this one included
    inside: bool
    straddles: bool  # the tied group reaches past the places: the meeting decides


def share_place(share: Fraction, s: Standing) -> SharePlace:
    """Where a member stands against a top share counted among full members only. A member
    is inside when the full members above, plus those tied with it, fit in the places; a tied
    group that straddles the limit is left outside (so the share is never exceeded)."""
    k = share_count(share, len(s.full_totals))
    if s.status != "full" or s.total is None:
        return SharePlace(k, 0, 0, False, False)
    lo, hi = bisect_left(s.full_totals, s.total), bisect_right(s.full_totals, s.total)
    higher, tied = len(s.full_totals) - hi, hi - lo
    return SharePlace(k, higher, tied, higher + tied <= k, higher < k < higher + tied)


def _ge(v: Decimal | None, bound: Decimal) -> bool:
    return v is not None and v >= bound


def _le(v: Decimal | None, bound: Decimal) -> bool:
    return v is not None and v <= bound


def _lt(v: Decimal | None, bound: Decimal) -> bool:
    return v is not None and v < bound


def holds(when: Condition, s: Standing) -> bool:
    if when.status is not None and s.status != when.status:
        return False
    if when.vetoed is not None and s.vetoed != when.vetoed:
        return False
    for v, lo, hi, below in ((s.total, when.total_min, when.total_max, when.total_below),
                             (s.points, when.points_min, when.points_max, when.points_below),
                             (s.evaluation, when.evaluation_min, when.evaluation_max, when.evaluation_below)):
        if lo is not None and not _ge(v, lo):
            return False
        if hi is not None and not _le(v, hi):
            return False
        if below is not None and not _lt(v, below):
            return False
    if when.evaluation_missing is not None and (s.evaluation is None) != when.evaluation_missing:
        return False
    if when.top_share is not None and not share_place(when.top_share, s).inside:
        return False
    if when.bottom_ranked is not None and s.bottom != when.bottom_ranked:
        return False
    if when.list_deductions is not None and (s.list_deductions > 0) != when.list_deductions:
        return False
    if when.grade is not None and s.grade not in when.grade:
        return False
    if when.previous_year is not None:
        p, rec = when.previous_year, s.previous
        if rec is None:
            return False
        if p.bottom is not None and rec.bottom != p.bottom:
            return False
        if p.total_min is not None and not _ge(rec.total, p.total_min):
            return False
        if p.total_max is not None and not _le(rec.total, p.total_max):
            return False
        if p.total_below is not None and not _lt(rec.total, p.total_below):
            return False
    return True


def tie_decides(when: Condition, s: Standing) -> SharePlace | None:
    """The share's place when a tied group straddling the top share is all that stops the
    condition from holding: the meeting decides among the tied (flag tie_at_limit)."""
    if when.top_share is None:
        return None
    place = share_place(when.top_share, s)
    if not place.straddles or not holds(when.model_copy(update={"top_share": None}), s):
        return None
    return place


def _share_text(share: Fraction) -> str:
    if 100 % share.denominator == 0 and share.denominator not in (1, 2):  # 1/5 reads 20%, as the seeds write it
        return f"{share.numerator * 100 // share.denominator}%"
    return f"{share.numerator}/{share.denominator}"


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
    elif when.vetoed is False:
        bits.append("无一票否决")
    for name, mine, lo, hi, below in (
            ("总分", None if s is None else s.total, when.total_min, when.total_max, when.total_below),
            ("积分", None if s is None else s.points, when.points_min, when.points_max, when.points_below),
            ("评议分", None if s is None else s.evaluation, when.evaluation_min, when.evaluation_max,
             when.evaluation_below)):
        if lo is not None:
            bits.append(cmp(name, mine, "≥", lo))
        if hi is not None:
            bits.append(cmp(name, mine, "≤", hi))
        if below is not None:
            bits.append(cmp(name, mine, "<", below))
    if when.evaluation_missing:
        bits.append("尚无评议")
    if when.top_share is not None:
        share = _share_text(when.top_share)
        if s is None:
            bits.append(f"在正式党员中排名前{share}")
        else:
            p = share_place(when.top_share, s)
            # the share counts full members only: say where the member stands among them
            bits.append(f"在正式党员{len(s.full_totals)}人中排第{p.higher + 1}名，在前{share}（{p.places}名）内")
    if when.bottom_ranked:
        bits.append("排名末位" if s is None else f"排名第{s.rank}，为末位")
    if when.list_deductions is False:
        bits.append("无减分项")
    if when.list_deductions:
        bits.append("有减分项" if s is None else f"有减分项{s.list_deductions}项")
    if when.grade is not None:
        bits.append("等次为" + "或".join(when.grade))
    if when.previous_year is not None:
        p_ = when.previous_year
        if s is None:
            prev = [f"总分<{show(p_.total_below)}"] if p_.total_below is not None else []
            prev += [f"总分≥{show(p_.total_min)}"] if p_.total_min is not None else []
            prev += [f"总分≤{show(p_.total_max)}"] if p_.total_max is not None else []
            prev += ["排名末位"] if p_.bottom else []
            bits.append("上年" + "且".join(prev))
        elif s.previous is not None:
            rec = s.previous
            text = f"上年（{rec.year}）" + (f"总分{show(rec.total)}" if rec.total is not None else "")
            bits.append(text + ("，排名末位" if rec.bottom else ""))
    return ("且" if s is None else "，").join(bits)
