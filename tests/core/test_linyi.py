"""linyi-geopark-2021 (SCHEMES.md v2): base 100, uncapped 奉献分, points without floor,
评议分 = mean of the half-yearly rounds, total = max(0, points + 评议分); no member grade (the
bands turn raters' grades into 评议得分); excellent_eligible in the top 20% of full members;
talk_required for the bottom or vetoed, disposal_review when last year was bottom too."""

from __future__ import annotations

from core.branch import BranchYear, Member, Ratings
from core.checks import check_branch_year
from core.schemes import builtin
from tests.conftest import D, entry, history, member, ratings, run

SCHEME = "linyi-geopark-2021"
NO_GRADE = "本方案未规定等次，由党支部在年度民主评议中确定"


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


def deductions(mid: str, total: int, quarter: int) -> list:
    """Deductions adding up to `total`, none above the scheme's points.limit (100) per entry."""
    parts = [100] * (total // 100) + ([total % 100] if total % 100 else [])
    return [entry(mid, "deduction", p, quarter=quarter) for p in parts]


def test_points_have_no_floor_and_quarter_figure_can_be_negative():
    r = run(SCHEME, [member("a")], [entry("a", "bonus", 5, quarter=1), entry("a", "deduction", 100, quarter=2),
                                    entry("a", "deduction", 50, quarter=2)],
            evaluations=[ratings("a", 1, excellent=1)])["a"]
    # Q1 105; Q2 105 - 150 = -45; Q3, Q4 -45
    assert r.quarters == (105, -45, -45, -45)
    assert r.points == -45
    # total = -45 + 95 = 50
    assert r.total == 50


def test_total_floor_at_zero():
    r = run(SCHEME, [member("a")], [entry("a", "deduction", 100, month=2), entry("a", "deduction", 100, month=2),
                                    entry("a", "deduction", 50, month=2)],
            evaluations=[ratings("a", 1, excellent=1)])["a"]
    # points = 100 - 250 = -150; total = max(0, -150 + 95) = max(0, -55) = 0
    assert r.points == -150
    assert r.total == 0


def test_category_deduction_lowers_its_category_only_down_to_zero():
    r = run(SCHEME, [member("a")], [entry("a", "deduction", 15, quarter=1, category="恪守四德"),
                                    entry("a", "deduction", 4, quarter=2, category="交纳党费")],
            evaluations=[ratings("a", 1, good=1)])["a"]
    # 恪守四德 holds 10: 15 takes 10 -> Q1 90; 交纳党费 20 - 4 -> Q2 86; total 86 + 85 = 171
    assert r.quarters == (90, 86, 86, 86)
    assert r.total == 171


# ---------------------------------------------------------------- evaluation rounds


def test_evaluation_is_mean_of_round_scores_not_pooled_ratings():
    r = run(SCHEME, [member("a")], evaluations=[
        ratings("a", 1, excellent=1),        # round 1: 95
        ratings("a", 2, good=1, fair=3),     # round 2: (85 + 3 x 70) / 4 = 73.75
    ])["a"]
    # 评议分 = (95 + 73.75) / 2 = 84.375 -> 84.38
    # (pooling all five ratings would give (95 + 85 + 210) / 5 = 78)
    assert r.evaluation == D("84.38")
    # total = 100 + 84.375 = 184.375 -> 184.38
    assert r.total == D("184.38")


def test_only_round_1_held_gives_round_1_score():
    r = run(SCHEME, [member("a")], evaluations=[ratings("a", 1, good=2, fair=1)])["a"]
    # round 1: (2 x 85 + 70) / 3 = 80; total 100 + 80 = 180
    assert r.evaluation == 80
    assert r.total == 180


def test_no_rounds_gives_no_evaluation_and_total_equals_points():
    r = run(SCHEME, [member("a")], [entry("a", "bonus", 7, quarter=2)])["a"]
    # points = 100 + 7 = 107; 评议分 counts 0 -> total 107
    assert r.evaluation is None
    assert r.points == 107
    assert r.total == 107
    assert r.grade is None
    # alone, a full member has the one place of the top 20% (max(1, floor(0.2)) = 1)
    assert r.flags == ("evaluation_missing", "excellent_eligible")


def test_no_rounds_with_negative_points_total_is_floored_at_zero():
    r = run(SCHEME, [member("a")], deductions("a", 120, quarter=1))["a"]
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


# ---------------------------------------------------------------- no grade


def test_nobody_gets_a_grade_whatever_the_evaluation_score():
    ms = [member(m) for m in "abcd"] + [member("p", "probationary")]
    res = run(SCHEME, ms, evaluations=[
        ratings("a", 1, excellent=1),              # 95: in the 优秀 band, still no grade
        ratings("b", 1, good=2, fair=1),           # (170 + 70) / 3 = 80
        ratings("c", 1, fair=2, poor=3),           # (140 + 150) / 5 = 58: in the 不合格 band
        ratings("p", 1, excellent=1),
    ])
    assert [res[m].evaluation for m in "abcdp"] == [95, 80, 58, None, 95]
    assert [res[m].grade for m in "abcdp"] == [None] * 5
    for m in "abcd":
        why = res[m].why("grade")
        assert len(why) == 1
        assert why[0].text == "不评定等次"
        assert why[0].reading.startswith(NO_GRADE)
    # a probationary member is not graded for the usual reason
    assert res["p"].why("grade")[0].text == "不评定等次（预备党员）"
    assert builtin(SCHEME).grading.grades == []


# ---------------------------------------------------------------- top 20% (excellent_eligible)


def test_top_share_covers_two_places_among_ten_full_members():
    ms = [member(f"m{i}") for i in range(1, 11)]
    ev = [ratings("m1", 1, excellent=1), ratings("m2", 1, excellent=1), ratings("m3", 1, excellent=1)]
    ev += [ratings(f"m{i}", 1, good=1) for i in range(4, 11)]
    res = run(SCHEME, ms, [entry("m1", "bonus", 2, quarter=1), entry("m2", "bonus", 1, quarter=1)], ev)
    # m1 102 + 95 = 197, m2 101 + 95 = 196, m3 100 + 95 = 195, others 100 + 85 = 185
    # top share: max(1, floor(0.2 x 10)) = 2 -> m1, m2 inside; m3 (rank 3) outside
    assert [res[m].total for m in ("m1", "m2", "m3", "m4")] == [197, 196, 195, 185]
    assert [res[m].rank for m in ("m1", "m2", "m3", "m4")] == [1, 2, 3, 4]
    assert [("excellent_eligible" in res[m].flags) for m in ("m1", "m2", "m3", "m4")] == [True, True, False, False]
    # m4..m10 all 185 and ranked 4: the worst rank, with members above -> bottom, talk
    assert res["m10"].flags == ("bottom_ranked", "talk_required")


def test_probationary_members_take_no_place_in_the_top_share():
    ms = [member("p", "probationary"), member("a"), member("b"), member("c"), member("d")]
    res = run(SCHEME, ms, evaluations=[
        ratings("p", 1, excellent=1),            # 195, rank 1
        ratings("a", 1, excellent=1, good=1),    # 190, rank 2
        ratings("b", 1, good=1),                 # 185
        ratings("c", 1, good=1),                 # 185
        ratings("d", 1, fair=1),                 # 170
    ])
    # 4 full members -> max(1, floor(0.2 x 4)) = 1 place, counted among full members only:
    # a (no full member above) is inside, p is never inside
    assert (res["p"].rank, res["a"].rank) == (1, 2)
    assert "excellent_eligible" not in res["p"].flags
    assert "excellent_eligible" in res["a"].flags
    assert not any("excellent_eligible" in res[m].flags for m in "bcd")


def test_exempt_members_do_not_count_in_top_share():
    ms = [member(f"m{i}") for i in range(1, 6)] + [member(f"x{i}", exempt=True) for i in range(1, 6)]
    ev = [ratings("m1", 1, excellent=1), ratings("m2", 1, excellent=1)]
    ev += [ratings(f"m{i}", 1, good=1) for i in range(3, 6)]
    res = run(SCHEME, ms, [entry("m2", "deduction", 1, quarter=1)], ev)
    # m1 100 + 95 = 195 (rank 1), m2 99 + 95 = 194 (rank 2)
    # 5 non-exempt full members -> max(1, floor(0.2 x 5)) = 1 (counting the 5 exempt would give 2)
    assert (res["m1"].rank, res["m2"].rank) == (1, 2)
    assert "excellent_eligible" in res["m1"].flags
    assert "excellent_eligible" not in res["m2"].flags
    assert res["x1"].rank is None
    assert res["x1"].flags == ("exempt",)
    # the exemption's route is the seed's
    assert res["x1"].why("exempt")[0].text.startswith("经本人申请，党支部批准，报机关党委备案，免于积分管理")


def test_a_tie_straddling_the_top_share_is_left_to_the_meeting():
    res = run(SCHEME, [member(m) for m in "abcde"],
              evaluations=[ratings("a", 1, excellent=1), ratings("b", 1, excellent=1)]
              + [ratings(m, 1, good=1) for m in "cde"])
    # a, b 195; c, d, e 185. Places: max(1, floor(0.2 x 5)) = 1; a and b: 0 above + 2 tied > 1
    # -> neither is inside; the tie straddles the one place -> tie_at_limit, the meeting decides
    for m in "ab":
        assert res[m].total == 195
        assert res[m].flags == ("tie_at_limit",)
        assert "由党员大会决定" in res[m].why("flag:tie_at_limit")[0].text


# ---------------------------------------------------------------- talk_required, disposal_review


def _bottom_a(past=()):
    """a: 100 - 50 + 95 = 145 (bottom, despite the best 评议分); b: 100 + 85 = 185."""
    return run(SCHEME, [member("a"), member("b")], [entry("a", "deduction", 50, quarter=2)],
               evaluations=[ratings("a", 1, excellent=1), ratings("b", 1, good=1)], past=past)


def test_bottom_ranked_needs_a_talk():
    res = _bottom_a()
    assert (res["a"].total, res["b"].total) == (145, 185)
    assert res["a"].flags == ("bottom_ranked", "talk_required")
    # b (rank 1 of 2, 1 full place) is inside the top 20%
    assert res["b"].flags == ("excellent_eligible",)


def test_bottom_two_years_running_is_up_for_disposal_review():
    a = _bottom_a(past=[history("a", 2025, 140, bottom=True)])["a"]
    # this year bottom, 2025 bottom -> the figures meet 连续两年末位; still no grade
    assert a.flags == ("bottom_ranked", "disposal_review", "talk_required")
    assert a.grade is None


def test_bottom_this_year_but_not_last_year_is_talk_only():
    a = _bottom_a(past=[history("a", 2025, 140, bottom=False)])["a"]
    assert a.flags == ("bottom_ranked", "talk_required")


def test_last_years_record_only_counts_for_last_year():
    a = _bottom_a(past=[history("a", 2024, 140, bottom=True)])["a"]
    # a 2024 record is not last year's (2025) record
    assert a.flags == ("bottom_ranked", "talk_required")


def test_bottom_last_year_but_not_this_year_is_nothing():
    res = run(SCHEME, [member("a"), member("b")], [entry("b", "deduction", 50, quarter=2)],
              evaluations=[ratings("a", 1, excellent=1), ratings("b", 1, good=1)],
              past=[history("a", 2025, 140, bottom=True)])
    # a: 195 (rank 1), b: 100 - 50 + 85 = 135 (bottom)
    assert res["a"].flags == ("excellent_eligible",)
    assert res["b"].flags == ("bottom_ranked", "talk_required")


def test_everyone_tied_has_no_bottom_no_talk_no_disposal():
    res = run(SCHEME, [member(m) for m in "abc"], evaluations=[ratings(m, 1, good=1) for m in "abc"],
              past=[history("a", 2025, 150, bottom=True)])
    # a, b, c: 100 + 85 = 185, all rank 1: nobody ranks better, so nobody is bottom
    for m in "abc":
        assert res[m].rank == 1
        assert "bottom_ranked" not in res[m].flags
        assert "talk_required" not in res[m].flags
        assert "disposal_review" not in res[m].flags
    # the one place of the top 20% (max(1, floor(0.6)) = 1) is straddled by the three-way tie
    assert res["a"].flags == ("tie_at_limit",)


def test_veto_zeroes_from_its_quarter_and_still_reports_evaluation():
    res = run(SCHEME, [member("a"), member("b")], [
        entry("a", "bonus", 5, quarter=1),
        entry("a", "deduction", 3, quarter=2),
        entry("a", "veto", quarter=3, item="F2"),
    ], evaluations=[ratings("a", 1, excellent=2), ratings("a", 2, excellent=1), ratings("b", 1, good=1)])
    a = res["a"]
    # Q1 105, Q2 105 - 3 = 102 keep their values; from Q3 0
    assert a.quarters == (105, 102, 0, 0)
    assert (a.points, a.total, a.grade) == (0, 0, None)
    assert a.evaluation == 95  # rounds 95 and 95, still reported
    assert a.flags == ("bottom_ranked", "talk_required", "vetoed")


def test_vetoed_member_without_rounds_is_still_flagged_evaluation_missing():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "veto", quarter=2)],
              evaluations=[ratings("b", 1, good=1)])
    a = res["a"]
    assert (a.points, a.total, a.grade, a.evaluation) == (0, 0, None, None)
    # SCHEMES.md: "With no rounds: 评议分 = 0 and flag evaluation_missing"; veto adds `vetoed`
    assert a.flags == ("bottom_ranked", "evaluation_missing", "talk_required", "vetoed")


def test_a_veto_needs_a_talk_even_when_not_bottom():
    res = run(SCHEME, [member("a"), member("b")],
              [entry("a", "veto", quarter=1), *deductions("b", 250, quarter=1)])
    # a vetoed: 0; b: 100 - 250 = -150 -> total 0. Both 0, both rank 1: nobody is bottom.
    # (Their tie also straddles the one place of the top 20%: both get tie_at_limit, not asserted here.)
    assert (res["a"].total, res["b"].total) == (0, 0)
    assert "bottom_ranked" not in res["a"].flags
    assert {"vetoed", "talk_required"} <= set(res["a"].flags)
    assert "talk_required" not in res["b"].flags


def test_veto_with_last_year_bottom_is_up_for_disposal_review():
    res = run(SCHEME, [member("a"), member("b")],
              [entry("a", "veto", quarter=1), *deductions("b", 250, quarter=1)],
              past=[history("a", 2025, 120, bottom=True), history("b", 2025, 150, bottom=False)])
    # a: vetoed (not bottom: a and b both 0, rank 1) and 2025 bottom -> disposal_review
    assert "bottom_ranked" not in res["a"].flags
    assert {"vetoed", "talk_required", "disposal_review"} <= set(res["a"].flags)
    assert "disposal_review" not in res["b"].flags


# ---------------------------------------------------------------- catalogue


def test_catalogue_lists_the_work_lines_the_deductions_and_the_vetoes():
    s = builtin(SCHEME)
    bonus = [i for i in s.items if i.kind == "bonus"]
    deductions = [i for i in s.items if i.kind == "deduction"]
    vetoes = [i for i in s.items if i.kind == "veto"]
    # 附件2 （二）奉献分: 6 业务主线 + 6 全局重点工作 + 其他奉献, values set by the branch, no 每次
    assert [i.clause for i in bonus] == ["生态保护", "规划发展", "监督检查", "宣传交流", "科学研究", "综合保障",
                                         "三引一促", "志愿服务", "学习教育", "乡村振兴", "“双报到”", "文明创建",
                                         "其他奉献"]
    assert all(i.open and not i.each for i in bonus)
    # 附件2 （三）扣减分: five lines, each "每次计", values set by the branch
    assert len(deductions) == 5
    assert all(i.open and i.each and i.clause.endswith("每次计") for i in deductions)
    # 一（一） 一票否决: six cases
    assert [i.code for i in vetoes] == ["F1", "F2", "F3", "F4", "F5", "F6"]
    assert s.veto is not None and "无正当理由不参与奉献积分" in s.veto.clause
    assert s.exemption is not None and s.exemption.route == "本人申请，党支部批准，报机关党委备案"
    assert s.bonus.cap is None


def test_open_items_take_any_value_above_zero():
    res = run(SCHEME, [member("a")], [entry("a", "bonus", D("3.5"), quarter=1, item="J8"),
                                      entry("a", "deduction", 2, quarter=2, item="K1")])
    # 100 + 3.5 - 2 = 101.5; no ratings -> total = points
    assert res["a"].total == D("101.5")
    by = BranchYear(2026, (Member("a", "a"),), (entry("a", "bonus", 0, quarter=1, item="J8"),))
    assert [(p.path, p.message) for p in check_branch_year(builtin(SCHEME), by)] == [
        ("entries[0].points", "item J8 needs points above 0")]


def test_veto_without_last_year_bottom_is_talk_only():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "veto", quarter=4, item="F5")],
              evaluations=[ratings("b", 1, good=1)], past=[history("a", 2025, 180, bottom=False)])
    # a vetoed in Q4: Q1-Q3 keep 100, Q4 0; total 0 < b 185 -> bottom; 2025 not bottom -> no disposal
    assert res["a"].quarters == (100, 100, 100, 0)
    assert res["a"].flags == ("bottom_ranked", "evaluation_missing", "talk_required", "vetoed")
