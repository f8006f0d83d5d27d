"""Score a branch-year: quarter figures, points, evaluation, total, rank, grade and flags.

Pure and quick: the console calls it on every change. Every figure comes with the
reasons a secretary can read out, each citing the rule and clause it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from core.branch import BranchYear, Entry, HistoryRecord, Member, Ratings
from core.evaluation import evaluate
from core.figures import Parts, Reason, figure_points, scored_months
from core.grading import SharePlace, Standing, competition_ranks, describe, holds, tie_decides
from core.labels import FLAG_LABELS
from core.numbers import ZERO, round2, show

if TYPE_CHECKING:
    from core.scheme import Scheme


@dataclass(frozen=True, slots=True)
class MemberResult:
    id: str
    name: str
    status: str
    exempt: bool
    quarters: tuple[Decimal | None, ...] | None
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
    quarters: tuple[Decimal | None, ...]
    parts: tuple[Parts, ...]
    year_parts: Parts
    points: Decimal | None
    evaluation: Decimal | None
    total: Decimal | None
    vetoed: bool
    list_deductions: int
    reasons: list[Reason]
    flags: set[str]


def _r2(value: Decimal | None) -> Decimal | None:
    return None if value is None else round2(value)


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
    counted = [m for m in by.members if not m.exempt]
    scored = scored_months([e for m in counted for e in entries[m.id]])

    drafts: dict[str, _Draft] = {}
    for m in counted:
        drafts[m.id] = _draft(scheme, m, entries[m.id], ratings[m.id], explain, scored)

    ids = [i for i, d in drafts.items() if d.total is not None]
    ranks: dict[str, int] = dict(zip(ids, competition_ranks([_total(drafts[i]) for i in ids]), strict=True))
    worst = max(ranks.values(), default=0)
    full_totals = tuple(sorted(_total(drafts[i]) for i in ids if drafts[i].member.status == "full"))

    results = []
    for m in by.members:
        d = drafts.get(m.id)
        if d is None:
            results.append(_exempt(scheme, m))
            continue
        standing = Standing(m.status, d.vetoed, d.points, d.total, d.evaluation, ranks.get(m.id), len(ids), worst,
                            d.list_deductions, previous.get(m.id), full_totals)
        results.append(_finish(scheme, d, standing, explain))
    return YearResult(scheme.id, by.year, tuple(results))


def _total(d: _Draft) -> Decimal:
    assert d.total is not None, "ranking a member without a total"
    return d.total


def _exempt(scheme: Scheme, m: Member) -> MemberResult:
    rule = scheme.exemption
    route = f"经{rule.route}，" if rule is not None else ""
    reason = Reason("exempt", f"{route}免于积分管理：不计分、不排名、不评定等次",
                    rule.cite if rule else "", rule.reading if rule else "")
    return MemberResult(m.id, m.name, m.status, True, None, None, None, None, None, None, None, None,
                        ("exempt",), (reason,))


def _draft(scheme: Scheme, m: Member, entries: list[Entry], ratings: list[Ratings], explain: bool,
           scored: frozenset[int]) -> _Draft:
    pts = figure_points(scheme, entries, explain, scored)
    ev = evaluate(scheme, ratings, explain)
    flags: set[str] = set()
    vetoed = pts.veto_quarter is not None
    points = pts.year.figure
    rule = scheme.evaluation
    evaluation = ev.score
    if evaluation is None and rule.blend != "none":
        flags.add("evaluation_missing")  # still to collect, whatever else holds
    if pts.unscored:
        flags.add("month_unscored")
    total: Decimal | None
    if vetoed:
        flags.add("vetoed")
        total = ZERO
    elif points is None:
        total = None  # a monthly scheme before any month is scored
    elif rule.blend == "none" or evaluation is None:
        total = points
    elif rule.blend == "weighted":
        pw, ew = rule.weights()
        total = pw * points + ew * evaluation
    else:  # added
        total = points + evaluation
    floor = scheme.total.floor
    floored = False
    if floor is not None and total is not None and total < floor:
        total, floored = floor, True
    reasons = list(pts.reasons)
    if explain:
        reasons += _total_reasons(scheme, points, evaluation, ev.text, total, vetoed, floored)
    return _Draft(m, tuple(_r2(p.figure) for p in pts.quarters), pts.quarters, pts.year, _r2(points),
                  _r2(evaluation), _r2(total), vetoed, pts.list_deductions, reasons, flags)


def _total_reasons(scheme: Scheme, points: Decimal | None, evaluation: Decimal | None, ev_text: str,
                   total: Decimal | None, vetoed: bool, floored: bool) -> list[Reason]:
    rule = scheme.evaluation
    out = []
    if evaluation is not None or rule.blend != "none":
        out.append(Reason.of("evaluation", ev_text, rule))
    if vetoed:
        veto = scheme.veto
        assert veto is not None, "vetoed under a scheme without 一票否决"
        out.append(Reason.of("total", f"{veto.label}：年度积分与总分为0", veto))
    elif points is None:
        out.append(Reason.of("total", "尚无评分月份，暂无积分和总分", scheme.points))
    elif rule.blend == "none":
        out.append(Reason.of("total", f"总分 = 积分{show(points)}（{rule.label}结果单独报告，不计入总分）",
                          scheme.points))
    elif evaluation is None:
        out.append(Reason("total", f"尚无{rule.label}：总分暂按积分{show(points)}计", rule.cite,
                          "尚未评议时总分暂按积分计"))
    elif rule.blend == "weighted":
        pw, ew = rule.weights()
        out.append(Reason.of("total", f"积分{show(points)}×{_pct(pw)} + {rule.label}{show(evaluation)}×{_pct(ew)} "
                                      f"= {show(pw * points + ew * evaluation)}", rule))
    else:
        added = f"积分{show(points)} + {rule.label}{show(evaluation)} = {show(points + evaluation)}"
        out.append(Reason.of("total", added, rule))
    if floored:
        out.append(Reason.of("total", f"总分低于{show(total)}分，按{show(total)}分计", scheme.total))
    return out


def _pct(w: Decimal | None) -> str:
    return f"{show((w or ZERO) * 100)}%"


RANK_READING = "按总分从高到低排名，同分同名次；只有一人或全员同分时无末位"
NO_PROBATIONARY_GRADE = "预备党员参加民主评议，但不评定等次（党员民主评议的通行规定）"


def _finish(scheme: Scheme, d: _Draft, s: Standing, explain: bool) -> MemberResult:
    reasons = d.reasons
    flags = d.flags
    if explain:
        if s.rank is None:
            reasons.append(Reason("rank", "尚无总分，暂不排名", "", RANK_READING))
        else:
            reasons.append(Reason("rank", f"第{s.rank}名（{s.ranked}人按总分从高到低，同分同名次）", "", RANK_READING))
    if s.bottom:
        flags.add("bottom_ranked")
        if explain:
            reasons.append(Reason("flag:bottom_ranked", f"排名第{s.rank}，为本支部末位", "", RANK_READING))

    ties: list[tuple[str, SharePlace]] = []
    grade: str | None = None
    if d.member.status == "probationary" and not scheme.grading.probationary:
        if explain:
            reasons.append(Reason("grade", "不评定等次（预备党员）", "", NO_PROBATIONARY_GRADE))
    elif s.total is None:
        if explain:
            reasons.append(Reason("grade", "尚无总分，暂不评定等次", "", "没有已评分月份时不计总分，也不拟定等次"))
    else:
        for rule in scheme.grading.rules:
            if holds(rule.when, s):
                grade = rule.grade
                if explain:
                    facts = describe(rule.when, s)
                    label = grade if grade is not None else "不评定等次"
                    reasons.append(Reason.of("grade", label + (f"：{facts}" if facts else ""), rule))
                break
            tie = tie_decides(rule.when, s)
            if tie is not None and rule.grade is not None:
                ties.append((f"拟定为{rule.grade}", tie))
    if grade is not None:
        s = replace(s, grade=grade)

    for fr in scheme.flags:
        if fr.flag in flags:
            continue
        if holds(fr.when, s):
            flags.add(fr.flag)
            if explain:
                reasons.append(Reason.of(f"flag:{fr.flag}", describe(fr.when, s), fr))
        else:
            tie = tie_decides(fr.when, s)
            if tie is not None:
                ties.append((FLAG_LABELS[fr.flag], tie))
    if ties:
        flags.add("tie_at_limit")
        if explain:
            place = ties[0][1]
            what = "、".join(dict.fromkeys(w for w, _ in ties))
            reasons.append(Reason(
                "flag:tie_at_limit",
                f"总分{show(s.total)}与另{place.tied - 1}名正式党员并列，并列者跨过前{place.places}名的名额"
                f"（其上已有{place.higher}人）：是否{what}由党员大会决定", "",
                "名额按正式党员计算；并列跨过名额的，系统不替党员大会取舍，名额不超过规定比例"))

    m = d.member
    return MemberResult(m.id, m.name, m.status, False, d.quarters, d.parts, d.year_parts, d.points, d.evaluation,
                        d.total, s.rank, grade, tuple(sorted(flags)), tuple(reasons))
