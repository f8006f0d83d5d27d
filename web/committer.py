"""Group commit for many phones at once: ballots that arrive together go to the store in one
transaction (one fsync instead of sixty), run in a worker thread so the event loop never waits
on the disk.

A batch starts once no ballot has come for GAP seconds, or WAIT seconds after its first one.
One batch is written at a time (the database has one writer anyway); what arrives meanwhile
forms the next. A ballot that waited QUEUE_LIMIT seconds without its batch starting is answered
BUSY and never written; once a batch runs, its answer is what the store did (the store bounds
its own wait for the write lock and refuses in Chinese)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from db.errors import StoreError

GAP = 0.004
WAIT = 0.05
QUEUE_LIMIT = 10.0
BUSY = "busy"  # the answer for a ballot that was not written because the store was busy
BATCH_MAX = 200

Writer = Callable[[Sequence[tuple[str, dict[int, str]]]], list[str]]


@dataclass
class _Pending:
    code: str
    marks: dict[int, str]
    since: float
    answer: asyncio.Future[str] = field(repr=False)


class Committer:
    """`await submit(code, marks)` -> the store's answer for that ballot ("ok", "spent",
    "unknown", "closed", a Chinese refusal) or BUSY (nothing written)."""

    def __init__(self, write: Writer) -> None:
        self._write = write
        self._queue: list[_Pending] = []
        self._arrived: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.busy_message = ""  # the store's last refusal of a whole batch (shown on a 503)

    async def submit(self, code: str, marks: dict[int, str]) -> str:
        loop = asyncio.get_running_loop()
        if self._arrived is None:
            self._arrived = asyncio.Event()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())
        pending = _Pending(code, marks, time.monotonic(), loop.create_future())
        self._queue.append(pending)
        self._arrived.set()
        return await pending.answer

    async def _run(self) -> None:
        assert self._arrived is not None
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            if not self._queue:
                continue
            await self._gather()
            batch, self._queue = self._queue[:BATCH_MAX], self._queue[BATCH_MAX:]
            if self._queue:
                self._arrived.set()
            now = time.monotonic()
            stale = [p for p in batch if now - p.since > QUEUE_LIMIT]
            batch = [p for p in batch if now - p.since <= QUEUE_LIMIT]
            for p in stale:
                _answer(p, BUSY)
            if batch:
                await self._commit(batch)

    async def _gather(self) -> None:
        """Wait for the phones that submit at nearly the same moment."""
        assert self._arrived is not None
        first = time.monotonic()
        while True:
            left = WAIT - (time.monotonic() - first)
            if left <= 0 or len(self._queue) >= BATCH_MAX:
                return
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=min(GAP, left))
            except asyncio.TimeoutError:
                return
            self._arrived.clear()

    async def _commit(self, batch: list[_Pending]) -> None:
        ballots = [(p.code, p.marks) for p in batch]
        try:
            answers = await asyncio.to_thread(self._write, ballots)
        except StoreError as exc:  # the write lock not had in time, a database fault: nothing written
            self.busy_message = str(exc)
            answers = [BUSY] * len(batch)
        except Exception:
            answers = [BUSY] * len(batch)
        for p, a in zip(batch, answers, strict=True):
            _answer(p, a)


def _answer(p: _Pending, answer: str) -> None:
    if not p.answer.done():  # the phone may have gone (its request cancelled)
        p.answer.set_result(answer)
