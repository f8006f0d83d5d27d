"""签到: every member present or absent with a reason; live counts and whether the meeting
may vote."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from core.labels import STATUS_LABELS
from core.quarter import QuarterState
from db.tables import Member
from tui.screens.base import MeetingScreen, add_plain_row, cursor_cells, cursor_key, reset_table
from tui.screens.forms import Absence, AbsenceDialog, quorum_text


class RollCallScreen(MeetingScreen):
    MODE = "rollcall"
    TITLE_TEXT = "签到"
    BINDINGS = [
        Binding("space", "present", "出席", key_display="空格/回车"),
        Binding("a", "absent", "缺席"),
        Binding("ctrl+a", "rest_present", "其余出席"),
    ]

    def body(self) -> ComposeResult:
        yield Static(markup=False, id="quorum-banner", classes="banner")
        yield Static(markup=False, id="counts", classes="counts")
        yield DataTable(id="roll", cursor_type="row", zebra_stripes=True)

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        store = app.store
        q = store.quorum(app.quarter)
        banner = self.query_one("#quorum-banner", Static)
        if app.state == QuarterState.OPEN:
            banner.update("会议尚未开始：请在概况页按 O 开始会议")
            banner.set_classes("banner warn")
        elif app.state == QuarterState.LOCKED:
            banner.update("本季度已锁定：以下为锁定时的签到记录")
            banner.set_classes("banner warn")
        else:
            banner.update(q.banner())
            banner.set_classes("banner " + ("ok" if q.has_quorum else "bad"))
        self.query_one("#counts", Static).update(quorum_text(q))
        table = self.query_one("#roll", DataTable)
        row = table.cursor_row
        reset_table(table, "序号", "姓名", "类别", "表决权", "签到", "书面意见")
        calls = {a.id: a for a in q.absentees}
        present = self._present_ids()
        for m in store.members():
            if m.meeting_exempt:
                mark, vote = "免于参会", "—"
            elif m.id in present:
                mark = "出席"
            elif m.id in calls:
                mark = f"缺席（{calls[m.id].reason}）"
            else:
                mark = "未签到"
            vote = "—" if m.meeting_exempt else ("有" if m.status == "full" and not self._suspended(m) else "无")
            opinion = calls[m.id].opinion if m.id in calls else ""
            add_plain_row(table, str(m.seq), m.name, STATUS_LABELS.get(m.status, m.status), vote, mark, opinion,
                          key=str(m.id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def _present_ids(self) -> set[int]:
        app = self.japp
        return {mid for mid, r in app.store.roll_calls(app.quarter).items() if r.present}

    def _suspended(self, m: Member) -> bool:
        from db.votes import suspended_on

        mt = self.japp.store.meeting(self.japp.quarter)
        return suspended_on(m, mt.held_at.date().isoformat()) if mt else False

    def _selected(self) -> tuple[int, str] | None:
        table = self.query_one("#roll", DataTable)
        key, cells = cursor_key(table), cursor_cells(table)
        if key is None or cells is None:
            return None
        return int(key), cells[1]

    def _advance(self) -> None:
        table = self.query_one("#roll", DataTable)
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_present()  # Enter on a row, as the table reports it

    def action_present(self) -> None:
        if not self.editable():
            return
        sel = self._selected()
        app = self.japp
        if sel and app.attempt(app.store.roll_call, app.quarter, sel[0], True):
            self._advance()

    def action_absent(self) -> None:
        if not self.editable():
            return
        sel = self._selected()
        if not sel:
            return
        app = self.japp

        def marked(absence: Absence | None) -> None:
            if absence and app.attempt(app.store.roll_call, app.quarter, sel[0], False,
                                       absence.reason, absence.opinion):
                self._advance()

        app.push_screen(AbsenceDialog(sel[1]), marked)

    def action_rest_present(self) -> None:
        """Everyone not yet called is marked present (the usual case at a full meeting)."""
        if not self.editable():
            return
        app = self.japp
        done = app.attempt(app.store.roll_call_rest, app.quarter)
        if done:
            self.notify(f"其余{done.value}人记为出席（Ctrl+Z 可整体撤销）" if done.value else "所有人都已签到")
