"""The command palette lists every action the keyboard can reach, on every page, from the
same bindings the footer shows, so the two never disagree. Choosing one goes to its page
and runs it there."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from rich.align import Align
from rich.text import Text
from textual.binding import Binding
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets.option_list import Option


def key_label(b: Binding) -> str:
    """How a binding's key is written for people: Ctrl+A, O, ←."""
    text = b.key_display or b.key.split(",")[0].strip()
    if text.startswith("^"):
        text = "ctrl+" + text[1:]
    names = {"backspace": "退格", "space": "空格", "enter": "回车", "escape": "Esc", "left": "←", "right": "→"}
    parts = [names.get(p, p) for p in text.split("+")]
    return "+".join(p.capitalize() if len(p) > 1 and p.isascii() else p.upper() for p in parts)


class ChinesePalette(CommandPalette):
    """Textual's command palette, saying 'no matches' (and its key help) in Chinese."""

    BINDINGS = [
        Binding("ctrl+end, shift+end", "command_list('last')", "最后一项", show=False),
        Binding("ctrl+home, shift+home", "command_list('first')", "第一项", show=False),
        Binding("down", "cursor_down", "下一项", show=False),
        Binding("escape", "escape", "关闭命令面板"),
        Binding("pagedown", "command_list('page_down')", "下一页", show=False),
        Binding("pageup", "command_list('page_up')", "上一页", show=False),
        Binding("up", "command_list('cursor_up')", "上一项", show=False),
    ]

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # As Textual's own (textual/command.py), with the sentence in Chinese.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text("没有找到这个命令", style="not bold")), disabled=True,
                           id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)

if TYPE_CHECKING:
    from tui.app import JifenApp


class ActionsProvider(Provider):
    def _actions(self) -> list[tuple[str, str, str | None]]:
        """(title, action, page or None for the app) for every described binding."""
        from tui.app import SCREENS_BY_KEY

        out: list[tuple[str, str, str | None]] = []
        for key, mode, label in SCREENS_BY_KEY:
            out.append((f"前往 {label}（F{key}）", f"show('{mode}')", None))
        for _key, mode, label in SCREENS_BY_KEY:
            screen = self._page(mode)
            if screen is None:
                continue
            for b in screen.BINDINGS:
                if isinstance(b, Binding) and b.description:
                    out.append((f"{label} · {b.description}（{key_label(b)}）", b.action, mode))
        for b in self.app.BINDINGS:
            if isinstance(b, Binding) and b.description and b.action != "command_palette" \
                    and not b.action.startswith("show"):
                # Quitting the projected console from a search is too easy to do by mistake:
                # the palette's 退出 says to press Ctrl+Q.
                action = "help_quit" if b.action == "quit" else b.action
                out.append((f"{b.description}（{key_label(b)}）", action, None))
        return out

    def _page(self, mode: str) -> Screen | None:
        """The page of a mode: 概况 is the default screen, the others are installed."""
        if mode == "overview":
            return self.app.screen_stack[0] if self.app.screen_stack else None
        try:
            return self.app.get_screen(mode)
        except KeyError:
            return None

    async def _run(self, action: str, mode: str | None) -> None:
        app = cast("JifenApp", self.app)
        if mode is None:
            await app.run_action(action)
            return
        shown = app.action_show(mode)
        if shown is not None:
            await shown  # the page must be built before its action runs
        page = self._page(mode)
        if page is not None and app.screen is page and not await app.run_action(action, page):
            # The page's check_action refused it (its footer hides the key in this state): say so,
            # the palette listing every action whatever the state.
            app.notify("这项操作在本季度现在的状态下不能使用，请看页面上的提示", severity="warning")

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
