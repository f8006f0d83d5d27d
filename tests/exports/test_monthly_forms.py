"""The forms of a monthly scheme (xingping): a category's score is what the member earned, not a
deduction, so no form prints (full marks − score) as 扣分.

Worked by hand: in January 甲 scores 18 + 20 + 15 + 15 + 20 = 88 in the five categories and gets
奖励分 2 (J1): the month is 90; 乙 scores full marks, 20 + 20 + 15 + 15 + 20 = 90, no bonus: 90.
Only January is scored in Q1, so each Q1 figure is that month's; no other quarter is scored, so
the year's points are the Q1 figure.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.store import MeetingFacts, Store
from exports.forms import ledger_table, publicity_table, write_personal
from exports.minutes import write_minutes
from exports.parts import EARNED
from tests.exports.test_documents import flat, read_pdf

YEAR = 2026
SCHEME = "xingping-medical-insurance-2022"
SCORES = {"甲": {"S1": 18, "S2": 20, "S3": 15, "S4": 15, "S5": 20},
          "乙": {"S1": 20, "S2": 20, "S3": 15, "S4": 15, "S5": 20}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xingping")
    store = Store(open_engine(folder / "x.db"), "测试", clock=lambda: datetime(2026, 3, 30, 9, 0))
    store.init_branch("兴平市医保局机关党支部", SCHEME, builtin_text(SCHEME), YEAR)
    ids = dict(zip(["甲", "乙", "丙"], store.add_members([
        dict(name=n, gender="女", birth_month="1980-05", post="科员") for n in ("甲", "乙", "丙")]), strict=True))
    rows = [dict(quarter=1, member_id=ids[n], kind="score", points=p, item=code, month=1, note=f"1月{code}")
            for n, marks in SCORES.items() for code, p in marks.items()]
    rows.append(dict(quarter=1, member_id=ids["甲"], kind="bonus", points=2, item="J1", month=1, note="县级表扬"))
    store.add_entries(YEAR, rows)
    q1 = QuarterRef(YEAR, 1)
    store.open_meeting(q1, MeetingFacts(datetime(2026, 3, 30, 9, 0), "会议室", "甲", "乙", "", "通报积分"))
    for m in store.members():
        store.roll_call(q1, m.id, True)
    store.lock(q1)
    return store


def test_the_quarter_form_shows_the_categories_score_and_the_bonus(store):
    table = publicity_table(store, YEAR, 1)
    assert table.headings[5:8] == [EARNED, "奖励分", "合计"] and "扣分" not in table.headings
    rows = {r[1]: r[5:8] for r in table.rows}
    assert rows["甲"] == [88, 2, 90] and rows["乙"] == [90, 0, 90]


def test_the_ledger_and_the_minute_say_the_same(store):
    table = ledger_table(store, YEAR, draft=True)
    assert "扣分" not in table.headings
    at = table.headings.index(EARNED)
    assert {r[1]: r[at:at + 3] for r in table.rows}["甲"] == [88, 2, 90]
    text = flat("\n".join(read_pdf(write_minutes(store, YEAR, 1, store_folder(store) / "m.pdf"))))
    assert f"序号姓名{EARNED}奖励分合计名次" in text and "扣分" not in text.split("二、党员积分情况")[1][:200]


def test_the_personal_list_shows_scores_as_scores(store, tmp_path):
    pages = read_pdf(write_personal(store, YEAR, tmp_path / "甲.pdf", member="甲", draft=True))
    text = flat("\n".join(pages))
    assert "序号月份类别事项类型分值" in text
    assert "1月理论学习1月S1得分18（满分20）" in text
    assert "1月奖励分县级表扬奖励分2" in text
    assert "季度积分：一季度90，二季度未评分，三季度未评分，四季度未评分。年度积分：90" in text
    assert "减分" not in text and "扣分" not in text


def store_folder(store: Store) -> Path:
    return Path(str(store.engine.url.database)).parent
