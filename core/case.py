"""The `jifen compute` case: a branch-year as JSON in, the scored year as JSON out.

Validation first checks the shape (pydantic), then the meaning against the scheme
(`core.checks`); every problem is one line naming where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, with_config
from pydantic_core import ErrorDetails
from typing_extensions import NotRequired, TypedDict

from core.branch import BranchYear, Entry, HistoryRecord, Member, Ratings
from core.checks import check_branch_year
from core.engine import YearResult
from core.numbers import round2
from core.scheme import RATING_LABELS, Scheme


class CaseError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


Labels = Literal["优秀", "合格", "基本合格", "不合格"]
_RECORD = ConfigDict(extra="forbid", strict=True)


# Records inside the case are TypedDicts: pydantic validates them in one pass without
# building a model object per entry, which keeps a 12,000-entry case quick.
@with_config(_RECORD)
class MemberIn(TypedDict):
    id: Annotated[str, Field(min_length=1)]
    name: NotRequired[str]
    status: Literal["full", "probationary"]
    exempt: NotRequired[bool]


@dataclass(slots=True)
class _JsonEntry(Entry):
    """An entry as JSON gives it. Points arrive as a float and are made an exact Decimal
    from their shortest repr (0.1 -> Decimal("0.1")) when settled: cheaper than having
    pydantic build 12,000 Decimals one by one."""

    points: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None  # type: ignore[assignment]


@with_config(_RECORD)
class EvaluationIn(TypedDict):
    member: str
    round: NotRequired[Annotated[int, Field(ge=1)]]
    ratings: dict[Labels, Annotated[int, Field(ge=0)]]


@with_config(_RECORD)
class HistoryIn(TypedDict):
    member: str
    year: int
    total: NotRequired[Annotated[float, Field(allow_inf_nan=False)] | None]
    bottom: NotRequired[bool]


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    scheme: Annotated[str, Field(min_length=1)]
    year: Annotated[int, Field(ge=1949, le=2200)]
    members: list[MemberIn]
    entries: list[_JsonEntry] = []
    evaluations: list[EvaluationIn] = []
    history: list[HistoryIn] = []


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
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


def _message(err: ErrorDetails) -> str:
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


def _problems(exc: ValidationError) -> list[str]:
    seen: list[str] = []
    for err in exc.errors():
        if err["type"] == "json_invalid":
            line = f"not valid JSON: {err.get('ctx', {}).get('error', err['msg'])}"
        elif err["loc"] and err["loc"][-1] == "[key]":
            line = f"{_path(err['loc'][:-1])}: unknown rating label; the labels are {'/'.join(RATING_LABELS)}"
        else:
            line = f"{_path(err['loc'])}: {_message(err)}"
        if line not in seen:
            seen.append(line)
    return seen


def parse_case(data: Any) -> CaseIn:
    """A case from parsed JSON (a dict), judged exactly as the JSON text would be."""
    import json

    return parse_case_json(json.dumps(data, ensure_ascii=False))


def parse_case_json(raw: bytes | str) -> CaseIn:
    """A case from JSON text: parsing and validation in one pass. A UTF-8 BOM (Notepad writes
    one) is not part of the JSON and is dropped; nesting past the parser's limit is one problem."""
    raw = raw.removeprefix(b"\xef\xbb\xbf") if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    try:
        return CaseIn.model_validate_json(raw)
    except ValidationError as exc:
        raise CaseError(_problems(exc)) from None


def branch_year(case: CaseIn) -> BranchYear:
    """The engine's records from a validated case; the quarter/month rule is checked here."""
    problems = []
    exact: dict[float, Decimal] = {}
    for i, e in enumerate(case.entries):
        p = e.points
        if p is not None and not isinstance(p, Decimal):
            d = exact.get(p)
            if d is None:
                d = exact[p] = Decimal(repr(p))
            settled: Entry = e  # from here on an Entry like any other, with Decimal points
            settled.points = d
        if not e.settle_quarter():
            problems.append(f"entries[{i}]: give exactly one of quarter (1-4) or month (1-12)")
    if problems:
        raise CaseError(problems)
    return BranchYear(
        year=case.year,
        members=tuple(Member(m["id"], m.get("name", ""), m["status"], m.get("exempt", False)) for m in case.members),
        entries=tuple(case.entries),
        evaluations=tuple(Ratings(r["member"], r.get("round", 1), dict(r["ratings"].items()))
                          for r in case.evaluations),
        history=tuple(HistoryRecord(h["member"], h["year"],
                                    None if h.get("total") is None else Decimal(repr(h["total"])),
                                    h.get("bottom", False))
                      for h in case.history),
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
            row["reasons"] = [{"topic": r.topic, "text": r.text, "clause": r.clause, "reading": r.reading}
                              for r in m.reasons]
        members.append(row)
    return {"scheme": result.scheme, "year": result.year, "members": members}


def result_text(result: YearResult, explain: bool = False) -> str:
    """The result as JSON text, one member to a line: readable, and quick for 300 members."""
    import json

    doc = result_json(result, explain)
    head = json.dumps({"scheme": doc["scheme"], "year": doc["year"]}, ensure_ascii=False)[:-1]
    rows = ",\n  ".join(json.dumps(m, ensure_ascii=False) for m in doc["members"])
    return f'{head}, "members": [\n  {rows}\n]}}\n' if rows else f'{head}, "members": []}}\n'
