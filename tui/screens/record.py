"""Dialogs for the meeting's record: who raised an objection and why; the agenda items with
their 发言要点, 不同意见 and 决议; the time the meeting ended. Names are picked from the roster
(type the first characters, → takes the suggestion) or typed; a typed name not on the roster
is accepted with a note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Input, Label, Static

from core.quarter import QuarterState
from tui.safety import SafeHandlers
from tui.screens.base import add_plain_row, reset_table
from tui.screens.forms import FormDialog

if TYPE_CHECKING:
    from tui.app import JifenApp


def off_roster(name: str, roster: list[str]) -> str:
    """The note for a typed name that is not on the roster ("" when it is)."""
    return "" if not name or name in roster else f"“{name}”不在名册中，按输入记录"


@dataclass(frozen=True)
class Said:
    who: str
    text: str


class WhoWhatDialog(FormDialog, ModalScreen[Said | None]):
    """Two fields: a person (suggested from `names`) and what they said or why."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, title: str, who_label: str, what_label: str, names: list[str], roster: list[str],
                 note: str = "") -> None:
        super().__init__()
        self.title_text, self.who_label, self.what_label = title, who_label, what_label
        self.names, self.roster, self.note = names, roster, note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.note:
                yield Static(self.note, classes="hint", markup=False)
            if self.names:
                yield Static("可选：" + "、".join(self.names[:30]) + ("等" if len(self.names) > 30 else ""),
                             classes="hint", markup=False)
            with Grid(classes="form"):
                yield Label(self.who_label)
                yield Input(placeholder="输入姓名，→ 补全", id="who",
                            suggester=SuggestFromList(self.names, case_sensitive=True))
                yield Label(self.what_label)
                yield Input(id="what")
            yield Static("回车到下一项，最后一项回车保存，Esc 取消", classes="hint")
            yield Static("", markup=False, id="form-error", classes="error")

    def submit(self, inputs: list[Input]) -> None:
        who = self.query_one("#who", Input).value.strip()
        what = self.query_one("#what", Input).value.strip()
        error = self.query_one("#form-error", Static)
        if not who:
            error.update(f"请填写{self.who_label}")
            self.query_one("#who", Input).focus()
            return
        if not what:
            error.update(f"请填写{self.what_label}")
            self.query_one("#what", Input).focus()
            return
        self.dismiss(Said(who, what))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(FormDialog, ModalScreen[str | None]):
    """One line of text (a 决议, a time)."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, title: str, label: str, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.label, self.value, self.hint = title, label, value, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            with Grid(classes="form"):
                yield Label(self.label)
                yield Input(self.value, placeholder=self.hint, id="text")
            yield Static("回车保存，Esc 取消", classes="hint")

    def submit(self, inputs: list[Input]) -> None:
        self.dismiss(inputs[0].value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def present_names(app: JifenApp) -> list[str]:
    """Members marked present at the roll call, in roster order (everyone when nobody is yet)."""
    members = app.store.members()
    calls = app.store.roll_calls(app.quarter)
    present = [m.name for m in members if m.id in calls and calls[m.id].present]
    return present or [m.name for m in members]


class AgendaDialog(SafeHandlers, ModalScreen[None]):
    """议题记录: ↑↓ choose an agenda item; S 发言, Y 不同意见, J 决议, Del takes off its last note."""

    BINDINGS = [
        Binding("escape", "close", "关闭"),
        Binding("s", "speech", "发言"),
        Binding("y", "dissent", "不同意见"),
        Binding("j", "resolution", "决议"),
        Binding("delete,backspace", "remove", "删去末条"),
    ]

    @property
    def japp(self) -> JifenApp:
        return cast("JifenApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="agenda-dialog"):
            yield Label("议题记录：发言要点、不同意见、决议", classes="dialog-title")
            yield DataTable(id="agenda-items", cursor_type="row", zebra_stripes=True)
            yield Static(markup=False, id="agenda-notes", classes="detail")
            yield Static("↑↓ 选议题　S 记发言　Y 记不同意见　J 决议　Del 删去末条　Esc 关闭", classes="hint")

    def on_mount(self) -> None:
        self.redraw()
        self.query_one("#agenda-items", DataTable).focus()

    def _items(self) -> list[str]:
        app = self.japp
        mt = app.store.meeting(app.quarter)
        return [a for a in (mt.agenda if mt else "").splitlines() if a.strip()]

    def _item(self) -> int:
        table = self.query_one("#agenda-items", DataTable)
        return table.cursor_row + 1 if table.row_count else 0

    def redraw(self) -> None:
        app = self.japp
        notes = app.store.agenda_notes(app.quarter)
        table = self.query_one("#agenda-items", DataTable)
        row = table.cursor_row
        reset_table(table, "序号", "议题", "发言", "决议")
        for i, item in enumerate(self._items(), 1):
            mine = [n for n in notes if n.item == i]
            resolution = next((n.text for n in mine if n.kind == "resolution"), "")
            add_plain_row(table, str(i), item, str(sum(n.kind == "speech" for n in mine)),
                          "已作" if resolution else "—", key=str(i))
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        self._show_notes()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_notes()

    def _show_notes(self) -> None:
        app = self.japp
        item = self._item()
        lines = []
        for n in app.store.agenda_notes(app.quarter):
            if n.item == item:
                head = {"speech": f"{n.speaker}发言", "dissent": f"不同意见（{n.speaker}）",
                        "resolution": "决议"}[n.kind]
                lines.append(f"{head}：{n.text}")
        self.query_one("#agenda-notes", Static).update("\n".join(lines) or "本议题尚无记录")

    def _editable(self) -> bool:
        if self.japp.state != QuarterState.MEETING:
            self.notify("会议进行中才能记录", severity="warning")
            return False
        if not self._item():
            self.notify("会议没有议题：请在概况页按 E 填写议题", severity="warning")
            return False
        return True

    def _note(self, kind: str, title: str, who: str, what: str) -> None:
        if not self._editable():
            return
        app, item = self.japp, self._item()
        roster = [m.name for m in app.store.members()]

        def said(result: Said | None) -> None:
            if result is None:
                return
            if app.attempt(app.store.add_agenda_note, app.quarter, item, kind, result.text, result.who):
                note = off_roster(result.who, roster)
                self.notify(f"已记下。{note}" if note else "已记下", markup=False)
                self.redraw()

        app.push_screen(WhoWhatDialog(f"议题{item}：{title}", who, what, present_names(app), roster), said)

    def action_speech(self) -> None:
        self._note("speech", "记发言要点", "发言人", "发言要点")

    def action_dissent(self) -> None:
        self._note("dissent", "记不同意见", "提出人", "不同意见")

    def action_resolution(self) -> None:
        if not self._editable():
            return
        app, item = self.japp, self._item()
        current = next((n.text for n in app.store.agenda_notes(app.quarter)
                        if n.item == item and n.kind == "resolution"), "")

        def entered(text: str | None) -> None:
            if text is not None and app.attempt(app.store.set_resolution, app.quarter, item, text):
                self.notify("决议已保存" if text else "决议已删去")
                self.redraw()

        app.push_screen(TextDialog(f"议题{item}：决议", "决议", current, "清空后回车即删去决议"), entered)

    def action_remove(self) -> None:
        if not self._editable():
            return
        app, item = self.japp, self._item()
        mine = [n for n in app.store.agenda_notes(app.quarter) if n.item == item and n.kind != "resolution"]
        if not mine:
            self.notify("本议题没有可删去的发言或不同意见")
            return
        if app.attempt(app.store.remove_agenda_note, mine[-1].id):
            self.notify("已删去本议题的最后一条记录（Ctrl+Z 可恢复）")
            self.redraw()

    def action_close(self) -> None:
        self.dismiss(None)


def parse_time(text: str, day: datetime) -> datetime | None:
    """'16:10' on the meeting's day, or a full '2026-12-25 16:10'; None when neither."""
    for fmt in ("%Y-%m-%d %H:%M", "%H:%M"):
        try:
            t = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return t if fmt.startswith("%Y") else day.replace(hour=t.hour, minute=t.minute, second=0, microsecond=0)
    return None
