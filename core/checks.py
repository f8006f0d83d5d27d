"""Checks of a branch-year against its scheme, before any scoring.

Each problem names the field it is about, in English (for `jifen compute`)
and in Chinese (for the console); the engine assumes they all passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.branch import BranchYear, Entry
from core.numbers import show
from core.scheme import POINTS_PLACES

if TYPE_CHECKING:
    from core.scheme import Item, Scheme


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str
    message_zh: str

    def line(self) -> str:
        return f"{self.path}: {self.message}"


def _times(points: Decimal, unit: Decimal) -> bool:
    """Whether points is a whole number (>= 1) of units: 每次 items may count several times."""
    n = points / unit
    return n >= 1 and n == n.to_integral_value()


def check_item(item: Item, entry: Entry) -> list[tuple[str, str, str]]:
    """Whether an entry's points fit the catalogue line it cites."""
    out: list[tuple[str, str, str]] = []
    if item.kind != entry.kind:
        out.append(("kind", f"item {item.code} is a {item.kind} item, not {entry.kind}",
                    f"事项 {item.code} 是{_KIND_ZH[item.kind]}事项，不是{_KIND_ZH[entry.kind]}"))
        return out
    if item.category and entry.category and entry.category != item.category:
        out.append(("category", f"item {item.code} belongs to category '{item.category}'",
                    f"事项 {item.code} 属于“{item.category}”类"))
    p = entry.points
    if item.kind == "veto" or p is None:
        return out
    unit: Decimal | None = None
    if item.levels is not None:
        if entry.level is None:
            levels = "/".join(item.levels)
            return [*out, ("level", f"item {item.code} needs a level ({levels})",
                          f"事项 {item.code} 需要注明级别（{levels}）")]
        if entry.level not in item.levels:
            levels = "/".join(item.levels)
            return [*out, ("level", f"item {item.code} has no level '{entry.level}' ({levels})",
                          f"事项 {item.code} 没有“{entry.level}”这一级别（{levels}）")]
        unit = item.levels[entry.level]
    elif item.points is not None:
        unit = item.points
    if unit is not None:
        ok = _times(p, unit) if item.each else p == unit
        if not ok:
            if item.each:
                want = f"a multiple of {show(unit)} (each time {show(unit)})"
                want_zh = f"{show(unit)}分的整数倍（每次{show(unit)}分）"
            else:
                want, want_zh = show(unit), f"{show(unit)}分"
            out.append(("points", f"item {item.code} gives {want}, not {show(p)}",
                        f"事项 {item.code} 的分值应为{want_zh}，不是{show(p)}分"))
    elif item.choice is not None:
        if p not in item.choice:
            allowed = "/".join(show(c) for c in item.choice)
            allowed_zh = "或".join(f"{show(c)}分" for c in item.choice)
            out.append(("points", f"item {item.code} gives {allowed}, nothing between; not {show(p)}",
                        f"事项 {item.code} 的分值只能是{allowed_zh}，不是{show(p)}分"))
    elif item.range is not None:
        lo, hi = item.range
        if not lo <= p <= hi:
            out.append(("points", f"item {item.code} gives {show(lo)}-{show(hi)}, not {show(p)}",
                        f"事项 {item.code} 的分值应在{show(lo)}-{show(hi)}分之间，不是{show(p)}分"))
    elif item.max is not None:
        if not 0 < p <= item.max:
            out.append(("points", f"item {item.code} gives at most {show(item.max)} each time, not {show(p)}",
                        f"事项 {item.code} 每次不超过{show(item.max)}分，不是{show(p)}分"))
    elif item.open and p <= 0:
        out.append(("points", f"item {item.code} needs points above 0", f"事项 {item.code} 的分值应大于0"))
    return out


_FINEST = Decimal(1).scaleb(-POINTS_PLACES)


def written(points: Decimal) -> str:
    """A number as given, for a message about it: never rounded (show() cannot round 1E+400)."""
    text = str(points)
    return text if len(text) <= 24 else text[:21] + "..."


def points_problem(points: Decimal, limit: Decimal) -> tuple[str, str] | None:
    """Why a number cannot be an entry's points, as (English, Chinese): not finite, negative,
    above the scheme's sane maximum (points.limit) or finer than POINTS_PLACES; None when fine."""
    shown = written(points)
    if not points.is_finite():
        return f"must be a finite number, not {shown}", f"分值应为数字，不是“{shown}”"
    if points < 0:
        return "must be >= 0", "分值不能为负数"
    if points > limit:
        return (f"must be at most {show(limit)} (the scheme's points.limit), not {shown}",
                f"分值不能超过{show(limit)}分（积分方案规定的单项上限），不是“{shown}”")
    if points != points.quantize(_FINEST):
        return (f"has at most {POINTS_PLACES} decimal places, not {shown}",
                f"分值最多保留{POINTS_PLACES}位小数，不是“{shown}”")
    return None


_KIND_ZH = {"bonus": "加分", "deduction": "减分", "score": "评分", "veto": "一票否决"}


def check_entry(scheme: Scheme, entry: Entry) -> list[tuple[str, str, str]]:
    """Problems of one entry as (field, English, Chinese); the member is checked by the caller."""
    out: list[tuple[str, str, str]] = []
    monthly = scheme.points.method == "monthly"
    item = None
    if entry.item is not None:
        item = scheme.item(entry.item)
        if item is None:
            out.append(("item", f"no item '{entry.item}' in scheme {scheme.id}",
                        f"积分方案中没有编号为 {entry.item} 的事项"))
    category = entry.category or (item.category if item else None)
    kind = entry.kind
    if kind == "veto" and scheme.veto is None:
        return [("kind", f"scheme {scheme.id} has no 一票否决 (veto)", "本方案没有“一票否决”，不能录入一票否决事项")]
    if kind == "veto":
        if entry.points is not None:
            out.append(("points", "a veto carries no points", "一票否决事项不计分值"))
    elif entry.points is None:
        out.append(("points", "required for a " + kind + " entry", "请填写分值"))
    else:
        bad = points_problem(entry.points, scheme.points.limit)
        if bad is not None:
            # Nothing below may compare or print such a number.
            return [*out, ("points", *bad)]
    if monthly and kind != "veto" and entry.month is None:
        out.append(("month", "required: this scheme keeps a sheet per month", "本方案按月记分，请填写月份"))
    if kind == "score" and not monthly:
        out.append(("kind", "'score' entries belong to monthly category-scored schemes only",
                    "本方案不按月分类评分，不能录入分类得分"))
    if category is not None and category not in scheme.category_names():
        names = "/".join(scheme.category_names()) or "none"
        out.append(("category", f"no category '{category}' in scheme {scheme.id} (categories: {names})",
                    f"积分方案中没有“{category}”这一类"))
        return out
    if kind == "score":
        if category is None:
            out.append(("category", "a score entry names its category", "分类得分须注明类别"))
        elif entry.points is not None:
            cat = scheme.category(category)
            top = cat.max if cat else scheme.bonus.cap
            if top is not None and entry.points > top:
                out.append(("points", f"'{category}' is scored out of {show(top)}, not {show(entry.points)}",
                            f"“{category}”满分{show(top)}分，不能记{show(entry.points)}分"))
    elif kind == "bonus":
        if category is not None and category != scheme.bonus.category:
            out.append(("category", f"a bonus goes to no base category ('{category}')",
                        f"加分不计入基础分类“{category}”"))
    elif kind == "deduction":
        if category is not None and category == scheme.bonus.category:
            out.append(("category", f"deductions do not lower '{category}'", f"减分不能扣减“{category}”"))
        if category is None and not scheme.deduction.uncategorised:
            out.append(("category", "this scheme deducts within a category: name it",
                        "本方案在分类内扣分，请注明类别"))
    elif kind == "veto" and category is not None:
        out.append(("category", "a veto takes no category", "一票否决事项不分类别"))
    if item is not None and not out:
        out.extend(check_item(item, entry))
    return out


def check_branch_year(scheme: Scheme, by: BranchYear, entry_paths: list[str] | None = None) -> list[Problem]:
    """Every problem of a branch-year; paths follow the compute input (entries[3].member)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, m in enumerate(by.members):
        if m.id in seen:
            problems.append(Problem(f"members[{i}].id", f"member id '{m.id}' is given twice", f"党员编号 {m.id} 重复"))
        seen.add(m.id)
        if m.exempt and scheme.exemption is None:
            problems.append(Problem(f"members[{i}].exempt", f"scheme {scheme.id} provides no exemption from points"
                                    " management", "本方案没有免于积分管理的规定"))
    # Entries repeat the same few catalogue lines; judge each distinct shape once.
    verdicts: dict[tuple, list[tuple[str, str, str]]] = {}
    for i, e in enumerate(by.entries):
        key = (e.kind, e.month is None, e.points, e.category, e.item, e.level)
        found = verdicts.get(key)
        if found is None:
            found = verdicts[key] = check_entry(scheme, e)
        if found or e.member not in seen:
            where = entry_paths[i] if entry_paths else f"entries[{i}]"
            if e.member not in seen:
                problems.append(Problem(f"{where}.member", f"no member with id '{e.member}'",
                                        f"没有编号为 {e.member} 的党员"))
            for field, en, zh in found:
                problems.append(Problem(f"{where}.{field}", en, zh))
    rounds = scheme.evaluation.rounds
    for i, r in enumerate(by.evaluations):
        if r.member not in seen:
            problems.append(Problem(f"evaluations[{i}].member", f"no member with id '{r.member}'",
                                    f"没有编号为 {r.member} 的党员"))
        if not 1 <= r.round <= rounds:
            problems.append(Problem(f"evaluations[{i}].round",
                                    f"scheme {scheme.id} holds {rounds} evaluation round(s) a year,"
                                    f" not round {r.round}",
                                    f"本方案每年民主评议{rounds}轮，没有第{r.round}轮"))
    for i, h in enumerate(by.history):
        if h.member not in seen:
            problems.append(Problem(f"history[{i}].member", f"no member with id '{h.member}'",
                                    f"没有编号为 {h.member} 的党员"))
    return problems
