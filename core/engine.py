"""Score a branch-year: quarter figures, points, evaluation, total, rank, grade and flags.

Pure and quick: the console calls it on every change. Every figure comes with the
reasons a secretary can read out, each citing the rule and clause it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.branch import BranchYear, Entry, HistoryRecord, Member, Ratings
from core.evaluation import evaluate
from core.figures import Parts, Reason, figure_points
from core.grading import Standing, competition_ranks, describe, holds
from core.numbers import ZERO, round2, show

if TYPE_CHECKING:
    from core.scheme import Scheme


@dataclass(frozen=True, slots=True)
class MemberResult:
    id: str
    name: str
    status: str
    exempt: bool
    quarters: tuple[Decimal, ...] | None
    parts: tuple[Parts, ...] | None  # per quarter, as the publicity form shows them
    year_parts: Parts | None
    points: Decimal | None
    evaluation: Decimal | None
    total: Decimal | None
    rank: int | None
    grade: str | None
    flags: tuple[str, ...]
    reasons: tuple[Reason, ...]

    def why(self, topic: str) -> list[Reason]:
        return [r for r in self.reasons if r.topic == topic or r.topic.startswith(topic + ":")]


@dataclass(frozen=True, slots=True)
class YearResult:
    scheme: str
    year: int
    members: tuple[MemberResult, ...]

    def member(self, member_id: str) -> MemberResult:
        for m in self.members:
            if m.id == member_id:
                return m
        raise KeyError(member_id)


@dataclass(slots=True)
class _Draft:
    member: Member
    quarters: tuple[Decimal, ...]
    parts: tuple[Parts, ...]
    year_parts: Parts
    points: Decimal
    evaluation: Decimal | None
    total: Decimal
    vetoed: bool
    list_deductions: int
    reasons: list[Reason]
    flags: set[str]


def score(scheme: Scheme, by: BranchYear, explain: bool = True) -> YearResult:
    """The year's result for every member, in the branch's order. Input must have passed
    `core.checks.check_branch_year`. With explain=False the figures are the same and the
    reasons are left out (a batch run that prints numbers only)."""
    entries: dict[str, list[Entry]] = {m.id: [] for m in by.members}
    for e in by.entries:
        entries[e.member].append(e)
    ratings: dict[str, list[Ratings]] = {m.id: [] for m in by.members}
    for r in by.evaluations:
        ratings[r.member].append(r)
    previous: dict[str, HistoryRecord] = {h.member: h for h in by.history if h.year == by.year - 1}

    drafts: dict[str, _Draft] = {}
    for m in by.members:
        if not m.exempt:
            drafts[m.id] = _draft(scheme, m, entries[m.id], ratings[m.id], explain)

    ids = list(drafts)
    ranks = dict(zip(ids, competition_ranks([drafts[i].total for i in ids]), strict=True))
    ranked = len(ids)
    worst = max(ranks.values(), default=0)

    results = []
    for m in by.members:
        d = drafts.get(m.id)
        if d is None:
            results.append(_exempt(m))
            continue
        standing = Standing(m.status, d.vetoed, d.points, d.total, d.evaluation, ranks[m.id], ranked, worst,
                            d.list_deductions, previous.get(m.id))
        results.append(_finish(scheme, d, standing, explain))
    return YearResult(scheme.id, by.year, tuple(results))


def _exempt(m: Member) -> MemberResult:
    reason = Reason("exempt", "免于积分管理：不计分、不排名、不评定等次",
                    "经党员大会通过免于积分管理的党员")
    return MemberResult(m.id, m.name, m.status, True, None, None, None, None, None, None, None, None,
                        ("exempt",), (reason,))


def _draft(scheme: Scheme, m: Member, entries: list[Entry], ratings: list[Ratings], explain: bool) -> _Draft:
    pts = figure_points(scheme, entries, explain)
    ev = evaluate(scheme, ratings, explain)
    flags: set[str] = set()
    vetoed = pts.veto_quarter is not None
    points = pts.year.figure
    rule = scheme.evaluation
    evaluation = ev.score
    if evaluation is None and rule.blend != "none":
        flags.add("evaluation_missing")  # still to collect, whatever else holds
    if vetoed:
        flags.add("vetoed")
        total = ZERO
    elif rule.blend == "none" or evaluation is None:
        total = points
    elif rule.blend == "weighted":
        pw, ew = rule.weights()
        total = pw * points + ew * evaluation
    else:  # added
        total = points + evaluation
    floor = scheme.total.floor
    floored = False
    if floor is not None and total < floor:
        total, floored = floor, True
    reasons = list(pts.reasons)
    if explain:
        reasons += _total_reasons(scheme, points, evaluation, ev.text, total, vetoed, floored)
    return _Draft(m, tuple(round2(p.figure) for p in pts.quarters), pts.quarters, pts.year, round2(points),
                  None if evaluation is None else round2(evaluation), round2(total), vetoed,
                  pts.list_deductions, reasons, flags)


def _total_reasons(scheme: Scheme, points: Decimal, evaluation: Decimal | None, ev_text: str, total: Decimal,
                   vetoed: bool, floored: bool) -> list[Reason]:
    rule = scheme.evaluation
    out = []
    if evaluation is not None or rule.blend != "none":
        out.append(Reason("evaluation", ev_text, rule.clause))
    if vetoed:
        out.append(Reason("total", f"{scheme.veto.label}：年度积分与总分为0", scheme.veto.clause))
    elif rule.blend == "none":
        out.append(Reason("total", f"总分 = 积分{show(points)}（{rule.label}结果单独报告，不计入总分）",
                          scheme.points.clause))
    elif evaluation is None:
        out.append(Reason("total", f"尚无{rule.label}：总分暂按积分{show(points)}计", rule.clause))
    elif rule.blend == "weighted":
        pw, ew = rule.weights()
        out.append(Reason("total", f"积分{show(points)}×{_pct(pw)} + {rule.label}{show(evaluation)}×{_pct(ew)} "
                                   f"= {show(pw * points + ew * evaluation)}", rule.clause))
    else:
        out.append(Reason("total", f"积分{show(points)} + {rule.label}{show(evaluation)} = {show(points + evaluation)}",
                          rule.clause))
    if floored:
        out.append(Reason("total", f"总分低于{show(total)}分，按{show(total)}分计", scheme.total.clause))
    return out


def _pct(w: Decimal | None) -> str:
    return f"{show((w or ZERO) * 100)}%"


def _finish(scheme: Scheme, d: _Draft, s: Standing, explain: bool) -> MemberResult:
    reasons = d.reasons
    flags = d.flags
    if explain:
        reasons.append(Reason("rank", f"第{s.rank}名（{s.ranked}人按总分从高到低，同分同名次）", "积分排名"))
    if s.rank == s.worst_rank:
        flags.add("bottom_ranked")
        if explain:
            reasons.append(Reason("flag:bottom_ranked", f"排名第{s.rank}，为本支部末位", "积分排名靠后"))

    grade: str | None = None
    if d.member.status == "probationary" and not scheme.grading.probationary:
        if explain:
            reasons.append(Reason("grade", "预备党员参加民主评议，但不评定等次", "民主评议党员：预备党员不评定等次"))
    else:
        for rule in scheme.grading.rules:
            if holds(rule.when, s):
                grade = rule.grade
                if explain:
                    facts = describe(rule.when, s)
                    label = grade if grade is not None else "暂不评定等次"
                    reasons.append(Reason("grade", label + (f"：{facts}" if facts else ""), rule.clause))
                break

    for fr in scheme.flags:
        if fr.flag not in flags and holds(fr.when, s):
            flags.add(fr.flag)
            if explain:
                reasons.append(Reason(f"flag:{fr.flag}", describe(fr.when, s), fr.clause))

    m = d.member
    return MemberResult(m.id, m.name, m.status, False, d.quarters, d.parts, d.year_parts, d.points, d.evaluation,
                        d.total, s.rank, grade, tuple(sorted(flags)), tuple(reasons))
