"""The meeting console: the Textual app the secretary projects in the 党员大会.

The screens call the store's operations and show the engine's figures, nothing more.
Every store call goes through `JifenApp.attempt`, which turns a refusal into a plain
Chinese notice and never lets a traceback reach the projector.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from core.quarter import QuarterRef, QuarterState
from db.errors import StoreError
from tui.collector import CHECK_EVERY, Collector
from tui.messages import MeetingChanged
from tui.safety import Failures, SafeHandlers

if TYPE_CHECKING:
    from web.server import BallotServer

T = TypeVar("T")

SCREENS_BY_KEY = (
    ("1", "overview", "概况"),
    ("2", "rollcall", "签到"),
    ("3", "members", "逐人"),
    ("4", "evaluation", "评议"),
    ("5", "board", "积分榜"),
    ("6", "lock", "锁定"),
)


def _page(mode: str) -> Screen:
    from importlib import import_module

    module, name = {"rollcall": ("rollcall", "RollCallScreen"), "members": ("members", "MembersScreen"),
                    "evaluation": ("evaluation", "EvaluationScreen"), "board": ("board", "BoardScreen"),
                    "lock": ("lock", "LockScreen")}[mode]
    screen: Screen = getattr(import_module(f"tui.screens.{module}"), name)()
    return screen


def _actions_provider() -> type:
    from tui.commands import ActionsProvider

    return ActionsProvider


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a store call gave: `ok` false when refused (the notice is already shown)."""

    ok: bool
    value: T | None
    error: str = ""

    def __bool__(self) -> bool:
        return self.ok


class JifenApp(SafeHandlers, Failures, App[None]):
    """The console on one database; works on today's quarter (see _current_quarter)."""

    CSS_PATH = Path(__file__).resolve().parent / "app.tcss"
    TITLE = "jifen 党员积分制管理"
    # Only our own actions, in Chinese: Textual's system commands would show English. Loaded
    # when the palette opens: textual.command costs ~60 ms of start-up.
    COMMANDS = {lambda: _actions_provider()}
    # Pages: F1-F6 on every page, or Alt+1..6 where the F-keys need Fn (laptops). Digits never
    # switch pages: they enter ratings, counts and choices. The title line shows the rule, so
    # the footer keeps its room for the page's own actions.
    BINDINGS = [
        Binding("ctrl+p", "command_palette", "命令", key_display="^p", priority=True, tooltip="打开命令面板"),
        *(Binding(f"f{key},alt+{key}", f"show('{mode}')", label, key_display=f"F{key}", show=False, priority=True,
                  tooltip=f"前往{label}页")
          for key, mode, label in SCREENS_BY_KEY),
        Binding("ctrl+z", "undo", "撤销", key_display="^z", tooltip="撤销上一步操作"),
        Binding("f7", "toggle_look", "深色/浅色", key_display="F7", show=False, priority=True,
                tooltip="投影用浅色与屏幕用深色之间切换"),
        Binding("ctrl+q", "quit", "退出", key_display="^q", priority=True, tooltip="退出控制台"),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]
    PAGE_RULE = "F1-F6 或 Alt+1-6 换页　Ctrl+P 命令"

    # The other pages are built the first time they are asked for (first paint: not importing
    # and constructing five screens the overview does not need).
    SCREENS = {mode: partial(_page, mode) for _key, mode, _label in SCREENS_BY_KEY if mode != "overview"}

    def __init__(self, db_path: str | os.PathLike | None = None, actor: str = "", ballot_port: int = 8765,
                 ballot_host: str = "", clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        # The phone ballot server (tui/screens/evaluation_phone.py): one at a time, owned here so
        # that it outlives the panel and stops with the console. Port 0: any free one (tests).
        self.ballot_server: BallotServer | None = None
        self.ballot_port = ballot_port
        self.ballot_host = ballot_host  # the address chosen ("" until asked: the first one found)
        self._ballot_hosts: list[str] | None = None  # local_addresses(), looked up when first asked
        self.failures: list[BaseException] = []
        self.version = 0  # bumped whenever the meeting's data (or the quarter shown) change
        self.collector = Collector()
        from tui.themes import THEMES

        for theme in THEMES:
            self.register_theme(theme)
        self.theme = THEMES[0].name  # the projector look; F7 switches for the session
        from db.engine import open_engine
        from db.store import Store

        # Kept as given: a postgresql:// URL must not go through Path, which folds its "//".
        self.db_path = db_path
        # `clock`: what "now" is (tests fix it); it also chooses the quarter the console opens on.
        self.store = Store(open_engine(db_path), actor or os.environ.get("JIFEN_ACTOR", "书记"), clock=clock)
        from tui.writer_seat import WriterSeat

        # The writer, or read-only while another console holds the database (its store then refuses writes).
        self.seat = WriterSeat(self.store, db_path)
        self.year, self.number = self._current_quarter()

    # --- which quarter ---------------------------------------------------------------------------

    def _current_quarter(self) -> tuple[int, int]:
        """Today's quarter when its year is set up and it is not locked (or the first one after
        it that is not); else the first unlocked quarter of the newest year, else its last. So
        the console moves to a new year once it is opened (`jifen year open`) and today's
        quarter is locked: at the turn of the year, or in December after the Q4 lock."""
        years = self.store.years()
        if not years:
            return 0, 0
        today = self.store.clock().date()
        if today.year in years:
            here = (today.month - 1) // 3 + 1
            for q in self.store.quarters(today.year):
                if q.number >= here and q.state != QuarterState.LOCKED:
                    return today.year, q.number
        year = years[-1]
        for q in self.store.quarters(year):
            if q.state != QuarterState.LOCKED:
                return year, q.number
        return year, 4

    @property
    def ready(self) -> bool:
        """Whether the database holds a branch and a year to work on."""
        return self.year > 0

    @property
    def quarter(self) -> QuarterRef:
        """The quarter on screen (year and number are what the quarter keys change)."""
        return QuarterRef(self.year, self.number)

    @property
    def state(self) -> str:
        return self.store.quarter(self.quarter).state if self.ready else ""

    @property
    def quarter_title(self) -> str:
        return self.quarter.name if self.ready else ""

    # --- modes -----------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        from tui.screens.overview import OverviewScreen

        return OverviewScreen()

    def on_mount(self) -> None:
        if self.ready:
            self.sub_title = f"{self.store.branch_name()} · {self.quarter_title}"
        self.seat.watch(self)
        self.safety_net = True
        self.collector.start()
        self.set_interval(CHECK_EVERY, self.collector.tick)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.collector.key_pressed()
        await super().on_event(event)

    def _handle_exception(self, error: Exception) -> None:
        """Textual's last stop for an exception (it would end the app): once the console is up,
        a notice and the log instead. See tui/safety.py."""
        if not self.report_failure(error):
            super()._handle_exception(error)

    def on_unmount(self) -> None:
        self.stop_ballot_server()
        self.seat.release()  # at once, not when the app is collected: the next console may take over
        self.collector.stop()

    # --- the phone ballot server ----------------------------------------------------------------

    def ballot_hosts(self) -> list[str]:
        """This laptop's addresses a phone could reach (the chosen one kept in the list)."""
        from web.addresses import local_addresses

        # Looked up once (the panel redraws every second) and again when A asks for the next one,
        # which is how a hotspot switched on during the meeting shows up.
        if self._ballot_hosts is None:
            self._ballot_hosts = local_addresses()
        found = self._ballot_hosts
        return found if not self.ballot_host or self.ballot_host in found else [self.ballot_host, *found]

    def ballot_host_chosen(self) -> str:
        if not self.ballot_host:
            self.ballot_host = self.ballot_hosts()[0]
        return self.ballot_host

    def next_ballot_host(self) -> str:
        self._ballot_hosts = None
        hosts = self.ballot_hosts()
        chosen = self.ballot_host_chosen()
        self.ballot_host = hosts[(hosts.index(chosen) + 1) % len(hosts)] if chosen in hosts else hosts[0]
        return self.ballot_host

    def stop_ballot_server(self) -> None:
        server, self.ballot_server = self.ballot_server, None
        if server is not None:
            server.stop()

    def action_show(self, name: str) -> Awaitable[object] | None:
        """Go to a page; returns what to await for the page to be built (the palette waits)."""
        if isinstance(self.screen, ModalScreen):
            # A dialog (or the palette) is open: it must be answered or closed (Esc) first.
            self.notify("请先完成或关闭当前对话框（Esc），再切换页面", severity="warning", timeout=4)
            return None
        if not self.ready and name != "overview":
            self.notify("数据库中还没有党支部：请先运行 jifen init，或用 jifen demo 打开示范支部", severity="warning")
            return None
        if name == "overview":
            while len(self.screen_stack) > 1:
                self.pop_screen()
            self.screen.post_message(MeetingChanged())
            return None
        if len(self.screen_stack) > 1:
            return self.switch_screen(name)
        return self.push_screen(name)

    # --- store calls -----------------------------------------------------------------------------

    def attempt(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Outcome[T]:
        """Run a store operation; a refusal becomes a notice. The outcome is true when done."""
        try:
            result = fn(*args, **kwargs)
        except StoreError as exc:
            self.notify(str(exc), title="未执行", severity="error", timeout=8, markup=False)
            return Outcome(False, None, str(exc))
        except Exception as exc:  # never a traceback on the projector
            self.log.error(repr(exc))
            self.notify(f"操作没有完成：{exc.__class__.__name__}。数据未改变，请重试或联系管理员。",
                        title="出错", severity="error", timeout=10)
            return Outcome(False, None, "操作没有完成，数据未改变")
        self.changed()
        return Outcome(True, result)

    def changed(self) -> None:
        """Tell the visible screen that the meeting's data have changed (the others redraw
        when they come back into view: their version is behind)."""
        self.version += 1
        self.screen.post_message(MeetingChanged())

    async def action_quit(self) -> None:
        """Quit, but not past a ballot that is half entered without asking."""
        from tui.screens.forms import ConfirmDialog

        evaluation = self.get_screen("evaluation") if self.ready else None
        if evaluation is not None and getattr(evaluation, "marks", None):
            def answered(yes: bool | None) -> None:
                if yes:
                    self.exit()

            self.push_screen(ConfirmDialog("有一张测评票录入到一半，退出将丢失这张票。确定退出？"), answered)
            return
        self.exit()

    def action_toggle_look(self) -> None:
        from tui.themes import DARK, PROJECTOR

        self.theme = DARK.name if self.theme == PROJECTOR.name else PROJECTOR.name

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = True) -> None:
        """One notice at a time, in the band kept free for it above the footer: a new one
        replaces the last, so notices never pile up over the figures."""
        self.clear_notifications()
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_help_quit(self) -> None:
        """Ctrl+C: Textual's hint in English would say how to quit; ours says it in Chinese."""
        self.notify("Ctrl+C 不会退出控制台；要退出请按 Ctrl+Q", title="退出？", timeout=4)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        from tui.commands import ChinesePalette

        if not isinstance(self.screen, CommandPalette):  # CommandPalette.is_open is typed for App[object] only
            self.push_screen(ChinesePalette(placeholder="输入命令名称，如“缺席”“锁定”…", id="--command-palette"))

    def action_undo(self) -> None:
        if not self.ready:
            return
        done = self.attempt(self.store.undo, self.quarter)
        if done:
            self.notify(str(done.value), title="撤销", markup=False)
