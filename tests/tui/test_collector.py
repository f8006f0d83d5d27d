"""The console's garbage collector (tui/collector.py): the full collection waits for an idle
keyboard, and for the lock's work to be done."""

from __future__ import annotations

import gc

import pytest

from tui import collector
from tui.collector import Collector


def test_no_collection_while_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *a: collected.append(1) or 0)
    clock = [100.0]
    monkeypatch.setattr(collector.time, "monotonic", lambda: clock[0])
    c = Collector()
    c.hold(True)
    clock[0] += 60
    c.tick()
    assert collected == []  # idle for a minute, but the lock is under way
    c.hold(False)
    clock[0] += 1
    c.tick()
    assert collected == []  # the idle stretch starts again when the work is done
    clock[0] += collector.IDLE_SECONDS
    c.tick()
    assert collected == [1]
