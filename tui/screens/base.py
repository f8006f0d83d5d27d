"""What every main screen shares: the title line, and redrawing from the store when the
meeting changes or the screen comes back into view."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from core.quarter import QuarterState
from tui.messages import MeetingChanged
from tui.safety import SafeHandlers

if TYPE_CHECKING:
    from tui.app import JifenApp

# A table may be rebuilt (cleared and refilled from the store) between a key and the events it
# caused: a highlighted row's key can then be gone. Handlers read tables only through these.

def cursor_key(table: DataTable) -> str | None:
    """The key of the row under the cursor, or None (empty table, or rebuilt under us)."""
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except (CellDoesNotExist, RowDoesNotExist):
        return None


def row_cells(table: DataTable, key: str | None) -> list[str] | None:
    """A row's cells as text, or None when there is no such row (any more)."""
    if key is None:
        return None
    try:
        return [str(c) for c in table.get_row(key)]
    except RowDoesNotExist:
        return None


def cursor_cells(table: DataTable) -> list[str] | None:
    """The cells of the row under the cursor, or None."""
    return row_cells(table, cursor_key(table))


def move_to_key(table: DataTable, key: str | None) -> bool:
    """Put the cursor on the row `key`; False (cursor unmoved) when there is no such row."""
    if key is None:
        return False
    try:
        table.move_cursor(row=table.get_row_index(key))
    except RowDoesNotExist:
        return False
    return True


def add_plain_row(table: DataTable, *cells: object, key: str | None = None) -> None:
    """A row whose text is shown as typed: names and notes may hold brackets that markup
    would swallow or choke on."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells), key=key)


def reset_table(table: DataTable, *columns: str) -> None:
    """Empty a table's rows, giving it its columns the first time. Columns are added once:
    clearing and re-adding them twice in one frame leaves them at their header widths."""
    if not table.columns:
        table.add_columns(*columns)
    table.clear()


STATE_LABELS: dict[str, str] = {QuarterState.OPEN: "未开会", QuarterState.MEETING: "会议进行中",
                                QuarterState.LOCKED: "已锁定（只读）"}


class MeetingScreen(SafeHandlers, Screen):
    """A main screen of the console. Subclasses compose `body()` and implement `redraw()`."""

    TITLE_TEXT = ""

    @property
    def japp(self) -> JifenApp:
        return cast("JifenApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(markup=False, id="title-line")
        yield Static(id="nav-line")
        yield from self.body()
        yield Static(id="notice-band")  # where notices appear: no figure is ever drawn here
        yield Footer(show_command_palette=False)

    def body(self) -> ComposeResult:
        yield from ()

    # The app's data version this screen was last drawn at: coming back from a dialog that
    # changed nothing (Esc) does not query and redraw everything again.
    drawn_at: int = -1

    def on_screen_resume(self) -> None:
        if self.drawn_at != self.japp.version:
            self.refresh_all()

    def on_meeting_changed(self, message: MeetingChanged) -> None:
        self.refresh_all()

    def editable(self) -> bool:
        """Whether the meeting is on; otherwise say why nothing can be changed."""
        state = self.japp.state
        if state == QuarterState.MEETING:
            return True
        self.notify("本季度已锁定，只能查看" if state == QuarterState.LOCKED
                    else "会议尚未开始：请在概况页按 O 开始会议",
                    severity="warning")
        return False

    def refresh_all(self) -> None:
        app = self.japp
        self.drawn_at = app.version
        from tui.app import SCREENS_BY_KEY

        tabs = []
        for key, mode, label in SCREENS_BY_KEY:
            here = mode == getattr(self, "MODE", "")
            tabs.append(f"[reverse b] F{key} {label} [/]" if here else f" F{key} {label} ")
        self.query_one("#nav-line", Static).update("".join(tabs) + f"  [$text-muted]{app.PAGE_RULE}[/]")
        title = self.query_one("#title-line", Static)
        # Read-only while another console holds the database: said first, in the locked colours.
        seat = getattr(app, "seat", None)
        # First, so that a narrow screen cuts the branch name rather than the warning.
        held = f" {seat.line}  · " if seat is not None and seat.read_only else ""
        if app.ready:
            state = STATE_LABELS.get(app.state, app.state)
            title.update(f"{held} {self.TITLE_TEXT}  ·  {app.store.branch_name()}  ·  {app.quarter_title}  ·  {state}")
            title.set_class(app.state == QuarterState.LOCKED or bool(held), "locked")
        else:
            title.update(f"{held} {self.TITLE_TEXT}")
        self.redraw()

    def redraw(self) -> None:
        """Fill the screen from the store."""
