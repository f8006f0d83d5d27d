"""The `jifen compute` case: a branch-year as JSON in, the scored year as JSON out.

Validation first checks the shape (pydantic), then the meaning against the scheme
(`core.checks`); every problem is one line naming where it is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from core.branch import BranchYear, Entry, HistoryRecord, Member, Ratings
from core.checks import check_branch_year
from core.engine import YearResult
from core.numbers import dec, round2
from core.scheme import RATING_LABELS, Scheme


class CaseError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    return dec(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    if value < 0:
        raise ValueError("must be >= 0")
    return value


Number = Annotated[Decimal, BeforeValidator(_number)]
Count = Annotated[int, BeforeValidator(_count)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class MemberIn(_In):
    id: Annotated[str, Field(min_length=1)]
    name: str = ""
    status: Literal["full", "probationary"]
    exempt: bool = False


class EntryIn(_In):
    member: str
    kind: Literal["bonus", "deduction", "score", "veto"]
    quarter: Annotated[int, Field(ge=1, le=4)] | None = None
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    points: Number | None = None
    category: str | None = None
    item: str | None = None
    level: str | None = None
    note: str = ""

    @model_validator(mode="after")
    def _when(self) -> "EntryIn":
        if (self.quarter is None) == (self.month is None):
            raise ValueError("give exactly one of quarter (1-4) or month (1-12)")
        return self


class EvaluationIn(_In):
    member: str
    round: Annotated[int, Field(ge=1)] = 1
    ratings: dict[str, Count]

    @model_validator(mode="after")
    def _labels(self) -> "EvaluationIn":
        bad = [k for k in self.ratings if k not in RATING_LABELS]
        if bad:
            raise ValueError(f"unknown rating label '{bad[0]}'; the labels are {'/'.join(RATING_LABELS)}")
        return self


class HistoryIn(_In):
    member: str
    year: int
    total: Number | None = None
    bottom: bool = False


class CaseIn(_In):
    scheme: Annotated[str, Field(min_length=1)]
    year: Annotated[int, Field(ge=1949, le=2200)]
    members: list[MemberIn]
    entries: list[EntryIn] = []
    evaluations: list[EvaluationIn] = []
    history: list[HistoryIn] = []


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "int_type": "must be a whole number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "list_type": "must be an array",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "string_too_short": "must not be empty",
}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and (part.startswith("function-") or part in ("int", "str", "constrained-int")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        sign = ">=" if kind == "greater_than_equal" else "<="
        return f"must be {sign} {next(iter(ctx.values()), '')}"
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return _MESSAGES.get(kind, str(err.get("msg", kind)))


def parse_case(data: Any) -> CaseIn:
    try:
        return CaseIn.model_validate(data)
    except ValidationError as exc:
        seen: list[str] = []
        for err in exc.errors():
            line = f"{_path(err['loc'])}: {_message(err)}"
            if line not in seen:
                seen.append(line)
        raise CaseError(seen) from None


def branch_year(case: CaseIn) -> BranchYear:
    return BranchYear(
        year=case.year,
        members=tuple(Member(m.id, m.name, m.status, m.exempt) for m in case.members),
        entries=tuple(
            Entry(e.member, e.kind, e.quarter if e.quarter is not None else Entry.quarter_of(e.month),  # type: ignore[arg-type]
                  e.month, e.points, e.category, e.item, e.level, e.note, f"entries[{i}]")
            for i, e in enumerate(case.entries)
        ),
        evaluations=tuple(Ratings(r.member, r.round, dict(r.ratings)) for r in case.evaluations),
        history=tuple(HistoryRecord(h.member, h.year, h.total, h.bottom) for h in case.history),
    )


def checked_branch_year(scheme: Scheme, case: CaseIn) -> BranchYear:
    by = branch_year(case)
    problems = check_branch_year(scheme, by)
    if problems:
        raise CaseError([p.line() for p in problems])
    return by


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    r = round2(value)
    return int(r) if r == r.to_integral_value() else float(r)


def result_json(result: YearResult, explain: bool = False) -> dict[str, Any]:
    members = []
    for m in result.members:
        row: dict[str, Any] = {
            "id": m.id,
            "quarters": None if m.quarters is None else [_num(q) for q in m.quarters],
            "points": _num(m.points),
            "evaluation": _num(m.evaluation),
            "total": _num(m.total),
            "rank": m.rank,
            "grade": m.grade,
            "flags": list(m.flags),
        }
        if explain:
            row["reasons"] = [{"topic": r.topic, "text": r.text, "clause": r.clause} for r in m.reasons]
        members.append(row)
    return {"scheme": result.scheme, "year": result.year, "members": members}
