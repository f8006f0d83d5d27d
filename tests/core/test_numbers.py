"""Rounding and ranking on the figures as reported."""

from decimal import Decimal

from core.grading import competition_ranks
from core.numbers import fraction_of, round2, share_count, show
from tests.conftest import D, entry, member, run


def test_round_half_up_as_on_a_form():
    assert round2(D("90.425")) == D("90.43")
    assert round2(D("90.415")) == D("90.42")   # not banker's rounding
    assert round2(Decimal(271) / 3) == D("90.33")
    assert show(D("85.00")) == "85" and show(D("84.50")) == "84.5" and show(None) == "—"


def test_competition_ranking():
    assert competition_ranks([D(85), D(90), D(85), D(70), D(90)]) == [3, 1, 3, 5, 1]


def test_share_count():
    assert share_count(fraction_of("1/3"), 24) == 8
    assert share_count(fraction_of("20%"), 23) == 4     # floor(4.6)
    assert share_count(fraction_of(0.2), 4) == 1        # max(1, floor(0.8))


def test_totals_that_round_alike_tie_in_rank():
    # 80.004 and 80.001 are both reported 80: the room sees a tie, so the rank is shared.
    r = run("xinmi-hospital-2023", [member("a"), member("b")],
            [entry("a", "bonus", 0.004, quarter=1), entry("b", "bonus", 0.001, quarter=1)])
    assert r["a"].total == r["b"].total == 80
    assert r["a"].rank == r["b"].rank == 1


def test_a_threshold_is_judged_on_the_reported_figure():
    # 69.996 is reported 70.00, and the grade follows what is reported: 合格, not 基本合格.
    r = run("xinmi-hospital-2023", [member("a"), member("b"), member("c")],
            [entry("a", "deduction", 10.004, quarter=1), entry("b", "bonus", 5, quarter=1)])
    assert r["a"].total == 70
    assert r["a"].grade == "合格"
