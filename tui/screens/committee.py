"""The committee's page: the branches of one quarter (←/→ for another), what each reported,
and under the table what the highlighted branch's row cannot hold. Enter opens its members."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.safety import SafeHandlers
from tui.screens.base import add_plain_row, cursor_key, move_to_key
from tui.screens.committee_rows import (
    WIDE,
    branch_cells,
    branch_columns,
    branch_lines,
    missing_cells,
    missing_lines,
    unfigured_cells,
)

if TYPE_CHECKING:
    from committee.report import BranchReport, CommitteeReport
    from tui.committee_app import CommitteeApp, Held

QUARTERS_SHOWN = 6  # quarter labels on the selector line; the rest are a ←/→ away


def import_hint(db: str) -> str:
    from tui.places import quoted

    return (f"汇入报送文件会写入数据库，请在命令行运行：jifen committee import --db {quoted(db)} 报送文件…"
            "（之后按 R 刷新）")


class BranchesScreen(SafeHandlers, Screen):
    BINDINGS = [
        Binding("left", "quarter(-1)", "上一季度", key_display="←", priority=True),
        Binding("right", "quarter(1)", "下一季度", key_display="→", priority=True),
        Binding("enter", "members", "党员明细", key_display="Enter"),
        Binding("w", "write", "写出汇总表", key_display="W"),
        Binding("r", "reread", "刷新", key_display="R"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.label: str | None = None  # the quarter shown
        self.report: CommitteeReport | None = None
        self.wide: bool | None = None  # the table's columns as last built

    @property
    def capp(self) -> CommitteeApp:
        return cast("CommitteeApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(" 党委汇总", markup=False, id="title-line")
        yield Static("", id="nav-line")
        yield Static("正在打开党委汇总数据库…", id="committee-status", classes="progress")
        yield DataTable(id="committee-branches", cursor_type="row", zebra_stripes=True)
        yield Static("", markup=False, id="committee-detail", classes="detail")
        yield Static("", markup=False, id="committee-hint", classes="hint")
        yield Static(id="notice-band")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#committee-hint", Static).update(import_hint(self.capp.shown_db))
        self.query_one("#nav-line", Static).update(f" 数据库：{escape(self.capp.shown_db)}")
        self.capp.read(None)

    # -- what the app hands over ---------------------------------------------------------------

    def show_loading(self, label: str | None) -> None:
        what = f"{label} 的" if label else ""
        status = self.query_one("#committee-status", Static)
        status.update(f"正在计算{what}汇总…（各支部的积分由报送的锁定记录重新计算）")
        status.set_class(False, "error")
        status.display = True

    def show_failure(self, message: str) -> None:
        status = self.query_one("#committee-status", Static)
        status.update(escape(message))
        status.set_class(True, "error")
        status.display = True
        if self.capp.store is None:  # nothing to show: the database did not open
            self.query_one("#title-line", Static).update(" 党委汇总 · 未能打开数据库（Ctrl+Q 退出）")
            self.query_one(DataTable).display = False
            self.query_one("#committee-detail", Static).display = False

    def show(self, held: Held, label: str | None, report: CommitteeReport | None) -> None:
        self.label, self.report = label, report
        status = self.query_one("#committee-status", Static)
        status.set_class(False, "error")
        status.display = False
        table = self.query_one(DataTable)
        table.display = True
        self.query_one("#committee-detail", Static).display = True
        if report is None or label is None:
            self.query_one("#title-line", Static).update(" 党委汇总 · 数据库中还没有任何党支部的报送")
            status.update(escape("还没有汇入任何报送文件。" + import_hint(self.capp.shown_db)))
            status.display = True
            table.clear(columns=True)
            self.wide = None
            self.query_one("#committee-detail", Static).update("")
            return
        self._nav(held, label)
        unfigured = f" · 无法计算 {len(report.unfigured)} 个" if report.unfigured else ""
        self.query_one("#title-line", Static).update(
            f" 党委汇总 · {report.quarter.name} · 报送 {len(report.branches)} 个党支部"
            f" · 未报送 {len(report.missing)} 个{unfigured}")
        self._fill()

    def show_written(self, path: Path | None, error: str) -> None:
        status = self.query_one("#committee-status", Static)
        status.update(escape(f"汇总表已写出：{path}") if path else escape(error))
        status.set_class(path is None, "error")
        status.display = True

    # -- drawing -------------------------------------------------------------------------------

    def _nav(self, held: Held, label: str) -> None:
        quarters = list(held.quarters)
        at = quarters.index(label)
        start = max(0, min(at - QUARTERS_SHOWN // 2, len(quarters) - QUARTERS_SHOWN))
        shown = quarters[start:start + QUARTERS_SHOWN]
        cells = [f"[reverse b] {q} [/]" if q == label else f" {q} " for q in shown]
        before = "‹ " if start > 0 else "  "
        after = " ›" if start + QUARTERS_SHOWN < len(quarters) else "  "
        self.query_one("#nav-line", Static).update(
            f" 季度：{before}{''.join(cells)}{after}  [$text-muted]←/→ 换季度　Enter 党员明细　? 帮助[/]")

    def _fill(self) -> None:
        report = self.report
        if report is None:
            return
        table = self.query_one(DataTable)
        keep = cursor_key(table)
        wide = self.size.width >= WIDE
        if wide != self.wide:
            table.clear(columns=True)
            table.add_columns(*branch_columns(wide))
            self.wide = wide
        else:
            table.clear()
        held = self.capp.held
        summaries = {s.name: s for s in held.branches} if held else {}
        for b in report.branches:
            add_plain_row(table, *branch_cells(b, wide), key=b.branch)
        for name in report.missing:
            add_plain_row(table, *missing_cells(name, summaries.get(name), wide), key=name)
        for name, _ in report.unfigured:  # reported, but its records cannot be figured: named, not left out
            add_plain_row(table, *unfigured_cells(name, wide), key=name)
        move_to_key(table, keep)
        self._detail()

    def on_resize(self, event: Resize) -> None:
        if self.report is not None and (self.size.width >= WIDE) != self.wide:
            self._fill()

    def _chosen(self) -> tuple[str | None, BranchReport | None]:
        name = cursor_key(self.query_one(DataTable))
        if name is None or self.report is None:
            return None, None
        return name, next((b for b in self.report.branches if b.branch == name), None)

    def _detail(self) -> None:
        name, branch = self._chosen()
        if name is None or self.report is None:
            text = ""
        elif branch is not None:
            text = "\n".join(branch_lines(branch))
        elif name in (why := dict(self.report.unfigured)):
            text = f"{name}：已报送{self.report.quarter.name}，但其记录无法计算积分：{why[name]}"
        else:
            held = self.capp.held
            summary = next((s for s in held.branches if s.name == name), None) if held else None
            text = "\n".join(missing_lines(name, self.report.quarter.name, summary))
        self.query_one("#committee-detail", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_members()

    # -- keys ----------------------------------------------------------------------------------

    def _busy(self) -> bool:
        if self.capp.loading:
            self.notify("正在计算，请稍候", severity="warning", timeout=3)
            return True
        return False

    def action_quarter(self, step: int) -> None:
        held = self.capp.held
        if held is None or not held.quarters or self.label is None:
            return
        at = held.quarters.index(self.label) + step
        if not 0 <= at < len(held.quarters):
            self.notify("已是最早的季度" if step < 0 else "已是最近的季度", timeout=3)
            return
        self.capp.read(held.quarters[at])

    def action_members(self) -> None:
        if self._busy() or self.report is None:
            return
        name, branch = self._chosen()
        if name is None:
            return
        if branch is None:
            self.notify(f"{name}未报送{self.report.quarter.name}，没有党员明细", severity="warning", timeout=4,
                        markup=False)
            return
        from tui.screens.committee_members import MembersScreen

        self.app.push_screen(MembersScreen(branch, self.report.quarter))

    def action_reread(self) -> None:
        self.capp.read(self.label, fresh=True)

    def action_write(self) -> None:
        if self._busy():
            return
        report = self.report
        if report is None:
            self.notify("没有可写出的汇总：数据库中还没有报送", severity="warning", timeout=4)
            return
        from tui.screens.committee_dialogs import ReportFileDialog

        default = self.capp.report_folder() / f"{report.heading}-{report.quarter.label}.pdf"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.query_one("#committee-status", Static).update(escape(f"正在写出 {path} …"))
                self.query_one("#committee-status", Static).display = True
                self.capp.write_file(report, path)

        self.app.push_screen(ReportFileDialog(report.quarter, default), chosen)

