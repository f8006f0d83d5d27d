"""What a branch hands the committee, read from its database (`records_of`), on SQLite and
PostgreSQL: the whole chain back to the first lock as the exact texts under the digests, the
scheme text the locks name, the corrections and the appeals; an unlocked quarter refused."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from committee.records import records_of
from core.quarter import QuarterRef
from db.demo import build_demo
from db.digest import scheme_sha256
from db.errors import StoreError
from exports.deadlines import WorkCalendar

Q2, Q3 = QuarterRef(2026, 2), QuarterRef(2026, 3)


@pytest.fixture
def demo(db_target):
    store = build_demo(db_target)
    yield store
    store.engine.dispose()


def test_the_chain_as_locked_with_its_scheme(demo):
    records = records_of(demo, Q3)
    assert records.branch == "新密市中医院第一党支部"
    assert [r.quarter for r in records.locks] == ["2026Q1", "2026Q2", "2026Q3"]
    previous = ""
    for r in records.locks:
        assert hashlib.sha256(r.canonical.encode("utf-8")).hexdigest() == r.digest
        assert r.previous_digest == previous == json.loads(r.canonical)["previous"]
        previous = r.digest
    assert records.last.digest == demo.lock_of(Q3).digest
    scheme_id, text = records.schemes[2026]
    assert json.loads(records.last.canonical)["scheme"] == {"id": scheme_id, "sha256": scheme_sha256(text)}
    assert [r.quarter for r in records_of(demo, Q2).locks] == ["2026Q1", "2026Q2"]  # up to the quarter asked


def test_corrections_and_appeals_travel_with_the_records(demo):
    demo.add_appeal(Q3, "刘丽娟", date(2026, 9, 30), "K3.4 扣分有误", WorkCalendar())
    demo.answer_appeal(1, date(2026, 10, 9), True, "予以撤销", withdraw=["K3.4"])
    demo.add_appeal(Q3, "张伟", date(2026, 10, 8), "加分偏少", WorkCalendar())
    records = records_of(demo, Q3)
    (amendment,) = records.amendments
    assert amendment.quarter == "2026Q3" and amendment.previous_digest == records.last.digest
    assert [(a.number, a.member, a.open) for a in records.appeals] == [(1, "刘丽娟", False), (2, "张伟", True)]
    assert records.appeals[1].deadline == "2026-10-12" and records.appeals[1].state == "待党支部答复"
    assert records_of(demo, Q2).amendments == () and records_of(demo, Q2).appeals == ()


def test_an_unlocked_quarter_is_not_reported(demo):
    with pytest.raises(StoreError, match="2026年第四季度尚未锁定"):
        records_of(demo, QuarterRef(2026, 4))
