"""表决 on a contested entry: 赞成/反对/弃权 counts, optionally absent members' written
opinions; the outcome and the rule that decided it, or the reason the counts are refused."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from core.meeting import VoteOutcome
from tui.safety import SafeHandlers

if TYPE_CHECKING:
    from tui.app import JifenApp

FIELDS = (("yes", "赞成"), ("no", "反对"), ("abstain", "弃权"))


def method_label(secret: bool) -> str:
    return "表决方式：无记名投票（Ctrl+T 改为举手表决）" if secret else "表决方式：举手表决（Ctrl+T 改为无记名投票）"


class VoteDialog(SafeHandlers, ModalScreen[VoteOutcome | None]):
    # Priority: the count fields would otherwise take Ctrl+W as "delete word".
    BINDINGS = [Binding("escape", "close", "关闭"),
                Binding("ctrl+w", "toggle_written", "书面意见", priority=True),
                Binding("ctrl+t", "toggle_secret", "无记名投票", priority=True)]

    def __init__(self, entry_id: int, what: str, meaning: str = "") -> None:
        super().__init__()
        self.entry_id = entry_id
        self.what = what
        self.meaning = meaning
        self.outcome: VoteOutcome | None = None

    def compose(self) -> ComposeResult:
        app = cast("JifenApp", self.app)
        q = app.store.quorum(app.quarter)
        with Vertical(classes="dialog", id="vote-dialog"):
            yield Label("表决有异议的事项", classes="dialog-title")
            yield Static(self.what)
            if self.meaning:
                yield Static(self.meaning, classes="hint")
            yield Static(q.banner(),
                         classes="banner " + ("ok" if q.has_quorum else "bad"))
            # The label names the method in force: a checkbox's mark alone is hard to read on a projector.
            yield Checkbox(method_label(False), id="secret", disabled=not q.has_quorum)
            with Grid(classes="counts-row"):
                for key, label in FIELDS:
                    yield Label(label)
                    yield Input("", type="integer", placeholder="0", id=key, disabled=not q.has_quorum)
            yield Checkbox(f"计入缺席党员的书面意见（{q.written_opinions}份，Ctrl+W）", id="count-written",
                           disabled=not q.written_opinions or not q.has_quorum)
            with Grid(classes="counts-row", id="written"):
                for key, label in FIELDS:
                    yield Label(f"书面{label}")
                    yield Input("", type="integer", placeholder="0", id=f"written_{key}")
            hint = ("回车到下一项，弃权栏回车即表决；Esc 取消" if q.has_quorum
                    else "到会有表决权的党员未过半数，不能表决：请先到签到页补签到。Esc 关闭")
            yield Static(hint, classes="hint", id="vote-hint")
            yield Static("", markup=False, id="vote-result")

    def on_mount(self) -> None:
        self.query_one("#written").display = False
        if not self.query_one("#yes", Input).disabled:
            self.query_one("#yes", Input).focus()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "count-written":
            self.query_one("#written").display = event.value
        elif event.checkbox.id == "secret":
            event.checkbox.label = method_label(event.value)

    def action_toggle_secret(self) -> None:
        box = self.query_one("#secret", Checkbox)
        if not box.disabled and self.outcome is None:
            box.value = not box.value

    @property
    def method(self) -> str:
        return "无记名投票" if self.query_one("#secret", Checkbox).value else "举手"

    def action_toggle_written(self) -> None:
        box = self.query_one("#count-written", Checkbox)
        if not box.disabled:
            box.value = not box.value

    def _count(self, key: str) -> int | None:
        text = self.query_one(f"#{key}", Input).value.strip() or "0"
        return int(text) if text.isdigit() else None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.outcome is not None:
            self.dismiss(self.outcome)
            return
        order = ["yes", "no", "abstain"]
        written = self.query_one("#count-written", Checkbox).value
        if written:
            order += ["written_yes", "written_no", "written_abstain"]
        key = event.input.id or ""
        if key in order and order.index(key) + 1 < len(order) and key != "abstain":
            self.query_one(f"#{order[order.index(key) + 1]}", Input).focus()
            return
        if key == "abstain" and written:
            self.query_one("#written_yes", Input).focus()
            return
        self._decide(written)

    def _decide(self, written: bool) -> None:
        counts = {key: self._count(key) for key in ("yes", "no", "abstain", "written_yes", "written_no",
                                                    "written_abstain")}
        bad = [k for k, v in counts.items() if v is None]
        result = self.query_one("#vote-result", Static)
        if bad:
            result.update("票数应为不小于0的整数")
            result.set_classes("error")
            return
        app = cast("JifenApp", self.app)
        done = app.attempt(app.store.vote, self.entry_id, counts["yes"], counts["no"], counts["abstain"],
                           count_written=written, written_yes=counts["written_yes"] or 0,
                           written_no=counts["written_no"] or 0, written_abstain=counts["written_abstain"] or 0,
                           method=self.method)
        if not done:
            result.update(f"未表决：{done.error}\n请更正票数后再按回车。")
            result.set_classes("error")
            return
        self.outcome = cast(VoteOutcome, done.value)
        verdict = "表决通过" if self.outcome.passed else "表决未通过"
        result.update(f"{verdict}\n{self.outcome.rule}\n表决方式：{self.method}")
        result.set_classes("banner " + ("ok" if self.outcome.passed else "bad"))
        for inp in self.query(Input):
            inp.disabled = True
        self.query_one("#secret", Checkbox).disabled = True
        self.query_one("#vote-hint", Static).update("按 Esc 关闭")

    def action_close(self) -> None:
        self.dismiss(self.outcome)
