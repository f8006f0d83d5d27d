"""Shared helpers: build a branch-year in a line and score it through the real engine."""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal

import pytest

from core.branch import BranchYear, Entry, HistoryRecord, Member, Ratings
from core.checks import check_branch_year
from core.engine import MemberResult, score
from core.schemes import builtin

# The `postgres_server` fixture: a real PostgreSQL server, started once when a test asks for it.
pytest_plugins = ["tests.postgres"]


@pytest.fixture(scope="session", autouse=True)
def _own_user_folders():
    """The command line remembers the last database and keeps the demo in the user's folders:
    the tests (and the commands they start) use folders of their own, never the real ones."""
    base = tempfile.mkdtemp(prefix="jifen-user-")
    saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    os.environ["XDG_CONFIG_HOME"] = os.path.join(base, "config")
    os.environ["XDG_DATA_HOME"] = os.path.join(base, "data")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def member(mid: str, status: str = "full", exempt: bool = False) -> Member:
    return Member(mid, mid, status, exempt)


def entry(mid: str, kind: str, points: float | str | None = None, *, quarter: int | None = None,
          month: int | None = None, category: str | None = None, item: str | None = None,
          level: str | None = None) -> Entry:
    q = quarter if quarter is not None else Entry.quarter_of(month)
    pts = None if points is None else Decimal(str(points))
    return Entry(mid, kind, q, month, pts, category, item, level)


def ratings(mid: str, round: int = 1, **counts: int) -> Ratings:
    labels = {"excellent": "优秀", "good": "合格", "fair": "基本合格", "poor": "不合格"}
    return Ratings(mid, round, {labels[k]: v for k, v in counts.items()})


def history(mid: str, year: int, total: float | None = None, bottom: bool = False) -> HistoryRecord:
    return HistoryRecord(mid, year, None if total is None else Decimal(str(total)), bottom)


def run(scheme_id_or_scheme, members, entries=(), evaluations=(), past=(), year: int = 2026) -> dict[str, MemberResult]:
    """Score through the engine after the same checks `jifen compute` makes; by member id."""
    scheme = builtin(scheme_id_or_scheme) if isinstance(scheme_id_or_scheme, str) else scheme_id_or_scheme
    by = BranchYear(year, tuple(members), tuple(entries), tuple(evaluations), tuple(past))
    problems = check_branch_year(scheme, by)
    assert not problems, [p.line() for p in problems]
    return {m.id: m for m in score(scheme, by).members}


def D(x) -> Decimal:
    return Decimal(str(x))


@pytest.fixture
def fill():
    """Members m1..mN, all full, for rank and share tests."""
    return lambda n, status="full": [member(f"m{i}", status) for i in range(1, n + 1)]
