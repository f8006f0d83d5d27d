"""Undo takes back only the action of the session (console process) that did it, and a store
opened read-only (another console holds the database) writes nothing at all."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlmodel import Session, select

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.errors import StoreError
from db.store import MeetingFacts, Store
from db.tables import UndoSlot


def stores(tmp_path) -> tuple[Store, Store, list[int]]:
    path = tmp_path / "b.db"
    first = Store(open_engine(path), "书记", session="first")
    first.init_branch("第一党支部", "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), 2026)
    ids = first.add_members([dict(name=n, gender="男", birth_month="1980-01", post="党员", status="full")
                             for n in ("甲", "乙")])
    first.open_meeting(QuarterRef(2026, 1), MeetingFacts(datetime(2026, 3, 27, 14, 30), "活动室"))
    return first, Store(open_engine(path), "书记", session="second"), ids


def test_undo_of_another_sessions_action_is_refused(tmp_path):
    first, second, ids = stores(tmp_path)
    first.roll_call(QuarterRef(2026, 1), ids[0], True)
    with pytest.raises(StoreError, match="另一个控制台"):
        second.undo(QuarterRef(2026, 1))
    assert Store(open_engine(tmp_path / "b.db")).roll_calls(QuarterRef(2026, 1)).keys() == {ids[0]}
    with Session(first.engine) as s:  # the token sits inside the existing payload
        assert json.loads(s.exec(select(UndoSlot)).one().payload)["session"] == "first"
    first.undo(QuarterRef(2026, 1))
    assert Store(open_engine(tmp_path / "b.db")).roll_calls(QuarterRef(2026, 1)) == {}
    # The second session's own action is its to take back.
    second.roll_call(QuarterRef(2026, 1), ids[1], False, "病假")
    second.undo(QuarterRef(2026, 1))
    assert Store(open_engine(tmp_path / "b.db")).roll_calls(QuarterRef(2026, 1)) == {}


def test_a_read_only_store_writes_nothing(tmp_path):
    first, second, ids = stores(tmp_path)
    second.read_only = "此数据库正由别人使用"
    audit = len(first.audit())
    for call in (lambda: second.roll_call(QuarterRef(2026, 1), ids[0], True),
                 lambda: second.roll_call_rest(QuarterRef(2026, 1)),
                 lambda: second.set_meeting_facts(QuarterRef(2026, 1),
                                                  place="别处"), lambda: second.undo(QuarterRef(2026, 1))):
        with pytest.raises(StoreError, match="此数据库正由别人使用"):
            call()
    fresh = Store(open_engine(tmp_path / "b.db"))
    assert fresh.roll_calls(QuarterRef(2026, 1)) == {} and len(fresh.audit()) == audit
    assert fresh.meeting(QuarterRef(2026, 1)).place == "活动室"
