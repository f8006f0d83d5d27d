"""xinmi-hospital-2023: base 80, bonus uncapped, floor 0, ranks and the top third, vetoes.

Every expected figure is worked by hand in the comments."""

from decimal import Decimal

from core.branch import BranchYear
from core.checks import check_branch_year
from core.schemes import builtin
from tests.conftest import D, entry, member, ratings, run

X = "xinmi-hospital-2023"


def test_points_are_base_plus_bonus_minus_deduction_year_to_date():
    r = run(X, [member("a")], [
        entry("a", "bonus", 3, quarter=1),      # Q1: 80 + 3 = 83
        entry("a", "deduction", 1, month=5),    # Q2: 83 - 1 = 82
        entry("a", "bonus", 2.5, quarter=4),    # Q4: 82 + 2.5 = 84.5
    ])["a"]
    assert r.quarters == (83, 82, 82, D("84.5"))
    assert r.points == D("84.5") and r.total == D("84.5")
    assert r.evaluation is None


def test_bonus_has_no_cap():
    # 80 + 8 x 5 = 120: nothing clips it
    r = run(X, [member("a")], [entry("a", "bonus", 8, quarter=q) for q in (1, 1, 2, 3, 4)])["a"]
    assert r.points == 120


def test_floor_at_zero_mid_year_and_recovery_from_the_raw_sum():
    r = run(X, [member("a")], [
        entry("a", "deduction", 85, quarter=1),  # Q1: 80 - 85 = -5 -> shown as 0
        entry("a", "bonus", 10, quarter=2),      # Q2: 80 + 10 - 85 = 5
        entry("a", "deduction", 20, quarter=3),  # Q3: 80 + 10 - 105 = -15 -> 0
    ])["a"]
    assert r.quarters == (0, 5, 0, 0)
    assert r.points == 0 and r.total == 0
    assert any("按0分计" in reason.text for reason in r.why("points"))


def test_veto_zeroes_its_quarter_onwards_and_the_year():
    r = run(X, [member("a"), member("b")], [
        entry("a", "bonus", 5, quarter=1),            # Q1 85, Q2 85
        entry("a", "veto", quarter=3, item="F1"),     # Q3, Q4 -> 0
    ], evaluations=[ratings("a", excellent=3, good=1)])
    a = r["a"]
    assert a.quarters == (85, 85, 0, 0)
    assert a.points == 0 and a.total == 0
    assert a.grade == "不合格"
    assert "vetoed" in a.flags
    # ratings still reported: (3 x 95 + 85) / 4 = 92.5
    assert a.evaluation == D("92.5")
    assert a.rank == 2 and r["b"].rank == 1
    assert any("受到党纪处分" in x.text for x in a.why("veto"))


def test_veto_by_month_takes_that_months_quarter():
    a = run(X, [member("a")], [entry("a", "veto", month=4)])["a"]  # April -> Q2
    assert a.quarters == (80, 0, 0, 0)


def test_evaluation_is_reported_but_not_blended():
    a = run(X, [member("a")], [], [ratings("a", excellent=1, fair=1)])["a"]
    # (95 + 70) / 2 = 82.5, total stays the points
    assert a.evaluation == D("82.5")
    assert a.total == 80


def test_grades_at_their_thresholds_with_the_top_third():
    # Six members: the top third is max(1, floor(6/3)) = 2 places.
    pts = {"a": 10, "b": 5, "c": 0, "d": -10, "e": -10.5, "f": -20.5}
    members = [member(k) for k in pts]
    entries = [entry(k, "bonus" if v > 0 else "deduction", abs(v), quarter=1) for k, v in pts.items() if v]
    r = run(X, members, entries)
    assert [r[k].total for k in pts] == [90, 85, 80, 70, D("69.5"), D("59.5")]
    assert [r[k].rank for k in pts] == [1, 2, 3, 4, 5, 6]
    assert r["a"].grade == "优秀" and r["b"].grade == "优秀"
    assert r["c"].grade == "合格"        # 80 but rank 3: outside the top third
    assert r["d"].grade == "合格"        # exactly 70
    assert r["e"].grade == "基本合格"    # 69.5
    assert r["f"].grade == "不合格"      # 59.5
    assert r["a"].flags == ("excellent_eligible",)
    assert "excellent_eligible" not in r["c"].flags
    assert r["f"].flags == ("bottom_ranked",)


def test_exactly_sixty_is_basic():
    r = run(X, [member("a")], [entry("a", "deduction", 20, quarter=2)])
    assert r["a"].total == 60 and r["a"].grade == "基本合格"


def test_ties_share_a_rank_and_the_next_rank_is_skipped():
    members = [member(k) for k in "abcd"]
    entries = [entry("a", "bonus", 5, quarter=1), entry("b", "bonus", 2, quarter=1),
               entry("c", "bonus", 2, quarter=1)]
    r = run(X, members, entries)
    # 85, 82, 82, 80 -> 1, 2, 2, 4
    assert [r[k].rank for k in "abcd"] == [1, 2, 2, 4]
    assert r["d"].flags == ("bottom_ranked",)


def test_ties_at_the_bottom_are_all_bottom_ranked():
    r = run(X, [member(k) for k in "abc"], [entry("a", "bonus", 1, quarter=1)])
    assert [r[k].rank for k in "abc"] == [1, 2, 2]
    assert "bottom_ranked" in r["b"].flags and "bottom_ranked" in r["c"].flags
    assert "bottom_ranked" not in r["a"].flags


def test_ties_inside_the_top_share_all_count():
    # Nine members: top third = 3 places; b, c, d tie at rank 2 -> all within rank <= 3.
    members = [member(k) for k in "abcdefghi"]
    entries = [entry("a", "bonus", 9, quarter=1)] + [entry(k, "bonus", 5, quarter=1) for k in "bcd"]
    r = run(X, members, entries)
    assert [r[k].rank for k in "abcd"] == [1, 2, 2, 2]
    assert all(r[k].grade == "优秀" for k in "abcd")
    assert r["e"].grade == "合格"  # 80, rank 5


def test_top_share_of_a_small_branch_is_at_least_one_place():
    # Two members: floor(2/3) = 0, so max(1, 0) = 1 place.
    r = run(X, [member("a"), member("b")], [entry("a", "bonus", 1, quarter=1), entry("b", "bonus", 1, quarter=2)])
    assert r["a"].rank == r["b"].rank == 1
    assert r["a"].grade == r["b"].grade == "优秀"  # both at rank 1 <= 1


def test_probationary_members_are_ranked_not_graded_and_flagged_below_70():
    r = run(X, [member("a"), member("p", "probationary"), member("q", "probationary")], [
        entry("p", "deduction", 15, quarter=2),   # 65 < 70
        entry("q", "bonus", 10, quarter=1),       # 90
    ])
    assert r["p"].grade is None and r["q"].grade is None
    assert r["q"].rank == 1 and r["a"].rank == 2 and r["p"].rank == 3
    assert r["p"].flags == ("bottom_ranked", "probation_at_risk")
    # excellent_eligible is for full members only, even at rank 1 with 90
    assert r["q"].flags == ()
    assert any("预备党员" in x.text for x in r["q"].why("grade"))


def test_exempt_members_have_no_figures_and_do_not_count_in_the_share():
    # a, b, c ranked (top third = 1); the exempt member would make N = 4 but does not count.
    members = [member("a"), member("b"), member("c"), member("x", exempt=True)]
    r = run(X, members, [entry("a", "bonus", 2, quarter=1), entry("b", "bonus", 1, quarter=1),
                         entry("x", "bonus", 50, quarter=1)])
    x = r["x"]
    assert (x.quarters, x.points, x.evaluation, x.total, x.rank, x.grade) == (None,) * 6
    assert x.flags == ("exempt",)
    assert [r[k].rank for k in "abc"] == [1, 2, 3]
    assert r["a"].grade == "优秀" and r["b"].grade == "合格"


def test_every_figure_and_grade_carries_a_reason_with_its_clause():
    r = run(X, [member("a")], [entry("a", "bonus", 3, quarter=1, item="J1.1", level="市级")])["a"]
    for topic in ("points", "total", "rank", "grade"):
        reasons = r.why(topic)
        assert reasons, topic
        assert all(x.text for x in reasons)
    assert "80" in r.why("points")[0].text and "83" in r.why("points")[0].text
    assert "三（六）1" in r.why("grade")[0].clause
    assert r.why("flag:excellent_eligible")[0].clause


def _problems(entries):
    scheme = builtin(X)
    by = BranchYear(2026, (member("a"),), tuple(entries))
    return [(p.path, p.message) for p in check_branch_year(scheme, by)]


def test_catalogue_per_time_cap():
    assert _problems([entry("a", "bonus", 5, quarter=1, item="J1.4")]) == []
    assert _problems([entry("a", "bonus", 6, quarter=1, item="J1.4")]) == [
        ("entries[0].points", "item J1.4 gives at most 5 each time, not 6")]


def test_catalogue_range():
    assert _problems([entry("a", "bonus", 1.5, quarter=1, item="J6.4")]) == []
    assert _problems([entry("a", "bonus", 3, quarter=1, item="J6.4")]) == [
        ("entries[0].points", "item J6.4 gives 1-2, not 3")]


def test_catalogue_levels_and_repeats():
    # 市级 会议发言 3 each time: 6 is two times; 4 is not a whole number of times
    assert _problems([entry("a", "bonus", 6, quarter=1, item="J1.1", level="市级")]) == []
    assert _problems([entry("a", "bonus", 4, quarter=1, item="J1.1", level="市级")]) == [
        ("entries[0].points", "item J1.1 gives a multiple of 3 (each time 3), not 4")]
    assert _problems([entry("a", "bonus", 3, quarter=1, item="J1.1")])[0][0] == "entries[0].level"
    assert _problems([entry("a", "bonus", 3, quarter=1, item="J1.1", level="区级")])[0][0] == "entries[0].level"
    # 因私请假 0.5 each time: 1.5 is three times
    assert _problems([entry("a", "deduction", 1.5, quarter=1, item="K3.2b")]) == []


def test_catalogue_item_kind_and_existence():
    assert _problems([entry("a", "deduction", 2, quarter=1, item="J6.3")]) == [
        ("entries[0].kind", "item J6.3 is a bonus item, not deduction")]
    assert _problems([entry("a", "bonus", 2, quarter=1, item="Z9")])[0][0] == "entries[0].item"


def test_a_fixed_once_item_is_exactly_its_points():
    # 学习强国 年度积分 10000+: 2 once, not a per-time item
    assert _problems([entry("a", "bonus", 2, quarter=4, item="J6.6")]) == []
    assert _problems([entry("a", "bonus", 4, quarter=4, item="J6.6")]) == [
        ("entries[0].points", "item J6.6 gives 2, not 4")]


def test_entries_that_do_not_fit_the_scheme():
    assert _problems([entry("a", "score", 10, month=1, category="理论学习")])[0][0] == "entries[0].kind"
    assert _problems([entry("a", "deduction", 1, quarter=1, category="组织生活")]) [0][0] == "entries[0].category"
    assert _problems([entry("a", "bonus", quarter=1)]) == [("entries[0].points", "required for a bonus entry")]
    assert _problems([entry("zz", "bonus", 1, quarter=1)]) == [("entries[0].member", "no member with id 'zz'")]


def test_decimal_points_add_exactly():
    # 0.1 + 0.2 is 0.3 on paper: 80.3, not 80.30000000000001
    r = run(X, [member("a")], [entry("a", "bonus", 0.1, quarter=1), entry("a", "bonus", 0.2, quarter=1)])["a"]
    assert r.total == D("80.3")
    assert isinstance(r.total, Decimal)
