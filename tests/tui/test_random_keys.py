"""Random keys on every page and dialog: the console never fails, whatever is pressed.

The demo branch with its 2026Q4 meeting opened and part of the roll called through the store,
so votes, ballots and every dialog are within reach. Each run presses seeded random keys
(tests/tui/keys.py) at 100x30 and 200x50 and fails on any exception, including one the
console's safety net caught, and on the console ending; the failure names the seed, the
size and the last keys. JIFEN_RANDOM_KEYS=10000 presses that many keys per run (a long run,
see bench/README.md); JIFEN_RANDOM_SEED=n runs that seed only.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store
from tests.tui.keys import drive
from tui.app import JifenApp

pytestmark = pytest.mark.asyncio

KEYS = int(os.environ.get("JIFEN_RANDOM_KEYS", "300"))
SEEDS = [int(x) for x in os.environ["JIFEN_RANDOM_SEED"].split(",")] if "JIFEN_RANDOM_SEED" in os.environ else [1, 2]
SIZES = [(100, 30), (200, 50)]


def meeting_under_way(path: Path) -> None:
    """The demo with 2026Q4's meeting opened and fourteen members called (quorum: 11 of 20)."""
    build_demo(path)
    engine = open_engine(path)
    store = Store(engine)
    store.open_meeting(QuarterRef(2026, 4), MeetingFacts(datetime(2026, 12, 25, 14, 30), "党员活动室", "王建国",
                                                         "刘丽娟"))
    for m in [m for m in store.members() if not m.meeting_exempt][:14]:
        store.roll_call(QuarterRef(2026, 4), m.id, True)
    engine.dispose()  # the last connection folds the WAL into the file, which is then copied


def copy_db(source: Path, target: Path) -> None:
    """A copy with what is still in the source's WAL (a plain file copy would miss it: the demo's
    engine leaves its WAL behind, and the copy then has no meeting opened)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture(scope="module")
def under_way(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("random-keys") / "demo.db"
    meeting_under_way(path)
    return path


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("seed", SEEDS)
async def test_random_keys_never_fail_the_console(tmp_path: Path, under_way: Path, seed: int,
                                                  size: tuple[int, int]) -> None:
    path = tmp_path / "demo.db"
    copy_db(under_way, path)
    app = JifenApp(path, ballot_host="127.0.0.1", ballot_port=0)  # P then S may start the ballot server
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        assert await drive(pilot, seed, KEYS) == KEYS
    assert app.failures == []
    assert Store(open_engine(path)).verify() == []  # whatever was done, the chain still holds


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("seed", SEEDS)
async def test_random_keys_from_the_phone_panel(tmp_path: Path, under_way: Path, seed: int,
                                                size: tuple[int, int]) -> None:
    """From the 手机测评 panel (evaluation page, P), with codes out and its server started on
    127.0.0.1, port 0."""
    path = tmp_path / "demo.db"
    copy_db(under_way, path)
    engine = open_engine(path)
    Store(engine).issue_codes(QuarterRef(2026, 4), 14)
    engine.dispose()
    app = JifenApp(path, ballot_host="127.0.0.1", ballot_port=0)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.press("f4", "p", "s")
        for _ in range(200):
            if app.ballot_server is not None:
                break
            await pilot.pause(0.02)
        assert app.ballot_server is not None and app.ballot_server.running, [n.message for n in app._notifications]
        assert await drive(pilot, seed, KEYS) == KEYS
    assert app.failures == []
    assert app.ballot_server is None  # stopped with the console
    assert Store(open_engine(path)).verify() == []
