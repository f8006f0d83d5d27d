"""xingping-medical-insurance-2022 (SCHEMES.md v2): a monthly sheet of five categories scored
from what a member did (criteria met, or the category scored as a whole), 奖励分 capped at 10 a
month; months nobody scored are left out; quarter = mean of its scored months, points = mean of
the quarters with a figure; total = 80% points + 20% democratic evaluation; bands 90/80/60.

Every expectation below is worked by hand from the seed's rules (arithmetic in the comments)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.branch import BranchYear, Entry, Member
from core.checks import check_branch_year
from core.scheme import parse_scheme
from core.schemes import builtin, builtin_text
from tests.conftest import D, entry, member, ratings, run

SCHEME = "xingping-medical-insurance-2022"
FULL = {"理论学习": 20, "服务群众": 20, "工作创新": 15, "工作清单": 15, "党员作用发挥": 20}  # 90 a month
NONE4 = (None, None, None, None)


def sheet(mid: str, month: int, changes: dict[str, object] | None = None, skip: tuple[str, ...] = ()) -> list[Entry]:
    """A direct `score` entry for every category of one month: full marks unless `changes` says
    otherwise; the categories in `skip` get no entry."""
    marks = {**FULL, **(changes or {})}
    return [entry(mid, "score", marks[c], month=month, category=c) for c in FULL if c not in skip]


def criterion(mid: str, month: int, code: str) -> Entry:
    """A criterion met: the entry carries the item's points, as the catalogue requires."""
    item = builtin(SCHEME).item(code)
    assert item is not None and item.points is not None, code
    return entry(mid, "score", item.points, month=month, item=code)


# ---------------------------------------------------------------- the scheme file


def test_catalogue_lists_the_seeds_criteria_as_points_of_their_category():
    s = builtin(SCHEME)
    criteria = {i.code: (i.category, i.points) for i in s.items if i.kind == "score" and i.points is not None}
    assert criteria == {
        "S1.1": ("理论学习", 4), "S1.2": ("理论学习", 4), "S1.3": ("理论学习", 4), "S1.4": ("理论学习", 4),
        "S1.5": ("理论学习", 4),
        "S2.1": ("服务群众", 5), "S2.2": ("服务群众", 5), "S2.3": ("服务群众", 5), "S2.4": ("服务群众", 5),
        "S3.1": ("工作创新", 5), "S3.2": ("工作创新", 5), "S3.3": ("工作创新", 5),
        "S4.1": ("工作清单", 6), "S4.2": ("工作清单", 3), "S4.3": ("工作清单", 3), "S4.4": ("工作清单", 3),
    }
    # one direct score per category, 0 to its full marks; 党员作用发挥 has only this one
    direct = {i.code: (i.category, i.range) for i in s.items if i.kind == "score" and i.range is not None}
    assert direct == {"S1": ("理论学习", [0, 20]), "S2": ("服务群众", [0, 20]), "S3": ("工作创新", [0, 15]),
                      "S4": ("工作清单", [0, 15]), "S5": ("党员作用发挥", [0, 20])}
    # no "未做到" deduction items, no S5.1; 奖励分 as the seed says, none of them 每次
    assert [i.code for i in s.items if i.kind == "deduction"] == []
    assert s.item("S5.1") is None
    assert {i.code: i.points for i in s.items if i.kind == "bonus"} == {"J1": 2, "J2": 3, "J3": 5}
    assert not any(i.each for i in s.items)
    assert [i.code for i in s.items if i.kind == "veto"] == ["F1", "F2", "F3"]
    assert s.exemption is None
    # the seed sets no publicity days: the 5 is the scheme's reading
    assert s.process.publicity_days == 5 and "未规定公示天数" in s.process.reading


def test_exempt_member_is_refused_the_seed_has_no_exemption():
    by = BranchYear(2026, (Member("a", "a", "full", True),))
    problems = check_branch_year(builtin(SCHEME), by)
    assert [p.path for p in problems] == ["members[0].exempt"]


# ---------------------------------------------------------------- scored and unscored months


def test_nothing_scored_all_year_leaves_points_total_and_rank_empty():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "bonus", 2, month=3, item="J1")])
    a = res["a"]
    # no month has any score entry: every quarter has no figure, no points, no total, no rank
    assert (a.quarters, a.points, a.total, a.rank, a.grade) == (NONE4, None, None, None, None)
    assert a.flags == ("evaluation_missing",)
    # the bonus of March is left out, and the reasons say so
    assert any("3月" in r.text and "无人评分" in r.text for r in a.why("points"))
    assert (res["b"].points, res["b"].rank) == (None, None)


def test_ratings_without_any_scored_month_give_no_total_and_no_grade():
    a = run(SCHEME, [member("a")], evaluations=[ratings("a", 1, excellent=3)])["a"]
    # the evaluation is 95, but there are no points to blend it with: no total, no rank, no grade
    assert (a.points, a.evaluation, a.total, a.rank) == (None, 95, None, None)
    assert (a.grade, a.flags) == (None, ())


def test_member_without_entries_in_a_scored_month_counts_zero_and_is_flagged():
    res = run(SCHEME, [member("a"), member("b")], sheet("a", 1))
    a, b = res["a"], res["b"]
    # January is scored (a has scores): a 20 + 20 + 15 + 15 + 20 = 90; Feb and Mar nobody scored
    assert (a.quarters, a.points, a.total, a.rank) == ((90, None, None, None), 90, 90, 1)
    assert "month_unscored" not in a.flags
    # b has no entry in January: every category 0, the month 0 -> Q1 0, points 0, total 0
    assert (b.quarters, b.points, b.total, b.rank) == ((0, None, None, None), 0, 0, 2)
    assert b.flags == ("bottom_ranked", "evaluation_missing", "month_unscored")
    [why] = b.why("flag:month_unscored")
    assert why.text.startswith("1月")


def test_category_left_unscored_in_a_scored_month_counts_zero_and_the_reasons_name_the_months():
    res = run(SCHEME, [member("a"), member("b")], [
        *sheet("b", 4), *sheet("b", 5),
        entry("a", "score", 16, month=4, category="理论学习"),  # a: only 理论学习 in April
    ])
    a = res["a"]
    # April (scored): 16 + 0 + 0 + 0 + 0 = 16; May (scored by b): a has nothing -> 0; June nobody scored
    # Q2 = (16 + 0) / 2 = 8; no other quarter has a scored month -> points 8
    assert (a.quarters, a.points) == ((None, 8, None, None), 8)
    assert "month_unscored" in a.flags
    [why] = a.why("flag:month_unscored")
    assert why.text.startswith("4月、5月")
    # b: April and May 90 -> Q2 90
    assert res["b"].quarters == (None, 90, None, None)
    assert "month_unscored" not in res["b"].flags


def test_month_nobody_scored_is_left_out_of_the_quarter_mean():
    res = run(SCHEME, [member("a")], [
        *sheet("a", 1),                              # January 90
        *sheet("a", 2, {"理论学习": 10}),            # February 90 - 20 + 10 = 80
        entry("a", "bonus", 5, month=3, item="J3"),  # March: nobody scored, left out
    ])
    a = res["a"]
    # Q1 = (90 + 80) / 2 = 85, not (90 + 80 + 0) / 3 and not with March at full marks
    assert (a.quarters, a.points, a.total) == ((85, None, None, None), 85, 85)
    assert any("3月" in r.text and "未计入" in r.text for r in a.why("points"))


def test_points_are_the_mean_of_the_quarters_that_have_a_figure():
    res = run(SCHEME, [member("a")], [
        *sheet("a", 1), *sheet("a", 2), *sheet("a", 3),  # Q1 (90 + 90 + 90) / 3 = 90
        *sheet("a", 8, {"理论学习": 0}),                 # Q3: August only, 90 - 20 = 70
    ])
    a = res["a"]
    # Q2 and Q4 have no scored month: no figure; points = (90 + 70) / 2 = 80
    assert (a.quarters, a.points, a.total) == ((90, None, 70, None), 80, 80)


def test_quarter_mean_and_points_mean_with_thirds():
    res = run(SCHEME, [member("a")], [
        *sheet("a", 1), *sheet("a", 2, {"服务群众": 19}), *sheet("a", 3),  # 90, 89, 90
        *sheet("a", 4),                                                   # 90
    ])
    a = res["a"]
    # Q1 = 269 / 3 = 89.666... -> 89.67; Q2 = 90 (April only)
    # points = (89.666... + 90) / 2 = 89.8333... -> 89.83
    assert (a.quarters, a.points) == ((D("89.67"), 90, None, None), D("89.83"))


# ---------------------------------------------------------------- criteria and direct scores


def test_criteria_met_are_summed_into_their_category():
    res = run(SCHEME, [member("a")], [
        criterion("a", 1, "S1.1"), criterion("a", 1, "S1.3"),  # 理论学习 4 + 4 = 8
        criterion("a", 1, "S4.1"), criterion("a", 1, "S4.2"),  # 工作清单 6 + 3 = 9
        *sheet("a", 1, skip=("理论学习", "工作清单")),          # 服务群众 20, 工作创新 15, 党员作用发挥 20
    ])
    a = res["a"]
    # January = 8 + 20 + 15 + 9 + 20 = 72; every category has a score, so nothing is unscored
    assert (a.quarters, a.points) == ((72, None, None, None), 72)
    assert "month_unscored" not in a.flags


def test_every_criterion_met_gives_the_categorys_full_marks():
    codes = ["S1.1", "S1.2", "S1.3", "S1.4", "S1.5", "S2.1", "S2.2", "S2.3", "S2.4",
             "S3.1", "S3.2", "S3.3", "S4.1", "S4.2", "S4.3", "S4.4"]
    res = run(SCHEME, [member("a")], [*(criterion("a", 6, c) for c in codes),
                                      entry("a", "score", 20, month=6, item="S5")])
    # 理论学习 5 x 4 = 20, 服务群众 4 x 5 = 20, 工作创新 3 x 5 = 15, 工作清单 6 + 3 + 3 + 3 = 15,
    # 党员作用发挥 scored directly 20: June = 90
    assert res["a"].quarters == (None, 90, None, None)


def test_criteria_are_capped_at_the_categorys_full_marks():
    # A branch copy that gives 工作清单 12 marks instead of 15; its four criteria still add up to 15.
    text = builtin_text(SCHEME).replace('name = "工作清单"\nmax = 15', 'name = "工作清单"\nmax = 12')
    assert text != builtin_text(SCHEME)
    copy = parse_scheme(text, "xingping-12.toml")
    res = run(copy, [member("a")], [
        *(criterion("a", 1, c) for c in ("S4.1", "S4.2", "S4.3", "S4.4")),  # 6 + 3 + 3 + 3 = 15 -> 12
        *sheet("a", 1, skip=("工作清单",)),                                   # 20 + 20 + 15 + 20 = 75
    ])
    # January = 75 + 12 = 87
    assert res["a"].quarters == (87, None, None, None)


def test_a_direct_score_replaces_the_criteria_met():
    res = run(SCHEME, [member("a")], [
        entry("a", "score", 15, month=1, item="S1"),            # 理论学习 scored as a whole: 15
        criterion("a", 1, "S1.1"), criterion("a", 1, "S1.2"),  # entered after it: 4 + 4 = 8, replaced
        *sheet("a", 1, skip=("理论学习",)),                     # 20 + 15 + 15 + 20 = 70
    ])
    # January = 15 + 70 = 85 (not 8 + 70 = 78)
    assert res["a"].quarters == (85, None, None, None)


def test_a_later_direct_score_replaces_an_earlier_one():
    res = run(SCHEME, [member("a")], [
        *sheet("a", 1, {"工作创新": 12}),
        entry("a", "score", 6, month=1, category="工作创新"),
    ])
    # 工作创新 uses the later 6: January = 90 - 15 + 6 = 81
    assert res["a"].quarters == (81, None, None, None)


def test_category_deduction_lowers_its_category_that_month_and_never_below_zero():
    res = run(SCHEME, [member("a")], [
        *sheet("a", 1, skip=("工作创新",)),
        *(entry("a", "deduction", 4, month=1, category="理论学习") for _ in range(6)),  # 20 - 24 -> 0
        criterion("a", 1, "S3.1"),                                                    # 工作创新 5
        entry("a", "deduction", 3, month=1, category="工作创新"),                      # 5 - 3 = 2
        *sheet("a", 2),
    ])
    # January = 0 + 20 + 2 + 15 + 20 = 57 (not 20 - 24 = -4 -> 53); February 90
    # Q1 = (57 + 90) / 2 = 73.5
    assert res["a"].quarters == (D("73.5"), None, None, None)


def test_bonus_is_capped_at_10_a_month():
    res = run(SCHEME, [member("a")], [
        *sheet("a", 1), *sheet("a", 2), *sheet("a", 3),
        entry("a", "bonus", 5, month=1, item="J3"), entry("a", "bonus", 3, month=1, item="J2"),
        entry("a", "bonus", 2, month=1, item="J1"), entry("a", "bonus", 5, month=1, item="J3"),
        entry("a", "bonus", 3, month=2, item="J2"),
    ])
    # January 90 + min(10, 5 + 3 + 2 + 5 = 15) = 100; February 90 + 3 = 93 (no carry-over); March 90
    # Q1 = (100 + 93 + 90) / 3 = 94.333... -> 94.33
    assert res["a"].quarters == (D("94.33"), None, None, None)
    assert res["a"].points == D("94.33")


# ---------------------------------------------------------------- evaluation and total


def test_total_is_80_percent_points_and_20_percent_evaluation():
    res = run(SCHEME, [member("a")], sheet("a", 1), evaluations=[ratings("a", 1, excellent=6, good=4)])
    a = res["a"]
    # points 90; evaluation (6 x 95 + 4 x 85) / 10 = 910 / 10 = 91
    # total = 0.8 x 90 + 0.2 x 91 = 72 + 18.2 = 90.2
    assert (a.points, a.evaluation, a.total, a.grade) == (90, 91, D("90.2"), "优秀")
    assert "evaluation_missing" not in a.flags


def test_total_is_computed_from_unrounded_points():
    res = run(SCHEME, [member("a")], [*sheet("a", 1), *sheet("a", 2, {"理论学习": 19}), *sheet("a", 3)],
              evaluations=[ratings("a", 1, good=3)])
    a = res["a"]
    # Q1 = (90 + 89 + 90) / 3 = 89.666...; points the same (one quarter) -> reported 89.67
    # total = 0.8 x 89.666... + 0.2 x 85 = 71.7333... + 17 = 88.7333... -> 88.73
    # (rounding the points first would give 0.8 x 89.67 + 17 = 88.736 -> 88.74)
    assert (a.points, a.evaluation, a.total) == (D("89.67"), 85, D("88.73"))


def test_no_ratings_total_is_points_no_grade_and_evaluation_missing():
    res = run(SCHEME, [member("a")], sheet("a", 1, {"理论学习": 5}))
    a = res["a"]
    # January 90 - 20 + 5 = 75 -> points 75 = total; no grade until the evaluation
    assert (a.points, a.evaluation, a.total, a.grade) == (75, None, 75, None)
    assert a.flags == ("evaluation_missing",)
    assert a.why("grade")[0].text.startswith("不评定等次")


# ---------------------------------------------------------------- grades and their consequences

# (points sheet for January, ratings, total, grade, flags). One member alone: never bottom ranked.
BANDS = [
    # points 90; evaluation (95 + 85) / 2 = 90; total 72 + 18 = 90 -> 优秀 (90分以上)
    ("90 优秀", {}, {"excellent": 1, "good": 1}, D(90), "优秀",
     ("excellent_eligible", "priority_commendation")),
    # points 90; evaluation (99 x 95 + 101 x 85) / 200 = 17990 / 200 = 89.95; total 72 + 17.99 = 89.99
    ("89.99 良好", {}, {"excellent": 99, "good": 101}, D("89.99"), "良好", ()),
    # points 90 - 20 + 10 = 80; evaluation (85 + 85 + 70) / 3 = 80; total 64 + 16 = 80 -> 良好
    ("80 良好", {"理论学习": 10}, {"good": 2, "fair": 1}, D(80), "良好", ()),
    # points 80; evaluation (199 x 85 + 101 x 70) / 300 = 23985 / 300 = 79.95; total 64 + 15.99 = 79.99
    ("79.99 合格", {"理论学习": 10}, {"good": 199, "fair": 101}, D("79.99"), "合格", ("commendation_barred",)),
    # points 90 - 20 - 10 = 60; evaluation (70 + 50) / 2 = 60; total 48 + 12 = 60 -> 合格 (60-79分)
    ("60 合格", {"理论学习": 0, "服务群众": 10}, {"fair": 1, "poor": 1}, D(60), "合格",
     ("commendation_barred",)),
    # points 60; evaluation (199 x 70 + 201 x 50) / 400 = 23980 / 400 = 59.95; total 48 + 11.99 = 59.99
    ("59.99 不合格", {"理论学习": 0, "服务群众": 10}, {"fair": 199, "poor": 201}, D("59.99"), "不合格",
     ("commendation_barred", "talk_required")),
]


@pytest.mark.parametrize("changes,counts,total,grade,flags", [b[1:] for b in BANDS], ids=[b[0] for b in BANDS])
def test_grade_bands_at_90_80_60_and_their_consequences(changes, counts, total, grade, flags):
    a = run(SCHEME, [member("a")], sheet("a", 1, changes), evaluations=[ratings("a", 1, **counts)])["a"]
    assert (a.total, a.grade, a.flags) == (total, grade, flags)


def test_consequence_flags_cite_the_seed():
    res = run(SCHEME, [member("a"), member("b")], [*sheet("a", 1), *sheet("b", 1, {"理论学习": 0})],
              evaluations=[ratings("a", 1, excellent=1), ratings("b", 1, poor=1)])
    a, b = res["a"], res["b"]
    # a: 0.8 x 90 + 0.2 x 95 = 72 + 19 = 91 -> 优秀; b: 0.8 x 70 + 0.2 x 50 = 56 + 10 = 66 -> 合格
    assert (a.total, a.grade, b.total, b.grade) == (91, "优秀", 66, "合格")
    assert "优先推荐" in a.why("flag:priority_commendation")[0].clause
    assert "取消参加评先树优资格" in b.why("flag:commendation_barred")[0].clause
    assert b.flags == ("bottom_ranked", "commendation_barred")


# ---------------------------------------------------------------- veto


def test_veto_zeroes_its_quarter_on_points_and_total_and_grades_bu_he_ge():
    res = run(SCHEME, [member("a"), member("b")], [
        *sheet("a", 1, {"理论学习": 10}), *sheet("a", 4), *sheet("a", 7), *sheet("a", 10),  # a: 80, 90, 90, 90
        *sheet("b", 1), *sheet("b", 4), *sheet("b", 7), *sheet("b", 10),                   # b: 90 each
        entry("a", "veto", month=5, item="F2"),                                             # May -> Q2
    ], evaluations=[ratings("a", 1, excellent=2)])
    a, b = res["a"], res["b"]
    # Q1 keeps 80; from Q2 on every quarter is 0; points 0, total 0; the evaluation (95) is still reported
    assert (a.quarters, a.points, a.evaluation, a.total, a.grade) == ((80, 0, 0, 0), 0, 95, 0, "不合格")
    assert a.flags == ("bottom_ranked", "commendation_barred", "talk_required", "vetoed")
    assert "一票否决" in a.why("veto")[0].clause
    # b: every quarter 90 -> points 90; no ratings -> total 90, no grade
    assert (b.quarters, b.points, b.total, b.grade, b.rank, a.rank) == ((90, 90, 90, 90), 90, 90, None, 1, 2)


def test_vetoed_member_without_ratings_is_unqualified_at_once():
    res = run(SCHEME, [member("a"), member("b")], [
        *(e for m in (1, 4, 7, 10) for e in sheet("a", m) + sheet("b", m)),
        entry("a", "veto", month=2),
    ])
    a = res["a"]
    # the veto is in Q1: every quarter 0, the total 0 whatever the ratings: the veto rule comes
    # before the wait for the evaluation, so 不合格 now, with its consequences
    assert (a.quarters, a.points, a.total, a.grade) == ((0, 0, 0, 0), 0, 0, "不合格")
    assert a.flags == ("bottom_ranked", "commendation_barred", "evaluation_missing", "talk_required", "vetoed")


def test_veto_before_quarters_nobody_has_scored_yet():
    res = run(SCHEME, [member("a"), member("b")], [*sheet("a", 1), *sheet("b", 1),
                                                   entry("a", "veto", month=5, item="F3")])
    a = res["a"]
    # Q1 (January) 90 keeps its value; Q2 onwards 0 (SCHEMES.md: from the veto's quarter on, 0)
    assert (a.quarters, a.points, a.total) == ((90, 0, 0, 0), 0, 0)
    assert "vetoed" in a.flags
    # b: only January scored -> points 90
    assert (res["b"].quarters, res["b"].points) == ((90, None, None, None), 90)


# ---------------------------------------------------------------- probationary members


def test_probationary_member_is_ranked_without_grade_or_excellent_eligible():
    res = run(SCHEME, [member("a"), member("b", "probationary")], [*sheet("a", 1), *sheet("b", 1)],
              evaluations=[ratings("a", 1, excellent=1), ratings("b", 1, excellent=1)])
    a, b = res["a"], res["b"]
    # both 0.8 x 90 + 0.2 x 95 = 91, tied first
    assert (a.total, a.rank, a.grade, a.flags) == (91, 1, "优秀", ("excellent_eligible", "priority_commendation"))
    assert (b.total, b.rank, b.grade, b.flags) == (91, 1, None, ())


# ---------------------------------------------------------------- entry checks


def _problems(*entries: Entry) -> list[tuple[str, str]]:
    by = BranchYear(2026, (Member("a", "a"),), tuple(entries))
    return [(p.path, p.message) for p in check_branch_year(builtin(SCHEME), by)]


def test_score_above_category_max_is_rejected_and_at_max_accepted():
    assert _problems(Entry("a", "score", 1, 1, Decimal(21), "理论学习")) == [
        ("entries[0].points", "'理论学习' is scored out of 20, not 21"),
    ]
    assert _problems(Entry("a", "score", 1, 1, Decimal(15), "工作创新")) == []


def test_a_criterion_gives_its_own_points_only():
    assert _problems(Entry("a", "score", 1, 1, Decimal(4), item="S1.1")) == []
    assert _problems(Entry("a", "score", 1, 1, Decimal(5), item="S1.1")) == [
        ("entries[0].points", "item S1.1 gives 4, not 5"),
    ]


def test_bonus_items_are_not_per_time():
    # the seed says 加2分 for a 县级 commendation, not 每次: one entry per commendation
    assert _problems(Entry("a", "bonus", 1, 1, Decimal(4), item="J1")) == [
        ("entries[0].points", "item J1 gives 2, not 4"),
    ]


def test_entries_without_month_are_rejected():
    assert _problems(Entry("a", "bonus", 2, None, Decimal(3))) == [
        ("entries[0].month", "required: this scheme keeps a sheet per month"),
    ]
    assert _problems(Entry("a", "deduction", 3, None, Decimal(4), "理论学习")) == [
        ("entries[0].month", "required: this scheme keeps a sheet per month"),
    ]


def test_deduction_must_name_its_category():
    assert _problems(Entry("a", "deduction", 1, 1, Decimal(4))) == [
        ("entries[0].category", "this scheme deducts within a category: name it"),
    ]
