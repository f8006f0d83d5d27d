"""Random keys for the console: a seeded stream of the keys a secretary (or a cat) could press,
driven into a running JifenApp, failing on the first exception or exit with what is needed to
replay it (seed, size, the last keys).

    from db.demo import build_demo
    from tui.app import JifenApp
    async with JifenApp(path).run_test(size=(100, 30)) as pilot:
        await drive(pilot, seed=1, count=500)

`drive` posts each key as Pilot does but waits only until the screen has handled it (Pilot's
`press` also waits for the process to go idle, ~50 ms a key); every few keys it lets the app
go idle and paint, so exceptions raised while drawing are met too.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from textual import events
from textual.pilot import Pilot

# Page keys first: every run keeps coming back to every page.
PAGE_KEYS = [f"f{i}" for i in range(1, 7)] + ["ctrl+pageup", "ctrl+pagedown"]
NAVIGATION = ["up", "down", "left", "right", "pageup", "pagedown", "home", "end", "ctrl+home", "ctrl+end",
              "tab", "shift+tab"]
EDITING = ["enter", "escape", "space", "backspace", "delete", "ctrl+z", "ctrl+a", "ctrl+s", "ctrl+w", "ctrl+u",
           "ctrl+c", "ctrl+t"]
LETTERS = list("abcdeiklnoprstvwxy") + list("fghjmquz")
DIGITS = list("0123456789")
# What someone types into the palette or a text field.
WORDS = ["出席", "缺席", "表决", "锁定", "撤销", "下一", "评议", "会议", "季度", "开始", "依据", "空白",
         "zz", "1", "[/]", " "]

WEIGHTS: list[tuple[list[str], int]] = [
    (PAGE_KEYS, 8), (NAVIGATION, 22), (EDITING, 18), (LETTERS, 20), (DIGITS, 22), (["ctrl+p"], 2),
]


@dataclass
class KeyFailure(AssertionError):
    seed: int
    size: tuple[int, int]
    count: int
    keys: list[str]
    error: str

    def __str__(self) -> str:
        return (f"the console failed after key {self.count} (seed {self.seed}, size {self.size[0]}x{self.size[1]}):"
                f" {self.error}\nlast keys: {' '.join(self.keys)}\n"
                f"replay: JIFEN_RANDOM_SEED={self.seed} pytest tests/tui/test_random_keys.py")


@dataclass
class KeyStream:
    """Seeded keys; within the command palette or a text field it mostly types words."""

    seed: int
    rng: random.Random = field(init=False)
    typing: deque[str] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.groups = [g for g, _ in WEIGHTS]
        self.weights = [w for _, w in WEIGHTS]

    def next(self, app: Any) -> str:
        if self.typing:
            return self.typing.popleft()
        focused = app.focused
        in_text = focused is not None and type(focused).__name__ in ("Input", "CommandInput")
        if in_text and self.rng.random() < 0.3:
            self.typing.extend(self.rng.choice(WORDS))
            return self.typing.popleft()
        group = self.rng.choices(self.groups, self.weights)[0]
        return self.rng.choice(group)


def _failure(app: Any) -> str | None:
    """Why the run must stop, or None."""
    if getattr(app, "failures", None):
        error = app.failures[0]
        return f"{error.__class__.__name__}: {error}"
    if app._exception is not None:
        return f"{app._exception.__class__.__name__}: {app._exception}"
    if app.return_code is not None or not app.is_running:
        return f"the console ended (return code {app.return_code})"
    return None


async def press_fast(pilot: Pilot, key: str) -> None:
    """Post one key as `Pilot.press` does and wait until the app and the screen have handled it."""
    from textual.keys import _character_to_key  # how Pilot names a typed character

    app = pilot.app
    name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
    event = events.Key(name, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)  # type: ignore[union-attr]
    for _ in range(3):  # a key may push or pop a screen: settle the new one too
        screen = app.screen
        await pilot._wait_for_screen()
        if app.screen is screen:
            break


async def drive(pilot: Pilot, seed: int, count: int, paint_every: int = 25) -> int:
    """Press `count` seeded random keys; raise KeyFailure on the first exception or exit.
    Returns the number of keys pressed."""
    app = pilot.app
    stream = KeyStream(seed)
    last: deque[str] = deque(maxlen=20)
    size = (app.size.width, app.size.height)
    for n in range(1, count + 1):
        key = stream.next(app)
        last.append(key)
        try:
            await press_fast(pilot, key)
            if n % paint_every == 0:
                await pilot.pause()
                app.export_screenshot()  # draws every visible widget now
        except Exception as exc:
            raise KeyFailure(seed, size, n, list(last), f"{exc.__class__.__name__}: {exc}") from exc
        why = _failure(app)
        if why:
            raise KeyFailure(seed, size, n, list(last), why)
    return count
