"""积分榜: every member's points, evaluation, total, rank, proposed grade and flags, live;
the selected member's reasons beside the table."""

from __future__ import annotations

import contextlib

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Static

from core.engine import YearResult
from core.labels import FLAG_LABELS, STATUS_LABELS
from core.numbers import show
from tui.screens.base import MeetingScreen, add_plain_row, reset_table

TOPICS = {"quarter": "季度", "points": "积分", "bonus": "加分", "category": "分类", "veto": "否决",
          "evaluation": "评议", "total": "总分", "rank": "名次", "grade": "等次", "flag": "标记", "exempt": "免于"}


class BoardScreen(MeetingScreen):
    MODE = "board"
    TITLE_TEXT = "积分榜"
    BINDINGS = [Binding("w", "toggle_why", "依据")]

    def __init__(self) -> None:
        super().__init__()
        self.result: YearResult | None = None
        self.pending: dict[str, list[str]] = {}

    def body(self) -> ComposeResult:
        with Vertical(id="board-area"):
            yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="why-area", classes="why"):
                yield Static(id="why")

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        self.result = result = app.store.board(app.year)
        table = self.query_one("#board", DataTable)
        key = None
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        reset_table(table, "名次", "姓名", "类别", "一季", "二季", "三季", "四季",
                    "积分", "评议", "总分", "等次", "标记")
        order = sorted(result.members, key=lambda m: (m.rank is None, m.rank or 0))
        # Entries still 申报 count in the figures but are not final: say so on the row.
        self.pending = {}
        for e in app.store.entries(app.year):
            if e.status == "申报":
                self.pending.setdefault(str(e.member_id), []).append(e.kind)
        for m in order:
            quarters = [show(q) for q in m.quarters] if m.quarters else ["—"] * 4
            add_plain_row(table, str(m.rank or "—"), m.name, STATUS_LABELS.get(m.status, m.status)[:2], *quarters,
                          show(m.points), show(m.evaluation), show(m.total), m.grade or "—",
                          "、".join([*self._pending_marks(m.id), *(FLAG_LABELS[f] for f in m.flags)]), key=m.id)
        if key is not None:
            with contextlib.suppress(Exception):
                table.move_cursor(row=table.get_row_index(key))
        self._show_why()

    def _pending_marks(self, mid: str) -> list[str]:
        kinds = self.pending.get(mid, [])
        if not kinds:
            return []
        return ["如确认否决则总分为0" if "veto" in kinds else f"含待确认{len(kinds)}项"]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_why()

    def _show_why(self) -> None:
        table = self.query_one("#board", DataTable)
        why = self.query_one("#why", Static)
        if self.result is None or not table.row_count:
            why.update("")
            return
        mid = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        m = self.result.member(str(mid))
        order = ("grade", "total", "points", "evaluation", "rank", "flag", "veto", "bonus", "category", "exempt",
                 "quarter")
        reasons = sorted(m.reasons, key=lambda r: order.index(r.topic.split(":")[0])
                         if r.topic.split(":")[0] in order else len(order))
        lines = [f"[b]{escape(m.name)}[/b]　（↑↓ 选人，W 隐藏依据，鼠标滚轮或 PgDn 翻看）"]
        kinds = getattr(self, "pending", {}).get(str(mid), [])
        if kinds:
            lines.append(f"[b]待确认[/b] 以上数字含{len(kinds)}项“申报”事项，尚未经会议确认，不是最终结果"
                         + ("；其中一票否决：如确认，全年积分为0" if "veto" in kinds else ""))
        last_clause = ""
        for r in reasons:
            topic = TOPICS.get(r.topic.split(":")[0], r.topic)
            clause = f"　[dim]〔{escape(r.clause)}〕[/dim]" if r.clause and r.clause != last_clause else ""
            last_clause = r.clause
            lines.append(f"[b]{topic}[/b] {escape(r.text)}{clause}")
        why.update("\n".join(lines))

    def action_toggle_why(self) -> None:
        area = self.query_one("#why-area")
        area.display = not area.display
