"""linyi-geopark-2021 (SCHEMES.md): base 100, uncapped 奉献分, points without floor,
评议分 = mean of the half-yearly rounds, total = max(0, points + 评议分), grade by 评议分
with the top-20% share and the 连续两年末位 rule."""

from __future__ import annotations

from core.branch import BranchYear, Member, Ratings
from core.checks import check_branch_year
from core.schemes import builtin
from tests.conftest import D, entry, history, member, ratings, run

SCHEME = "linyi-geopark-2021"


# ---------------------------------------------------------------- points and total


def test_base_100_plus_evaluation():
    r = run(SCHEME, [member("a")], evaluations=[ratings("a", 1, excellent=4)])["a"]
    # 30 + 30 + 20 + 10 + 10 = 100 in every quarter
    assert r.quarters == (100, 100, 100, 100)
    assert r.points == 100
    # 评议分 = 95; total = 100 + 95 = 195
    assert r.evaluation == 95
    assert r.total == 195


def test_bonus_is_uncapped():
    r = run(SCHEME, [member("a")], [entry("a", "bonus", 30, quarter=1), entry("a", "bonus", 25, quarter=3)],
            evaluations=[ratings("a", 1, good=1)])["a"]
    # Q1 130, Q2 130, Q3 130 + 25 = 155, Q4 155 (no cap)
    assert r.quarters == (130, 130, 155, 155)
    assert r.points == 155
    # total = 155 + 85 = 240
    assert r.total == 240


def test_points_have_no_floor_and_quarter_figure_can_be_negative():
    r = run(SCHEME, [member("a")], [entry("a", "bonus", 5, quarter=1), entry("a", "deduction", 150, quarter=2)],
            evaluations=[ratings("a", 1, excellent=1)])["a"]
    # Q1 105; Q2 105 - 150 = -45; Q3, Q4 -45
    assert r.quarters == (105, -45, -45, -45)
    assert r.points == -45
    # total = -45 + 95 = 50
    assert r.total == 50


def test_total_floor_at_zero():
    r = run(SCHEME, [member("a")], [entry("a", "deduction", 250, month=2)],
            evaluations=[ratings("a", 1, excellent=1)])["a"]
    # points = 100 - 250 = -150; total = max(0, -150 + 95) = max(0, -55) = 0
    assert r.points == -150
    assert r.total == 0


# ---------------------------------------------------------------- evaluation rounds


def test_evaluation_is_mean_of_round_scores_not_pooled_ratings():
    r = run(SCHEME, [member("a")], evaluations=[
        ratings("a", 1, excellent=1),        # round 1: 95
        ratings("a", 2, good=1, fair=3),     # round 2: (85 + 3 x 70) / 4 = 73.75
    ])["a"]
    # 评议分 = (95 + 73.75) / 2 = 84.375 -> 84.38
    # (pooling all five ratings would give (95 + 85 + 210) / 5 = 78, graded 基本合格)
    assert r.evaluation == D("84.38")
    # total = 100 + 84.375 = 184.375 -> 184.38
    assert r.total == D("184.38")
    assert r.grade == "合格"


def test_only_round_1_held_gives_round_1_score():
    r = run(SCHEME, [member("a")], evaluations=[ratings("a", 1, good=2, fair=1)])["a"]
    # round 1: (2 x 85 + 70) / 3 = 80
    assert r.evaluation == 80
    assert r.total == 180
    # 80 -> 合格 (boundary)
    assert r.grade == "合格"


def test_no_rounds_gives_no_evaluation_no_grade_and_total_equals_points():
    r = run(SCHEME, [member("a")], [entry("a", "bonus", 7, quarter=2)])["a"]
    # points = 100 + 7 = 107; 评议分 counts 0 -> total 107
    assert r.evaluation is None
    assert r.points == 107
    assert r.total == 107
    assert r.grade is None
    assert "evaluation_missing" in r.flags


def test_no_rounds_with_negative_points_total_is_floored_at_zero():
    r = run(SCHEME, [member("a")], [entry("a", "deduction", 120, quarter=1)])["a"]
    # points = 100 - 120 = -20; total = max(0, -20 + 0) = 0
    assert r.points == -20
    assert r.total == 0
    assert "evaluation_missing" in r.flags


def test_round_3_is_rejected_by_checks():
    by = BranchYear(2026, (Member("a", "a"),), (), (Ratings("a", 3, {"优秀": 2}),))
    problems = check_branch_year(builtin(SCHEME), by)
    assert [(p.path, p.message) for p in problems] == [
        ("evaluations[0].round", "scheme linyi-geopark-2021 holds 2 evaluation round(s) a year, not round 3"),
    ]


# ---------------------------------------------------------------- grades


def test_grades_by_evaluation_score_and_top_share():
    res = run(SCHEME, [member(m) for m in "abcdef"], evaluations=[
        ratings("a", 1, excellent=1),              # 95
        ratings("b", 1, excellent=1, good=1),      # (95 + 85) / 2 = 90
        ratings("c", 1, good=2, fair=1),           # (170 + 70) / 3 = 80
        ratings("d", 1, good=3, fair=2),           # (255 + 140) / 5 = 79
        ratings("e", 1, fair=1, poor=1),           # (70 + 50) / 2 = 60
        ratings("f", 1, fair=2, poor=3),           # (140 + 150) / 5 = 58
    ])
    # totals 195, 190, 180, 179, 160, 158 -> ranks 1..6; top share: max(1, floor(0.2 x 6)) = 1
    assert [res[m].total for m in "abcdef"] == [195, 190, 180, 179, 160, 158]
    assert [res[m].rank for m in "abcdef"] == [1, 2, 3, 4, 5, 6]
    assert res["a"].grade == "优秀"      # 95 >= 90, rank 1 inside the top 1
    assert res["b"].grade == "合格"      # 90 >= 90, rank 2 outside the top 1
    assert res["c"].grade == "合格"      # 80 >= 80
    assert res["d"].grade == "基本合格"  # 79 >= 60
    assert res["e"].grade == "基本合格"  # 60 >= 60
    assert res["f"].grade == "不合格"    # 58 < 60
    assert "excellent_eligible" in res["a"].flags
    assert "excellent_eligible" not in res["b"].flags


def test_top_share_covers_two_places_among_ten_members():
    ms = [member(f"m{i}") for i in range(1, 11)]
    ev = [ratings("m1", 1, excellent=1), ratings("m2", 1, excellent=1), ratings("m3", 1, excellent=1)]
    ev += [ratings(f"m{i}", 1, good=1) for i in range(4, 11)]
    res = run(SCHEME, ms, [entry("m1", "bonus", 2, quarter=1), entry("m2", "bonus", 1, quarter=1)], ev)
    # m1 102 + 95 = 197, m2 101 + 95 = 196, m3 100 + 95 = 195, others 100 + 85 = 185
    # top share: max(1, floor(0.2 x 10)) = 2 -> m1, m2 inside; m3 (rank 3) outside
    assert [res[m].rank for m in ("m1", "m2", "m3")] == [1, 2, 3]
    assert [res[m].grade for m in ("m1", "m2", "m3")] == ["优秀", "优秀", "合格"]
    assert [("excellent_eligible" in res[m].flags) for m in ("m1", "m2", "m3")] == [True, True, False]


def test_exempt_members_do_not_count_in_top_share():
    ms = [member(f"m{i}") for i in range(1, 6)] + [member(f"x{i}", exempt=True) for i in range(1, 6)]
    ev = [ratings("m1", 1, excellent=1), ratings("m2", 1, excellent=1)]
    ev += [ratings(f"m{i}", 1, good=1) for i in range(3, 6)]
    res = run(SCHEME, ms, [entry("m2", "deduction", 1, quarter=1)], ev)
    # m1 100 + 95 = 195 (rank 1), m2 99 + 95 = 194 (rank 2)
    # N = 5 non-exempt -> share max(1, floor(0.2 x 5)) = 1 (counting the 5 exempt would give 2)
    assert (res["m1"].rank, res["m2"].rank) == (1, 2)
    assert res["m1"].grade == "优秀"
    assert res["m2"].grade == "合格"
    assert "excellent_eligible" not in res["m2"].flags
    assert res["x1"].rank is None
    assert res["x1"].flags == ("exempt",)


def test_bottom_two_years_running_is_bu_he_ge_despite_high_evaluation():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "deduction", 50, quarter=2)],
              evaluations=[ratings("a", 1, excellent=1), ratings("b", 1, good=1)],
              past=[history("a", 2025, 140, bottom=True)])
    a = res["a"]
    # a: 100 - 50 + 95 = 145 < b: 100 + 85 = 185 -> a bottom; 2025 bottom too -> 不合格
    assert a.total == 145
    assert a.evaluation == 95
    assert "bottom_ranked" in a.flags
    assert a.grade == "不合格"


def test_bottom_this_year_but_not_last_year_keeps_evaluation_grade():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "deduction", 50, quarter=2)],
              evaluations=[ratings("a", 1, excellent=1), ratings("b", 1, good=1)],
              past=[history("a", 2025, 140, bottom=False)])
    # a: 145, bottom, 评议分 95 >= 90 but rank 2 is outside the top max(1, floor(0.4)) = 1 -> 合格
    assert res["a"].grade == "合格"


def test_bottom_last_year_but_not_this_year_keeps_evaluation_grade():
    res = run(SCHEME, [member("a"), member("b")], [entry("b", "deduction", 50, quarter=2)],
              evaluations=[ratings("a", 1, excellent=1), ratings("b", 1, good=1)],
              past=[history("a", 2025, 140, bottom=True)])
    # a: 195 (rank 1), b: 135 (bottom) -> a 优秀 by 95 inside the top 1
    assert res["a"].grade == "优秀"
    assert "bottom_ranked" not in res["a"].flags


def test_bottom_two_years_running_grades_bu_he_ge_even_without_rounds():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "deduction", 10, quarter=1)],
              past=[history("a", 2025, 100, bottom=True)])
    # a: 90, b: 100 -> a bottom; the 连续两年末位 rule comes before "no rounds -> no grade"
    assert res["a"].grade == "不合格"
    assert res["b"].grade is None


# ---------------------------------------------------------------- flags, probationary, veto


def test_excellent_eligible_only_for_full_members_inside_top_share():
    ms = [member("p", "probationary"), member("a"), member("b"), member("c"), member("d")]
    res = run(SCHEME, ms, evaluations=[
        ratings("p", 1, excellent=1),            # 195, rank 1
        ratings("a", 1, excellent=1, good=1),    # 190, rank 2
        ratings("b", 1, good=1),                 # 185
        ratings("c", 1, good=1),                 # 185
        ratings("d", 1, fair=1),                 # 170
    ])
    # N = 5 -> top share 1: only the probationary member p is inside
    p, a = res["p"], res["a"]
    assert p.rank == 1
    assert p.grade is None
    assert "excellent_eligible" not in p.flags
    assert a.rank == 2
    assert a.grade == "合格"  # 90 but outside the top 1
    assert "excellent_eligible" not in a.flags


def test_veto_zeroes_from_its_quarter_and_still_reports_evaluation():
    res = run(SCHEME, [member("a"), member("b")], [
        entry("a", "bonus", 5, quarter=1),
        entry("a", "deduction", 3, quarter=2),
        entry("a", "veto", quarter=3),
    ], evaluations=[ratings("a", 1, excellent=2), ratings("a", 2, excellent=1), ratings("b", 1, good=1)])
    a = res["a"]
    # Q1 105, Q2 105 - 3 = 102 keep their values; from Q3 0
    assert a.quarters == (105, 102, 0, 0)
    assert (a.points, a.total, a.grade) == (0, 0, "不合格")
    assert a.evaluation == 95  # rounds 95 and 95, still reported
    assert a.flags == ("bottom_ranked", "vetoed")


def test_vetoed_member_without_rounds_is_still_flagged_evaluation_missing():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "veto", quarter=2)],
              evaluations=[ratings("b", 1, good=1)])
    a = res["a"]
    assert (a.points, a.total, a.grade, a.evaluation) == (0, 0, "不合格", None)
    # SCHEMES.md: "With no rounds: 评议分 = 0 and flag evaluation_missing"; veto adds `vetoed`
    assert a.flags == ("bottom_ranked", "evaluation_missing", "vetoed")
