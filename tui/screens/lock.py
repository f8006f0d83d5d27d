"""锁定: the checklist, a confirmation, then the lock; afterwards the quarter is read-only
and its digest is shown.

The lock runs in a worker thread and the two PDFs (~2 s) in a child process it waits for, with a
progress line, so the screen never freezes; a second L while it runs is answered with a notice."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widgets import Static

from core.quarter import EntryStatus, QuarterRef, QuarterState
from tui.screens.base import MeetingScreen
from tui.screens.forms import ConfirmDialog


class LockScreen(MeetingScreen):
    MODE = "lock"
    TITLE_TEXT = "锁定本季度"
    BINDINGS = [Binding("l", "lock", "锁定")]

    def __init__(self) -> None:
        super().__init__()
        self.locking = False
        self.written: list[Path] = []

    def body(self) -> ComposeResult:
        yield Static(markup=False, id="lock-progress", classes="progress")
        yield Static(id="checklist", classes="checklist")
        yield Static(markup=False, id="lock-result", classes="digest")

    def _checks(self) -> list[tuple[bool, str, bool]]:
        """(met, text, blocking) for every line of the checklist."""
        app = self.japp
        store = app.store
        q = store.quorum(app.quarter)
        mt = store.meeting(app.quarter)
        entries = store.entries(app.quarter)
        contested = sum(1 for e in entries if e.status == EntryStatus.CONTESTED)
        declared = sum(1 for e in entries if e.status == EntryStatus.DECLARED)
        summary = store.ballot_summary(app.quarter)
        board = store.board(app.year, explain=False)
        rated = sum(1 for m in board.members if m.evaluation is not None)
        return [
            (mt is not None, "党员大会已开始" if mt else "党员大会尚未开始（概况页按 O）", True),
            (q.has_quorum, q.banner(), True),
            (contested == 0,
             "有异议的事项均已表决" if contested == 0 else f"还有 {contested} 项有异议的事项没有表决", True),
            (bool(mt and mt.host.strip()), f"主持人：{mt.host if mt and mt.host else '未填写'}", True),
            (bool(mt and mt.recorder.strip()), f"记录人：{mt.recorder if mt and mt.recorder else '未填写'}", True),
            (summary["returned"] > 0 or rated > 0,
             f"测评票已录入 {summary['returned']} 张"
             + (f"（发出 {summary['issued']} 张）" if summary["issued"] else "")
             if summary["returned"] or rated else "尚未录入测评票（本季度不评议可不录入）", False),
            (not summary["issued"] or summary["returned"] <= summary["issued"],
             f"收回 {summary['returned']} 张，多于发出的 {summary['issued']} 张：收回票数多于发出票数，本次测评无效"
             if summary["issued"] and summary["returned"] > summary["issued"] else "收回票数没有多于发出票数", True),
            (not summary["issued"] or summary["returned"] == summary["issued"],
             f"收回 {summary['returned']} 张，少于发出的 {summary['issued']} 张，请核对" if summary["issued"]
             and summary["returned"] < summary["issued"] else "测评票收回与发出一致或未设发出数", False),
            (declared == 0, f"还有 {declared} 项“申报”事项未逐项确认，锁定时将一并视为已确认" if declared
             else "所有事项均已确认或表决", False),
            *([self._year_grades()] if app.number == 4 else []),
        ]

    def _year_grades(self) -> tuple[bool, str, bool]:
        """At the year's last meeting: whether the year's grades are settled (not blocking: the
        grades lock with the quarter as they stand, proposals where the meeting decided nothing)."""
        g = self.japp.store.year_grades(self.japp.year)
        decided = sum(1 for r in g.rows if r.overridden)
        open_ties = g.ties and not any(r.decided for r in g.rows if r.tie)
        met = not g.over_cap and not g.undecided and not open_ties
        where = "（积分榜 F5 按 G 查看、改定）"
        if g.undecided:
            return False, f"年度等次尚未确定：还有{len(g.undecided)}人须由党员大会确定等次{where}", False
        if open_ties:
            return False, f"年度等次：并列跨过{g.top}名额的{'、'.join(g.ties)}须由党员大会决定{where}", False
        return met, f"年度等次已确定：{g.cap_line()}" + (f"，党员大会改定{decided}人" if decided else "") + where, False

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        result = self.query_one("#lock-result", Static)
        lock = app.store.lock_of(app.quarter)
        checklist = self.query_one("#checklist", Static)
        if lock is not None:
            checklist.update(f"{app.quarter_title}已于 {lock.locked_at:%Y-%m-%d %H:%M} 锁定，只能查看。")
            written = "".join(f"\n已生成：{p}" for p in self.written)
            written += "\n\n" + "\n".join(self._deadlines() + self._year_end())
            result.update(f"本记录校验码（SHA-256，印在会议记录上）：\n{lock.digest}\n上一季度校验码：\n"
                          f"{lock.previous_digest or '（无，本支部第一次锁定）'}{written}")
            return
        lines = []
        checks = self._checks()
        for met, text, blocking in checks:
            mark = "[b $text-success]✔[/]" if met else ("[b $text-error]✘[/]" if blocking else "[b $text-warning]![/]")
            lines.append(f"{mark} {escape(text)}")
        ready = all(met for met, _, blocking in checks if blocking)
        lines.append("")
        lines.append("按 L 锁定本季度。锁定后本季度的任何内容都不能再修改。" if ready
                     else "以上标 ✘ 的事项完成后才能锁定。")
        checklist.update("\n".join(lines))
        result.update("")

    def _year_end(self) -> list[str]:
        """After the fourth quarter's lock: what closes the year, in order (a new user would
        otherwise not know that the 党委's 批复, the year's form and the next year remain)."""
        app = self.japp
        if app.number != 4:
            return []
        year = app.year
        approval = app.store.approval(year)
        lines = ["", f"{year}年度收尾："]
        if approval is None:
            lines.append(f"1. 党委批复后记录批复（此前等次均为“拟定”）：jifen grade approve --year {year} "
                         "--date 批复日期 --text 批复内容")
        else:
            lines.append(f"1. 党委已于{approval.approved_on:%Y-%m-%d}批复年度等次")
        lines.append(f"2. 年度公示表：jifen export publicity --year {year} --out 文件名.pdf")
        if app.store.year_not_opened() == year + 1:
            lines.append(f"3. 开始{year + 1}年度：在概况页（F1）按 N，或运行 jifen year open {year + 1}")
        else:
            lines.append(f"3. {year + 1}年度已开始")
        return lines

    def _deadlines(self) -> list[str]:
        """The publicity period in working days (and whether its dates rest on an estimate), the
        scheme's answer deadlines, and how to store the notice's contact when none is."""
        from exports.deadlines import HolidaysFileError, WorkCalendar
        from exports.notice import procedure_brief

        app = self.japp
        mt = app.store.meeting(app.quarter)
        if mt is None:
            return []
        p = app.store.scheme(app.year).process
        try:
            pub = WorkCalendar.from_file().publicity(p.publicity_days, mt.held_at.date())
        except (HolidaysFileError, ValueError) as exc:
            return [f"公示期无法计算：{exc}"]
        lines = [pub.window.text("公示期"), *procedure_brief(p)]
        if pub.console_note:
            lines.append(pub.console_note)
        if not any(app.store.branch_contact()):
            lines.append("公示表联系人未登记（表上留空待手填）：jifen branch contact --name 姓名 --phone 电话")
        return lines

    def documents_folder(self) -> Path:
        """Beside the database file (the current folder for a server database)."""
        from db.engine import database_url

        url = database_url(self.japp.db_path)
        return Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite:///") else Path.cwd()

    def _progress(self, text: str) -> None:
        self.query_one("#lock-progress", Static).update(text)

    def write_documents(self) -> list[Path] | str:
        """The minute and the quarter's publicity form, written beside the database by a child
        process (see exports/quarter_documents.py; called in the worker thread): the paths, or
        why they could not be written."""
        from db.engine import database_url
        from exports.quarter_documents import MINUTE, PUBLICITY, DocumentFailed, DocumentWriter

        app = self.japp
        folder = self.documents_folder()
        stem = f"{app.store.branch_name()}-{app.quarter.label}"
        url = database_url(app.db_path)
        try:
            with DocumentWriter() as writer:
                app.call_from_thread(self._progress, "已锁定。正在生成会议记录（PDF）……")
                minute = writer.write(url, MINUTE, app.year, app.number, folder / f"{stem}-会议记录.pdf")
                app.call_from_thread(self._progress, "已锁定。正在生成季度公示表（PDF）……")
                publicity = writer.write(url, PUBLICITY, app.year, app.number, folder / f"{stem}-季度公示表.pdf")
        except (DocumentFailed, OSError) as exc:
            return str(exc)
        return [minute, publicity]

    def _lock_and_write(self, quarter: QuarterRef) -> None:
        """The worker: lock, then the documents; every word to the screen goes through the UI thread."""
        from db.errors import StoreError

        app = self.japp
        try:
            try:
                app.store.lock(quarter)
            except StoreError as exc:
                app.call_from_thread(self.notify, str(exc), title="未执行", severity="error", timeout=8,
                                     markup=False)
                return
            app.call_from_thread(self._locked, quarter)
            written = self.write_documents()
            app.call_from_thread(self._written, written)
        except Exception as exc:  # the safety net, from the thread
            app.call_from_thread(app.report_failure, exc)
        finally:
            app.call_from_thread(self._lock_done)

    def _locked(self, quarter: QuarterRef) -> None:
        self.notify(f"{self.japp.quarter_title}已锁定", title="锁定")
        self.japp.changed()

    def _written(self, written: list[Path] | str) -> None:
        if isinstance(written, str):
            self.notify(f"已锁定，但文件没有生成：{written}", severity="error", timeout=15, markup=False)
            return
        self.written = written
        self.notify("会议记录和季度公示表已生成", title="已生成", timeout=10)
        self.refresh_all()

    def _lock_done(self) -> None:
        self.locking = False
        self.japp.collector.hold(False)
        self._progress("")

    def action_lock(self) -> None:
        app = self.japp
        if self.locking:
            self.notify("正在锁定并生成文件，请稍候……", timeout=3)
            return
        if not app.ready or app.state == QuarterState.LOCKED:
            self.notify("本季度已锁定", severity="warning")
            return
        problems = app.store.lock_problems(app.quarter)
        if problems:
            self.notify("不能锁定：" + "；".join(problems), severity="error", timeout=8)
            return

        def answered(yes: bool | None) -> None:
            if not yes or self.locking:
                return
            self.locking = True
            app.collector.hold(True)  # no long collection on the UI thread while the page shows progress
            self._progress("正在锁定本季度……")
            self.run_worker(partial(self._lock_and_write, app.quarter), thread=True, group="lock",
                            exit_on_error=False)

        declared = sum(1 for e in app.store.entries(app.quarter) if e.status == EntryStatus.DECLARED)
        detail = "锁定后本季度的积分事项、签到、表决和测评票都不能再修改。"
        if declared:
            detail += f"\n尚有 {declared} 项“申报”事项，将一并视为党员大会已确认。"
        app.push_screen(ConfirmDialog(f"锁定{app.quarter_title}？", detail), answered)
