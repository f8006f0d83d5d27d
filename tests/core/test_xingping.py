"""xingping-medical-insurance-2022 (SCHEMES.md): monthly category sheets, quarter = mean of months,
points = mean of quarters, total = 80% points + 20% democratic evaluation."""

from __future__ import annotations

from decimal import Decimal

from core.branch import BranchYear, Entry, Member
from core.checks import check_branch_year
from core.schemes import builtin
from tests.conftest import D, entry, member, ratings, run

SCHEME = "xingping-medical-insurance-2022"


def score_every_month(mid: str, category: str, points) -> list[Entry]:
    """One `score` entry for `category` in each of the twelve months."""
    return [entry(mid, "score", points, month=m, category=category) for m in range(1, 13)]


# ---------------------------------------------------------------- monthly sheet


def test_month_without_entries_counts_full_base_marks_and_no_bonus():
    r = run(SCHEME, [member("a")])["a"]
    # every month 20 + 20 + 15 + 15 + 20 = 90, 奖励分 0 -> every quarter 90, points 90
    assert r.quarters == (90, 90, 90, 90)
    assert r.points == 90
    # no ratings: total = points
    assert r.total == 90
    assert r.evaluation is None


def test_score_entry_replaces_the_categorys_full_marks_for_that_month():
    r = run(SCHEME, [member("a")], [entry("a", "score", 15, month=4, category="理论学习")])["a"]
    # April = 15 + 20 + 15 + 15 + 20 = 85
    # Q2 = (85 + 90 + 90) / 3 = 88.333... -> 88.33
    assert r.quarters == (90, D("88.33"), 90, 90)
    # points = (90 + 88.333... + 90 + 90) / 4 = 89.5833... -> 89.58
    assert r.points == D("89.58")


def test_later_score_for_same_category_and_month_replaces_earlier_one():
    r = run(SCHEME, [member("a")], [
        entry("a", "score", 15, month=4, category="理论学习"),
        entry("a", "score", 18, month=4, category="理论学习"),
    ])["a"]
    # April uses the later 18: 18 + 20 + 15 + 15 + 20 = 88
    # Q2 = (88 + 90 + 90) / 3 = 89.333... -> 89.33
    assert r.quarters == (90, D("89.33"), 90, 90)


def test_category_deduction_lowers_only_that_category_in_that_month():
    r = run(SCHEME, [member("a")], [entry("a", "deduction", 5, month=2, category="服务群众")])["a"]
    # February: 服务群众 20 - 5 = 15 -> month 85; January and March stay 90
    # Q1 = (90 + 85 + 90) / 3 = 88.333... -> 88.33; Q2..Q4 untouched
    assert r.quarters == (D("88.33"), 90, 90, 90)


def test_category_deduction_never_takes_a_category_below_zero():
    r = run(SCHEME, [member("a")],
            [entry("a", "deduction", 4, month=1, category="理论学习") for _ in range(6)])["a"]
    # January 理论学习: 20 - 6 x 4 = -4 -> 0, so the month is 90 - 20 = 70 (not 66)
    # Q1 = (70 + 90 + 90) / 3 = 83.333... -> 83.33
    assert r.quarters == (D("83.33"), 90, 90, 90)


def test_category_deduction_applies_to_a_scored_category():
    r = run(SCHEME, [member("a")], [
        entry("a", "score", 12, month=1, category="理论学习"),
        entry("a", "deduction", 4, month=1, category="理论学习"),
    ])["a"]
    # January 理论学习: scored 12, then lowered by 4 -> 8; month = 90 - 20 + 8 = 78
    # Q1 = (78 + 90 + 90) / 3 = 86
    assert r.quarters == (86, 90, 90, 90)


def test_bonus_category_capped_at_10_per_month():
    r = run(SCHEME, [member("a")], [
        entry("a", "bonus", 3, month=1),
        entry("a", "bonus", 5, month=1),
        entry("a", "bonus", 4, month=1),  # January: 3 + 5 + 4 = 12 -> 10
        entry("a", "bonus", 6, month=2),  # February: 6 (the cap is per month, not carried over)
    ])["a"]
    # January 90 + 10 = 100, February 90 + 6 = 96, March 90
    # Q1 = (100 + 96 + 90) / 3 = 95.333... -> 95.33
    assert r.quarters == (D("95.33"), 90, 90, 90)
    # points = (95.333... + 270) / 4 = 91.333... -> 91.33
    assert r.points == D("91.33")


def test_quarter_is_mean_of_its_three_months_and_points_mean_of_quarters():
    r = run(SCHEME, [member("a")], [
        entry("a", "score", 10, month=7, category="工作创新"),   # July 90 - 15 + 10 = 85
        entry("a", "score", 5, month=9, category="工作清单"),    # September 90 - 15 + 5 = 80
        entry("a", "bonus", 2, month=11),                        # November 90 + 2 = 92
    ])["a"]
    # Q3 = (85 + 90 + 80) / 3 = 85; Q4 = (90 + 92 + 90) / 3 = 90.666... -> 90.67
    assert r.quarters == (90, 90, 85, D("90.67"))
    # points = (90 + 90 + 85 + 90.666...) / 4 = 355.666... / 4 = 88.9166... -> 88.92
    assert r.points == D("88.92")


# ---------------------------------------------------------------- evaluation and total


def test_evaluation_is_mean_rating_value_over_the_years_ratings():
    r = run(SCHEME, [member("a")], evaluations=[ratings("a", 1, excellent=1, good=1, fair=1, poor=1)])["a"]
    # (95 + 85 + 70 + 50) / 4 = 75
    assert r.evaluation == 75
    # total = 0.8 x 90 + 0.2 x 75 = 72 + 15 = 87
    assert r.total == 87
    assert r.grade == "良好"
    assert "evaluation_missing" not in r.flags


def test_total_blends_80_percent_points_and_20_percent_evaluation():
    r = run(SCHEME, [member("a")], evaluations=[ratings("a", 1, excellent=6, good=4)])["a"]
    # evaluation = (6 x 95 + 4 x 85) / 10 = 910 / 10 = 91
    assert r.evaluation == 91
    # total = 0.8 x 90 + 0.2 x 91 = 72 + 18.2 = 90.2
    assert r.total == D("90.2")
    assert r.grade == "优秀"


def test_total_is_computed_from_unrounded_points():
    r = run(SCHEME, [member("a")], [entry("a", "score", 19, month=2, category="理论学习")],
            evaluations=[ratings("a", 1, good=3)])["a"]
    # February 89 -> Q1 = (90 + 89 + 90) / 3 = 89.666...
    # points = (89.666... + 270) / 4 = 89.91666... -> reported 89.92
    assert r.points == D("89.92")
    assert r.evaluation == 85
    # total = 0.8 x 89.91666... + 0.2 x 85 = 71.9333... + 17 = 88.9333... -> 88.93
    # (rounding points first would give 0.8 x 89.92 + 17 = 88.936 -> 88.94)
    assert r.total == D("88.93")


def test_no_ratings_total_equals_points_and_flags_evaluation_missing():
    r = run(SCHEME, [member("a")], [entry("a", "score", 10, month=1, category="理论学习")])["a"]
    # January 80 -> Q1 = (80 + 90 + 90) / 3 = 86.666... -> 86.67
    # points = (86.666... + 270) / 4 = 89.1666... -> 89.17
    assert r.points == D("89.17")
    assert r.evaluation is None
    assert r.total == D("89.17")
    assert "evaluation_missing" in r.flags


# ---------------------------------------------------------------- grades


def test_grade_you_xiu_from_exactly_90():
    r = run(SCHEME, [member("a")])["a"]
    # points 90, no ratings -> total 90
    assert r.total == 90
    assert r.grade == "优秀"


def test_grade_you_xiu_from_exactly_90_with_blended_evaluation():
    r = run(SCHEME, [member("a")], evaluations=[ratings("a", 1, excellent=1, good=1)])["a"]
    # evaluation (95 + 85) / 2 = 90; total = 0.8 x 90 + 0.2 x 90 = 90
    assert r.total == 90
    assert r.grade == "优秀"


def test_grade_liang_hao_just_below_90():
    r = run(SCHEME, [member("a")], [entry("a", "score", D("19.88"), month=1, category="理论学习")])["a"]
    # January 89.88 -> Q1 = (89.88 + 180) / 3 = 89.96; points = (89.96 + 270) / 4 = 89.99
    assert r.total == D("89.99")
    assert r.grade == "良好"


def test_grade_liang_hao_from_exactly_80():
    r = run(SCHEME, [member("a")], score_every_month("a", "理论学习", 10))["a"]
    # every month 90 - 20 + 10 = 80 -> points 80 = total
    assert r.total == 80
    assert r.grade == "良好"


def test_grade_he_ge_just_below_80():
    r = run(SCHEME, [member("a")], [*score_every_month("a", "理论学习", 10),
                                    entry("a", "score", D("19.88"), month=1, category="服务群众")])["a"]
    # January 80 - 0.12 = 79.88 -> Q1 = (79.88 + 160) / 3 = 79.96; points = (79.96 + 240) / 4 = 79.99
    assert r.total == D("79.99")
    assert r.grade == "合格"


def test_grade_he_ge_from_exactly_60():
    r = run(SCHEME, [member("a")], score_every_month("a", "理论学习", 0)
            + score_every_month("a", "服务群众", 10))["a"]
    # every month 90 - 20 - 10 = 60 -> points 60 = total
    assert r.total == 60
    assert r.grade == "合格"


def test_grade_bu_he_ge_just_below_60():
    r = run(SCHEME, [member("a")], score_every_month("a", "理论学习", 0)
            + score_every_month("a", "服务群众", 10)
            + [entry("a", "score", D("14.88"), month=1, category="工作创新")])["a"]
    # January 60 - 0.12 = 59.88 -> Q1 = (59.88 + 120) / 3 = 59.96; points = (59.96 + 180) / 4 = 59.99
    assert r.total == D("59.99")
    assert r.grade == "不合格"


# ---------------------------------------------------------------- veto


def test_veto_in_q2_zeroes_q2_onwards_points_and_total_but_reports_evaluation():
    res = run(SCHEME, [member("a"), member("b")], [
        entry("a", "score", 10, month=1, category="理论学习"),  # January 80
        entry("a", "veto", month=5),                             # May -> Q2
    ], evaluations=[ratings("a", 1, excellent=2)])
    a = res["a"]
    # Q1 = (80 + 90 + 90) / 3 = 86.666... -> 86.67 keeps its value; Q2..Q4 = 0
    assert a.quarters == (D("86.67"), 0, 0, 0)
    assert a.points == 0
    assert a.total == 0
    assert a.grade == "不合格"
    assert a.evaluation == 95  # 2 x 优秀 -> 95, still reported
    # b has 90 and ranks above the vetoed member
    assert (a.rank, res["b"].rank) == (2, 1)
    assert a.flags == ("bottom_ranked", "vetoed")
    assert a.why("veto")


def test_vetoed_member_without_ratings_is_still_flagged_evaluation_missing():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "veto", month=5)])
    a = res["a"]
    # Q1 90 keeps its value; points 0, total 0
    assert (a.quarters, a.points, a.total, a.grade, a.evaluation) == ((90, 0, 0, 0), 0, 0, "不合格", None)
    # SCHEMES.md: "With no ratings: ... flag evaluation_missing"; the veto adds `vetoed`
    assert a.flags == ("bottom_ranked", "evaluation_missing", "vetoed")


# ---------------------------------------------------------------- flags and probationary members


def test_excellent_eligible_only_for_full_members_and_probationary_ranked_without_grade():
    res = run(SCHEME, [member("a"), member("b", "probationary"), member("c")],
              [entry("a", "bonus", 6, month=1),
               entry("c", "score", D("19.88"), month=1, category="理论学习")])
    a, b, c = res["a"], res["b"], res["c"]
    # a: January 96 -> Q1 = (96 + 180) / 3 = 92; points = (92 + 270) / 4 = 90.5
    assert a.total == D("90.5")
    assert (a.rank, a.grade) == (1, "优秀")
    assert a.flags == ("evaluation_missing", "excellent_eligible")
    # b: probationary, 90 -> ranked 2, no grade, no excellent_eligible even at >= 90
    assert b.total == 90
    assert (b.rank, b.grade) == (2, None)
    assert b.flags == ("evaluation_missing",)
    # c: full, 89.99 (as in the 良好 boundary case) -> not excellent_eligible, ranked last
    assert c.total == D("89.99")
    assert (c.rank, c.grade) == (3, "良好")
    assert c.flags == ("bottom_ranked", "evaluation_missing")


# ---------------------------------------------------------------- entry checks


def test_score_above_category_max_is_rejected_by_checks():
    by = BranchYear(2026, (Member("a", "a"),),
                    (Entry("a", "score", 1, 1, Decimal(21), "理论学习"),))
    problems = check_branch_year(builtin(SCHEME), by)
    assert [(p.path, p.message) for p in problems] == [
        ("entries[0].points", "'理论学习' is scored out of 20, not 21"),
    ]


def test_score_at_category_max_is_accepted_by_checks():
    by = BranchYear(2026, (Member("a", "a"),),
                    (Entry("a", "score", 1, 1, Decimal(15), "工作创新"),))
    assert check_branch_year(builtin(SCHEME), by) == []


def test_bonus_without_month_is_rejected_by_checks():
    by = BranchYear(2026, (Member("a", "a"),),
                    (Entry("a", "bonus", 2, None, Decimal(3)),))
    problems = check_branch_year(builtin(SCHEME), by)
    assert [(p.path, p.message) for p in problems] == [
        ("entries[0].month", "required: this scheme keeps a sheet per month"),
    ]


def test_deduction_without_month_is_rejected_by_checks():
    by = BranchYear(2026, (Member("a", "a"),),
                    (Entry("a", "deduction", 3, None, Decimal(4), "理论学习"),))
    problems = check_branch_year(builtin(SCHEME), by)
    assert [(p.path, p.message) for p in problems] == [
        ("entries[0].month", "required: this scheme keeps a sheet per month"),
    ]
