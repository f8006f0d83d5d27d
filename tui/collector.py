"""Keeps the garbage collector's long pauses out of the meeting.

With Textual, SQLAlchemy and the scheme loaded, a collection of the oldest generation takes
100-200 ms on the UI thread: a visible freeze in the middle of ballot entry. Once the console
is up, what start-up built is frozen (never scanned again), the oldest generation is no longer
collected automatically, and it is collected instead when nobody has pressed a key for a few
seconds. Younger generations (a few ms) are collected as usual. Nor while the console is busy
with something it shows progress for (the lock and its PDFs): the secretary is watching the screen.
"""

from __future__ import annotations

import gc
import time

IDLE_SECONDS = 3.0
CHECK_EVERY = 5.0


class Collector:
    def __init__(self) -> None:
        self.last_key = time.monotonic()
        self.previous = gc.get_threshold()
        self.busy = 0  # work under way that a collection would stall (see hold)

    def start(self) -> None:
        gc.freeze()
        gen0, gen1, _gen2 = self.previous
        gc.set_threshold(gen0, gen1, 1_000_000)

    def stop(self) -> None:
        gc.set_threshold(*self.previous)
        gc.unfreeze()

    def key_pressed(self) -> None:
        self.last_key = time.monotonic()

    def hold(self, busy: bool) -> None:
        """No collection while busy; the idle stretch starts again when the work is done."""
        self.busy += 1 if busy else -1
        self.last_key = time.monotonic()

    def tick(self) -> None:
        """On a timer: collect everything while the keyboard is idle and nothing is under way."""
        if not self.busy and time.monotonic() - self.last_key >= IDLE_SECONDS:
            gc.collect()
            self.last_key = time.monotonic()  # not again until the next idle stretch
