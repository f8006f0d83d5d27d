"""锁定: the checklist, a confirmation, then the lock; afterwards the quarter is read-only
and its digest is shown."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widgets import Static

from tui.screens.base import MeetingScreen
from tui.screens.forms import ConfirmDialog


class LockScreen(MeetingScreen):
    MODE = "lock"
    TITLE_TEXT = "锁定本季度"
    BINDINGS = [Binding("l", "lock", "锁定")]

    def body(self) -> ComposeResult:
        yield Static(id="checklist", classes="checklist")
        yield Static(markup=False, id="lock-result", classes="digest")

    def _checks(self) -> list[tuple[bool, str, bool]]:
        """(met, text, blocking) for every line of the checklist."""
        app = self.japp
        store = app.store
        q = store.quorum(app.year, app.number)
        mt = store.meeting(app.year, app.number)
        entries = store.entries(app.year, app.number)
        contested = sum(1 for e in entries if e.status == "有异议")
        declared = sum(1 for e in entries if e.status == "申报")
        summary = store.ballot_summary(app.year, app.number)
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
        ]

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        result = self.query_one("#lock-result", Static)
        lock = app.store.lock_of(app.year, app.number)
        checklist = self.query_one("#checklist", Static)
        if lock is not None:
            checklist.update(f"{app.quarter_title}已于 {lock.locked_at:%Y-%m-%d %H:%M} 锁定，只能查看。")
            written = "".join(f"\n已生成：{p}" for p in getattr(self, "written", []))
            written += "\n\n" + "\n".join(self._deadlines())
            result.update(f"本季度数字摘要（SHA-256）：\n{lock.digest}\n上一季度摘要：\n"
                          f"{lock.previous_digest or '（无，本支部第一次锁定）'}{written}")
            return
        lines = []
        for met, text, blocking in self._checks():
            mark = "[green]✔[/green]" if met else ("[red]✘[/red]" if blocking else "[yellow]![/yellow]")
            lines.append(f"{mark} {escape(text)}")
        ready = all(met for met, _, blocking in self._checks() if blocking)
        lines.append("")
        lines.append("按 L 锁定本季度。锁定后本季度的任何内容都不能再修改。" if ready
                     else "以上标 ✘ 的事项完成后才能锁定。")
        checklist.update("\n".join(lines))
        result.update("")

    def _deadlines(self) -> list[str]:
        """The publicity and appeal windows in working days (and whether a year's holidays were guessed)."""
        from exports.deadlines import HolidaysFileError, WorkCalendar

        app = self.japp
        mt = app.store.meeting(app.year, app.number)
        if mt is None:
            return []
        p = app.store.scheme(app.year).process
        try:
            d = WorkCalendar.from_file().publicity_and_appeal(mt.held_at.date(), p.publicity_days, p.appeal_days,
                                                              p.review_days if p.appeal_days else None)
        except (HolidaysFileError, ValueError) as exc:
            return [f"公示期无法计算：{exc}"]
        return list(d.lines())

    def documents_folder(self) -> Path:
        """Beside the database file (the current folder for a server database)."""
        from db.engine import database_url

        url = database_url(self.japp.db_path)
        return Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite:///") else Path.cwd()

    def write_documents(self) -> None:
        """The minute and the quarter's publicity form, written beside the database."""
        from db.store import quarter_label
        from exports.fonts import FontMissing
        from exports.forms import write_publicity
        from exports.minutes import write_minutes

        app = self.japp
        folder = self.documents_folder()
        stem = f"{app.store.branch_name()}-{quarter_label(app.year, app.number)}"
        try:
            minute = write_minutes(app.store, app.year, app.number, folder / f"{stem}-会议记录.pdf")
            publicity = write_publicity(app.store, app.year, app.number, folder / f"{stem}-季度公示表.pdf")
        except (FontMissing, OSError, ValueError) as exc:
            self.notify(f"已锁定，但文件没有生成：{exc}", severity="error", timeout=15, markup=False)
            return
        self.written = [minute, publicity]
        self.notify(f"会议记录和季度公示表已保存在：{folder}", title="已生成", timeout=15, markup=False)
        self.refresh_all()

    def action_lock(self) -> None:
        app = self.japp
        if not app.ready or app.state == "locked":
            self.notify("本季度已锁定", severity="warning")
            return
        problems = app.store.lock_problems(app.year, app.number)
        if problems:
            self.notify("不能锁定：" + "；".join(problems), severity="error", timeout=8)
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            done = app.attempt(app.store.lock, app.year, app.number)
            if done:
                self.notify(f"{app.quarter_title}已锁定", title="锁定")
                self.write_documents()

        declared = sum(1 for e in app.store.entries(app.year, app.number) if e.status == "申报")
        detail = "锁定后本季度的积分事项、签到、表决和测评票都不能再修改。"
        if declared:
            detail += f"\n尚有 {declared} 项“申报”事项，将一并视为党员大会已确认。"
        app.push_screen(ConfirmDialog(f"锁定{app.quarter_title}？", detail), answered)
