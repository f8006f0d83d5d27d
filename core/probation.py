"""预备党员 conversion on time: the probation (one year from admission) and whether the
scheme's points rule (its `probation_at_risk` flags) lets the member be converted when it ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from core.grading import describe
from core.numbers import show

if TYPE_CHECKING:
    from core.engine import MemberResult
    from core.scheme import Scheme

PROBATION_YEARS = 1  # 预备期为一年 (党章第七条)


def due_date(since: date) -> date:
    """The end of a one-year probation: the same day a year on (29 February gives 28 February)."""
    try:
        return since.replace(year=since.year + PROBATION_YEARS)
    except ValueError:
        return since.replace(year=since.year + PROBATION_YEARS, day=28)


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Probation:
    """One probationary member's conversion: the dates, whether the points allow it on time,
    and the scheme's words for why (its clause, quoted with its place)."""

    name: str
    since: date | None  # admission as 预备党员 (the roster's status_since); None when not on the roster
    due: date | None
    on_time: bool  # the scheme's points rule does not stand in the way
    total: str  # the year's total as shown, "" when none
    rule: str  # the rule in words (总分<70); "" when the scheme has none
    clause: str  # place and quotation; "" when the scheme has no such rule
    general: str = ""  # the scheme's rule in words, whoever the member ("" when it has none)

    @property
    def verdict(self) -> str:
        return "可按期转正" if self.on_time else "不能按期转正"

    def short(self) -> str:
        """The member's line in a list that cites the clause once (probation_paragraph)."""
        since = f"{self.since:%Y-%m-%d}接收为预备党员，{self.due:%Y-%m-%d}预备期满" if self.since and self.due \
            else "预备期起始日期名册未填"
        total = f"年积分{self.total}分" if self.total else "尚无年积分"
        return f"{self.name}，{since}，{total}，{self.verdict if self.rule else '积分不影响按期转正'}"

    def sentence(self) -> str:
        """What the console and the year form say of the member."""
        if self.since and self.due:
            since = f"{self.since:%Y-%m-%d}接收为预备党员（预备期一年），{self.due:%Y-%m-%d}预备期满"
        else:
            since = "名册未填预备期起始日期，预备期满日期不详"
        total = f"年积分{self.total}分" if self.total else "尚无年积分"
        if not self.rule:
            return f"{self.name}：{since}；{total}；积分方案未规定积分对按期转正的影响"
        if self.on_time:
            return f"{self.name}：{since}；{total}，不属于“{self.rule}”，积分不影响按期转正（依据{self.clause}）"
        return f"{self.name}：{since}；{total}，属于“{self.rule}”，{self.verdict}（依据{self.clause}）"


def probation_of(scheme: Scheme, result: MemberResult, status_since: str) -> Probation:
    """The member's conversion as the year's figures stand (`result` from core.engine.score,
    with its reasons: the one the flag was raised by names the member's own figures)."""
    since = parse_day(status_since)
    rules = [f for f in scheme.flags if f.flag == "probation_at_risk"]
    at_risk = "probation_at_risk" in result.flags
    rule = clause = ""
    if at_risk:
        why = result.why("flag:probation_at_risk")
        rule, clause = (why[0].text, why[0].clause) if why else (describe(rules[0].when), rules[0].cite)
    elif rules:
        rule, clause = "或".join(describe(f.when) for f in rules), "；".join(f.cite for f in rules)
    return Probation(name=result.name, since=since, due=due_date(since) if since else None, on_time=not at_risk,
                     total="" if result.total is None else show(result.total), rule=rule, clause=clause,
                     general="或".join(describe(f.when) for f in rules))


def probation_paragraph(items: list[Probation]) -> str:
    """The year form's paragraph: the scheme's rule and clause once, then each member."""
    if not items:
        return ""
    first = items[0]
    if not first.general:
        head = "预备党员按期转正（预备期一年；积分方案未规定积分对按期转正的影响）"
    else:
        clause = "；".join(dict.fromkeys(p.clause for p in items if p.on_time)) or first.clause
        head = f"预备党员按期转正（预备期一年；{first.general}的不能按期转正，依据{clause}）"
    lines = [p.short() + (f"（{p.rule}）" if not p.on_time else "") for p in items]
    return f"{head}：{'；'.join(lines)}。"
