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
    from core.scheme import Cited, Scheme


@dataclass(frozen=True, slots=True)
class Parts:
    """One quarter (or the year) as a form shows it: figure = max(floor, base + bonus - deduction).
    All four are None for a quarter of a monthly scheme in which nobody was scored."""

    base: Decimal | None
    bonus: Decimal | None
    deduction: Decimal | None
    figure: Decimal | None


UNSCORED = Parts(None, None, None, None)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a figure is what it is: `topic` names the figure, `clause` the seed's words it rests
    on (printed as 依据), `reading` the scheme's own decision (printed as 说明)."""

    topic: str
    text: str
    clause: str = ""
    reading: str = ""

    @classmethod
    def of(cls, topic: str, text: str, part: Cited) -> Reason:
        """A reason resting on one part of the scheme: its quotation and its reading."""
        return cls(topic, text, part.cite, part.reading)


@dataclass(frozen=True, slots=True)
class PointsResult:
    quarters: tuple[Parts, ...]  # the four quarters
    year: Parts
    veto_quarter: int | None
    list_deductions: int  # how many uncategorised deductions the year holds
    reasons: tuple[Reason, ...]
    unscored: tuple[int, ...] = ()  # scored months in which some category of this member has no score


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


def figure_points(scheme: Scheme, entries: list[Entry], explain: bool = True,
                  scored: frozenset[int] = frozenset()) -> PointsResult:
    """`scored`: the months (1-12) in which anyone of the branch has a score (monthly schemes)."""
    if scheme.points.method == "monthly":
        return _monthly(scheme, entries, explain, scored)
    return _cumulative(scheme, entries, explain)


def scored_months(entries: tuple[Entry, ...] | list[Entry]) -> frozenset[int]:
    """A month is scored once any member has a `score` entry in it."""
    return frozenset(e.month for e in entries if e.kind == "score" and e.month is not None)


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
    rule = scheme.veto
    assert rule is not None, "a veto entry under a scheme without 一票否决"  # the checks refuse it
    item = scheme.item(veto.item) if veto.item else None
    what = veto.note or (item.label if item else "一票否决事项")
    text = f"第{veto.quarter}季度{rule.label}（{what}）：自该季度起季度积分为0，年度积分为0"
    basis = item if item is not None and item.clause else rule
    return out, [Reason("veto", text, basis.cite, rule.reading)]


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
            reasons.append(Reason.of(f"quarter:{qi + 1}", f"截至第{qi + 1}季度末：{text}", scheme.points))
    quarters, veto_reasons = _vetoed(scheme, quarters, veto, explain)
    if explain:
        reasons.append(Reason.of("points", "全年" + reasons[3].text.split("：", 1)[1], scheme.points))
        if cap is not None and bonus_sum > cap:
            reasons.append(Reason.of("bonus",
                                  f"{scheme.bonus.label}合计{show(bonus_sum)}，超过上限{show(cap)}，按{show(cap)}计",
                                  scheme.bonus))
        for name, v in cat_sum.items():
            if v > cats[name]:
                reasons.append(Reason.of("category", f"“{name}”扣{show(v)}分，超过该项{show(cats[name])}分，该项计0分",
                                      scheme.deduction))
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


def _monthly(scheme: Scheme, entries: list[Entry], explain: bool, scored: frozenset[int]) -> PointsResult:
    """A sheet per scored month. A category's score is its `score` entry (the last one given), or
    the sum of the criteria met (score entries citing a criterion item), capped at the category's
    full marks; with neither it is 0 and the month is marked unscored for this member. A category
    deduction lowers it (not below 0); the bonus category sums that month's bonuses up to its cap.
    Months nobody scored are left out: quarter = mean of its scored months (none: no figure),
    year = mean of the quarters that have one."""
    cats = {c.name: c.max for c in scheme.categories}
    base_full = scheme.base
    bonus_cat = scheme.bonus.category
    cap = scheme.bonus.cap
    by_month: list[list[Entry]] = [[] for _ in range(12)]
    for e in entries:
        if e.month is not None and e.kind != "veto":
            by_month[e.month - 1].append(e)
    month_parts: list[Parts | None] = []
    notes: list[str] = []
    unscored: list[int] = []
    left_out = [mi + 1 for mi in range(12) if mi + 1 not in scored and by_month[mi]]
    for mi in range(12):
        if mi + 1 not in scored:
            month_parts.append(None)
            continue
        given: dict[str, Decimal] = {}
        met: dict[str, Decimal] = {}
        seen: set[str] = set()  # a criterion is met or not: entered twice, it counts once
        ded: dict[str, Decimal] = {}
        bonus = ZERO
        bonus_set: Decimal | None = None
        for e in by_month[mi]:
            cat = _category_of(scheme, e)
            if e.kind == "score" and cat is not None:
                item = scheme.item(e.item) if e.item else None
                if cat == bonus_cat:
                    bonus_set = e.points
                elif item is not None and item.points is not None:  # a criterion met
                    if item.code not in seen:
                        seen.add(item.code)
                        met[cat] = met.get(cat, ZERO) + (e.points or ZERO)
                else:
                    given[cat] = e.points or ZERO
            elif e.kind == "deduction" and cat in cats:
                ded[cat] = ded.get(cat, ZERO) + (e.points or ZERO)
            elif e.kind == "bonus":
                bonus += e.points or ZERO
        actual = ZERO
        got: dict[str, Decimal] = {}
        missing = []
        for name, top in cats.items():
            if name in given:
                raw = given[name]
            elif name in met:
                raw = min(met[name], top)
            else:
                raw = ZERO
                missing.append(name)
            got[name] = max(ZERO, raw - ded.get(name, ZERO))
            actual += got[name]
        if missing:
            unscored.append(mi + 1)
        raw_bonus = bonus_set if bonus_set is not None else bonus
        counted = min(raw_bonus, cap) if cap is not None else raw_bonus
        month_parts.append(Parts(base_full, counted, base_full - actual, actual + counted))
        if explain:
            why = [f"{n}{show(got[n])}/{show(cats[n])}" + ("（未评分）" if n in missing else "") for n in cats]
            if raw_bonus:
                why.append(f"{scheme.bonus.label}{show(counted)}"
                           + (f"（合计{show(raw_bonus)}）" if counted != raw_bonus else ""))
            notes.append(f"{mi + 1}月{show(actual + counted)}（{'，'.join(why)}）")
    quarters: list[Parts] = []
    for q in range(4):
        months = [m for m in month_parts[q * 3:q * 3 + 3] if m is not None]
        if not months:
            quarters.append(UNSCORED)
            continue
        quarters.append(Parts(base_full, mean([_d(m.bonus) for m in months]), mean([_d(m.deduction) for m in months]),
                              mean([_d(m.figure) for m in months])))
    veto = _veto_quarter(entries)
    quarters, veto_reasons = _vetoed(scheme, quarters, veto, explain)
    figured = [q for q in quarters if q.base is not None]  # quarters with a scored month
    points: Decimal | None = mean([_d(q.figure) for q in figured]) if figured else None
    if veto is not None:
        points = ZERO
    floor = scheme.points.floor
    if floor is not None and points is not None:
        points = max(points, floor)
    year = (Parts(base_full, mean([_d(q.bonus) for q in figured]), mean([_d(q.deduction) for q in figured]), points)
            if figured else Parts(None, None, None, points))
    reasons: list[Reason] = []
    if explain:
        for qi in range(4):
            shown = [f"{i + 1}月{show(m.figure)}" for i in range(qi * 3, qi * 3 + 3)
                     if (m := month_parts[i]) is not None]
            quarter = (f"第{qi + 1}季度：{'、'.join(shown)}，平均{show(quarters[qi].figure)}" if shown
                       else f"第{qi + 1}季度：尚无评分月份，不计季度积分")
            reasons.append(Reason.of(f"quarter:{qi + 1}", quarter, scheme.points))
        full_month = show(base_full + (cap or ZERO))
        text = (f"每月满分{full_month}（基础分类{show(base_full)} + {scheme.bonus.label}至多{show(cap or ZERO)}）；"
                + ("；".join(notes) if notes else "尚无评分月份"))
        if figured:
            text += "；季度取已评分月份平均，全年取有积分的季度平均 = " + show(points)
        reasons.append(Reason("points", text, scheme.points.cite,
                              "某月支部中有人评分即为已评分月份；已评分月份中没有得分的分类计0分；无人评分的月份不计入"))
        if unscored:
            reasons.append(Reason("flag:month_unscored",
                                  "、".join(f"{m}月" for m in unscored) + "有分类未评分，按0分计", "",
                                  "已评分月份中没有得分的分类计0分（不按满分计），请核对是否漏评"))
        if left_out:
            out = "、".join(f"{m}月" for m in left_out)
            reasons.append(Reason("points", f"{out}支部无人评分，该月录入的事项未计入", "",
                                  "无人评分的月份不计入季度和年度积分"))
        reasons.extend(veto_reasons)
    return PointsResult(tuple(quarters), year, veto.quarter if veto else None, 0, tuple(reasons), tuple(unscored))


def _d(value: Decimal | None) -> Decimal:
    assert value is not None, "a scored month or quarter without its figure"
    return value
