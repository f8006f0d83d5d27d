"""The scheme's sane maximum for one entry (points.limit) and the points check in core that the
console, the command line, imports and `jifen compute` share."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.branch import Entry
from core.checks import check_entry
from core.scheme import POINTS_LIMIT, SchemeError, parse_scheme
from core.schemes import builtin, builtin_ids, builtin_text


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_builtin_scheme_keeps_the_default_limit_and_every_item_fits_it(sid):
    s = builtin(sid)
    assert s.points.limit == POINTS_LIMIT == 100
    for item in s.items:
        values = [item.points, item.max, *(item.range or ()), *(item.choice or ()), *(item.levels or {}).values()]
        for v in values:
            if v is not None:
                assert 0 <= v <= s.points.limit and v == v.quantize(Decimal("0.001")), (item.code, v)
    assert all(c.max <= s.points.limit for c in s.categories)


def _with(extra: str) -> str:
    text = builtin_text("xinmi-hospital-2023")
    assert "[points]\n" in text
    return text.replace("[points]\n", f"[points]\n{extra}\n", 1)


def test_a_scheme_file_sets_its_own_limit():
    assert parse_scheme(_with("limit = 20"), "s.toml").points.limit == 20


@pytest.mark.parametrize("extra, says", [
    ("limit = 5", "s.toml: items[0].levels: 有分值超过 points.limit（5）"),
    ("limit = 1e9", "s.toml: points.limit: 应为不大于 10000 的数"),
    ("limit = nan", "s.toml: points.limit: 应为有限的数字（不能是 inf 或 nan）"),
    ("limit = inf", "s.toml: points.limit: 应为有限的数字（不能是 inf 或 nan）"),
    ("limit = 0", "s.toml: points.limit: 应为大于 0 的数"),
])
def test_a_bad_limit_or_a_value_above_it_is_named(extra, says):
    with pytest.raises(SchemeError) as err:
        parse_scheme(_with(extra), "s.toml")
    assert err.value.problems[0] == says


def test_nan_in_any_number_of_a_scheme_is_one_line_not_a_crash():
    text = builtin_text("xinmi-hospital-2023")
    assert "\nfloor = 0\n" in text
    with pytest.raises(SchemeError) as err:
        parse_scheme(text.replace("\nfloor = 0\n", "\nfloor = nan\n", 1), "s.toml")
    assert err.value.problems == ["s.toml: points.floor: 应为有限的数字（不能是 inf 或 nan）"]


def test_a_catalogue_value_finer_than_three_places_is_refused():
    text = builtin_text("xinmi-hospital-2023") + (
        '\n[[items]]\ncode = "Z1"\nkind = "bonus"\nlabel = "x"\npoints = 0.0005\nreading = "x"\n')
    with pytest.raises(SchemeError) as err:
        parse_scheme(text, "s.toml")
    added = len(builtin("xinmi-hospital-2023").items)  # the index of the line added above
    assert err.value.problems[-1] == f"s.toml: items[{added}].points: 分值最多保留3位小数"


@pytest.mark.parametrize("points, zh", [
    ("NaN", "分值应为数字，不是“NaN”"),
    ("sNaN", "分值应为数字，不是“sNaN”"),
    ("Infinity", "分值应为数字，不是“Infinity”"),
    ("-Infinity", "分值应为数字，不是“-Infinity”"),
    ("1e400", "分值不能超过100分（积分方案规定的单项上限），不是“1E+400”"),
    ("100.001", "分值不能超过100分（积分方案规定的单项上限），不是“100.001”"),
    ("1e-400", "分值最多保留3位小数，不是“1E-400”"),
    ("-1", "分值不能为负数"),
])
def test_check_entry_refuses_what_is_no_sane_points(points, zh):
    s = builtin("xinmi-hospital-2023")
    for item in (None, "J1.4"):  # an item's own rule is never asked to compare such a number
        e = Entry("m1", "bonus", 1, None, Decimal(points), None, item, None)
        assert [p[2] for p in check_entry(s, e)] == [zh]


def test_the_limit_itself_and_three_places_pass():
    s = builtin("xinmi-hospital-2023")
    for points in ("100", "0.5", "2.125"):
        assert check_entry(s, Entry("m1", "bonus", 1, None, Decimal(points), None, None, None)) == []
