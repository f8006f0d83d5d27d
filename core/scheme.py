"""A scheme (积分方案) as typed data, validated from TOML.

The engine reads only what is here; every number, threshold and clause of a
scheme lives in its file, so a branch can copy a file, change it and get the
new behaviour without touching code. Loading is all or nothing: every problem
is reported with the file and the key path, and no half-read scheme escapes.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pydantic_core import ErrorDetails

from core.labels import RATING_LABELS
from core.numbers import dec, fraction_of
from core.toml import loads as toml_loads
from core.toml import tomllib

FLAGS: tuple[str, ...] = (
    "exempt",
    "vetoed",
    "excellent_eligible",
    "probation_at_risk",
    "commendation_barred",
    "priority_commendation",
    "bottom_ranked",
    "evaluation_missing",
    "talk_required",
    "disposal_review",
    "tie_at_limit",
    "month_unscored",
)
# Flags a scheme sets through rules; the others are set by the engine itself.
RULE_FLAGS = ("excellent_eligible", "probation_at_risk", "commendation_barred", "priority_commendation",
              "talk_required", "disposal_review")
RuleFlag = Literal["excellent_eligible", "probation_at_risk", "commendation_barred", "priority_commendation",
                   "talk_required", "disposal_review"]


# The default of points.limit: the most one entry may carry where the scheme says nothing.
POINTS_LIMIT = Decimal(100)
# The finest points an entry (or a catalogue value) may carry. The seeds step by 0.5 and 0.1; a
# third place leaves room (and for the tests of rounding on the reported figure) while 1E-400,
# 402 characters as decimal text and past the store's 32-character column, is refused.
POINTS_PLACES = 3


class SchemeError(ValueError):
    """A scheme that cannot be used; `problems` holds one line per fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a number")
    number = dec(value)
    if not number.is_finite():  # TOML has inf and nan
        raise ValueError("must be a finite number")
    return number


def _share(value: Any) -> Fraction:
    if isinstance(value, bool):
        raise ValueError("must be a share such as 0.2, \"20%\" or \"1/3\"")
    try:
        share = fraction_of(value)
    except (ValueError, ZeroDivisionError, TypeError):
        raise ValueError("must be a share such as 0.2, \"20%\" or \"1/3\"") from None
    if not 0 < share <= 1:
        raise ValueError("must be a share above 0 and at most 1")
    return share


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must be a number >= 0")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be a number > 0")
    return value


Number = Annotated[Decimal, BeforeValidator(_number)]
NonNegative = Annotated[Decimal, BeforeValidator(lambda v: _non_negative(_number(v)))]
Positive = Annotated[Decimal, BeforeValidator(lambda v: _positive(_number(v)))]
Share = Annotated[Fraction, BeforeValidator(_share)]
Text = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, arbitrary_types_allowed=True)


class Cited(_Model):
    """A part of a scheme with what it rests on. `clause` is the seed document's own words,
    quoted exactly (a test finds each in its seed); `place` says where they stand (三（一）1,
    附件1 加分项目 第2条); `reading` is the product's decision where the seed is silent or
    vague (本系统理解), printed as 说明 and never inside a quotation."""

    place: str = ""
    clause: str = ""
    reading: str = ""

    @property
    def cite(self) -> str:
        """The quotation as printed after 依据: place and the words in quotation marks."""
        return cite(self.place, self.clause)


def cite(place: str, clause: str) -> str:
    if not clause:
        return place
    words = clause.replace("“", "‘").replace("”", "’")
    return f"{place}“{words}”" if place else f"“{words}”"


class Category(Cited):
    """A base category (基础分 分类) with its full marks."""

    name: Text
    max: Positive


class PointsRule(Cited):
    """How the year's points are figured.

    cumulative: base + bonus - deduction, counted year to date at each quarter's end.
    monthly: a sheet of category scores each month; quarter = mean of its months,
    year = mean of the quarters.
    """

    method: Literal["cumulative", "monthly"]
    base: NonNegative | None = None
    floor: Number | None = None
    # The most one entry may carry: a sane maximum for items without a range of their own (open
    # items, categories scored out of their full marks), so a typo such as 1e30 never reaches
    # the figures. Every catalogue value and category must fit under it.
    limit: Annotated[Decimal, BeforeValidator(lambda v: _positive(_number(v))), Field(le=10000)] = POINTS_LIMIT


class BonusRule(Cited):
    label: Text = "加分"
    cap: NonNegative | None = None
    cap_per: Literal["year", "month"] = "year"
    category: str | None = None


class DeductionRule(Cited):
    label: Text = "减分"
    uncategorised: bool = True


class VetoRule(Cited):
    label: Text = "一票否决"


class ExemptionRule(Cited):
    """Who may be exempt from points management (免于积分管理) and how it is decided."""

    route: Text  # the steps of the decision, as the seed orders them


class BallotRule(Cited):
    """When a paper ballot is void (无效票): returned but not counted. A name left unmarked
    on a ballot that is otherwise valid is not rated on it."""

    excellent_share: Share | None = Fraction(1, 3)  # more 优秀 than this share of the names: void
    all_unmarked_void: bool = True  # a ballot with no name marked (空白票) is void


class EvaluationRule(Cited):
    label: Text = "民主评议"
    values: dict[str, Number]
    rounds: int = Field(1, ge=1, le=12)
    combine: Literal["pooled", "mean_of_rounds"] = "pooled"
    blend: Literal["none", "weighted", "added"] = "none"
    points_weight: NonNegative | None = None
    evaluation_weight: NonNegative | None = None
    ballot: BallotRule = BallotRule()

    def weights(self) -> tuple[Decimal, Decimal]:
        """(points weight, evaluation weight) of blend = 'weighted', where validation requires both."""
        pw, ew = self.points_weight, self.evaluation_weight
        assert pw is not None and ew is not None, "blend = 'weighted' without its weights"
        return pw, ew


class TotalRule(Cited):
    floor: Number | None = None


class PreviousYear(_Model):
    """A condition on last year's record (history)."""

    total_min: Number | None = None
    total_max: Number | None = None
    total_below: Number | None = None
    bottom: bool | None = None


class Condition(_Model):
    """Every key given must hold; an empty condition always holds.

    Thresholds as the seeds word them: `_min` is 以上 (>=), `_max` is 以下 (<=), `_below` is
    低于/不足/未达到 (<). `top_share` counts full members only and leaves a tied group that
    straddles the share outside; `grade` (flags only) is the grade the rules gave."""

    status: Literal["full", "probationary"] | None = None
    vetoed: bool | None = None
    total_min: Number | None = None
    total_max: Number | None = None
    total_below: Number | None = None
    points_min: Number | None = None
    points_max: Number | None = None
    points_below: Number | None = None
    evaluation_min: Number | None = None
    evaluation_max: Number | None = None
    evaluation_below: Number | None = None
    evaluation_missing: bool | None = None
    top_share: Share | None = None
    bottom_ranked: bool | None = None
    list_deductions: bool | None = None
    previous_year: PreviousYear | None = None
    grade: list[Text] | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


class GradeRule(Cited):
    grade: str | None = None
    no_grade: bool = False
    when: Condition = Condition()


class Grading(_Model):
    grades: list[Text] = []  # none: the scheme sets no member grade (the meeting decides)
    probationary: bool = False
    rules: list[GradeRule] = Field(min_length=1)


class FlagRule(Cited):
    flag: RuleFlag
    when: Condition


class Item(Cited):
    """One line of the scheme's catalogue (加分/减分/否决 清单)."""

    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")]
    kind: Literal["bonus", "deduction", "veto", "score"]
    section: str = ""
    label: Text
    category: str | None = None
    points: Positive | None = None
    levels: dict[str, Positive] | None = None
    range: Annotated[list[NonNegative], Field(min_length=2, max_length=2)] | None = None
    choice: Annotated[list[Positive], Field(min_length=2)] | None = None  # one of these values, nothing between
    max: Positive | None = None
    open: bool = False
    each: bool = False


class Process(Cited):
    """When the branch meets, how long the figures are posted, and where a member who disagrees
    turns: the facts the publicity notice states, each as the seed sets it (the sentences are
    the form's; the facts are the file's).

    - publicity_days: working days the figures are posted, counted from the posting (the first
      working day after the meeting unless a posting date is given);
    - where / watchers: the seed's words for where it is posted (在一定范围内, 通过…党务公开栏…)
      and whose supervision it invites (群众, 党员干部 …); empty where the seed says nothing;
    - objection_to: who receives an objection (党支部); answer_days: within how many working
      days of receiving one it must answer, or `answer` in words where the seed sets a way but
      no deadline; neither where the seed sets no procedure;
    - review_body / review_days: the body a member dissatisfied with the answer applies to for
      复议 (医院党委) and within how many working days it must answer; none where the seed has
      no 复议. These are answer deadlines counted from the objection, not windows after the
      publicity.

    Files written before these keys existed carried `appeal_days` (the branch's answer deadline)
    and a bare `review_days`: they still load, `appeal_days` read as `answer_days`, so a stored
    scheme text (and the digest over it) never changes.
    """

    meeting: Literal["monthly", "quarterly", "half-yearly", "yearly"] = "quarterly"
    publicity_days: int = Field(ge=0)
    publicity_each: Literal["month", "quarter", "half-year", "year"] = "quarter"
    where: str = ""
    watchers: str = ""
    objection_to: str = "党支部"
    answer_days: int | None = Field(None, ge=0)
    answer: str = ""
    review_body: str = ""
    review_days: int | None = Field(None, ge=0)
    evaluation: Literal["yearly", "half-yearly"] = "yearly"

    @model_validator(mode="before")
    @classmethod
    def _old_appeal_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and "appeal_days" in data:
            data = dict(data)
            if "answer_days" in data:
                raise ValueError("appeal_days is the old name of answer_days: give one of them")
            data["answer_days"] = data.pop("appeal_days")
        return data

    @property
    def appeal_days(self) -> int | None:
        """The old name of `answer_days`."""
        return self.answer_days


class Scheme(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")]
    name: Text
    organisation: Text
    document: Text
    points: PointsRule
    categories: list[Category] = []
    bonus: BonusRule = BonusRule()
    deduction: DeductionRule = DeductionRule()
    veto: VetoRule | None = None  # None: the seed has no 一票否决
    exemption: ExemptionRule | None = None  # None: the seed provides no exemption
    evaluation: EvaluationRule
    total: TotalRule = TotalRule()
    grading: Grading
    flags: list[FlagRule] = []
    process: Process
    items: list[Item] = []

    # Look-ups built once; read through __pydantic_private__ because the engine asks
    # them for every entry and pydantic's attribute fallback is slow.
    _by_category: dict[str, Category] = PrivateAttr(default_factory=dict)
    _by_code: dict[str, Item] = PrivateAttr(default_factory=dict)
    _category_names: tuple[str, ...] = PrivateAttr(default=())

    def model_post_init(self, __context: Any) -> None:
        self._by_category = {c.name: c for c in self.categories}
        self._by_code = {i.code: i for i in self.items}
        names = [c.name for c in self.categories]
        if self.bonus.category:
            names.append(self.bonus.category)
        self._category_names = tuple(names)

    def category(self, name: str) -> Category | None:
        return self.__pydantic_private__["_by_category"].get(name)  # type: ignore[index]

    def item(self, code: str) -> Item | None:
        return self.__pydantic_private__["_by_code"].get(code)  # type: ignore[index]

    def category_names(self) -> tuple[str, ...]:
        """Names an entry's `category` may take: the base categories and a bonus category."""
        return self.__pydantic_private__["_category_names"]  # type: ignore[index]

    @property
    def base(self) -> Decimal:
        """Full base marks: the sum of the categories, or points.base."""
        if self.categories:
            return sum((c.max for c in self.categories), Decimal(0))
        return self.points.base or Decimal(0)


# --- loading ------------------------------------------------------------------------------------


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "")
        return f"must be a number {sign} {bound}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind in ("string_type", "string_too_short"):
        return "must be a non-empty string"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("list_type", "tuple_type"):
        return "must be an array"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a table"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern', '')}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "too_long":
        return "has too many entries"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return str(error.get("msg", kind))


def parse_scheme(text: str, source: str) -> Scheme:
    """A scheme from TOML text; `source` names the file in every message."""
    try:
        data = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError([f"{source}: not valid TOML: {exc}"]) from None
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            problems.append(f"{source}: {_path(loc)}: {_message(err)}")
        raise SchemeError(problems) from None
    problems = [f"{source}: {path}: {msg}" for path, msg in check_scheme(scheme)]
    if problems:
        raise SchemeError(problems)
    return scheme


def check_scheme(s: Scheme) -> list[tuple[str, str]]:
    """Rules that tie one part of a scheme to another; each fault as (key path, message)."""
    out: list[tuple[str, str]] = []
    names = [c.name for c in s.categories]
    for i, name in enumerate(names):
        if name in names[:i]:
            out.append((f"categories[{i}].name", f"category '{name}' is given twice"))
    p = s.process
    if (p.review_days is not None or p.review_body) and p.answer_days is None and not p.answer:
        out.append(("process.review_days", "a 复议 follows the branch's answer: give answer_days or answer"))
    if p.answer_days is not None and p.answer:
        out.append(("process.answer", "give answer_days or answer, not both"))
    if s.points.method == "monthly" and not s.categories:
        out.append(("categories", "a monthly scheme needs its categories"))
    if s.categories and s.points.base is not None and s.points.base != s.base:
        out.append(("points.base", f"must equal the sum of the categories ({s.base}) or be left out"))
    if not s.categories and s.points.base is None:
        out.append(("points.base", "required when the scheme has no categories"))
    if s.bonus.cap_per == "month" and s.points.method != "monthly":
        out.append(("bonus.cap_per", "'month' needs points.method = 'monthly'"))
    if s.bonus.category and s.bonus.category in names:
        out.append(("bonus.category", f"'{s.bonus.category}' is already a base category"))
    if s.bonus.category and s.bonus.cap is None:
        out.append(("bonus.cap", "required when the bonus is a category of its own"))
    if not s.deduction.uncategorised and not s.categories:
        out.append(("deduction.uncategorised", "must be true when the scheme has no categories"))
    limit = s.points.limit
    for i, c in enumerate(s.categories):
        if c.max > limit:
            out.append((f"categories[{i}].max", f"{c.max} is above points.limit ({limit})"))

    ev = s.evaluation
    for label in ev.values:
        if label not in RATING_LABELS:
            out.append((f"evaluation.values.{label}", f"unknown rating; the ratings are {'/'.join(RATING_LABELS)}"))
    for label in RATING_LABELS:
        if label not in ev.values:
            out.append((f"evaluation.values.{label}", "required key is missing"))
    if ev.blend == "weighted":
        for key in ("points_weight", "evaluation_weight"):
            if getattr(ev, key) is None:
                out.append((f"evaluation.{key}", "required when blend = 'weighted'"))
        if (ev.points_weight is not None and ev.evaluation_weight is not None
                and ev.points_weight + ev.evaluation_weight != 1):
            out.append(("evaluation.evaluation_weight", "the two weights must add up to 1"))
    elif ev.points_weight is not None or ev.evaluation_weight is not None:
        out.append(("evaluation.blend", "weights are given but blend is not 'weighted'"))

    grades = s.grading.grades
    for i, rule in enumerate(s.grading.rules):
        where = f"grading.rules[{i}]"
        if (rule.grade is None) == (not rule.no_grade):
            out.append((where, "give exactly one of grade or no_grade = true"))
        elif rule.grade is not None and rule.grade not in grades:
            out.append((f"{where}.grade", f"'{rule.grade}' is not one of grading.grades ({'/'.join(grades)})"))
        if rule.when.grade is not None:
            out.append((f"{where}.when.grade", "a grade rule cannot ask for a grade: use it in flags"))
        if rule.when.vetoed is not None and s.veto is None:
            out.append((f"{where}.when.vetoed", "this scheme has no [veto]"))
    if not s.grading.rules[-1].when.is_empty():
        last = len(s.grading.rules) - 1
        out.append((f"grading.rules[{last}].when",
                    "the last rule must have no conditions, so every member gets an answer"))

    for i, flag in enumerate(s.flags):
        for g in flag.when.grade or ():
            if g not in grades:
                out.append((f"flags[{i}].when.grade", f"'{g}' is not one of grading.grades ({'/'.join(grades)})"))
        if flag.flag == "excellent_eligible" and flag.when.status != "full":
            out.append((f"flags[{i}].when.status", "excellent_eligible is for full members only: set status = 'full'"))
        if flag.flag == "probation_at_risk" and flag.when.status != "probationary":
            out.append((f"flags[{i}].when.status", "probation_at_risk needs status = 'probationary'"))

    out += _citations(s)
    codes: set[str] = set()
    allowed = set(s.category_names())
    for i, item in enumerate(s.items):
        where = f"items[{i}]"
        if item.code in codes:
            out.append((f"{where}.code", f"code '{item.code}' is used twice"))
        codes.add(item.code)
        given = [k for k in ("points", "levels", "range", "choice", "max") if getattr(item, k) is not None]
        if item.open:
            given.append("open")
        if item.kind == "veto":
            if given:
                out.append((f"{where}.{given[0]}", "a veto item carries no points"))
        elif len(given) != 1:
            out.append((where, "give exactly one of points, levels, range, choice, max or open = true"))
        for key in ("points", "max", "range", "choice", "levels"):
            value = getattr(item, key)
            values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
            if value is not None and any(v > limit for v in values):
                out.append((f"{where}.{key}", f"a value is above points.limit ({limit})"))
            elif value is not None and any(v != v.quantize(Decimal(1).scaleb(-POINTS_PLACES)) for v in values):
                out.append((f"{where}.{key}", f"points have at most {POINTS_PLACES} decimal places"))
        if item.range is not None and item.range[0] > item.range[1]:
            out.append((f"{where}.range", "the low end is above the high end"))
        elif item.range is not None and item.range[1] <= 0:
            out.append((f"{where}.range", "the high end must be above 0"))
        if item.choice is not None and len(set(item.choice)) != len(item.choice):
            out.append((f"{where}.choice", "a value is given twice"))
        if item.kind == "veto" and s.veto is None:
            out.append((f"{where}.kind", "this scheme has no [veto]: a veto item needs one"))
        if item.kind == "score" and item.points is not None and item.each:
            out.append((f"{where}.each", "a criterion of a monthly category counts once a month"))
        if item.levels is not None and not item.levels:
            out.append((f"{where}.levels", "must not be empty"))
        if item.category is not None and item.category not in allowed:
            out.append((f"{where}.category", f"'{item.category}' is not a category of this scheme"))
        if item.kind == "score":
            if s.points.method != "monthly":
                out.append((f"{where}.kind", "'score' items need points.method = 'monthly'"))
            if item.category is None:
                out.append((f"{where}.category", "a score item names its category"))
        if item.kind == "deduction" and item.category is None and not s.deduction.uncategorised:
            out.append((f"{where}.category", "this scheme has no uncategorised deductions: name a category"))
    return out


# Parts whose rule must say what it rests on: the seed's words, the product's reading, or both.
_MUST_CITE = ("points", "veto", "exemption", "grading.rules", "flags", "items")


def _citations(s: Scheme) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def visit(value: Any, path: str) -> None:
        if isinstance(value, Cited):
            if value.clause and not value.place:
                out.append((f"{path}.place" if path else "place", "say where the quoted clause stands in the seed"))
            bare = path.split("[")[0]
            if bare in _MUST_CITE and not value.clause and not value.reading:
                out.append((path, "give clause (the seed's words, with place) or reading (the scheme's own decision)"))
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                visit(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, f"{path}[{i}]")

    visit(s, "")
    return out
