"""One branch's members in the committee's report: figures, ranks in the branch and among the
branches of the same scheme, the grade (proposed until the 党委 has approved it) and the flags."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from committee.report import BranchReport
from core.quarter import QuarterRef
from tui.safety import SafeHandlers
from tui.screens.base import add_plain_row
from tui.screens.committee_rows import WIDE, member_cells, member_columns, members_head


class MembersScreen(SafeHandlers, Screen):
    BINDINGS = [Binding("escape,backspace", "back", "返回支部列表", key_display="Esc")]

    def __init__(self, branch: BranchReport, quarter: QuarterRef) -> None:
        super().__init__()
        self.branch = branch
        self.quarter = quarter
        self.wide: bool | None = None  # the columns as last built

    def compose(self) -> ComposeResult:
        b = self.branch
        yield Static(f" 党委汇总 · {b.branch} · {self.quarter.name} · 党员明细", markup=False, id="title-line")
        yield Static(members_head(b, self.quarter.name), markup=False, id="members-head", classes="detail")
        yield DataTable(id="committee-members", cursor_type="row", zebra_stripes=True)
        yield Static(id="notice-band")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        wide = self.app.size.width >= WIDE
        if wide == self.wide:
            return
        self.wide = wide
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*member_columns(self.branch.grade_heading, wide))
        total_at = member_columns(self.branch.grade_heading, wide).index("总分")
        for i, m in enumerate(self.branch.members):
            cells: list[object] = list(member_cells(m, self.branch, wide))
            if m in self.branch.under:
                cells[total_at] = Text(str(cells[total_at]), style="bold")
            add_plain_row(table, *cells, key=str(i))

    def on_resize(self, event: Resize) -> None:
        self._fill()

    def action_back(self) -> None:
        self.app.pop_screen()
