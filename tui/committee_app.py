"""The committee's console (`jifen committee --db URL`): the committee database's report of a
quarter on screen, read-only.

It shows what `jifen committee report` writes (committee.report.committee_report on the
branches' records), never writes to the database (importing bundles stays with the command
line), and does its blocking work, opening the database and computing every branch's figures,
in a worker thread while the page says 正在计算…. Each quarter's report is kept once computed;
R reads the database again (another officer may have imported since).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from tui.safety import Failures, SafeHandlers, write_log

if TYPE_CHECKING:
    from committee.report import CommitteeReport
    from committee.store import BranchSummary, CommitteeStore
    from tui.screens.committee import BranchesScreen

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Held:
    """What the committee database holds, as of the last reading."""

    quarters: tuple[str, ...]  # every quarter any branch reported, oldest first ("2026Q3")
    branches: tuple[BranchSummary, ...]


def held_quarters(store: CommitteeStore) -> tuple[str, ...]:
    """The quarters of every lock the committee holds, in time order."""
    from sqlmodel import Session, col, select

    from committee.tables import CommitteeLock

    with Session(store.engine) as s:
        pairs = set(s.exec(select(col(CommitteeLock.year), col(CommitteeLock.number)).distinct()))
    return tuple(f"{y}Q{n}" for y, n in sorted(pairs))


def failure_text(exc: Exception) -> str:
    """A database error in Chinese: the store's own refusal, or the driver's first line."""
    import sqlalchemy as sa

    from db.errors import StoreError

    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, sa.exc.SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        reason = (str(orig) if orig else str(exc)).strip().splitlines()
        return f"读取党委汇总数据库时出错：{reason[0] if reason else exc.__class__.__name__}（数据库未作任何改动）"
    write_log(exc)
    return f"汇总没有完成（{exc.__class__.__name__}），数据库未作任何改动；详情已记入日志"


class CommitteeApp(SafeHandlers, Failures, App[int]):
    """The committee's page on one committee database (a file or a postgresql:// URL)."""

    CSS_PATH = [HERE / "app.tcss", HERE / "screens" / "committee.tcss"]
    TITLE = "jifen 党委汇总"
    # Textual's palette speaks English (and can quit): this page's few keys are in its footer and help.
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f1", "help", "帮助", key_display="F1", priority=True, tooltip="操作说明"),
        Binding("question_mark", "help", "帮助", key_display="?", show=False),  # not priority: typed in a file name
        Binding("f7", "toggle_look", "深色/浅色", key_display="F7", show=False, priority=True),
        Binding("ctrl+q", "quit", "退出", key_display="^q", priority=True, tooltip="退出"),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]

    def __init__(self, db: str | os.PathLike[str], today: date | None = None) -> None:
        super().__init__()
        self.db = str(db)  # as given: a postgresql:// URL must not go through Path
        self.today = today  # the report's date (tests fix it); None: the day it is made
        self.failures: list[BaseException] = []
        self.store: CommitteeStore | None = None
        self.held: Held | None = None
        self.reports: dict[str, CommitteeReport] = {}
        self.refusal = ""  # why the database could not be opened; the command line repeats it
        self.loading = False
        self._asked = 0  # the latest reading asked for: an older one's answer is dropped
        self._reading = threading.Lock()  # one reading at a time on the engine
        from tui.themes import THEMES

        for theme in THEMES:
            self.register_theme(theme)
        self.theme = THEMES[0].name

    # -- where the database is -----------------------------------------------------------------

    @property
    def shown_db(self) -> str:
        """The database as typed (a command to copy from the screen works from the same folder);
        a URL without its password."""
        from db.engine import database_url, is_url, shown_url

        return shown_url(database_url(self.db)) if is_url(self.db) else self.db

    def report_folder(self) -> Path:
        """Where the report file goes by default: beside a database file, else the working folder."""
        from db.engine import database_url

        url = database_url(self.db)
        if url.startswith("sqlite:///"):
            return Path(url.removeprefix("sqlite:///")).resolve().parent
        return Path.cwd()

    # -- screens -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        from tui.screens.committee import BranchesScreen

        return BranchesScreen()

    def on_mount(self) -> None:
        self.safety_net = True  # the page starts the first reading once it is up (BranchesScreen)

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.engine.dispose()

    def _handle_exception(self, error: Exception) -> None:
        if not self.report_failure(error):
            super()._handle_exception(error)

    def _branches(self) -> BranchesScreen | None:
        from tui.screens.committee import BranchesScreen

        for screen in self.screen_stack:
            if isinstance(screen, BranchesScreen):
                return screen
        return None

    # -- reading (a worker thread) --------------------------------------------------------------

    def read(self, quarter: str | None, fresh: bool = False) -> None:
        """Show `quarter` (None: the latest), reading the database again when `fresh`."""
        self._asked += 1
        self.loading = True
        page = self._branches()
        if page is not None:
            page.show_loading(quarter)
        self._read(self._asked, quarter, fresh)

    @work(thread=True, exclusive=True, group="read", exit_on_error=False)
    def _read(self, asked: int, quarter: str | None, fresh: bool) -> None:
        with self._reading:
            if asked != self._asked:
                return  # a later key asked for another quarter: this one is not wanted any more
            try:
                held, label, report = self._compute(quarter, fresh)
            except Exception as exc:  # never a traceback: the page says what went wrong
                self.call_from_thread(self._failed, asked, failure_text(exc))
                return
            self.call_from_thread(self._done, asked, held, label, report)

    def _compute(self, quarter: str | None, fresh: bool) -> tuple[Held, str | None, CommitteeReport | None]:
        from committee.report import committee_report
        from committee.store import CommitteeStore
        from core.quarter import QuarterRef

        if self.store is None:
            self.store = CommitteeStore.open(self.db)  # never create=True: this page only reads
        store = self.store
        held = self.held
        if held is None or fresh:
            held = Held(held_quarters(store), tuple(store.branches()))
        if not held.quarters:
            return held, None, None
        label = quarter if quarter in held.quarters else held.quarters[-1]
        report = None if fresh else self.reports.get(label)
        if report is None:
            q = QuarterRef.parse(label)
            report = committee_report(store.branch_records(q), q, store.known(), made_on=self.today)
        return held, label, report

    def _done(self, asked: int, held: Held, label: str | None, report: CommitteeReport | None) -> None:
        if asked != self._asked:
            return
        self.loading = False
        self.refusal = ""
        if held is not self.held:
            self.reports.clear()  # read again: the earlier quarters are computed again when asked
        self.held = held
        if label is not None and report is not None:
            self.reports[label] = report
        page = self._branches()
        if page is not None:
            page.show(held, label, report)

    def _failed(self, asked: int, message: str) -> None:
        if asked != self._asked:
            return
        self.loading = False
        if self.store is None:
            self.refusal = message
        page = self._branches()
        if page is not None:
            page.show_failure(message)

    # -- the report file (a worker thread) ----------------------------------------------------

    @work(thread=True, exclusive=True, group="write", exit_on_error=False)
    def write_file(self, report: CommitteeReport, path: Path) -> None:
        from committee.report_files import write_report
        from exports.fonts import FontMissing

        try:
            written = write_report(report, path)
        except FontMissing as exc:
            self.call_from_thread(self._written, None, str(exc))
        except OSError as exc:
            self.call_from_thread(self._written, None, f"无法写入 {path}：{exc.strerror or exc}")
        except Exception as exc:
            self.call_from_thread(self._written, None, failure_text(exc))
        else:
            self.call_from_thread(self._written, written, "")

    def _written(self, path: Path | None, error: str) -> None:
        page = self._branches()
        if path is None:
            self.notify(error, title="汇总表未写出", severity="error", timeout=10, markup=False)
            if page is not None:
                page.show_written(None, error)
            return
        self.notify(f"已写出：{path}", title="汇总表", timeout=8, markup=False)
        if page is not None:
            page.show_written(path, "")

    # -- keys ----------------------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.committee_dialogs import CommitteeHelp

        if not isinstance(self.screen, CommitteeHelp):
            self.push_screen(CommitteeHelp(self.shown_db))

    def action_toggle_look(self) -> None:
        from tui.themes import DARK, PROJECTOR

        self.theme = DARK.name if self.theme == PROJECTOR.name else PROJECTOR.name

    def action_help_quit(self) -> None:
        self.notify("Ctrl+C 不会退出；要退出请按 Ctrl+Q", title="退出？", timeout=4)

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = True) -> None:
        """One notice at a time, in the band kept for it above the footer."""
        self.clear_notifications()
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
