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
from core.toml_errors import toml_problem

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
# A scheme's id (it names the file and the year's scheme) and a catalogue line's code.
ID_PATTERN = r"^[a-z0-9][a-z0-9\-]*$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.\-]*$"


class SchemeError(ValueError):
    """A scheme that cannot be used; `problems` holds one line per fault, in Chinese (the
    secretary reads them), each naming the file and the key path as the file spells it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("应为数字")
    number = dec(value)
    if not number.is_finite():  # TOML has inf and nan
        raise ValueError("应为有限的数字（不能是 inf 或 nan）")
    return number


_SHARE_FORMS = '应为比例，如 0.2、"20%" 或 "1/3"'


def _share(value: Any) -> Fraction:
    if isinstance(value, bool):
        raise ValueError(_SHARE_FORMS)
    try:
        share = fraction_of(value)
    except (ValueError, ZeroDivisionError, TypeError):
        raise ValueError(_SHARE_FORMS) from None
    if not 0 < share <= 1:
        raise ValueError("比例应大于 0 且不超过 1")
    return share


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("应为不小于 0 的数")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("应为大于 0 的数")
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

    code: Annotated[str, Field(pattern=CODE_PATTERN)]
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
                raise ValueError("appeal_days 是 answer_days 的旧名称，两者只写一个")
            data["answer_days"] = data.pop("appeal_days")
        return data

    @property
    def appeal_days(self) -> int | None:
        """The old name of `answer_days`."""
        return self.answer_days


class Scheme(_Model):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
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
    return out or "（文件顶层）"


# The patterns of Scheme.id and Item.code, in words.
_PATTERNS = {
    ID_PATTERN: "只能用小写英文字母、数字和连字符（-），并以字母或数字开头",
    CODE_PATTERN: "只能用英文字母、数字、点（.）和连字符（-），并以字母或数字开头",
}
_SIGNS = {"greater_than_equal": "不小于", "greater_than": "大于", "less_than_equal": "不大于", "less_than": "小于"}


def _message(error: ErrorDetails) -> str:
    """A pydantic error in the words a secretary reads."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "未知的键（请检查拼写）"
    if kind == "missing":
        return "缺少这个必填的键"
    if kind in _SIGNS:
        bound = next(iter(ctx.values()), "")
        return f"应为{_SIGNS[kind]} {bound} 的数"
    if kind == "literal_error":
        # pydantic writes the choices as "'a', 'b' or 'c'"
        choices = str(ctx.get("expected", "")).replace(" or ", "、").replace(", ", "、")
        return f"应为以下之一：{choices}"
    if kind in ("string_type", "string_too_short"):
        return "应为不空的文字（加引号）"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "应为整数"
    if kind in ("bool_type", "bool_parsing"):
        return "应为 true 或 false"
    if kind in ("list_type", "tuple_type"):
        return "应为数组（[...]）"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "应为表（[...] 小节或 { ... }）"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return _PATTERNS.get(pattern, f"格式不对，应符合 {pattern}")
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return "不能为空" if least == 1 else f"至少要有 {least} 项"
    if kind == "too_long":
        return f"最多只能有 {ctx.get('max_length', '')} 项"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    # a kind the table above does not know: keep pydantic's words rather than lose them
    return f"不符合要求（{error.get('msg', kind)}）"


def parse_scheme(text: str, source: str) -> Scheme:
    """A scheme from TOML text; `source` names the file in every message."""
    try:
        data = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError([f"{source}: 不是有效的 TOML：{toml_problem(exc)}"]) from None
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
            out.append((f"categories[{i}].name", f"分类“{name}”重复出现"))
    p = s.process
    if (p.review_days is not None or p.review_body) and p.answer_days is None and not p.answer:
        out.append(("process.review_days", "复议在党支部答复之后：请先给出 answer_days 或 answer"))
    if p.answer_days is not None and p.answer:
        out.append(("process.answer", "answer_days 与 answer 只能给出一个"))
    if s.points.method == "monthly" and not s.categories:
        out.append(("categories", "按月计分（points.method = 'monthly'）的方案需要列出 categories"))
    if s.categories and s.points.base is not None and s.points.base != s.base:
        out.append(("points.base", f"应等于各分类满分之和（{s.base}），或者不写"))
    if not s.categories and s.points.base is None:
        out.append(("points.base", "方案没有 categories 时必须给出"))
    if s.bonus.cap_per == "month" and s.points.method != "monthly":
        out.append(("bonus.cap_per", "'month' 需要 points.method = 'monthly'"))
    if s.bonus.category and s.bonus.category in names:
        out.append(("bonus.category", f"“{s.bonus.category}”已是基础分的分类"))
    if s.bonus.category and s.bonus.cap is None:
        out.append(("bonus.cap", "加分单列为一个分类时必须给出"))
    if not s.deduction.uncategorised and not s.categories:
        out.append(("deduction.uncategorised", "方案没有 categories 时必须为 true"))
    limit = s.points.limit
    for i, c in enumerate(s.categories):
        if c.max > limit:
            out.append((f"categories[{i}].max", f"{c.max} 超过 points.limit（{limit}）"))

    ev = s.evaluation
    for label in ev.values:
        if label not in RATING_LABELS:
            out.append((f"evaluation.values.{label}", f"未知的评议等次；等次为 {'/'.join(RATING_LABELS)}"))
    for label in RATING_LABELS:
        if label not in ev.values:
            out.append((f"evaluation.values.{label}", "缺少这个必填的键"))
    if ev.blend == "weighted":
        for key in ("points_weight", "evaluation_weight"):
            if getattr(ev, key) is None:
                out.append((f"evaluation.{key}", "blend = 'weighted' 时必须给出"))
        if (ev.points_weight is not None and ev.evaluation_weight is not None
                and ev.points_weight + ev.evaluation_weight != 1):
            out.append(("evaluation.evaluation_weight", "两个权重之和应为 1"))
    elif ev.points_weight is not None or ev.evaluation_weight is not None:
        out.append(("evaluation.blend", "给出了权重，但 blend 不是 'weighted'"))

    grades = s.grading.grades
    for i, rule in enumerate(s.grading.rules):
        where = f"grading.rules[{i}]"
        if (rule.grade is None) == (not rule.no_grade):
            out.append((where, "grade 与 no_grade = true 应给出且只给出一个"))
        elif rule.grade is not None and rule.grade not in grades:
            out.append((f"{where}.grade", f"“{rule.grade}”不在 grading.grades（{'/'.join(grades)}）之中"))
        if rule.when.grade is not None:
            out.append((f"{where}.when.grade", "等次规则不能以等次为条件：这个条件请写在 flags 中"))
        if rule.when.vetoed is not None and s.veto is None:
            out.append((f"{where}.when.vetoed", "本方案没有 [veto]（一票否决）"))
    if not s.grading.rules[-1].when.is_empty():
        last = len(s.grading.rules) - 1
        out.append((f"grading.rules[{last}].when",
                    "最后一条规则不能有条件，这样每名党员都有结论"))

    for i, flag in enumerate(s.flags):
        for g in flag.when.grade or ():
            if g not in grades:
                out.append((f"flags[{i}].when.grade", f"“{g}”不在 grading.grades（{'/'.join(grades)}）之中"))
        if flag.flag == "excellent_eligible" and flag.when.status != "full":
            out.append((f"flags[{i}].when.status", "excellent_eligible 只适用于正式党员：请设 status = 'full'"))
        if flag.flag == "probation_at_risk" and flag.when.status != "probationary":
            out.append((f"flags[{i}].when.status", "probation_at_risk 只适用于预备党员：请设 status = 'probationary'"))

    out += _citations(s)
    codes: set[str] = set()
    allowed = set(s.category_names())
    for i, item in enumerate(s.items):
        where = f"items[{i}]"
        if item.code in codes:
            out.append((f"{where}.code", f"编号“{item.code}”重复使用"))
        codes.add(item.code)
        given = [k for k in ("points", "levels", "range", "choice", "max") if getattr(item, k) is not None]
        if item.open:
            given.append("open")
        if item.kind == "veto":
            if given:
                out.append((f"{where}.{given[0]}", "否决项不带分值"))
        elif len(given) != 1:
            out.append((where, "points、levels、range、choice、max、open = true 应给出且只给出一个"))
        for key in ("points", "max", "range", "choice", "levels"):
            value = getattr(item, key)
            values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
            if value is not None and any(v > limit for v in values):
                out.append((f"{where}.{key}", f"有分值超过 points.limit（{limit}）"))
            elif value is not None and any(v != v.quantize(Decimal(1).scaleb(-POINTS_PLACES)) for v in values):
                out.append((f"{where}.{key}", f"分值最多保留{POINTS_PLACES}位小数"))
        if item.range is not None and item.range[0] > item.range[1]:
            out.append((f"{where}.range", "下限高于上限"))
        elif item.range is not None and item.range[1] <= 0:
            out.append((f"{where}.range", "上限应大于 0"))
        if item.choice is not None and len(set(item.choice)) != len(item.choice):
            out.append((f"{where}.choice", "有分值重复"))
        if item.kind == "veto" and s.veto is None:
            out.append((f"{where}.kind", "本方案没有 [veto]（一票否决），不能有否决项"))
        if item.kind == "score" and item.points is not None and item.each:
            out.append((f"{where}.each", "月度分类的评分项每月只计一次，不能设 each"))
        if item.levels is not None and not item.levels:
            out.append((f"{where}.levels", "不能为空"))
        if item.category is not None and item.category not in allowed:
            out.append((f"{where}.category", f"“{item.category}”不是本方案的分类"))
        if item.kind == "score":
            if s.points.method != "monthly":
                out.append((f"{where}.kind", "'score' 项需要 points.method = 'monthly'"))
            if item.category is None:
                out.append((f"{where}.category", "score 项须写明所属分类（category）"))
        if item.kind == "deduction" and item.category is None and not s.deduction.uncategorised:
            out.append((f"{where}.category", "本方案的减分都归入分类：请写明 category"))
    return out


# Parts whose rule must say what it rests on: the seed's words, the product's reading, or both.
_MUST_CITE = ("points", "veto", "exemption", "grading.rules", "flags", "items")


def _citations(s: Scheme) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def visit(value: Any, path: str) -> None:
        if isinstance(value, Cited):
            if value.clause and not value.place:
                out.append((f"{path}.place" if path else "place", "引用了原文（clause），请写明它在原文中的位置"))
            bare = path.split("[")[0]
            if bare in _MUST_CITE and not value.clause and not value.reading:
                out.append((path, "请给出 clause（原文，并写明 place）或 reading（本方案自己的理解）"))
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                visit(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, f"{path}[{i}]")

    visit(s, "")
    return out
