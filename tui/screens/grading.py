"""年度定级: the year-end view the secretary opens from the board (F5, key G) at the year's last
meeting — each member's proposed grade with its reason, the meeting's decisions marked, the 优秀
count against its cap, each 预备党员's conversion; S sets a member's grade with a reason."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Input, Label, Static

from core.quarter import QuarterState
from db.grading import GradeRow, YearGrades
from tui.grading_ties import ties_later, ties_shown
from tui.screens.base import MeetingScreen, add_plain_row, cursor_key, move_to_key, reset_table
from tui.screens.forms import FormDialog


class GradeDialog(FormDialog, ModalScreen[tuple[str, str] | None]):
    """改定等次: the grade (one of the scheme's) and the meeting's reason."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, row: GradeRow, grades: tuple[str, ...]) -> None:
        super().__init__()
        self.row = row
        self.grades = grades

    def compose(self) -> ComposeResult:
        r = self.row
        with Vertical(classes="dialog"):
            yield Label(f"改定等次：{r.name}（系统拟定：{r.proposed or '无'}）", classes="dialog-title")
            with Grid(classes="form"):
                yield Label("等次")
                yield Input(r.decided or "", id="grade", placeholder="、".join(self.grades),
                            suggester=SuggestFromList(list(self.grades), case_sensitive=True))
                yield Label("理由")
                yield Input(r.reason, id="reason", placeholder="党员大会的决定和理由")
            yield Static("写回系统拟定的等次即取消改定（不需理由）。回车到下一项，最后一项回车保存，Esc 取消",
                         classes="hint")
            yield Static("", markup=False, id="form-error", classes="error")

    def submit(self, inputs: list[Input]) -> None:
        grade = self.query_one("#grade", Input).value.strip()
        reason = self.query_one("#reason", Input).value.strip()
        error = self.query_one("#form-error", Static)
        if grade not in self.grades:
            error.update(f"等次应为{'、'.join(self.grades)}之一")
            self.query_one("#grade", Input).focus()
            return
        if grade != self.row.proposed and not reason:
            error.update("请写明党员大会改定的理由")
            self.query_one("#reason", Input).focus()
            return
        self.dismiss((grade, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)


class YearGradesScreen(MeetingScreen):
    MODE = "grading"
    TITLE_TEXT = "年度定级"
    BINDINGS = [Binding("escape", "back", "返回积分榜"), Binding("s", "set_grade", "改定等次")]

    def __init__(self) -> None:
        super().__init__()
        self.grading: YearGrades | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """S only at the Q4 meeting: before it and after the lock the view is read-only, and its
        footer does not offer what would be refused (the head line says why)."""
        if action == "set_grade":
            return self.grading is not None and self.grading.q4 == QuarterState.MEETING
        return True

    def body(self) -> ComposeResult:
        with Vertical(id="grading-area"):
            yield Static(id="grading-head")
            yield DataTable(id="grading", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="grading-why-area", classes="why"):
                yield Static(id="grading-why")

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        found = app.store.year_grades(app.year)
        later = ties_later(found)
        self.grading = g = ties_shown(found)  # ties raised from the Q4 meeting on, not all year
        self.refresh_bindings()
        table = self.query_one("#grading", DataTable)
        key = cursor_key(table)
        reset_table(table, "序号", "姓名", "总分", "名次", "系统拟定", "党员大会", g.heading, "说明")
        for k, r in enumerate(g.rows, 1):
            note = "改定" if r.overridden else ""
            if r.changed:
                note = "党委批复改定"
            if r.tie:
                note = "、".join(filter(None, [note, "并列跨过名额"]))
            if r.probation is not None:
                note = "可按期转正" if r.probation.on_time else "不能按期转正"
            final = r.final or ("不定等次" if r.status == "probationary" else "—")
            add_plain_row(table, str(k), r.name, r.total or "—", str(r.rank or "—"), r.proposed or "—",
                          f"★{r.decided}" if r.overridden else (r.decided or ""), final, note,
                          key=str(r.member_id))
        move_to_key(table, key)
        state = {str(QuarterState.OPEN): "第四季度党员大会尚未开始（只能查看）",
                 str(QuarterState.MEETING): "第四季度党员大会进行中：S 改定选中党员的等次",
                 str(QuarterState.LOCKED): "第四季度已锁定：等次已计入校验码"}.get(g.q4, g.q4)
        over = "[b $error]" if g.over_cap else "[b]"
        lines = [f"{g.year}年度 · {state}", f"{over}{escape(g.cap_line())}[/]"]
        if later:
            lines.append(f"[$text-muted]{later}[/]")
        if g.undecided:
            lines.append(f"[b $warning]积分方案未规定等次，须由党员大会逐人确定：{escape('、'.join(g.undecided))}[/]")
        if g.approval is not None:
            lines.append(f"党委已于{g.approval.approved_on:%Y-%m-%d}批复：{escape(g.approval.text)}")
        else:
            lines.append("党委尚未批复：以上等次均为拟定（★ 为党员大会改定）")
        self.query_one("#grading-head", Static).update("\n".join(lines))
        self._show_why()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_why()

    def _selected(self) -> GradeRow | None:
        mid = cursor_key(self.query_one("#grading", DataTable))
        if self.grading is None or mid is None:
            return None
        return next((r for r in self.grading.rows if str(r.member_id) == mid), None)

    def _show_why(self) -> None:
        r = self._selected()
        why = self.query_one("#grading-why", Static)
        if r is None:
            why.update("")
            return
        lines = [f"[b]{escape(r.name)}[/b]"]
        lines += [f"[b]拟定[/b] {escape(t)}" for t in r.why]
        if r.overridden:
            lines.append(f"[b]党员大会改定为{escape(r.decided or '')}[/b] 理由：{escape(r.reason)}")
        if r.changed:
            lines.append(f"[b]党委批复定为{escape(r.changed)}[/b]")
        if r.probation is not None:
            lines.append(f"[b]转正[/b] {escape(r.probation.sentence())}")
        why.update("\n".join(lines))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_set_grade(self) -> None:
        app = self.japp
        if app.store.read_only:  # another console holds the database: say so before any dialog
            self.notify(app.store.read_only, title="未执行", severity="error", markup=False)
            return
        g = self.grading
        if g is None or g.q4 != QuarterState.MEETING:
            locked = g is not None and g.q4 == QuarterState.LOCKED
            why = "第四季度已锁定，只能查看" if locked else "会议尚未开始"
            self.notify(f"年度等次在第四季度党员大会上确定：{why}", severity="warning")
            return
        r = self._selected()
        if r is None:
            return
        if not g.gradable(r):
            self.notify(f"{r.name}是预备党员，按积分方案不评定等次", severity="warning")
            return

        def done(result: tuple[str, str] | None) -> None:
            if result is not None:
                app.attempt(app.store.set_grade, g.year, r.member_id, *result)

        self.app.push_screen(GradeDialog(r, g.grades), done)
