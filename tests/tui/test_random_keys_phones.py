"""Random keys on the 手机测评 panel while phones submit through its server: the console never
fails, and every ballot a phone was told 已提交 (200) is counted, whatever the keys did meanwhile
(stop and start the server, close the round, switch rounds or pages)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from core.quarter import QuarterRef
from db.engine import open_engine
from db.store import Store
from tests.tui.keys import drive
from tests.tui.test_random_keys import copy_db, meeting_under_way
from tui.app import JifenApp

pytestmark = pytest.mark.asyncio
Q = QuarterRef(2026, 4)
SEEDS = [3, 4, 5]


@pytest.fixture(scope="module")
def under_way(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("random-keys-phones") / "demo.db"
    meeting_under_way(path)
    return path


class Phones:
    """A thread of phones, each submitting its code to whatever port the console serves on."""

    def __init__(self, app: JifenApp, codes: list[str], member: int) -> None:
        self.app, self.codes, self.member = app, codes, member
        self.answers: dict[str, int | str] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            for code in self.codes:
                while not self.stop.is_set():
                    server = self.app.ballot_server
                    if server is not None and server.running:
                        break
                    time.sleep(0.01)
                if self.stop.is_set():
                    return
                try:
                    r = client.post(f"http://127.0.0.1:{server.port}/api/ballot",
                                    json={"code": code, "marks": {str(self.member): "合格"}})
                    self.answers[code] = r.status_code
                    assert r.status_code in (200, 409, 410, 503), r.text
                except httpx.TransportError as exc:  # the server stopped by a key mid-request
                    self.answers[code] = type(exc).__name__
                time.sleep(0.25)  # spread over the keys


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_keys_while_phones_submit(tmp_path: Path, under_way: Path, seed: int) -> None:
    path = tmp_path / "demo.db"
    copy_db(under_way, path)
    engine = open_engine(path)
    store = Store(engine)
    codes = store.issue_codes(Q, 40)
    member = store.ballot_form(Q).members[0][0]
    engine.dispose()
    app = JifenApp(path, ballot_host="127.0.0.1", ballot_port=0)
    phones = Phones(app, codes, member)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("f4", "p", "s")
        for _ in range(200):
            if app.ballot_server is not None:
                break
            await pilot.pause(0.02)
        assert app.ballot_server is not None and app.ballot_server.running
        phones.thread.start()
        assert await drive(pilot, seed, 300) == 300
        phones.stop.set()
    phones.thread.join(timeout=60)
    assert app.failures == []
    assert app.ballot_server is None
    state = Store(open_engine(path)).round_state(Q)
    told = sum(1 for a in phones.answers.values() if a == 200)
    cut = sum(1 for a in phones.answers.values() if isinstance(a, str))
    assert phones.answers and told <= state.spent <= told + cut, phones.answers
