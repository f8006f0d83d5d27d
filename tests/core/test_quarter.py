"""core.quarter: a quarter as one value; states and statuses that stay the stored text."""

import json

import pytest

from core.quarter import COUNTED, EntryStatus, QuarterRef, QuarterState


def test_a_quarter_reads_and_says_itself():
    q = QuarterRef.parse(" 2026q3 ")
    assert q == QuarterRef(2026, 3)
    assert (q.year, q.number) == (2026, 3)
    assert q.label == "2026Q3" and str(q) == "2026Q3"
    assert q.name == "2026年第三季度"
    assert QuarterRef(2025, 4) < QuarterRef(2026, 1) < QuarterRef(2026, 2)
    assert {QuarterRef(2026, 1): "x"}[QuarterRef(2026, 1)] == "x"


@pytest.mark.parametrize("label", ["2026Q5", "2026Q0", "26Q3", "2026-3", "2026Q34", "Q32026", ""])
def test_a_wrong_label_is_a_value_error(label):
    with pytest.raises(ValueError):
        QuarterRef.parse(label)


def test_enum_members_are_their_stored_text():
    assert EntryStatus.CONTESTED == "有异议" and str(EntryStatus.CONTESTED) == "有异议"
    assert f"{EntryStatus.PASSED}" == "表决通过" and f"{QuarterState.LOCKED:>8}" == "  locked"
    assert json.dumps([QuarterState.MEETING, EntryStatus.DECLARED], ensure_ascii=False) == '["meeting", "申报"]'
    assert "撤回" in tuple(EntryStatus) and "/".join(EntryStatus) == "申报/已确认/有异议/表决通过/表决未通过/撤回"
    assert [s.value for s in COUNTED] == ["申报", "已确认", "表决通过"]
    assert "有异议" not in COUNTED and "表决未通过" not in COUNTED and "撤回" not in COUNTED
    assert [s.value for s in QuarterState] == ["open", "meeting", "locked"]
