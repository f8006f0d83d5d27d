"""The command palette lists every action the keyboard can reach, from the same bindings
the footer shows, so the two never disagree."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ActionsProvider(Provider):
    def _actions(self) -> list[tuple[str, str, object]]:
        """(title, action, namespace) for the screen's and the app's described bindings."""
        seen: set[str] = set()
        out = []
        screen = self.screen
        # The palette is a screen of its own: read the bindings of the screen under it.
        target = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else screen
        for namespace in (target, self.app):
            for binding in getattr(namespace, "BINDINGS", []):
                if not hasattr(binding, "description") or not binding.description or not binding.show:
                    continue
                if binding.description in seen:
                    continue
                seen.add(binding.description)
                out.append((f"{binding.description}（{binding.key_display or binding.key}）", binding.action, namespace))
        return out

    async def _run(self, action: str, namespace: object) -> None:
        await self.app.run_action(action, namespace)  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        for title, action, namespace in self._actions():
            yield DiscoveryHit(title, partial(self.app.call_later, self._run, action, namespace))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, namespace in self._actions():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.call_later, self._run, action, namespace))
