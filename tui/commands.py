"""The command palette lists every action the keyboard can reach, on every page, from the
same bindings the footer shows, so the two never disagree. Choosing one goes to its page
and runs it there."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import JifenApp


class ActionsProvider(Provider):
    def _actions(self) -> list[tuple[str, str, str | None]]:
        """(title, action, page or None for the app) for every described binding."""
        from tui.app import SCREENS_BY_KEY

        out: list[tuple[str, str, str | None]] = []
        for key, mode, label in SCREENS_BY_KEY:
            out.append((f"前往 {label}（{key}）", f"show('{mode}')", None))
        for _key, mode, label in SCREENS_BY_KEY:
            try:
                screen = self.app.get_screen(mode)
            except KeyError:
                continue
            for b in screen.BINDINGS:
                if isinstance(b, Binding) and b.description and b.show:
                    out.append((f"{label} · {b.description}（{b.key_display or b.key}）", b.action, mode))
        for b in self.app.BINDINGS:
            if (isinstance(b, Binding) and b.description and b.action not in ("command_palette",)
                    and not b.action.startswith("show")):
                out.append((f"{b.description}（{b.key_display or b.key}）", b.action, None))
        return out

    async def _run(self, action: str, mode: str | None) -> None:
        app = cast("JifenApp", self.app)
        if mode is None:
            await app.run_action(action)
            return
        shown = app.action_show(mode)
        if shown is not None:
            await shown  # the page must be built before its action runs
        await app.run_action(action, app.get_screen(mode))

    def _hit(self, action: str, mode: str | None) -> Callable[[], object]:
        return partial(self.app.call_later, self._run, action, mode)

    async def discover(self) -> Hits:
        for title, action, mode in self._actions():
            yield DiscoveryHit(title, self._hit(action, mode))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, mode in self._actions():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._hit(action, mode))
