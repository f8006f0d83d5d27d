"""The committee's report of one quarter: every reporting branch's members with their figures,
grades and flags, computed from the branches' records (committee.figures); per branch the grade
distribution, the members under the scheme's pass mark and the corrections made; ranks across
branches only among branches under the same scheme; the branches that have not reported.

Open appeals are listed as each branch stated them in its latest report up to the quarter: an
appeal is not a locked record (only an upheld one's correction is, under its digest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from committee.figures import BranchFigures
from committee.records import AppealRecord, BranchRecords
from core.grading import competition_ranks
from core.labels import FLAG_LABELS, STATUS_LABELS
from core.numbers import show
from core.quarter import QuarterRef

if TYPE_CHECKING:
    from core.scheme import Scheme

OPEN_APPEALS_NOTE = ("未结申诉按各支部报送时的说明列出（申诉本身不在锁定校验码之内）；"
                     "已支持并作更正的申诉，按更正后的积分计算，并列出更正次数。")


@dataclass(frozen=True)
class PassMark:
    """The total a member must reach to be graded 合格 (or the scheme's passing grade)."""

    grade: str
    bound: Decimal
    inclusive: bool  # True: at least `bound` passes; False: more than `bound` is needed

    def under(self, total: Decimal) -> bool:
        return total < self.bound if self.inclusive else total <= self.bound

    @property
    def text(self) -> str:
        return f"低于{show(self.bound)}分" if self.inclusive else f"{show(self.bound)}分及以下"


def pass_mark(scheme: Scheme) -> PassMark | None:
    """From the scheme's grading rules: the passing grade's own minimum, else the highest bound
    of the rules giving a lower grade; None for a scheme without grades or total bounds."""
    grades = list(scheme.grading.grades)
    if len(grades) < 2:
        return None
    passing = "合格" if "合格" in grades else grades[-2]
    lower = set(grades[grades.index(passing) + 1:])
    mins = [r.when.total_min for r in scheme.grading.rules if r.grade == passing and r.when.total_min is not None]
    if mins:
        return PassMark(passing, min(mins), True)
    bounds = [(r.when.total_max, False) for r in scheme.grading.rules
              if r.grade in lower and r.when.total_max is not None]
    bounds += [(r.when.total_below, True) for r in scheme.grading.rules
               if r.grade in lower and r.when.total_below is not None]
    if not bounds:
        return None
    bound, inclusive = max(bounds, key=lambda b: (b[0], not b[1]))
    return PassMark(passing, bound, inclusive)


@dataclass(frozen=True)
class MemberLine:
    seq: int
    name: str
    gender: str
    post: str
    status: str  # 正式党员 / 预备党员
    points: Decimal | None
    evaluation: Decimal | None
    total: Decimal | None
    rank: int | None
    shared_rank: int | None  # among the members of every branch under the same scheme
    grade: str  # as decided (or proposed), "" when none
    flags: tuple[str, ...]  # in Chinese
    exempt: bool


@dataclass(frozen=True)
class BranchReport:
    branch: str
    scheme_id: str
    scheme_name: str
    last_lock: str  # the reported quarter's digest
    members: tuple[MemberLine, ...]
    grade_heading: str  # 等次 once approved, else 拟定等次
    distribution: dict[str, int]  # grade -> members, in the scheme's order ("不定等次" for the rest)
    mark: PassMark | None
    under: tuple[MemberLine, ...]
    corrections: int
    alone: bool  # the only branch under its scheme: no ranks across branches
    open_appeals: tuple[AppealRecord, ...] = ()  # as the branch stated them when it reported


@dataclass(frozen=True)
class CommitteeReport:
    quarter: QuarterRef
    made_on: date
    branches: tuple[BranchReport, ...]
    missing: tuple[str, ...]  # branches the committee has that did not report this quarter
    note: str = OPEN_APPEALS_NOTE
    title: str = field(default="")
    # Branches that reported the quarter but whose records cannot be figured: (branch, why).
    unfigured: tuple[tuple[str, str], ...] = ()

    @property
    def heading(self) -> str:
        return self.title or "党员积分情况汇总表"


def committee_report(records: Sequence[BranchRecords], quarter: QuarterRef, known: Sequence[str],
                     made_on: date | None = None) -> CommitteeReport:
    """The report of `quarter` from the branches' records (each up to that quarter); `known`:
    every branch the committee has. A branch whose records do not reach the quarter has not
    reported it."""
    from committee.bundle_check import figured as figures_or_why

    reporting = sorted((r for r in records if r.locks and r.last.quarter == quarter.label), key=lambda r: r.branch)
    figured: list[tuple[BranchFigures, BranchRecords]] = []
    unfigured: list[tuple[str, str]] = []
    for r in reporting:
        # One branch's records that cannot be figured (imports refuse them; a database written by
        # an older program may hold some) must not stop every other branch's report: it is named.
        f, said = figures_or_why(r, quarter)
        if f is not None:
            figured.append((f, r))
        else:
            unfigured.append((r.branch, said or ""))
    shared = _shared_ranks(figured)
    schemes = [_scheme_key(r, quarter) for _, r in figured]
    out = [_branch(f, r, shared, schemes.count(_scheme_key(r, quarter)) == 1) for f, r in figured]
    have = {r.branch for r in reporting}
    missing = tuple(dict.fromkeys(k for k in known if k not in have))  # in the order known
    return CommitteeReport(quarter, made_on or date.today(), tuple(out), missing, unfigured=tuple(unfigured))


def _scheme_key(records: BranchRecords, quarter: QuarterRef) -> tuple[str, str]:
    """A scheme is shared when its id AND its text are: a hand-made text under a known id (with
    thresholds of its own) is another scheme, its members not ranked among the others'."""
    scheme_id, text = records.schemes[quarter.year]
    return scheme_id, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _shared_ranks(figured: list[tuple[BranchFigures, BranchRecords]]) -> dict[tuple[str, str], int]:
    """(branch, member id) -> rank among every ranked member of the branches under the same scheme,
    for schemes two or more branches share."""
    by_scheme: dict[tuple[str, str], list[BranchFigures]] = {}
    for f, r in figured:
        by_scheme.setdefault(_scheme_key(r, f.quarter), []).append(f)
    out: dict[tuple[str, str], int] = {}
    for group in by_scheme.values():
        if len(group) < 2:
            continue
        ranked = [(f.branch, m.id, m.total) for f in group for m in f.result.members
                  if m.rank is not None and m.total is not None]
        ranks = competition_ranks([t for *_, t in ranked if t is not None])
        out.update({(b, mid): k for (b, mid, _), k in zip(ranked, ranks, strict=True)})
    return out


def _branch(f: BranchFigures, records: BranchRecords, shared: dict[tuple[str, str], int],
            alone: bool) -> BranchReport:
    from core.toml import tomllib

    mark = pass_mark(f.scheme)
    year_end = f.quarter.number == 4
    lines = []
    for m in f.result.members:
        facts = f.facts.get(m.id, {})
        grade = (f.final(m.id) or "") if not m.exempt else ""
        if not grade and not m.exempt and m.status == "probationary" and not f.scheme.grading.probationary:
            grade = "不定等次"
        flags = tuple(FLAG_LABELS.get(x, x) for x in m.flags)
        if m.id in f.proposed and f.proposed[m.id] != m.grade:  # corrected after the 批复 (db.grading)
            flags += (f"批复后经申诉更正，按更正后的积分应为{m.grade}",)
        lines.append(MemberLine(int(facts.get("seq", 0)), m.name, str(facts.get("gender", "")),
                                str(facts.get("post", "")), STATUS_LABELS.get(m.status, m.status), m.points,
                                m.evaluation, m.total, m.rank, shared.get((f.branch, m.id)), grade,
                                flags, m.exempt))
    lines.sort(key=lambda ln: ln.seq)
    order = list(f.scheme.grading.grades)
    distribution = dict.fromkeys(order, 0)
    for ln in lines:
        if ln.exempt:
            continue
        key = ln.grade or "不定等次"
        distribution[key] = distribution.get(key, 0) + 1
    under = tuple(ln for ln in lines if mark is not None and not ln.exempt and ln.total is not None
                  and mark.under(ln.total))
    try:
        name = str(tomllib.loads(records.schemes[f.quarter.year][1]).get("name", f.scheme.id))
    except (tomllib.TOMLDecodeError, KeyError):
        name = f.scheme.id
    heading = "等次" if (year_end and f.approval) else "拟定等次"
    return BranchReport(f.branch, f.scheme.id, name, records.last.digest, tuple(lines), heading, distribution,
                        mark, under, f.corrections, alone, tuple(a for a in records.appeals if a.open))
