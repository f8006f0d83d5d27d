"""jsit-college-2020 (SCHEMES.md): base 100 in eight categories, bonus capped at 10 a year,
uncapped list deductions, points floor 0, year-to-date quarter figures, grades from the total
with the 连续两年 rule, commendation and probation flags, exempt members."""

from __future__ import annotations

from tests.conftest import D, entry, history, member, ratings, run

SCHEME = "jsit-college-2020"


# ---------------------------------------------------------------- points


def test_no_entries_gives_base_100_in_every_quarter():
    r = run(SCHEME, [member("a")])["a"]
    # 12 + 12 + 24 + 12 + 4 + 12 + 12 + 12 = 100
    assert r.quarters == (100, 100, 100, 100)
    assert r.points == 100
    assert r.total == 100


def test_category_deduction_never_takes_more_than_the_category_holds():
    r = run(SCHEME, [member("a")], [
        entry("a", "deduction", 1, quarter=1, category="思想汇报"),
        entry("a", "deduction", 1, quarter=1, category="思想汇报"),
        entry("a", "deduction", 1, quarter=2, category="思想汇报"),
        entry("a", "deduction", 1, quarter=2, category="思想汇报"),
        entry("a", "deduction", 1, quarter=2, category="思想汇报"),
        entry("a", "deduction", 2, quarter=3, category="组织生活"),
    ])["a"]
    # Q1: 思想汇报 lost 2 -> 98
    # Q2: 思想汇报 lost 5 in all, but the category holds 4 -> 100 - 4 = 96
    # Q3: 组织生活 another 2 (a different category) -> 94
    assert r.quarters == (98, 96, 94, 94)
    assert r.points == 94


def test_category_deduction_through_catalogue_item_lowers_its_category_not_the_list():
    r = run(SCHEME, [member("a")], [entry("a", "deduction", D("0.5"), quarter=1, item="C5")])["a"]
    # C5 (徽章, 作用发挥) 0.5: 100 - 0.5 = 99.5; it is a category deduction, not a list deduction
    assert r.total == D("99.5")
    assert r.grade == "优秀"
    assert "excellent_eligible" in r.flags


def test_bonus_capped_at_10_for_the_year_cumulatively():
    r = run(SCHEME, [member("a")], [
        entry("a", "bonus", 4, quarter=1),
        entry("a", "bonus", 4, quarter=2),
        entry("a", "bonus", 4, quarter=3),
        entry("a", "bonus", 2, quarter=4),
    ])["a"]
    # year-to-date bonus: Q1 4, Q2 8, Q3 12 -> capped 10, Q4 14 -> capped 10
    # Q1 104, Q2 108, Q3 110, Q4 110
    assert r.quarters == (104, 108, 110, 110)
    assert r.points == 110


def test_list_deductions_are_uncapped():
    r = run(SCHEME, [member("a")], [entry("a", "deduction", 10, quarter=2) for _ in range(4)])["a"]
    # four list deductions of 10 in Q2: 100 - 40 = 60 (no cap like the bonus's 10)
    assert r.quarters == (100, 60, 60, 60)
    assert r.points == 60


def test_points_floor_at_zero():
    r = run(SCHEME, [member("a")], [
        entry("a", "deduction", 60, quarter=1),
        entry("a", "deduction", 60, quarter=2),
        entry("a", "bonus", 5, quarter=3),
    ])["a"]
    # Q1 100 - 60 = 40; Q2 100 - 120 = -20 -> 0; Q3 100 + 5 - 120 = -15 -> 0; Q4 the same -> 0
    assert r.quarters == (40, 0, 0, 0)
    assert r.points == 0
    assert r.total == 0


def test_quarter_figures_are_year_to_date():
    r = run(SCHEME, [member("a")], [
        entry("a", "bonus", 3, quarter=1),
        entry("a", "deduction", 2, quarter=2, category="组织生活"),
        entry("a", "deduction", 5, quarter=3),
        entry("a", "bonus", 2, quarter=4),
    ])["a"]
    # Q1 100 + 3 = 103; Q2 103 - 2 = 101; Q3 101 - 5 = 96; Q4 96 + 2 = 98
    assert r.quarters == (103, 101, 96, 98)
    assert r.points == 98


def test_evaluation_is_reported_but_not_counted_in_total():
    r = run(SCHEME, [member("a")], evaluations=[ratings("a", 1, excellent=6, good=4)])["a"]
    # evaluation (6 x 95 + 4 x 85) / 10 = 91, reported separately; total = points = 100
    assert r.evaluation == 91
    assert r.total == 100


# ---------------------------------------------------------------- grades


def _low_and_high(past=()):
    """a: 100 - 35 = 65 (bottom); b: 100."""
    return run(SCHEME, [member("a"), member("b")], [entry("a", "deduction", 35, quarter=2)], past=past)


def test_total_below_70_is_ji_ben_he_ge():
    res = _low_and_high()
    a = res["a"]
    assert a.total == 65
    assert "bottom_ranked" in a.flags
    # bottom, but no history: the 连续两年 rule cannot apply
    assert a.grade == "基本合格"


def test_below_70_and_bottom_two_years_running_is_bu_he_ge():
    a = _low_and_high(past=[history("a", 2025, 65, bottom=True)])["a"]
    # this year 65 < 70 and bottom; 2025: 65 < 70 and bottom -> 不合格
    assert a.grade == "不合格"


def test_two_year_rule_needs_last_year_bottom():
    a = _low_and_high(past=[history("a", 2025, 65, bottom=False)])["a"]
    assert a.grade == "基本合格"


def test_two_year_rule_needs_last_year_below_70():
    a = _low_and_high(past=[history("a", 2025, 75, bottom=True)])["a"]
    assert a.grade == "基本合格"


def test_two_year_rule_looks_at_last_year_only():
    a = _low_and_high(past=[history("a", 2024, 65, bottom=True)])["a"]
    # a 2024 record is not last year's (2025) record
    assert a.grade == "基本合格"


def test_two_year_rule_needs_this_year_bottom():
    res = run(SCHEME, [member("a"), member("c")],
              [entry("a", "deduction", 35, quarter=2), entry("c", "deduction", 40, quarter=2)],
              past=[history("a", 2025, 65, bottom=True)])
    # a 65, c 60: c is bottom, a is not -> a only 基本合格
    assert (res["a"].total, res["c"].total) == (65, 60)
    assert "bottom_ranked" not in res["a"].flags
    assert res["a"].grade == "基本合格"
    assert res["c"].grade == "基本合格"


def test_total_of_exactly_70_is_he_ge():
    r = run(SCHEME, [member("a")], [entry("a", "deduction", 30, quarter=1)])["a"]
    # 100 - 30 = 70: not below 70, has a list deduction -> 合格
    assert r.total == 70
    assert r.grade == "合格"


def test_90_or_more_without_list_deduction_is_you_xiu():
    res = run(SCHEME, [member("a"), member("b")], [
        entry("a", "deduction", 10, quarter=1, category="组织生活"),
        entry("b", "deduction", D("10.5"), quarter=1, category="组织生活"),
    ])
    # a: 100 - 10 = 90, only a category deduction -> 优秀
    assert res["a"].total == 90
    assert res["a"].grade == "优秀"
    assert "excellent_eligible" in res["a"].flags
    # b: 100 - 10.5 = 89.5 -> 合格
    assert res["b"].total == D("89.5")
    assert res["b"].grade == "合格"
    assert "excellent_eligible" not in res["b"].flags


def test_90_or_more_with_a_list_deduction_is_he_ge():
    r = run(SCHEME, [member("a")], [
        entry("a", "bonus", 10, quarter=1),
        entry("a", "deduction", 5, quarter=2),
    ])["a"]
    # 100 + 10 - 5 = 105, but one list deduction -> 合格, neither excellent nor priority
    assert r.total == 105
    assert r.grade == "合格"
    assert "excellent_eligible" not in r.flags
    assert "priority_commendation" not in r.flags


def test_veto_zeroes_from_its_quarter_and_grades_bu_he_ge():
    res = run(SCHEME, [member("a"), member("b")], [
        entry("a", "bonus", 2, quarter=1),
        entry("a", "deduction", 5, quarter=2),
        entry("a", "veto", quarter=3),
    ])
    a = res["a"]
    # Q1 102, Q2 102 - 5 = 97 keep their values; Q3, Q4 0
    assert a.quarters == (102, 97, 0, 0)
    assert (a.points, a.total, a.grade) == (0, 0, "不合格")
    assert a.flags == ("bottom_ranked", "commendation_barred", "vetoed")


# ---------------------------------------------------------------- flags


def test_priority_commendation_from_100_without_list_deduction():
    res = run(SCHEME, [member("a"), member("b"), member("c")], [
        entry("b", "bonus", 10, quarter=1),
        entry("b", "deduction", 5, quarter=1),
        entry("c", "deduction", D("0.5"), quarter=1, category="作用发挥"),
    ])
    # a: 100, no list deduction -> priority
    assert res["a"].total == 100
    assert "priority_commendation" in res["a"].flags
    # b: 100 + 10 - 5 = 105 but a list deduction -> no priority
    assert res["b"].total == 105
    assert "priority_commendation" not in res["b"].flags
    # c: 99.5 -> below 100, no priority
    assert res["c"].total == D("99.5")
    assert "priority_commendation" not in res["c"].flags


def test_commendation_barred_below_80():
    res = run(SCHEME, [member("a"), member("b")], [
        entry("a", "deduction", D("20.5"), quarter=1, category="组织生活"),
        entry("b", "deduction", 20, quarter=1, category="组织生活"),
    ])
    # a: 100 - 20.5 = 79.5 -> barred; b: 100 - 20 = 80 -> not barred
    assert res["a"].total == D("79.5")
    assert "commendation_barred" in res["a"].flags
    assert res["b"].total == 80
    assert "commendation_barred" not in res["b"].flags


def test_probation_at_risk_below_80_or_with_list_deduction():
    res = run(SCHEME, [member("p1", "probationary"), member("p2", "probationary"),
                       member("p3", "probationary"), member("f")], [
        # p1: category deductions only, 组织生活 24 (its whole category) + 思想汇报 1 -> 75
        entry("p1", "deduction", 24, quarter=1, category="组织生活"),
        entry("p1", "deduction", 1, quarter=1, category="思想汇报"),
        # p2: one list deduction of 5 -> 95
        entry("p2", "deduction", 5, quarter=1),
        # p3: a category deduction of 5 -> 95, clear of both branches
        entry("p3", "deduction", 5, quarter=1, category="组织生活"),
        # f: a full member at 75, like p1
        entry("f", "deduction", 24, quarter=1, category="组织生活"),
        entry("f", "deduction", 1, quarter=1, category="思想汇报"),
    ])
    p1, p2, p3, f = res["p1"], res["p2"], res["p3"], res["f"]
    assert (p1.total, p2.total, p3.total, f.total) == (75, 95, 95, 75)
    # ranks 95, 95, 75, 75 -> 1, 1, 3, 3
    assert (p2.rank, p3.rank, p1.rank, f.rank) == (1, 1, 3, 3)
    # below 80 branch
    assert p1.flags == ("bottom_ranked", "commendation_barred", "probation_at_risk")
    # list deduction branch (95 >= 80)
    assert p2.flags == ("probation_at_risk",)
    # clear of both
    assert p3.flags == ()
    # a full member at 75 is not at risk of probation
    assert f.flags == ("bottom_ranked", "commendation_barred")
    # probationary members are not graded
    assert (p1.grade, p2.grade, p3.grade) == (None, None, None)
    assert f.grade == "合格"


def test_exempt_member_has_no_figures_and_is_not_ranked():
    res = run(SCHEME, [member("a"), member("x", exempt=True), member("b")],
              [entry("x", "deduction", 50, quarter=1), entry("b", "deduction", 10, quarter=1)],
              evaluations=[ratings("x", 1, excellent=3)])
    x = res["x"]
    assert (x.quarters, x.points, x.evaluation, x.total, x.rank, x.grade) == (None,) * 6
    assert x.flags == ("exempt",)
    # a 100 and b 90 are ranked among N = 2: the exempt member takes no place, not even the last
    a, b = res["a"], res["b"]
    assert (a.rank, b.rank) == (1, 2)
    assert "bottom_ranked" in b.flags
    assert "2人" in b.why("rank")[0].text
