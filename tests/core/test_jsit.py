"""jsit-college-2020 (SCHEMES.md v2): base 100 in eight categories, bonus capped at 10 a year,
uncapped list deductions, points floor 0, year-to-date quarter figures; no 一票否决; grades from
the total (以下 includes 70, 优秀 only inside the top third of full members, the 连续两年 rule);
commendation, talk and probation flags; exempt members; the catalogue's choice and 每次 lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.branch import BranchYear
from core.checks import check_branch_year
from core.schemes import builtin
from tests.conftest import D, entry, history, member, ratings, run

SCHEME = "jsit-college-2020"


def problems(members, entries):
    """(path, message) of each problem the checks find, as `jifen compute` would report them."""
    by = BranchYear(2026, tuple(members), tuple(entries))
    return [(p.path, p.message) for p in check_branch_year(builtin(SCHEME), by)]


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
    # C5 (徽章, 作用发挥) 0.5: 100 - 0.5 = 99.5; it is a category deduction, not a list deduction,
    # and one full member alone has max(1, floor(1/3 x 1)) = 1 place in the top third -> 优秀
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


# ---------------------------------------------------------------- no 一票否决


def test_the_scheme_has_no_veto_and_no_veto_items():
    s = builtin(SCHEME)
    assert s.veto is None
    assert [i.code for i in s.items if i.kind == "veto"] == []
    assert not any(f.when.vetoed is not None for f in s.flags)
    assert not any(r.when.vetoed is not None for r in s.grading.rules)


def test_a_veto_entry_is_refused_by_the_checks():
    found = problems([member("a")], [entry("a", "bonus", 2, quarter=1, item="J1"), entry("a", "veto", quarter=3)])
    # the seed has no 一票否决: only the veto entry is refused, the J1 bonus is fine
    assert found == [("entries[1].kind", "scheme jsit-college-2020 has no 一票否决 (veto)")]


def test_jifen_compute_refuses_a_veto_entry_with_exit_2(tmp_path: Path):
    case = {
        "scheme": SCHEME, "year": 2026,
        "members": [{"id": "a", "status": "full", "name": "甲"}],
        "entries": [{"member": "a", "kind": "veto", "quarter": 2}],
    }
    path = tmp_path / "veto.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    r = subprocess.run([str(Path(sys.executable).parent / "jifen"), "compute", str(path)], capture_output=True,
                       text=True, encoding="utf-8", env=env, timeout=60)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == ["entries[0].kind: scheme jsit-college-2020 has no 一票否决 (veto)"]


# ---------------------------------------------------------------- catalogue: choice and 每次


def test_c1_takes_5_or_the_whole_category_12():
    res = run(SCHEME, [member("a"), member("b")], [
        entry("a", "deduction", 5, quarter=1, item="C1"),
        entry("b", "deduction", 12, quarter=1, item="C1"),
    ])
    # C1 lowers 政治理论学习 (12): a 12 - 5 = 7 -> 100 - 5 = 95; b 情节严重 12 - 12 = 0 -> 88
    assert (res["a"].total, res["b"].total) == (95, 88)
    # a category deduction, not a list deduction: a keeps 90+ without 减分项 (excellent_eligible)
    assert "excellent_eligible" in res["a"].flags


def test_c1_refuses_a_value_between_5_and_12():
    assert problems([member("a")], [entry("a", "deduction", 8, quarter=1, item="C1")]) == [
        ("entries[0].points", "item C1 gives 5/12, nothing between; not 8")]


def test_j1_takes_2_from_the_text_or_3_from_the_annex_and_nothing_else():
    res = run(SCHEME, [member("a"), member("b")], [
        entry("a", "bonus", 2, quarter=1, item="J1"),
        entry("b", "bonus", 3, quarter=1, item="J1"),
    ])
    # a 100 + 2 = 102 (正文 积2分); b 100 + 3 = 103 (附件1 积3分)
    assert (res["a"].total, res["b"].total) == (102, 103)
    assert problems([member("a")], [entry("a", "bonus", D("2.5"), quarter=1, item="J1")]) == [
        ("entries[0].points", "item J1 gives 2/3, nothing between; not 2.5")]


def test_each_time_lines_take_multiples_and_the_others_do_not():
    res = run(SCHEME, [member("a")], [
        entry("a", "deduction", 4, quarter=1, item="C2"),    # 出现一次扣2分, twice
        entry("a", "deduction", 10, quarter=1, item="C9"),   # 一次扣5分, twice
        entry("a", "deduction", 10, quarter=2, item="K1"),   # 附件1 每次扣减: 5 twice
    ])
    # 组织生活 24 - 4, 遵守党规党纪 12 - 10, list 10: 100 - 4 - 10 - 10 = 76
    assert res["a"].total == 76
    assert problems([member("a")], [
        entry("a", "deduction", 3, quarter=1, item="C2"),
        entry("a", "bonus", 4, quarter=1, item="J2"),
        entry("a", "deduction", 11, quarter=1, item="K6"),
    ]) == [
        ("entries[0].points", "item C2 gives a multiple of 2 (each time 2), not 3"),
        ("entries[1].points", "item J2 gives 2, not 4"),  # 积2分: no 每次 in the seed
        ("entries[2].points", "item K6 gives 5-10, not 11"),
    ]


def test_every_line_of_the_annex_and_the_lists_is_in_the_catalogue_with_the_seeds_points():
    s = builtin(SCHEME)

    def spec(code):
        i = s.item(code)
        assert i is not None, code
        value = (i.points if i.points is not None else i.choice if i.choice is not None
                 else i.range if i.range is not None else i.levels)
        return i.kind, i.category, value, i.each

    # 附件1: the nine lines that deduct inside their category
    assert spec("C1") == ("deduction", "政治理论学习", [5, 12], False)
    assert spec("C2") == ("deduction", "组织生活", 2, True)
    assert spec("C3") == ("deduction", "缴纳党费", 2, True)
    assert spec("C4") == ("deduction", "思想汇报", 1, True)
    assert spec("C5") == ("deduction", "作用发挥", D("0.5"), True)
    assert spec("C6") == ("deduction", "作用发挥", 2, True)
    assert spec("C7") == ("deduction", "遵守党规党纪", 1, True)
    assert spec("C8") == ("deduction", "遵守党规党纪", 2, True)
    assert spec("C9") == ("deduction", "遵守党规党纪", 5, True)
    # 三（二）加分项目 1-5 (附件1 orders 2 and 3 the other way round)
    assert spec("J1") == ("bonus", None, [2, 3], False)
    assert spec("J2") == ("bonus", None, 2, False)
    assert spec("J3") == ("bonus", None, {"学校": 1, "无锡市": 2, "省级及以上": 3}, False)
    assert spec("J4") == ("bonus", None, 2, False)
    assert spec("J5") == ("bonus", None, 2, False)
    # 三（三）减分项目 1-6, 附件1 "每次扣减5-10分"
    assert [spec(f"K{n}") for n in range(1, 7)] == [
        ("deduction", None, 5, True), ("deduction", None, 5, True), ("deduction", None, 5, True),
        ("deduction", None, 7, True), ("deduction", None, 10, True), ("deduction", None, [5, 10], True)]
    assert len(s.items) == 9 + 5 + 6
    assert s.bonus.cap == 10


# ---------------------------------------------------------------- grades


def test_70_is_ji_ben_he_ge_and_70_01_is_he_ge():
    res = run(SCHEME, [member("a"), member("b"), member("c")], [
        entry("a", "deduction", 30, quarter=1),
        entry("b", "deduction", "29.99", quarter=1),
        entry("c", "deduction", "30.01", quarter=1),
    ])
    a, b, c = res["a"], res["b"], res["c"]
    assert (a.total, b.total, c.total) == (70, D("70.01"), D("69.99"))
    # "70分以下" includes 70: 70 <= 70 -> 基本合格; 70.01 is above it -> 合格
    assert a.grade == "基本合格"
    assert b.grade == "合格"
    # 69.99 is bottom (rank 3 of 3) but has no history: 基本合格, and 低于70且排名靠后 -> talk
    assert c.grade == "基本合格"
    assert c.flags == ("bottom_ranked", "commendation_barred", "talk_required")
    # all three are below 80: barred from commendation; only c is below 70 and bottom
    assert a.flags == ("commendation_barred",)
    assert b.flags == ("commendation_barred",)


def test_70_and_bottom_is_not_below_70():
    res = run(SCHEME, [member("a"), member("b")], [entry("a", "deduction", 30, quarter=2)],
              past=[history("a", 2025, 65, bottom=True)])
    a = res["a"]
    # a 100 - 30 = 70, bottom; 低于70 excludes 70: no talk, and the 连续两年 rule fails this year
    assert a.total == 70
    assert a.grade == "基本合格"
    assert a.flags == ("bottom_ranked", "commendation_barred")


def test_90_or_more_without_list_deduction_is_you_xiu_inside_the_top_third_of_full_members():
    ms = [member(m) for m in "abcdef"] + [member("p", "probationary")]
    res = run(SCHEME, ms, [
        entry("b", "deduction", 2, quarter=1, item="C2"),
        entry("c", "deduction", 5, quarter=1, category="组织生活"),
        entry("d", "deduction", 8, quarter=1, category="组织生活"),
        entry("e", "deduction", 15, quarter=1, category="组织生活"),
        entry("f", "deduction", 20, quarter=1, category="组织生活"),
        entry("p", "bonus", 5, quarter=1),
    ])
    # a 100, b 98, c 95, d 92, e 85, f 80 (all full); p 105 (probationary)
    assert [res[m].total for m in "abcdefp"] == [100, 98, 95, 92, 85, 80, 105]
    assert [res[m].rank for m in "pabcdef"] == [1, 2, 3, 4, 5, 6, 7]
    # top third among the 6 full members: max(1, floor(6 / 3)) = 2 places; p takes none
    assert [res[m].grade for m in "abcdef"] == ["优秀", "优秀", "合格", "合格", "合格", "合格"]
    # c and d are 优秀 candidates (90+, no 减分项) outside the places: flagged, graded 合格
    assert [("excellent_eligible" in res[m].flags) for m in "abcdef"] == [True, True, True, True, False, False]
    assert not any("tie_at_limit" in res[m].flags for m in "abcdefp")
    # p: no grade (预备党员), 100+ without 减分项 -> priority; not at risk (105, no 减分项)
    assert res["p"].grade is None
    assert res["p"].flags == ("priority_commendation",)
    assert res["a"].flags == ("excellent_eligible", "priority_commendation")
    assert res["f"].flags == ("bottom_ranked",)  # 80: not below 80, not below 70


def test_a_tie_straddling_the_top_third_is_left_to_the_meeting():
    res = run(SCHEME, [member(m) for m in "abcdef"], [
        entry("b", "deduction", 5, quarter=1, category="组织生活"),
        entry("c", "deduction", 5, quarter=1, category="组织生活"),
        entry("d", "deduction", 20, quarter=1, category="组织生活"),
        entry("e", "deduction", 20, quarter=1, category="组织生活"),
        entry("f", "deduction", 20, quarter=1, category="组织生活"),
    ])
    # a 100; b, c 95; d, e, f 80. Places: max(1, floor(6 / 3)) = 2.
    # a: 0 above + 1 tied = 1 <= 2 -> inside -> 优秀
    # b, c: 1 above + 2 tied = 3 > 2 and 1 < 2 -> the tie straddles: not 优秀, tie_at_limit
    assert res["a"].grade == "优秀"
    for m in "bc":
        assert res[m].total == 95
        assert res[m].grade == "合格"
        assert res[m].flags == ("excellent_eligible", "tie_at_limit")
        assert "由党员大会决定" in res[m].why("flag:tie_at_limit")[0].text
    for m in "def":
        assert res[m].flags == ("bottom_ranked",)


def test_a_tie_that_fills_the_places_exactly_is_inside():
    res = run(SCHEME, [member(m) for m in "abcdef"], [
        entry("c", "deduction", 5, quarter=1, category="组织生活"),
        entry("d", "deduction", 20, quarter=1, category="组织生活"),
        entry("e", "deduction", 20, quarter=1, category="组织生活"),
        entry("f", "deduction", 20, quarter=1, category="组织生活"),
    ])
    # a, b 100: 0 above + 2 tied = 2 <= 2 places -> both 优秀
    # c 95: 2 above + 1 = 3 > 2, and 2 above is not < 2 -> plainly outside, no tie to decide
    assert (res["a"].grade, res["b"].grade, res["c"].grade) == ("优秀", "优秀", "合格")
    assert res["c"].flags == ("excellent_eligible",)


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


def _low_and_high(past=()):
    """a: 100 - 35 = 65 (bottom); b: 100."""
    return run(SCHEME, [member("a"), member("b")], [entry("a", "deduction", 35, quarter=2)], past=past)


def test_below_70_and_bottom_without_history_is_ji_ben_he_ge_with_a_talk():
    a = _low_and_high()["a"]
    assert a.total == 65
    # bottom, but no history: the 连续两年 rule cannot apply; 65 <= 70 -> 基本合格
    assert a.grade == "基本合格"
    # 低于70分且排名靠后 -> 谈心谈话、结对帮扶
    assert a.flags == ("bottom_ranked", "commendation_barred", "talk_required")


def test_below_70_and_bottom_two_years_running_is_bu_he_ge():
    a = _low_and_high(past=[history("a", 2025, 65, bottom=True)])["a"]
    # this year 65 < 70 and bottom; 2025: 65 < 70 and bottom -> 不合格
    assert a.grade == "不合格"
    assert "talk_required" in a.flags


def test_two_year_rule_needs_last_year_bottom():
    a = _low_and_high(past=[history("a", 2025, 65, bottom=False)])["a"]
    assert a.grade == "基本合格"


def test_two_year_rule_needs_last_year_below_70():
    a = _low_and_high(past=[history("a", 2025, 75, bottom=True)])["a"]
    assert a.grade == "基本合格"
    # 低于70 excludes 70 in last year's record as well
    a = _low_and_high(past=[history("a", 2025, 70, bottom=True)])["a"]
    assert a.grade == "基本合格"


def test_two_year_rule_looks_at_last_year_only():
    a = _low_and_high(past=[history("a", 2024, 65, bottom=True)])["a"]
    # a 2024 record is not last year's (2025) record
    assert a.grade == "基本合格"


def test_two_year_rule_needs_this_year_bottom():
    res = run(SCHEME, [member("a"), member("c")],
              [entry("a", "deduction", 35, quarter=2), entry("c", "deduction", 40, quarter=2)],
              past=[history("a", 2025, 65, bottom=True)])
    # a 65, c 60: c is bottom, a is not -> a only 基本合格, and only c needs the talk
    assert (res["a"].total, res["c"].total) == (65, 60)
    assert "bottom_ranked" not in res["a"].flags
    assert res["a"].grade == "基本合格"
    assert "talk_required" not in res["a"].flags
    assert res["c"].grade == "基本合格"
    assert "talk_required" in res["c"].flags


def test_everyone_tied_below_70_has_no_bottom_and_no_talk():
    res = run(SCHEME, [member("a"), member("b")],
              [entry("a", "deduction", 40, quarter=1), entry("b", "deduction", 40, quarter=1)],
              past=[history("a", 2025, 60, bottom=True)])
    # a, b 60: both rank 1, nobody ranks better -> no bottom; so no talk and no 不合格
    for m in "ab":
        assert res[m].rank == 1
        assert res[m].grade == "基本合格"
        assert res[m].flags == ("commendation_barred",)


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
    # a: 100 - 20.5 = 79.5 -> barred (未达到80分); b: 100 - 20 = 80 -> not barred
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
    # below 80 branch (75 is not below 70: no talk)
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
    # the route is the seed's: 本人申请, 支委会审核, 党员大会通过, 公示无异议
    assert x.why("exempt")[0].text.startswith("经本人申请，支委会审核，党员大会通过，公示无异议，免于积分管理")
    # a 100 and b 90 are ranked among N = 2: the exempt member takes no place, not even the last
    a, b = res["a"], res["b"]
    assert (a.rank, b.rank) == (1, 2)
    assert "bottom_ranked" in b.flags
    assert "2人" in b.why("rank")[0].text
