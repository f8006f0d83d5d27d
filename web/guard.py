"""Guessed codes: an address that has tried LIMIT unknown codes within WINDOW seconds is
refused (429) until the oldest of them is WINDOW seconds old. Kept in memory only, and only
for that window: nothing on disk says who tried what.

Bounded in time and memory whatever the number of addresses: each address keeps its last LIMIT
misses, the addresses are kept in the order of their last miss so that the stale ones are
dropped from the front, and beyond MAX_ADDRESSES the longest quiet ones are forgotten. (A
sweep of every address on each miss once there were 4096 took minutes of the event loop for
20 000 addresses: found by tests/web/test_hostile_clients.py.)"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

LIMIT = 10
WINDOW = 300.0
MAX_ADDRESSES = 10_000


class GuessGuard:
    def __init__(self, limit: int = LIMIT, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic, max_addresses: int = MAX_ADDRESSES) -> None:
        self.limit, self.window, self.clock, self.max_addresses = limit, window, clock, max_addresses
        self._misses: OrderedDict[str, deque[float]] = OrderedDict()  # by last miss, oldest first

    def _forget_stale(self, horizon: float) -> None:
        while self._misses:
            oldest = next(iter(self._misses.values()))
            if oldest and oldest[-1] > horizon and len(self._misses) <= self.max_addresses:
                return
            self._misses.popitem(last=False)

    def _recent(self, address: str) -> deque[float] | None:
        horizon = self.clock() - self.window
        self._forget_stale(horizon)
        misses = self._misses.get(address)
        while misses and misses[0] <= horizon:
            misses.popleft()
        return misses

    def blocked(self, address: str) -> bool:
        misses = self._recent(address)
        return misses is not None and len(misses) >= self.limit

    def missed(self, address: str) -> None:
        """An unknown code from this address."""
        misses = self._recent(address)
        if misses is None:
            misses = self._misses[address] = deque(maxlen=self.limit)
        misses.append(self.clock())
        self._misses.move_to_end(address)
        self._forget_stale(self.clock() - self.window)
