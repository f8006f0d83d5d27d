"""The demo database: 新密市中医院第一党支部, 2026, three quarters held and locked, Q4 open;
or another demo branch (core.demo_branches: its own name, roster, entries and meetings from a seed).

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
    MEETING_LENGTH_MINUTES,
    RESOLUTIONS,
    SCHEME_ID,
    VOTE_METHODS,
    YEAR,
    demo_branch_year,
)
from core.demo_branches import FIXED, BranchFacts, branch_facts
from core.quarter import QuarterRef
from core.schemes import builtin, builtin_text
from db.engine import database_url, is_url, open_engine, shown_url
from db.errors import StoreError
from db.store import MeetingFacts, Store, now
from db.tables import saved_id

# The fixed demo's meeting facts (core.demo_branches.FIXED), under the names the tests use.
PLACE = FIXED.place
HOST = FIXED.host
RECORDER = FIXED.recorder
OBSERVERS = FIXED.observers
AGENDA = ("通报本季度党员积分情况", "对有异议的积分事项进行表决", "部署下季度工作")
MEETING_DAYS = FIXED.meeting_days
# Who was away from each held meeting, and why.
ABSENT = FIXED.absent
ENTERED = {1: datetime(2026, 3, 20, 9, 0), 2: datetime(2026, 6, 19, 9, 0), 3: datetime(2026, 9, 18, 9, 0),
           4: datetime(2026, 11, 20, 9, 0)}
SICK = "谢德明"  # on long sick leave: absent again today, on 病假


def build_demo(db: str | Path, actor: str | None = None, branch: str | None = None, seed: int = 0,
               members: int | None = None) -> Store:
    """Create the demo branch in a new database file, or in an empty server database (a
    postgresql:// URL); refuses one that already holds data. `branch` and `seed` make another
    demo branch (the same pair, the same database); without them, the fixed demo. `members`
    (15-40, with `branch`) fixes that branch's member count instead of drawing it from the seed."""
    if members is not None and branch is None:
        raise StoreError("指定党员人数须同时指定示范支部名称（固定示范支部为 24 人）")
    try:
        facts = FIXED if branch is None else branch_facts(branch.strip(), seed, members)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    if not facts.name:
        raise StoreError("党支部名称不能为空")
    if not is_url(db):
        path = Path(db)
        if path.exists() and path.stat().st_size > 0:
            raise StoreError(f"{path} 已存在，示范数据只能写入新的数据库文件")
    # The year is replayed on its own dates, so the demo (and its digests) is the same on every machine.
    store = Store(open_engine(db), facts.host if actor is None else actor, clock=lambda: datetime(2026, 1, 5, 9, 0))
    if store.years():
        raise StoreError(f"{shown_url(database_url(db))} 中已有支部数据，示范数据只能写入空的数据库")
    store.init_branch(facts.name, SCHEME_ID, builtin_text(SCHEME_ID), YEAR)
    rows: list[dict[str, Any]] = []
    for d in facts.roster:
        rows.append(dict(name=d.name, gender=d.gender, birth_month=d.birth, post=d.post, status=d.status,
                         status_since="2026-01-08" if d.status == "probationary" else "",
                         meeting_exempt=bool(d.excused)))
    ids = store.add_members(rows)
    # core.demo's members are m01, m02, ... in roster order.
    to_id = {f"m{i + 1:02d}": ids[i] for i in range(len(ids))}
    year = demo_branch_year(builtin(SCHEME_ID), roster=facts.roster, seed=facts.entry_seed)
    for q in range(1, 5):
        store.clock = _at(ENTERED[q])
        rows = [dict(quarter=q, member_id=to_id[e.member], kind=e.kind, points=e.points, item=e.item, level=e.level,
                     note=e.note, evidence="支部登记材料") for e in year.entries if e.quarter == q]
        entry_ids = store.add_entries(YEAR, rows)
        if q < 4:
            _hold_meeting(store, q, facts, entry_ids)
        else:
            # Objections raised before today's meeting: three entries wait for the vote.
            for entry_id, (who, why) in zip(entry_ids[2:8:2], facts.objections[4], strict=False):
                store.contest_entry(entry_id, who, why)
    store.clock = now
    return store


def _at(when: datetime) -> Callable[[], datetime]:
    return lambda: when


def _hold_meeting(store: Store, q: int, facts: BranchFacts, entry_ids: list[int]) -> None:
    day = facts.meeting_days[q]
    store.clock = lambda: day
    store.open_meeting(QuarterRef(YEAR, q), MeetingFacts(day, facts.place, facts.host, facts.recorder,
                                                         facts.observers, "\n".join(AGENDA)))
    for m in store.members():
        if m.meeting_exempt:
            continue
        away = facts.absent[q].get(m.name)
        if away:
            store.roll_call(QuarterRef(YEAR, q), saved_id(m), False, away[0], away[1])
        else:
            store.roll_call(QuarterRef(YEAR, q), saved_id(m), True)
    # One contested entry passes, one fails, at every meeting.
    passing, failing = entry_ids[1], entry_ids[4]
    quorum = store.quorum(QuarterRef(YEAR, q))
    (who1, why1), (who2, why2) = facts.objections[q]
    store.contest_entry(passing, who1, why1)
    store.vote(passing, quorum.voting_present - 3, 2, 1, method=VOTE_METHODS[0])
    store.contest_entry(failing, who2, why2)
    # The fixed demo's counts as they always were; another branch's scaled to its size (a
    # quarter for, so that it fails however few are present).
    yes = 6 if facts is FIXED else quorum.voting_present // 4
    store.vote(failing, yes, quorum.voting_present - yes - 2, 2, method=VOTE_METHODS[1])
    for entry_id in entry_ids:
        if entry_id not in (passing, failing):
            store.confirm_entry(entry_id)
    for item, (speeches, resolution) in enumerate(zip(facts.speeches, RESOLUTIONS, strict=False), 1):
        for speaker, points in speeches:
            store.add_agenda_note(QuarterRef(YEAR, q), item, "speech", points, speaker)
        if item == 2:
            store.add_agenda_note(QuarterRef(YEAR, q), item, "dissent", facts.dissent[1], facts.dissent[0])
        store.set_resolution(QuarterRef(YEAR, q), item, resolution)
    ended = store.end_meeting(QuarterRef(YEAR, q), day + timedelta(minutes=MEETING_LENGTH_MINUTES[q - 1]))
    store.clock = lambda: ended  # the quarter is locked as the meeting closes
    store.lock(QuarterRef(YEAR, q))
