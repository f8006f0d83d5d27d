"""Quarter figures and the year's points of one member, by the scheme's method.

Both methods report, for each quarter, the parts a publicity form shows
(基础分 / 加分 / 减分) and the figure itself, with reasons that cite the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.branch import Entry
from core.numbers import ZERO, mean, show

if TYPE_CHECKING:
    from core.scheme import Scheme


@dataclass(frozen=True, slots=True)
class Parts:
    """One quarter (or the year) as a form shows it: figure = max(floor, base + bonus - deduction)."""

    base: Decimal
    bonus: Decimal
    deduction: Decimal
    figure: Decimal


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a figure is what it is: `topic` names the figure, `clause` the rule it rests on."""

    topic: str
    text: str
    clause: str = ""


@dataclass(frozen=True, slots=True)
class PointsResult:
    quarters: tuple[Parts, ...]  # the four quarters
    year: Parts
    veto_quarter: int | None
    list_deductions: int  # how many uncategorised deductions the year holds
    reasons: tuple[Reason, ...]


def _category_of(scheme: Scheme, e: Entry) -> str | None:
    if e.category is not None:
        return e.category
    if e.item is not None:
        item = scheme.item(e.item)
        if item is not None:
            return item.category
    return None


def _quarter(e: Entry) -> int:
    """A checked entry's quarter: the checks settle it from the month where only that is given."""
    assert e.quarter is not None, "an entry without its quarter"
    return e.quarter


def _veto_quarter(entries: list[Entry]) -> Entry | None:
    vetoes = [e for e in entries if e.kind == "veto"]
    return min(vetoes, key=_quarter) if vetoes else None


def figure_points(scheme: Scheme, entries: list[Entry], explain: bool = True) -> PointsResult:
    if scheme.points.method == "monthly":
        return _monthly(scheme, entries, explain)
    return _cumulative(scheme, entries, explain)


def _vetoed(scheme: Scheme, quarters: list[Parts], veto: Entry | None,
            explain: bool) -> tuple[list[Parts], list[Reason]]:
    if veto is None:
        return quarters, []
    vq = _quarter(veto)
    out = [
        q if i + 1 < vq else Parts(q.base, q.bonus, q.deduction, ZERO)
        for i, q in enumerate(quarters)
    ]
    if not explain:
        return out, []
    item = scheme.item(veto.item) if veto.item else None
    what = veto.note or (item.label if item else "一票否决事项")
    clause = f"{item.clause}；{scheme.veto.clause}" if item else scheme.veto.clause
    text = f"第{veto.quarter}季度{scheme.veto.label}（{what}）：自该季度起季度积分为0，年度积分为0"
    return out, [Reason("veto", text, clause)]


def _cumulative(scheme: Scheme, entries: list[Entry], explain: bool) -> PointsResult:
    """Base + bonus - deduction, year to date at each quarter's end (动态计算)."""
    cats = {c.name: c.max for c in scheme.categories}
    full = scheme.base
    cap = scheme.bonus.cap
    floor = scheme.points.floor
    # Increments by quarter, then running sums.
    bonus_q = [ZERO, ZERO, ZERO, ZERO]
    list_q = [ZERO, ZERO, ZERO, ZERO]
    cat_q: list[dict[str, Decimal]] = [{}, {}, {}, {}]
    n_list = 0
    veto: Entry | None = None
    veto_q = 0
    for e in entries:
        kind, qi, pts = e.kind, _quarter(e) - 1, e.points
        if kind == "bonus":
            assert pts is not None, "a bonus without points"  # the checks require them
            bonus_q[qi] += pts
        elif kind == "deduction":
            assert pts is not None, "a deduction without points"
            cat = _category_of(scheme, e) if cats else None
            if cat in cats:
                d = cat_q[qi]
                d[cat] = d.get(cat, ZERO) + pts
            else:
                list_q[qi] += pts
                n_list += 1
        elif kind == "veto" and (veto is None or qi + 1 < veto_q):
            veto, veto_q = e, qi + 1
    quarters: list[Parts] = []
    reasons: list[Reason] = []
    bonus_sum = list_sum = ZERO
    cat_sum: dict[str, Decimal] = {}
    for qi in range(4):
        bonus_sum += bonus_q[qi]
        list_sum += list_q[qi]
        for name, v in cat_q[qi].items():
            cat_sum[name] = cat_sum.get(name, ZERO) + v
        lost = sum([min(v, cats[name]) for name, v in cat_sum.items()], ZERO) if cat_sum else ZERO
        counted = bonus_sum if cap is None or bonus_sum <= cap else cap
        raw = full - lost + counted - list_sum
        fig = raw if floor is None or raw >= floor else floor
        quarters.append(Parts(full, counted, lost + list_sum, fig))
        if explain:
            text = _cumulative_text(scheme, full, cat_sum, cats, bonus_sum, counted, list_sum, raw, fig)
            reasons.append(Reason(f"quarter:{qi + 1}", f"截至第{qi + 1}季度末：{text}", scheme.points.clause))
    quarters, veto_reasons = _vetoed(scheme, quarters, veto, explain)
    if explain:
        reasons.append(Reason("points", "全年" + reasons[3].text.split("：", 1)[1], scheme.points.clause))
        if cap is not None and bonus_sum > cap:
            reasons.append(Reason("bonus",
                                  f"{scheme.bonus.label}合计{show(bonus_sum)}，超过上限{show(cap)}，按{show(cap)}计",
                                  scheme.bonus.clause))
        for name, v in cat_sum.items():
            if v > cats[name]:
                reasons.append(Reason("category", f"“{name}”扣{show(v)}分，超过该项{show(cats[name])}分，该项计0分",
                                      scheme.deduction.clause))
        reasons.extend(veto_reasons)
    return PointsResult(tuple(quarters), quarters[3], veto.quarter if veto else None, n_list, tuple(reasons))


def _cumulative_text(scheme: Scheme, full: Decimal, cat_sum: dict[str, Decimal], cats: dict[str, Decimal],
                     bonus_sum: Decimal, counted: Decimal, list_sum: Decimal, raw: Decimal, fig: Decimal) -> str:
    base = f"基础分{show(full)}"
    lost = {n: min(v, cats[n]) for n, v in cat_sum.items() if v}
    if lost:
        base += ("（" + "，".join(f"{n}扣{show(v)}" for n, v in lost.items())
                 + f"，计{show(full - sum(lost.values(), ZERO))}）")
    bonus = f"{scheme.bonus.label}{show(counted)}"
    if counted != bonus_sum:
        bonus += f"（合计{show(bonus_sum)}，上限{show(counted)}）"
    text = f"{base} + {bonus} − {scheme.deduction.label}{show(list_sum)} = {show(raw)}"
    if fig != raw:
        text += f"，低于{show(fig)}分按{show(fig)}分计"
    return text


def _monthly(scheme: Scheme, entries: list[Entry], explain: bool) -> PointsResult:
    """A sheet per month: categories start at full marks, a score entry replaces a category's
    score, a category deduction lowers it (not below 0), the bonus category sums that month's
    bonuses up to its cap. Quarter = mean of its months; year = mean of the quarters."""
    cats = {c.name: c.max for c in scheme.categories}
    base_full = scheme.base
    bonus_cat = scheme.bonus.category
    cap = scheme.bonus.cap
    by_month: list[list[Entry]] = [[] for _ in range(12)]
    for e in entries:
        if e.month is not None and e.kind != "veto":
            by_month[e.month - 1].append(e)
    month_parts: list[Parts] = []
    notes: list[str] = []
    for mi in range(12):
        score: dict[str, Decimal] = {}
        ded: dict[str, Decimal] = {}
        bonus = ZERO
        bonus_set: Decimal | None = None
        for e in by_month[mi]:
            cat = _category_of(scheme, e)
            if e.kind == "score" and cat is not None:
                if cat == bonus_cat:
                    bonus_set = e.points
                else:
                    score[cat] = e.points or ZERO
            elif e.kind == "deduction" and cat in cats:
                ded[cat] = ded.get(cat, ZERO) + (e.points or ZERO)
            elif e.kind == "bonus":
                bonus += e.points or ZERO
        actual = ZERO
        for name, top in cats.items():
            actual += max(ZERO, score.get(name, top) - ded.get(name, ZERO))
        raw_bonus = bonus_set if bonus_set is not None else bonus
        counted = min(raw_bonus, cap) if cap is not None else raw_bonus
        month_parts.append(Parts(base_full, counted, base_full - actual, actual + counted))
        if explain and (score or ded or raw_bonus):
            why = [f"{n}{show(max(ZERO, score.get(n, cats[n]) - ded.get(n, ZERO)))}/{show(cats[n])}"
                   for n in cats if n in score or n in ded]
            if raw_bonus:
                why.append(f"{scheme.bonus.label}{show(counted)}"
                           + (f"（合计{show(raw_bonus)}）" if counted != raw_bonus else ""))
            notes.append(f"{mi + 1}月{show(actual + counted)}（{'，'.join(why)}）")
    quarters = [
        Parts(base_full, mean([m.bonus for m in month_parts[q * 3:q * 3 + 3]]),
              mean([m.deduction for m in month_parts[q * 3:q * 3 + 3]]),
              mean([m.figure for m in month_parts[q * 3:q * 3 + 3]]))
        for q in range(4)
    ]
    veto = _veto_quarter(entries)
    quarters, veto_reasons = _vetoed(scheme, quarters, veto, explain)
    points = mean([q.figure for q in quarters]) if veto is None else ZERO
    floor = scheme.points.floor
    if floor is not None:
        points = max(points, floor)
    year = Parts(base_full, mean([q.bonus for q in quarters]), mean([q.deduction for q in quarters]), points)
    reasons: list[Reason] = []
    if explain:
        default = show(base_full)
        for qi in range(4):
            months = "、".join(f"{m + 1}月{show(month_parts[m].figure)}" for m in range(qi * 3, qi * 3 + 3))
            reasons.append(Reason(f"quarter:{qi + 1}", f"第{qi + 1}季度：{months}，平均{show(quarters[qi].figure)}",
                                  scheme.points.clause))
        text = (f"每月满分{show(base_full + (cap or ZERO))}"
                f"（基础分类{default} + {scheme.bonus.label}至多{show(cap or ZERO)}）；"
                + ("，".join(notes) + "，其余各月" if notes else "各月均") + f"{default}；"
                + "季度取3个月平均：" + "、".join(show(q.figure) for q in quarters)
                + f"；全年取4个季度平均 = {show(points)}")
        reasons.append(Reason("points", text, scheme.points.clause))
        reasons.extend(veto_reasons)
    return PointsResult(tuple(quarters), year, veto.quarter if veto else None, 0, tuple(reasons))
