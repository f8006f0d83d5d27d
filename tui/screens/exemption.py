"""免于积分管理 from the members page (F3, key M): grant it with a reason, or end it, for the
member on screen. The store says first whether it may change (the scheme provides it, no
quarter of the year is locked yet, the evaluation has not begun), so a refusal comes before
any typing; the change itself is one store transaction, undone with Ctrl+Z at the meeting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from core.quarter import QuarterState
from db.tables import Member, saved_id
from tui.screens.forms import FormDialog

if TYPE_CHECKING:
    from tui.app import JifenApp


class ExemptionDialog(FormDialog, ModalScreen[str | None]):
    """理由 for granting (required) or ending (optional) an exemption; the scheme's route shown."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, name: str, grant: bool, route: str, current: str = "") -> None:
        super().__init__()
        self.member_name, self.grant, self.route, self.current = name, grant, route, current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = f"{self.member_name}：免于积分管理" if self.grant else f"{self.member_name}：结束免于积分管理"
            yield Label(title, classes="dialog-title", markup=False)
            if self.grant:
                yield Static(f"按本方案，须经{self.route}。免于积分管理的党员全年不计分、不排名、不评定等次。",
                             classes="hint", markup=False)
            else:
                yield Static(f"现为免于积分管理（{self.current}，经{self.route}）；结束后恢复计分、排名和评定等次。",
                             classes="hint", markup=False)
            with Grid(classes="form"):
                yield Label("理由")
                example = "如：一年内连续外出、长期病休" if self.grant else "可不填，如：已返岗"
                yield Input(id="reason", placeholder=example)
            yield Static("回车保存，Esc 取消", classes="hint")
            yield Static("", markup=False, id="form-error", classes="error")

    def submit(self, inputs: list[Input]) -> None:
        reason = inputs[0].value.strip()
        if self.grant and not reason:
            self.query_one("#form-error", Static).update("请写明免于积分管理的理由")
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)


def change_exemption(app: JifenApp, m: Member) -> None:
    """Ask for the reason and grant or end `m`'s exemption (or say at once why it may not change)."""
    refusal = app.store.exemption_refusal(saved_id(m))
    if refusal:
        app.notify(refusal, title="未执行", severity="error", timeout=10, markup=False)
        return
    rule = app.store.scheme(app.store.years()[-1]).exemption  # the year the roster now serves
    assert rule is not None  # exemption_refusal says so when the scheme has none
    grant = not m.exempt

    def answered(reason: str | None) -> None:
        if reason is None:
            return
        done = app.attempt(app.store.set_exemption, saved_id(m), grant, reason, app.quarter)
        if done:
            undo = "（Ctrl+Z 撤销）" if app.state == QuarterState.MEETING else ""
            app.notify(f"{done.value}{undo}", markup=False)

    app.push_screen(ExemptionDialog(m.name, grant, str(rule.route), m.exempt_reason), answered)
