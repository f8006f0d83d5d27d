"""municipal-bureau (SCHEMES.md v2): the xinmi formula (base 80, bonus uncapped, floor 0, veto) with
the bureau's lines: 80分（含80分）以上且排名靠前 -> 优秀; 80（含80分）以上 -> 合格; 79分-70分（含70分）->
基本合格; 70分以下 -> 不合格; 预备党员年积分低于80分 -> probation_at_risk. "排名靠前" is the top third of
full members: k = max(1, floor(N_full / 3)). Every expected figure is worked by hand in the comments."""

from core.branch import BranchYear
from core.checks import check_branch_year
from core.schemes import builtin
from tests.conftest import D, entry, member, run

M = "municipal-bureau"


def deltas(scores: dict[str, float], quarter: int = 2) -> list:
    """One bonus (+) or list deduction (-) entry per member; 0 means no entry."""
    return [entry(k, "bonus" if v > 0 else "deduction", abs(v), quarter=quarter) for k, v in scores.items() if v]


def test_grades_use_the_bureau_thresholds():
    # Six full members, k = max(1, floor(6/3)) = 2 places.
    pts = {"a": 10, "b": 6, "c": 0, "d": -0.5, "e": -10, "f": -10.5}
    r = run(M, [member(k) for k in pts], deltas(pts))
    assert [r[k].total for k in pts] == [90, 86, 80, D("79.5"), 70, D("69.5")]
    # c: 80（含80分）but rank 3, outside: 合格; d: 79.5 is below 80, read as 基本合格 (79-70 band);
    # e: 70（含70分）基本合格; f: 69.5 is 70分以下: 不合格
    assert [r[k].grade for k in pts] == ["优秀", "优秀", "合格", "基本合格", "基本合格", "不合格"]
    assert r["a"].flags == r["b"].flags == ("excellent_eligible", "priority_commendation")
    assert r["c"].flags == ()
    assert r["d"].flags == r["e"].flags == ("talk_required",)
    assert r["f"].flags == ("bottom_ranked", "commendation_barred", "talk_required")
    assert r["f"].why("grade")[0].reading.startswith("70分按")


def test_probationary_below_80_is_at_risk():
    # 低于80分: 79.5 is at risk, 80 is not. No full member: nobody is inside the share.
    r = run(M, [member("p", "probationary"), member("q", "probationary")],
            [entry("p", "deduction", 0.5, quarter=1)])
    assert r["p"].total == D("79.5") and r["q"].total == 80
    assert r["p"].grade is None and r["q"].grade is None
    # p ranks 2, q ranks better: p is the bottom
    assert r["p"].flags == ("bottom_ranked", "commendation_barred", "probation_at_risk", "talk_required")
    assert r["q"].flags == ()


def test_veto_and_floor_as_in_the_shared_formula():
    r = run(M, [member("a"), member("b"), member("c")], [entry("a", "deduction", 100, quarter=1),
                                                         entry("b", "veto", quarter=4, item="F2")])
    assert r["a"].quarters == (0, 0, 0, 0)                     # 80 - 100 -> floor 0
    assert r["b"].quarters == (80, 80, 80, 0)                  # zero from the veto's quarter
    assert r["a"].grade == r["b"].grade == "不合格"            # 0 is 70分以下
    # c 80 ranks 1 (k = 1: 优秀); a and b tie at 0 for rank 2, the bottom
    assert r["c"].grade == "优秀"
    assert r["a"].flags == ("bottom_ranked", "commendation_barred", "talk_required")
    assert r["b"].flags == ("bottom_ranked", "commendation_barred", "talk_required", "vetoed")
    assert [x.clause for x in r["b"].why("veto")] == ["附件1 一票否决项 第2条“受到法律制裁的。”"]


def test_top_third_counts_full_members_only():
    # Three full, three probationary: k = max(1, floor(3/3)) = 1 (all six would give 2).
    full = {"f1": 8, "f2": 6, "f3": 4}      # 88, 86, 84
    prob = {"p1": 15, "p2": 14, "p3": 13}   # 95, 94, 93
    r = run(M, [member(k) for k in full] + [member(k, "probationary") for k in prob], deltas(full | prob))
    assert [r[k].rank for k in ("p1", "p2", "p3", "f1", "f2", "f3")] == [1, 2, 3, 4, 5, 6]
    assert r["f1"].grade == "优秀" and r["f1"].flags == ("excellent_eligible", "priority_commendation")
    assert r["f2"].grade == "合格" and r["f2"].flags == ()     # 86 >= 80 but outside the one place
    for k in prob:
        assert r[k].grade is None and r[k].flags == ()
    assert r["f3"].flags == ("bottom_ranked", "commendation_barred", "talk_required")


def test_a_tie_straddling_the_one_place_is_left_to_the_meeting():
    # Three full members: k = 1. a and b tie at 85: 0 above + 2 tied > 1 place: both outside.
    r = run(M, [member(k) for k in "abc"], deltas({"a": 5, "b": 5}))
    for k in "ab":
        assert r[k].rank == 1 and r[k].grade == "合格"
        assert r[k].flags == ("tie_at_limit",)
    assert r["c"].grade == "合格"  # 80, rank 3
    assert r["c"].flags == ("bottom_ranked", "commendation_barred", "talk_required")


def test_everyone_tied_and_one_alone():
    # Two at 80: rank 1 both; the tie of 2 straddles k = 1; nobody is the bottom.
    r = run(M, [member("a"), member("b")])
    for k in "ab":
        assert r[k].grade == "合格" and r[k].flags == ("tie_at_limit",)
    # One member alone at 80: k = 1, inside; not the bottom.
    a = run(M, [member("a")])["a"]
    assert a.grade == "优秀" and a.flags == ("excellent_eligible", "priority_commendation")


def test_exempt_member_is_refused():
    assert builtin(M).exemption is None
    by = BranchYear(2026, (member("x", exempt=True),), ())
    assert [(p.path, p.message) for p in check_branch_year(builtin(M), by)] == [
        ("members[0].exempt", "scheme municipal-bureau provides no exemption from points management")]


def test_process_days_as_the_seed_sets_them():
    p = builtin(M).process
    # 三（三）由机关党委公示3个工作日; 三（四）党支部3个工作日内答复, 机关党委3个工作日内答复复议
    assert (p.meeting, p.publicity_days, p.publicity_each, p.appeal_days, p.review_days) == (
        "quarterly", 3, "quarter", 3, 3)
    assert "由机关党委在一定范围内公示3个工作日" in p.clause
    assert "机关党委应在3个工作日内作出答复" in p.clause


# 附件1 line by line: code -> (kind, points / levels / range / max, each). Transcribed by hand from the
# seed; each = True only where the line says 每次 / 每少1次 (K4.3 "每扣1分" read as 每次扣1分).
CATALOGUE = {
    "J1.1": ("bonus", {"市领导": 3, "省领导": 5, "国家领导": 10}, True),
    "J1.2": ("bonus", {"全市性会议": 3, "全省性会议": 5, "全国性会议": 10}, True),
    "J1.3": ("bonus", {"全市性会议": 1, "全省性会议": 3, "全国性会议": 5}, True),
    "J1.4": ("bonus", {"市级": 5, "省级": 10, "国家级": 15}, False),       # 被认可加
    "J1.5": ("bonus", ("max", 5), False),                                   # 每次不超过5分
    "J2.1": ("bonus", {"市级": 1, "省级": 2, "国家级": 3}, True),
    "J3.1": ("bonus", {"市级": 1, "省级": 3, "国家级": 5}, True),
    "J4.1": ("bonus", 5, True),
    "J5.1": ("bonus", {"本单位": 1, "市级": 2, "省级": 3, "国家级": 5}, True),
    "J6.1": ("bonus", 3, True), "J6.2": ("bonus", 1, True), "J6.3": ("bonus", 2, True),
    "J6.4": ("bonus", 2, False),                                            # 帮助脱贫的加2分
    "J6.5": ("bonus", ("range", 1, 2), False),                              # 酌情加1-2分
    "K1.1": ("deduction", 5, True), "K1.2": ("deduction", 3, True), "K1.3": ("deduction", 1, True),
    "K2.1": ("deduction", 2, True), "K2.2": ("deduction", 1, True),
    "K2.3a": ("deduction", 2, False),                                       # 不按要求到社区“双报到”,扣2分
    "K2.3b": ("deduction", 1, True),                                        # 每少1次扣1分
    "K3.1": ("deduction", 1, True), "K3.2": ("deduction", 1, True), "K3.3": ("deduction", 1, True),
    "K3.4a": ("deduction", 1, True),
    "K3.4b": ("deduction", {"市级": 2, "省级": 5, "省级以上": 10}, True),  # 市级每次扣2分 …
    "K3.5": ("deduction", 2, True), "K3.6": ("deduction", 2, True),
    "K4.1": ("deduction", 2, True), "K4.2": ("deduction", 2, True), "K4.3": ("deduction", 1, True),
    "K5.1": ("deduction", 1, True), "K5.2": ("deduction", 3, True),
    "K5.3": ("deduction", {"单位": 1, "市级": 2, "省级": 3, "省级以上": 5}, True),
    "K6.1": ("deduction", 3, True),
    "K6.2": ("deduction", 2, False),                                        # 侵占…扣2分: no 每次
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
    items = builtin(M).items
    assert len(items) == 38  # 14 加分, 22 减分, 2 一票否决
    assert {i.code: (i.kind, _spec(i), i.each) for i in items} == CATALOGUE


def _problems(entries):
    by = BranchYear(2026, (member("a"),), tuple(entries))
    return [(p.path, p.message) for p in check_branch_year(builtin(M), by)]


def test_once_only_items_take_exactly_their_points():
    assert _problems([entry("a", "deduction", 2, quarter=1, item="K6.2")]) == []
    assert _problems([entry("a", "deduction", 4, quarter=1, item="K6.2")]) == [
        ("entries[0].points", "item K6.2 gives 2, not 4")]
    assert _problems([entry("a", "deduction", 4, quarter=1, item="K2.3a")]) == [
        ("entries[0].points", "item K2.3a gives 2, not 4")]
    # 每少1次扣1分: 3 is three times
    assert _problems([entry("a", "deduction", 3, quarter=1, item="K2.3b")]) == []
