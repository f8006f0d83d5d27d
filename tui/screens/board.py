"""积分榜: every member's points, evaluation, total, rank, proposed grade and flags, live;
the selected member's reasons beside the table."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Digits, Static

from core.engine import YearResult
from core.labels import FLAG_LABELS, STATUS_LABELS
from core.numbers import show
from core.quarter import EntryStatus, QuarterRef, QuarterState
from tui.grading_ties import TIE_FLAG, TIES_LATER, grading_due
from tui.screens.base import MeetingScreen, add_plain_row, cursor_key, move_to_key, reset_table

TOPICS = {"quarter": "季度", "points": "积分", "bonus": "加分", "category": "分类", "veto": "否决",
          "evaluation": "评议", "total": "总分", "rank": "名次", "grade": "等次", "flag": "标记", "exempt": "免于"}


class BoardScreen(MeetingScreen):
    MODE = "board"
    TITLE_TEXT = "积分榜"
    BINDINGS = [Binding("w", "toggle_why", "依据"), Binding("g", "grades", "年度定级")]

    def __init__(self) -> None:
        super().__init__()
        self.result: YearResult | None = None
        self.ties_due = False
        self.pending: dict[str, list[str]] = {}

    def body(self) -> ComposeResult:
        with Vertical(id="board-area"):
            yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="board-pick"):  # the selected member's total, large for the back row
                yield Static(markup=False, id="pick-name")
                yield Digits(id="pick-digits")
            with VerticalScroll(id="why-area", classes="why"):
                yield Static(id="why")

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        self.result = result = app.store.board(app.year)
        # Ties at a share are decided at the Q4 meeting: before it, not marked on every row.
        self.ties_due = grading_due(app.store.quarter(QuarterRef(app.year, 4)).state)
        table = self.query_one("#board", DataTable)
        key = cursor_key(table)
        reset_table(table, "名次", "姓名", "类别", "一季", "二季", "三季", "四季",
                    "积分", "评议", "总分", "等次", "标记")
        order = sorted(result.members, key=lambda m: (m.rank is None, m.rank or 0))
        # Entries still 申报 count in the figures but are not final: say so on the row.
        self.pending = {}
        for e in app.store.entries(app.year):
            if e.status == EntryStatus.DECLARED:
                self.pending.setdefault(str(e.member_id), []).append(e.kind)
        # A quarter's column is its running total at the quarter's end: none yet for a quarter
        # that has not begun (no meeting, after the one on screen), so it is not shown as if settled.
        begun = max([app.number, *(q.number for q in app.store.quarters(app.year) if q.state != QuarterState.OPEN)])
        for m in order:
            quarters = [show(q) if i < begun else "—" for i, q in enumerate(m.quarters)] if m.quarters else ["—"] * 4
            add_plain_row(table, str(m.rank or "—"), m.name, STATUS_LABELS.get(m.status, m.status)[:2], *quarters,
                          show(m.points), show(m.evaluation), show(m.total), m.grade or "—",
                          "、".join([*self._pending_marks(m.id), *(FLAG_LABELS[f] for f in m.flags
                                                                   if f != TIE_FLAG or self.ties_due)]), key=m.id)
        move_to_key(table, key)
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
        name = self.query_one("#pick-name", Static)
        digits = self.query_one("#pick-digits", Digits)
        mid = cursor_key(table)
        try:
            m = self.result.member(mid) if self.result is not None and mid is not None else None
        except KeyError:  # the board was recomputed without this member
            m = None
        if m is None:
            why.update("")
            name.update("")
            digits.update("")
            return
        name.update(f"{m.name}　总分（第 {m.rank} 名　{m.grade or '不定等次'}）" if m.rank
                    else f"{m.name}　总分（不排名）")
        digits.update(show(m.total) if m.total is not None else "--")
        order = ("grade", "total", "points", "evaluation", "rank", "flag", "veto", "bonus", "category", "exempt",
                 "quarter")
        reasons = sorted(m.reasons, key=lambda r: order.index(r.topic.split(":")[0])
                         if r.topic.split(":")[0] in order else len(order))
        lines = [f"[b]{escape(m.name)}[/b]　（↑↓ 选人，W 隐藏依据，鼠标滚轮或 PgDn 翻看）"]
        kinds = getattr(self, "pending", {}).get(str(mid), [])
        if kinds:
            lines.append(f"[b]待确认[/b] 以上数字含{len(kinds)}项“申报”事项，尚未经会议确认，不是最终结果"
                         + ("；其中一票否决：如确认，全年积分为0" if "veto" in kinds else ""))
        last: tuple[str, str] = ("", "")
        for r in reasons:
            kind, _, which = r.topic.partition(":")
            topic = TOPICS.get(kind, r.topic)
            label = f"{FLAG_LABELS[which]}：" if kind == "flag" and which in FLAG_LABELS else ""
            lines.append(f"[b]{topic}[/b] {escape(label + r.text)}")
            if r.topic == f"flag:{TIE_FLAG}" and not self.ties_due:
                lines.append(f"　[$text-muted]{TIES_LATER}[/]")
            if (r.clause, r.reading) != last:  # the same rule under several figures is cited once
                if r.clause:
                    lines.append(f"　[$text-muted]依据：{escape(r.clause)}[/]")
                if r.reading:
                    lines.append(f"　[$text-muted]说明：{escape(r.reading)}[/]")
            last = (r.clause, r.reading)
        why.update("\n".join(lines))

    def action_toggle_why(self) -> None:
        area = self.query_one("#why-area")
        area.display = not area.display

    def action_grades(self) -> None:
        """The year-end view (年度定级): proposals, the 优秀 cap, the meeting's decisions."""
        from tui.screens.grading import YearGradesScreen

        self.app.push_screen(YearGradesScreen())
