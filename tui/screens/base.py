"""What every main screen shares: the title line, and redrawing from the store when the
meeting changes or the screen comes back into view."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.messages import MeetingChanged

if TYPE_CHECKING:
    from tui.app import JifenApp

def add_plain_row(table: DataTable, *cells: object, key: str | None = None) -> None:
    """A row whose text is shown as typed: names and notes may hold brackets that markup
    would swallow or choke on."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells), key=key)


def cursor_key(table: DataTable) -> str:
    """The key of the row under the cursor (every row of these tables is added with one)."""
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    assert key is not None, "a row without a key"
    return key


def reset_table(table: DataTable, *columns: str) -> None:
    """Empty a table's rows, giving it its columns the first time. Columns are added once:
    clearing and re-adding them twice in one frame leaves them at their header widths."""
    if not table.columns:
        table.add_columns(*columns)
    table.clear()


STATE_LABELS = {"open": "未开会", "meeting": "会议进行中", "locked": "已锁定（只读）"}


class MeetingScreen(Screen):
    """A main screen of the console. Subclasses compose `body()` and implement `redraw()`."""

    TITLE_TEXT = ""

    @property
    def japp(self) -> JifenApp:
        return cast("JifenApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(markup=False, id="title-line")
        yield Static(id="nav-line")
        yield from self.body()
        yield Footer(show_command_palette=False)

    def body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        self.refresh_all()

    def on_meeting_changed(self, message: MeetingChanged) -> None:
        self.refresh_all()

    def editable(self) -> bool:
        """Whether the meeting is on; otherwise say why nothing can be changed."""
        state = self.japp.state
        if state == "meeting":
            return True
        self.notify("本季度已锁定，只能查看" if state == "locked" else "会议尚未开始：请在概况页按 O 开始会议",
                    severity="warning")
        return False

    def refresh_all(self) -> None:
        app = self.japp
        from tui.app import SCREENS_BY_KEY

        tabs = []
        for key, mode, label in SCREENS_BY_KEY:
            here = mode == getattr(self, "MODE", "")
            tabs.append(f"[reverse b] {key} {label} [/]" if here else f" {key} {label} ")
        self.query_one("#nav-line", Static).update(" ".join(tabs) + "   [dim]F1-F6 亦可切换　Ctrl+P 命令[/dim]")
        title = self.query_one("#title-line", Static)
        if app.ready:
            state = STATE_LABELS.get(app.state, app.state)
            title.update(f" {self.TITLE_TEXT}  ·  {app.store.branch_name()}  ·  {app.quarter_title}  ·  {state}")
            title.set_class(app.state == "locked", "locked")
        else:
            title.update(f" {self.TITLE_TEXT}")
        self.redraw()

    def redraw(self) -> None:
        """Fill the screen from the store."""
