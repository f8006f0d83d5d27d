"""Small branches for the committee's tests, built through the store as a branch builds them:
init_branch under any name, members, a deduction or two per quarter, a meeting and the lock."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.engine import open_engine
from db.store import Store
from tests.db.test_year_open import hold_and_lock

JSIT = "jsit-college-2020"
MEETINGS = {1: datetime(2026, 3, 27, 14, 30), 2: datetime(2026, 6, 26, 14, 30), 3: datetime(2026, 9, 25, 14, 30)}


def new_branch(path: Path, name: str, members: list[str]) -> Store:
    st = Store(open_engine(path), "书记", clock=lambda: datetime(2026, 1, 5, 9, 0))
    st.init_branch(name, JSIT, builtin_text(JSIT), 2026)
    st.add_members([dict(name=n, status="full") for n in members])
    return st


def hold(st: Store, number: int, deducted: int = 0) -> str:
    """One quarter: a K5 deduction (10) for the `deducted`-th member, the meeting, the lock."""
    quarter = QuarterRef(2026, number)
    st.add_entry(quarter, st.members()[deducted % len(st.members())].id, "deduction", 10, item="K5")
    return hold_and_lock(st, quarter, MEETINGS[number])


def copy_branch(st: Store, path: Path) -> Store:
    """The branch's database copied as it is now: a second laptop with the same history so far."""
    st.engine.dispose()
    src = Path(st.engine.url.database or "")
    shutil.copyfile(src, path)
    return Store(open_engine(path), "书记")
