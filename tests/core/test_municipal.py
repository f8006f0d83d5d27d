"""municipal-bureau: the xinmi formula with the 80 line for 合格 and 70 for 基本合格."""

from tests.conftest import D, entry, member, run

M = "municipal-bureau"


def test_grades_use_the_bureau_thresholds():
    # Six members, top third = 2 places.
    pts = {"a": 10, "b": 6, "c": 0, "d": -1, "e": -10, "f": -10.01}
    entries = [entry(k, "bonus" if v > 0 else "deduction", abs(v), quarter=2) for k, v in pts.items() if v]
    r = run(M, [member(k) for k in pts], entries)
    assert [r[k].total for k in pts] == [90, 86, 80, 79, 70, D("69.99")]
    assert [r[k].grade for k in pts] == ["优秀", "优秀", "合格", "基本合格", "基本合格", "不合格"]


def test_probationary_below_80_is_at_risk():
    r = run(M, [member("p", "probationary"), member("q", "probationary")],
            [entry("p", "deduction", 1, quarter=1)])
    assert "probation_at_risk" in r["p"].flags      # 79 < 80
    assert "probation_at_risk" not in r["q"].flags  # 80
    assert r["p"].grade is None


def test_veto_and_floor_as_in_the_shared_formula():
    r = run(M, [member("a"), member("b")], [entry("a", "deduction", 100, quarter=1),
                                            entry("b", "veto", quarter=4, item="F2")])
    assert r["a"].quarters == (0, 0, 0, 0)                     # 80 - 100 -> floor 0
    assert r["b"].quarters == (80, 80, 80, 0) and r["b"].grade == "不合格"
