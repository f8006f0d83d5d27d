"""Top shares, ties and the bottom (SCHEMES.md v2), worked by hand.

k = max(1, floor(s x N_full)), N_full counting ranked full members only. A full member is inside
when the full members above it plus those tied with it (itself included) number at most k; a tied
group that straddles k is left outside (flag tie_at_limit). Bottom ranked needs someone better.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from core.grading import Standing, competition_ranks, share_place
from tests.conftest import entry, member, run

X = "xinmi-hospital-2023"  # 优秀: total >= 80 and inside the top third of full members
THIRD = Fraction(1, 3)


def standing(total: str, *full_totals: str, status: str = "full", rank: int = 1, worst: int = 1) -> Standing:
    totals = tuple(sorted(Decimal(t) for t in full_totals))
    return Standing(status, False, Decimal(total), Decimal(total), None, rank, len(full_totals), worst, 0, None,
                    totals)


def test_share_place_counts_the_ones_above_and_the_tied():
    # six full members 90 85 85 85 70 60: k = floor(6/3) = 2
    six = ("90", "85", "85", "85", "70", "60")
    top = share_place(THIRD, standing("90", *six))
    assert (top.places, top.higher, top.tied, top.inside, top.straddles) == (2, 0, 1, True, False)
    # the three at 85: one above them, three tied: 1 + 3 = 4 > 2, and 1 < 2 < 4 -> straddles
    mid = share_place(THIRD, standing("85", *six))
    assert (mid.higher, mid.tied, mid.inside, mid.straddles) == (1, 3, False, True)
    # 70: four above, well outside, not straddling
    low = share_place(THIRD, standing("70", *six))
    assert (low.higher, low.tied, low.inside, low.straddles) == (4, 1, False, False)


def test_a_tie_that_exactly_fills_the_places_is_inside():
    # 90 90 80 70 60 50: k = 2; the two at 90 fill the places exactly: 0 + 2 <= 2
    p = share_place(THIRD, standing("90", "90", "90", "80", "70", "60", "50"))
    assert (p.inside, p.straddles) == (True, False)
    # the 80 has two above: 2 + 1 = 3 > 2, and 2 < 2 is false -> plainly outside
    q = share_place(THIRD, standing("80", "90", "90", "80", "70", "60", "50"))
    assert (q.inside, q.straddles) == (False, False)


def test_probationary_members_take_no_place_and_are_not_counted():
    # a probationary member at 100 is never inside; the full members' k does not count them
    p = share_place(THIRD, standing("100", "90", "80", "70", status="probationary"))
    assert (p.places, p.inside, p.straddles) == (1, False, False)


def test_bottom_needs_someone_ranked_better():
    assert standing("60", "60", rank=1, worst=1).bottom is False  # one member alone
    assert standing("80", "80", "80", rank=1, worst=1).bottom is False  # everyone tied
    assert standing("70", "80", "70", rank=2, worst=2).bottom is True
    assert competition_ranks([Decimal(80), Decimal(80), Decimal(70)]) == [1, 1, 3]


def test_everyone_tied_in_xinmi_nobody_is_excellent_or_bottom():
    # six full members with no entries: all 80, all rank 1. k = 2, the tie of six straddles it:
    # nobody is 优秀 (v1 made all six 优秀), all are tie_at_limit; nobody is bottom ranked.
    ms = [member(f"m{i}") for i in range(1, 7)]
    res = run(X, ms, [])
    for i in range(1, 7):
        r = res[f"m{i}"]
        assert (r.total, r.rank, r.grade) == (80, 1, "合格")
        assert r.flags == ("tie_at_limit",)
        assert any("党员大会决定" in x.text for x in r.why("flag:tie_at_limit"))


def test_one_member_alone_is_inside_and_not_bottom():
    # N_full = 1: k = max(1, floor(1/3)) = 1; the one member is inside and nobody ranks better
    r = run(X, [member("a")], [])["a"]
    assert (r.total, r.rank, r.grade) == (80, 1, "优秀")
    assert "bottom_ranked" not in r.flags and "tie_at_limit" not in r.flags
    assert {"excellent_eligible", "priority_commendation"} <= set(r.flags)


def test_a_tie_across_the_share_is_left_to_the_meeting_and_the_share_never_exceeded():
    # a 85, b 83, c 83, d 80, e 80, f 80 (six full): k = 2.
    # a inside (0 + 1 <= 2) -> 优秀; b and c: 1 above + 2 tied = 3 > 2, 1 < 2 < 3 -> straddle:
    # 合格 with tie_at_limit; d e f: 3 above, outside, not straddling -> 合格, bottom (rank 4 > 1).
    ms = [member(x) for x in "abcdef"]
    res = run(X, ms, [entry("a", "bonus", 5, quarter=1), entry("b", "bonus", 3, quarter=1),
                      entry("c", "bonus", 3, quarter=2)])
    assert [res[x].total for x in "abcdef"] == [85, 83, 83, 80, 80, 80]
    assert [res[x].rank for x in "abcdef"] == [1, 2, 2, 4, 4, 4]
    assert res["a"].grade == "优秀"
    assert [res[x].grade for x in "bcdef"] == ["合格"] * 5
    assert sum(1 for x in "abcdef" if res[x].grade == "优秀") <= 2
    for x in "bc":
        assert "tie_at_limit" in res[x].flags and "priority_commendation" not in res[x].flags
    for x in "def":
        assert "tie_at_limit" not in res[x].flags
        assert {"bottom_ranked", "commendation_barred", "talk_required"} <= set(res[x].flags)
