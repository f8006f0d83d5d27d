"""xinmi-hospital-2023 (SCHEMES.md v2): base 80, bonus uncapped, floor 0, the top third among full
members, bottom rank only when someone ranks better, the veto, no exemption.

Every expected figure is worked by hand from the seed's rules in the comments:
  一、   党员积分 = 80 + 加分 - 减分, 不低于0分
  三（六）1 80分（含80分）以上且排名靠前 -> 优秀; 70（含70）以上 -> 合格; 69-60（含60）-> 基本合格;
          60分以下 -> 不合格 ("排名靠前" read as the top third of full members: k = max(1, floor(N_full / 3)))
  三（六）2 预备党员年积分低于70分 -> probation_at_risk
  三（六）3 排名靠前 -> priority_commendation;  三（六）4 排名靠后 -> commendation_barred, talk_required
  三（五）  减分项目 -> talk_required
"""

from decimal import Decimal

from core.branch import BranchYear
from core.checks import check_branch_year
from core.schemes import builtin
from tests.conftest import D, entry, member, ratings, run

X = "xinmi-hospital-2023"


def deltas(scores: dict[str, float], quarter: int = 1) -> list:
    """One bonus (+) or list deduction (-) entry per member; 0 means no entry."""
    return [entry(k, "bonus" if v > 0 else "deduction", abs(v), quarter=quarter) for k, v in scores.items() if v]


# --- points -----------------------------------------------------------------------------------------


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


def test_decimal_points_add_exactly():
    # 0.1 + 0.2 is 0.3 on paper: 80.3, not 80.30000000000001
    r = run(X, [member("a")], [entry("a", "bonus", 0.1, quarter=1), entry("a", "bonus", 0.2, quarter=1)])["a"]
    assert r.total == D("80.3")
    assert isinstance(r.total, Decimal)


def test_evaluation_is_reported_but_not_blended():
    a = run(X, [member("a")], [], [ratings("a", excellent=1, fair=1)])["a"]
    # (95 + 70) / 2 = 82.5, total stays the points
    assert a.evaluation == D("82.5")
    assert a.total == 80


# --- veto ---------------------------------------------------------------------------------------------


def test_veto_zeroes_its_quarter_onwards_and_the_year():
    r = run(X, [member("a"), member("b")], [
        entry("a", "bonus", 5, quarter=1),            # Q1 85, Q2 85
        entry("a", "veto", quarter=3, item="F1"),     # Q3, Q4 -> 0
    ], evaluations=[ratings("a", excellent=3, good=1)])
    a, b = r["a"], r["b"]
    assert a.quarters == (85, 85, 0, 0)
    assert a.points == 0 and a.total == 0
    assert a.grade == "不合格"  # 0 is below 60
    # ratings still reported: (3 x 95 + 85) / 4 = 92.5
    assert a.evaluation == D("92.5")
    # b 80 ranks 1, a 0 ranks 2 and is the bottom (b ranks better)
    assert a.rank == 2 and b.rank == 1
    assert a.flags == ("bottom_ranked", "commendation_barred", "talk_required", "vetoed")
    # two full members: k = max(1, floor(2/3)) = 1; b alone at 80 is inside
    assert b.grade == "优秀" and b.flags == ("excellent_eligible", "priority_commendation")
    # the reason quotes the seed's 一票否决 line, not our label
    assert [x.clause for x in a.why("veto")] == ["附件1 一票否决项 第1条“受到党纪处分的;”"]


def test_veto_by_month_takes_that_months_quarter():
    a = run(X, [member("a")], [entry("a", "veto", month=4, item="F2")])["a"]  # April -> Q2
    assert a.quarters == (80, 0, 0, 0)
    assert a.total == 0 and a.grade == "不合格"
    assert "vetoed" in a.flags
    # alone: no one ranks better, so not the bottom
    assert "bottom_ranked" not in a.flags and "commendation_barred" not in a.flags


# --- grades and their "(含X分)" thresholds --------------------------------------------------------------


def test_grades_at_their_thresholds_with_the_top_third():
    # Six full members: k = max(1, floor(6/3)) = 2 places.
    pts = {"a": 10, "b": 5, "c": 0, "d": -10, "e": -10.5, "f": -20.5}
    r = run(X, [member(k) for k in pts], deltas(pts))
    # 80 + 10 = 90, 85, 80, 80 - 10 = 70, 69.5, 59.5
    assert [r[k].total for k in pts] == [90, 85, 80, 70, D("69.5"), D("59.5")]
    assert [r[k].rank for k in pts] == [1, 2, 3, 4, 5, 6]
    assert r["a"].grade == "优秀" and r["b"].grade == "优秀"
    assert r["c"].grade == "合格"        # 80 (含80分) but rank 3: outside the 2 places
    assert r["d"].grade == "合格"        # 70 (含70分)
    assert r["e"].grade == "基本合格"    # 69.5: between 69 and 70, read as 基本合格
    assert r["f"].grade == "不合格"      # 59.5: 60分以下
    assert r["a"].flags == r["b"].flags == ("excellent_eligible", "priority_commendation")
    assert r["c"].flags == ()
    assert r["d"].flags == r["e"].flags == ("talk_required",)  # a list deduction each
    assert r["f"].flags == ("bottom_ranked", "commendation_barred", "talk_required")


def test_exactly_sixty_is_basic_and_just_below_is_not():
    # 60（含60分）: 基本合格; 59.5 is 60分以下: 不合格
    r = run(X, [member("a"), member("b")], [entry("a", "deduction", 20, quarter=2),
                                            entry("b", "deduction", 20.5, quarter=2)])
    assert r["a"].total == 60 and r["a"].grade == "基本合格"
    assert r["b"].total == D("59.5") and r["b"].grade == "不合格"


def test_eighty_is_needed_for_excellent_even_at_the_top():
    # One member alone at 80 - 0.5 = 79.5: inside the top third (k = 1) but below 80（含80分）
    a = run(X, [member("a")], [entry("a", "deduction", 0.5, quarter=1, item="K3.2b")])["a"]
    assert a.total == D("79.5") and a.rank == 1
    assert a.grade == "合格"
    # 排名靠前 (priority) does not ask for 80; the deduction asks for a talk
    assert a.flags == ("priority_commendation", "talk_required")


# --- ranks, the top third among full members, ties ----------------------------------------------------


def test_ties_share_a_rank_and_the_next_rank_is_skipped():
    r = run(X, [member(k) for k in "abcd"], deltas({"a": 5, "b": 2, "c": 2}))
    # 85, 82, 82, 80 -> 1, 2, 2, 4
    assert [r[k].rank for k in "abcd"] == [1, 2, 2, 4]
    # four full members: k = max(1, floor(4/3)) = 1: a alone
    assert r["a"].grade == "优秀"
    assert r["b"].grade == r["c"].grade == "合格" and r["b"].flags == r["c"].flags == ()
    assert r["d"].flags == ("bottom_ranked", "commendation_barred", "talk_required")


def test_ties_at_the_bottom_are_all_bottom_ranked():
    # 81, 80, 80: b and c share the worst rank 2, and a ranks better
    r = run(X, [member(k) for k in "abc"], [entry("a", "bonus", 1, quarter=1)])
    assert [r[k].rank for k in "abc"] == [1, 2, 2]
    for k in "bc":
        assert r[k].flags == ("bottom_ranked", "commendation_barred", "talk_required")
    assert r["a"].flags == ("excellent_eligible", "priority_commendation")


def test_top_third_counts_full_members_only_and_probationary_are_never_inside():
    # Four full and three probationary members. Counted among full members only:
    # k = max(1, floor(4/3)) = 1. (Counting all seven would give floor(7/3) = 2.)
    full = {"f1": 8, "f2": 6, "f3": 4, "f4": 2}        # 88, 86, 84, 82
    prob = {"p1": 15, "p2": 14, "p3": 13}              # 95, 94, 93
    members = [member(k) for k in full] + [member(k, "probationary") for k in prob]
    r = run(X, members, deltas(full | prob))
    assert [r[k].rank for k in ("p1", "p2", "p3", "f1", "f2", "f3", "f4")] == [1, 2, 3, 4, 5, 6, 7]
    # f1 is ranked 4th overall but first among the full members: the one place is its
    assert r["f1"].grade == "优秀"
    assert r["f1"].flags == ("excellent_eligible", "priority_commendation")
    assert "在正式党员4人中排第1名，在前1/3（1名）内" in r["f1"].why("grade")[0].text
    # f2 would be inside if the share counted seven members (2 places): it is not
    assert r["f2"].grade == "合格" and r["f2"].flags == ()
    # the probationary members rank above, but are never inside the share and get no grade
    for k in prob:
        assert r[k].grade is None and r[k].flags == ()
    assert r["f4"].flags == ("bottom_ranked", "commendation_barred", "talk_required")


def test_a_tie_straddling_the_share_is_left_to_the_meeting():
    # Six full members: k = 2. a 90 is inside; b and c tie at 85 with 1 above them:
    # 1 + 2 = 3 > 2 places, and 1 < 2, so the tie straddles the limit: both left outside.
    pts = {"a": 10, "b": 5, "c": 5, "d": 0, "e": 0, "f": -5}
    r = run(X, [member(k) for k in pts], deltas(pts))
    assert [r[k].total for k in pts] == [90, 85, 85, 80, 80, 75]
    assert [r[k].rank for k in pts] == [1, 2, 2, 4, 4, 6]
    assert r["a"].grade == "优秀" and r["a"].flags == ("excellent_eligible", "priority_commendation")
    for k in "bc":
        assert r[k].grade == "合格"  # not 优秀 by the engine: the share is never exceeded
        assert r[k].flags == ("tie_at_limit",)
        text = r[k].why("flag:tie_at_limit")[0].text
        assert "与另1名正式党员并列" in text and "前2名" in text and "其上已有1人" in text
        assert "拟定为优秀" in text and "优先推荐表彰" in text
    # d, e: 3 above them already fill the places; no straddle, no flag
    assert r["d"].flags == r["e"].flags == ()
    assert r["f"].flags == ("bottom_ranked", "commendation_barred", "talk_required")


def test_a_tie_that_fits_inside_the_share_is_counted_whole():
    # Nine full members: k = max(1, floor(9/3)) = 3. a 89; b and c tie at 85: 1 + 2 = 3 <= 3.
    pts = {"a": 9, "b": 5, "c": 5, "d": 3, "e": 2, "f": 1, "g": 0, "h": -1, "i": -2}
    r = run(X, [member(k) for k in pts], deltas(pts))
    assert [r[k].rank for k in pts] == [1, 2, 2, 4, 5, 6, 7, 8, 9]
    for k in "abc":
        assert r[k].grade == "优秀", k
        assert r[k].flags == ("excellent_eligible", "priority_commendation"), k
    assert r["d"].grade == "合格" and r["d"].flags == ()  # 83, rank 4: outside
    assert r["i"].flags == ("bottom_ranked", "commendation_barred", "talk_required")  # 78


def test_everyone_tied_has_no_bottom_and_no_excellent_by_the_engine():
    # Three full members all at 80: rank 1 each. k = 1 and the tie of 3 straddles it:
    # the meeting decides; nobody is the bottom (no one ranks better).
    r = run(X, [member(k) for k in "abc"])
    for k in "abc":
        assert r[k].rank == 1
        assert r[k].grade == "合格"
        assert r[k].flags == ("tie_at_limit",)
        assert "bottom_ranked" not in r[k].flags and "commendation_barred" not in r[k].flags


def test_everyone_tied_below_80_only_the_priority_is_left_to_the_meeting():
    # All three at 80 - 5 = 75: 优秀 fails on the total anyway; 排名靠前 (priority) straddles.
    r = run(X, [member(k) for k in "abc"], deltas({"a": -5, "b": -5, "c": -5}))
    for k in "abc":
        assert r[k].grade == "合格"
        assert r[k].flags == ("talk_required", "tie_at_limit")
        text = r[k].why("flag:tie_at_limit")[0].text
        assert "优先推荐表彰" in text and "优秀" not in text


def test_one_member_alone_is_inside_the_share_and_not_the_bottom():
    a = run(X, [member("a")])["a"]
    # k = max(1, floor(1/3)) = 1; 80（含80分）
    assert (a.total, a.rank, a.grade) == (80, 1, "优秀")
    assert a.flags == ("excellent_eligible", "priority_commendation")


def test_a_probationary_member_alone_is_neither_inside_nor_bottom():
    p = run(X, [member("p", "probationary")])["p"]
    assert (p.total, p.rank, p.grade) == (80, 1, None)
    assert p.flags == ()


# --- the other flags at their thresholds -----------------------------------------------------------------


def test_bottom_ranked_is_barred_and_talked_to_whatever_the_total():
    # 95 and 94.5: b is the bottom (a ranks better) though far above every line
    r = run(X, [member("a"), member("b")], deltas({"a": 15, "b": 14.5}))
    assert r["b"].grade == "合格"  # 94.5, outside k = 1
    assert r["b"].flags == ("bottom_ranked", "commendation_barred", "talk_required")
    talk = r["b"].why("flag:talk_required")
    assert [x.clause for x in talk] == ["三（六）4“由党支部书记对其进行诫勉谈话，重点帮教，督促其限期整改提高。”"]
    assert r["a"].flags == ("excellent_eligible", "priority_commendation")


def test_any_list_deduction_asks_for_a_talk_even_at_the_top():
    # a: 80 + 10 - 0.5 (因私请假 K3.2b) = 89.5, still first of two (k = 1)
    r = run(X, [member("a"), member("b")], [entry("a", "bonus", 10, quarter=1),
                                            entry("a", "deduction", 0.5, quarter=2, item="K3.2b")])
    assert r["a"].total == D("89.5") and r["a"].grade == "优秀"
    assert r["a"].flags == ("excellent_eligible", "priority_commendation", "talk_required")
    assert [x.clause for x in r["a"].why("flag:talk_required")] == [
        "三（五）“党支部对积分出现减分项目的党员，要及时谈心谈话、教育整改。”"]


def test_probation_at_risk_below_70_not_at_70():
    # 低于70分: 70 is not at risk, 69.5 is
    r = run(X, [member("a"), member("p", "probationary"), member("q", "probationary")],
            [entry("p", "deduction", 10, quarter=2), entry("q", "deduction", 10.5, quarter=2)])
    assert (r["a"].total, r["p"].total, r["q"].total) == (80, 70, D("69.5"))
    assert r["p"].grade is None and r["q"].grade is None
    assert r["p"].flags == ("talk_required",)
    assert r["q"].flags == ("bottom_ranked", "commendation_barred", "probation_at_risk", "talk_required")
    # a is the only full member: k = 1, inside at 80
    assert r["a"].grade == "优秀"


def test_probationary_members_are_ranked_not_graded():
    r = run(X, [member("a"), member("p", "probationary"), member("q", "probationary")], [
        entry("p", "deduction", 15, quarter=2),   # 65 < 70
        entry("q", "bonus", 10, quarter=1),       # 90
    ])
    assert r["q"].rank == 1 and r["a"].rank == 2 and r["p"].rank == 3
    assert r["p"].grade is None and r["q"].grade is None
    assert r["p"].flags == ("bottom_ranked", "commendation_barred", "probation_at_risk", "talk_required")
    # q is first with 90 but probationary: not excellent_eligible, not inside the share
    assert r["q"].flags == ()
    assert any("预备党员" in x.text for x in r["q"].why("grade"))
    # a, the only full member, takes the one place
    assert r["a"].grade == "优秀"


# --- reasons ------------------------------------------------------------------------------------------


def test_every_figure_and_grade_carries_a_reason_with_its_clause():
    r = run(X, [member("a")], [entry("a", "bonus", 3, quarter=1, item="J1.1", level="市级")])["a"]
    for topic in ("points", "total", "rank", "grade"):
        reasons = r.why(topic)
        assert reasons, topic
        assert all(x.text for x in reasons)
    assert "80" in r.why("points")[0].text and "83" in r.why("points")[0].text
    grade = r.why("grade")[0]
    assert grade.clause.startswith("三（六）1“") and "排名靠前" in grade.clause
    assert "三分之一" in grade.reading and "三分之一" not in grade.clause
    assert r.why("flag:excellent_eligible")[0].clause


# --- no exemption ---------------------------------------------------------------------------------------


def test_exempt_member_is_refused():
    # The seed provides no exemption from points management.
    assert builtin(X).exemption is None
    by = BranchYear(2026, (member("a"), member("x", exempt=True)), ())
    problems = check_branch_year(builtin(X), by)
    assert [(p.path, p.message, p.message_zh) for p in problems] == [
        ("members[1].exempt", "scheme xinmi-hospital-2023 provides no exemption from points management",
         "本方案没有免于积分管理的规定")]


# --- process ----------------------------------------------------------------------------------------------


def test_process_days_as_the_seed_sets_them():
    p = builtin(X).process
    # 三（三）公示5个工作日 (by the 医院党委), each quarter; 三（四）党支部3个工作日内答复,
    # 医院党委3个工作日内答复复议
    assert (p.meeting, p.publicity_days, p.publicity_each, p.appeal_days, p.review_days) == (
        "quarterly", 5, "quarter", 3, 3)
    assert "由医院党委在一定范围内公示5个工作日" in p.clause
    assert "医院党委应在3个工作日内作出答复" in p.clause
    assert "答复期限" in p.reading


# --- catalogue ----------------------------------------------------------------------------------------------

# 附件1 line by line: code -> (kind, points / levels / range / max, each). Transcribed by hand from the
# seed; each = True only where the line says 每次 / 每少1次 / 每有1次 / 每因私请假1次.
CATALOGUE = {
    # 加分项 出色完成工作任务
    "J1.1": ("bonus", {"县(市)级": 2, "市级": 3, "省级": 5, "全国": 8}, True),   # 会议发言 每次
    "J1.2": ("bonus", {"县(市)级": 2, "市级": 3, "省级": 5, "国家级": 8}, False),  # 被认可加
    "J1.3": ("bonus", {"县(市)级": 2, "市级": 3, "省级": 5, "国家级": 8}, False),  # 荣获荣誉加
    "J1.4": ("bonus", ("max", 5), False),                                         # 每次不超过5分
    "J2.1": ("bonus", {"市级": 1, "省级": 2, "国家级": 3}, True),                  # 媒体每次加
    "J3.1": ("bonus", {"县(市)级": 2, "市级": 3, "省级": 5, "国家级": 8}, True),   # 市级每次加3分 …
    "J3.2": ("bonus", 1, True),                                                   # 公益活动每次加1分
    "J4.1": ("bonus", 5, True),                                                   # 每次加5分
    "J5.1": ("bonus", {"本单位": 1, "县(市)级": 2, "市级": 3, "省级": 5, "国家级": 8}, True),
    "J6.1": ("bonus", 3, True),                                                   # 每次加3分
    "J6.2a": ("bonus", 2, True),                                                  # 属个人的每次加2分
    "J6.2b": ("bonus", 1, False),                                                 # 属科室的每人各加1分
    "J6.3": ("bonus", 2, True),                                                   # 每次2分
    "J6.4": ("bonus", ("range", 1, 2), False),                                    # 酌情加1-2分
    "J6.5": ("bonus", 1, True),                                                   # 每次加1分/次
    "J6.6": ("bonus", 2, False),                                                  # 学习强国 加2分
    "J6.7": ("bonus", ("range", 1, 2), False),                                    # 酌情加1-2分
    # 减分项
    "K1.1": ("deduction", 5, True), "K1.2": ("deduction", 3, True), "K1.3": ("deduction", 1, True),
    "K2.1": ("deduction", 2, True), "K2.2": ("deduction", 1, True), "K2.3": ("deduction", 1, True),
    "K3.1": ("deduction", 1, True),
    "K3.2a": ("deduction", 1, True),                                              # 每少1次扣1分
    "K3.2b": ("deduction", D("0.5"), True),                                       # 每因私请假1次,扣0.5分
    "K3.2c": ("deduction", 1, True),                                              # 每少1次扣1分
    "K3.3": ("deduction", 1, True),
    "K3.4": ("deduction", 1, True),                                               # 每有1次扣1分
    "K3.5": ("deduction", 1, True), "K3.6": ("deduction", 2, True), "K3.7": ("deduction", 2, True),
    "K4.1": ("deduction", 2, True), "K4.2": ("deduction", 2, True), "K4.3": ("deduction", 1, True),
    "K5.1": ("deduction", 1, True), "K5.2": ("deduction", 3, True),
    "K5.3": ("deduction", {"县(市)级": 1, "市级": 2, "省级": 3, "省级以上": 5}, True),
    "K6.1": ("deduction", 5, True),
    "K6.2": ("deduction", 3, False),                                              # 扣3分: no 每次 (v2)
    # 一票否决项
    "F1": ("veto", None, False), "F2": ("veto", None, False),
}


def _spec(item):
    if item.levels is not None:
        return dict(item.levels)
    if item.range is not None:
        return ("range", *item.range)
    if item.max is not None:
        return ("max", item.max)
    return item.points


def test_every_catalogue_line_of_the_seed_and_nothing_else():
    items = builtin(X).items
    assert len(items) == 42  # 17 加分, 23 减分, 2 一票否决
    got = {i.code: (i.kind, _spec(i), i.each) for i in items}
    assert got == CATALOGUE


def _problems(entries):
    by = BranchYear(2026, (member("a"),), tuple(entries))
    return [(p.path, p.message) for p in check_branch_year(builtin(X), by)]


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


def test_a_fixed_once_item_is_exactly_its_points():
    # 学习强国 年度积分 10000+: 2 once, not a per-time item
    assert _problems([entry("a", "bonus", 2, quarter=4, item="J6.6")]) == []
    assert _problems([entry("a", "bonus", 4, quarter=4, item="J6.6")]) == [
        ("entries[0].points", "item J6.6 gives 2, not 4")]
    # 侵占国家、集体或他人财产扣3分: no 每次, so one entry is 3, never 6
    assert _problems([entry("a", "deduction", 3, quarter=2, item="K6.2")]) == []
    assert _problems([entry("a", "deduction", 6, quarter=2, item="K6.2")]) == [
        ("entries[0].points", "item K6.2 gives 3, not 6")]
    # 属科室的相关人员每人各加1分: one entry per 表扬信/锦旗
    assert _problems([entry("a", "bonus", 2, quarter=2, item="J6.2b")]) == [
        ("entries[0].points", "item J6.2b gives 1, not 2")]


def test_catalogue_item_kind_and_existence():
    assert _problems([entry("a", "deduction", 2, quarter=1, item="J6.3")]) == [
        ("entries[0].kind", "item J6.3 is a bonus item, not deduction")]
    assert _problems([entry("a", "bonus", 2, quarter=1, item="Z9")])[0][0] == "entries[0].item"


def test_entries_that_do_not_fit_the_scheme():
    assert _problems([entry("a", "score", 10, month=1, category="理论学习")])[0][0] == "entries[0].kind"
    assert _problems([entry("a", "deduction", 1, quarter=1, category="组织生活")])[0][0] == "entries[0].category"
    assert _problems([entry("a", "bonus", quarter=1)]) == [("entries[0].points", "required for a bonus entry")]
    assert _problems([entry("zz", "bonus", 1, quarter=1)]) == [("entries[0].member", "no member with id 'zz'")]
