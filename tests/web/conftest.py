"""A meeting ready for phone ballots on a real SQLite file, and a real ballot server on
127.0.0.1 (port 0) in this process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.store import MeetingFacts, Store
from web.server import BallotServer

SCHEME = "xinmi-hospital-2023"
Q = QuarterRef(2026, 4)
FULL = 12  # full members: the scheme's 1/3 allows 4 优秀


@dataclass
class Meeting:
    db: str
    store: Store
    ids: list[int]  # graded members in roll order; the last is probationary
    codes: list[str]


def new_meeting(db: str, codes: int = 0) -> Meeting:
    st = Store(open_engine(db), "书记")
    st.init_branch("第一党支部", SCHEME, builtin_text(SCHEME), 2026)
    ids = st.add_members([dict(name=f"党员{i:02d}", status="full") for i in range(FULL)]
                         + [dict(name="预备甲", status="probationary", status_since="2026-03-01")])
    st.open_meeting(Q, MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "甲", "乙"))
    st.roll_call_rest(Q)
    return Meeting(db, st, ids, st.issue_codes(Q, codes) if codes else [])


@pytest.fixture
def meeting(tmp_path: Path) -> Iterator[Meeting]:
    m = new_meeting(str(tmp_path / "branch.db"), codes=80)
    yield m
    m.store.engine.dispose()


@pytest.fixture
def server(meeting: Meeting) -> Iterator[BallotServer]:
    srv = BallotServer(meeting.store, Q, host="127.0.0.1", port=0)
    srv.start()
    yield srv
    srv.stop()
