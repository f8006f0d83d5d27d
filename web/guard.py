"""Guessed codes: an address that has tried LIMIT unknown codes within WINDOW seconds is
refused (429) until the oldest of them is WINDOW seconds old. Kept in memory only, and only
for that window: nothing on disk says who tried what."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

LIMIT = 10
WINDOW = 300.0


class GuessGuard:
    def __init__(self, limit: int = LIMIT, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._misses: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float] | None:
        misses = self._misses.get(address)
        if misses is None:
            return None
        horizon = self.clock() - self.window
        while misses and misses[0] <= horizon:
            misses.popleft()
        if not misses:
            del self._misses[address]
            return None
        return misses

    def blocked(self, address: str) -> bool:
        misses = self._recent(address)
        return misses is not None and len(misses) >= self.limit

    def missed(self, address: str) -> None:
        """An unknown code from this address."""
        self._recent(address)
        self._misses.setdefault(address, deque()).append(self.clock())
        if len(self._misses) > 4096:  # a flood of addresses: forget the ones gone quiet
            for other in list(self._misses):
                self._recent(other)
