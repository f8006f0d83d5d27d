"""The demo database: 新密市中医院第一党支部, 2026, three quarters held and locked, Q4 open.

Built through the store's own operations, so the demo is exactly what a real year of
meetings leaves behind: roll calls with absences, contested entries put to the vote,
observers, locks with their chained digests. Today's meeting (2026Q4) has its entries
ready, three of them contested, and the year's evaluation still to collect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core.demo import (
    BRANCH,
    DISSENT,
    MEETING_LENGTH_MINUTES,
    OBJECTIONS,
    RESOLUTIONS,
    ROSTER,
    SCHEME_ID,
    SPEECHES,
    VOTE_METHODS,
    YEAR,
    demo_branch_year,
)
from core.quarter import QuarterRef
from core.schemes import builtin, builtin_text
from db.engine import database_url, is_url, open_engine, shown_url
from db.errors import StoreError
from db.store import MeetingFacts, Store, now
from db.tables import saved_id

PLACE = "门诊楼五楼党员活动室"
HOST = "王建国"
RECORDER = "刘丽娟"
OBSERVERS = "张志宏（医院党委委员）"
AGENDA = ("通报本季度党员积分情况", "对有异议的积分事项进行表决", "部署下季度工作")
MEETING_DAYS = {1: datetime(2026, 3, 27, 14, 30), 2: datetime(2026, 6, 26, 14, 30), 3: datetime(2026, 9, 25, 14, 30)}
# Who was away from each held meeting, and why.
ABSENT = {1: {"谢德明": ("病假", ""), "周晓梅": ("事假", "同意支部对本季度积分的意见")},
          2: {"谢德明": ("病假", ""), "吴国华": ("公差", "")},
          3: {"谢德明": ("病假", "同意"), "黄晓明": ("其他", "")}}
ENTERED = {1: datetime(2026, 3, 20, 9, 0), 2: datetime(2026, 6, 19, 9, 0), 3: datetime(2026, 9, 18, 9, 0),
           4: datetime(2026, 11, 20, 9, 0)}
SICK = "谢德明"  # on long sick leave: absent again today, on 病假


def build_demo(db: str | Path, actor: str = HOST) -> Store:
    """Create the demo branch in a new database file, or in an empty server database (a
    postgresql:// URL); refuses one that already holds data."""
    if not is_url(db):
        path = Path(db)
        if path.exists() and path.stat().st_size > 0:
            raise StoreError(f"{path} 已存在，示范数据只能写入新的数据库文件")
    # The year is replayed on its own dates, so the demo (and its digests) is the same on every machine.
    store = Store(open_engine(db), actor, clock=lambda: datetime(2026, 1, 5, 9, 0))
    if store.years():
        raise StoreError(f"{shown_url(database_url(db))} 中已有支部数据，示范数据只能写入空的数据库")
    store.init_branch(BRANCH, SCHEME_ID, builtin_text(SCHEME_ID), YEAR)
    rows: list[dict[str, Any]] = []
    for d in ROSTER:
        rows.append(dict(name=d.name, gender=d.gender, birth_month=d.birth, post=d.post, status=d.status,
                         status_since="2026-01-08" if d.status == "probationary" else "",
                         meeting_exempt=bool(d.excused)))
    ids = store.add_members(rows)
    by_name = {d.name: ids[i] for i, d in enumerate(ROSTER)}
    # core.demo's members are m01..m24 in roster order.
    to_id = {f"m{i + 1:02d}": ids[i] for i in range(len(ids))}
    year = demo_branch_year(builtin(SCHEME_ID))
    for q in range(1, 5):
        store.clock = _at(ENTERED[q])
        rows = [dict(quarter=q, member_id=to_id[e.member], kind=e.kind, points=e.points, item=e.item, level=e.level,
                     note=e.note, evidence="支部登记材料") for e in year.entries if e.quarter == q]
        entry_ids = store.add_entries(YEAR, rows)
        if q < 4:
            _hold_meeting(store, q, by_name, entry_ids)
        else:
            # Objections raised before today's meeting: three entries wait for the vote.
            for entry_id, (who, why) in zip(entry_ids[2:8:2], OBJECTIONS[4], strict=False):
                store.contest_entry(entry_id, who, why)
    store.clock = now
    return store


def _at(when: datetime) -> Callable[[], datetime]:
    return lambda: when


def _hold_meeting(store: Store, q: int, by_name: dict[str, int], entry_ids: list[int]) -> None:
    store.clock = lambda: MEETING_DAYS[q]
    store.open_meeting(QuarterRef(YEAR, q), MeetingFacts(MEETING_DAYS[q], PLACE, HOST, RECORDER, OBSERVERS,
                                                         "\n".join(AGENDA)))
    for m in store.members():
        if m.meeting_exempt:
            continue
        away = ABSENT[q].get(m.name)
        if away:
            store.roll_call(QuarterRef(YEAR, q), saved_id(m), False, away[0], away[1])
        else:
            store.roll_call(QuarterRef(YEAR, q), saved_id(m), True)
    # One contested entry passes, one fails, at every meeting.
    passing, failing = entry_ids[1], entry_ids[4]
    quorum = store.quorum(QuarterRef(YEAR, q))
    (who1, why1), (who2, why2) = OBJECTIONS[q]
    store.contest_entry(passing, who1, why1)
    store.vote(passing, quorum.voting_present - 3, 2, 1, method=VOTE_METHODS[0])
    store.contest_entry(failing, who2, why2)
    store.vote(failing, 6, quorum.voting_present - 8, 2, method=VOTE_METHODS[1])
    for entry_id in entry_ids:
        if entry_id not in (passing, failing):
            store.confirm_entry(entry_id)
    for item, (speeches, resolution) in enumerate(zip(SPEECHES, RESOLUTIONS, strict=False), 1):
        for speaker, points in speeches:
            store.add_agenda_note(QuarterRef(YEAR, q), item, "speech", points, speaker)
        if item == 2:
            store.add_agenda_note(QuarterRef(YEAR, q), item, "dissent", DISSENT[1], DISSENT[0])
        store.set_resolution(QuarterRef(YEAR, q), item, resolution)
    ended = store.end_meeting(QuarterRef(YEAR, q), MEETING_DAYS[q] + timedelta(minutes=MEETING_LENGTH_MINUTES[q - 1]))
    store.clock = lambda: ended  # the quarter is locked as the meeting closes
    store.lock(QuarterRef(YEAR, q))
