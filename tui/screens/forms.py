"""Small dialogs: meeting facts, an absence, a count, a yes/no question. Each returns a
typed result to the screen that opened it (ModalScreen[T])."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from core.meeting import QuorumStatus
from tui.safety import SafeHandlers


class FormDialog(SafeHandlers, ModalScreen):
    """A dialog of fields: Enter moves to the next field; on the last one it calls `submit`."""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        i = inputs.index(event.input)
        if i + 1 < len(inputs):
            inputs[i + 1].focus()
        else:
            self.submit(inputs)

    def submit(self, inputs: list[Input]) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class FactsForm:
    held_at: datetime
    place: str
    host: str
    recorder: str
    observers: str
    agenda: str


class MeetingFactsDialog(FormDialog, ModalScreen[FactsForm | None]):
    """会议信息: date and time, place, host, recorder, observers, agenda."""

    BINDINGS = [Binding("escape", "cancel", "取消"), Binding("ctrl+s", "save", "保存")]

    def __init__(self, title: str, values: dict[str, str], names: list[str] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.values = values
        self.names = names or []  # the roster: host and recorder are suggested from it

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            with Grid(classes="form"):
                for key, label, hint in (("held_at", "日期时间", "2026-12-25 14:30"), ("place", "地点", ""),
                                         ("host", "主持人", ""), ("recorder", "记录人", ""),
                                         ("observers", "列席", "多人用“、”分隔"), ("agenda", "议题", "多项用“；”分隔")):
                    yield Label(label)
                    picks = key in ("host", "recorder") and self.names
                    yield Input(self.values.get(key, ""), id=key,
                                placeholder="从名册选：输入姓名，→ 补全" if picks else hint,
                                suggester=SuggestFromList(self.names, case_sensitive=True) if picks else None)
            yield Static("回车到下一项，最后一项回车或 Ctrl+S 保存，Esc 取消", classes="hint")
            yield Static("", markup=False, id="form-error", classes="error")

    def submit(self, inputs: list[Input]) -> None:
        self.action_save()

    def action_save(self) -> None:
        get = lambda key: self.query_one(f"#{key}", Input).value.strip()  # noqa: E731
        try:
            held = datetime.strptime(get("held_at"), "%Y-%m-%d %H:%M")
        except ValueError:
            self.query_one("#form-error", Static).update("日期时间应写成 2026-12-25 14:30")
            self.query_one("#held_at", Input).focus()
            return
        agenda = "\n".join(x.strip() for x in get("agenda").replace(";", "；").split("；") if x.strip())
        self.dismiss(FactsForm(held, get("place"), get("host"), get("recorder"), get("observers"), agenda))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Absence:
    reason: str
    opinion: str


class AbsenceDialog(SafeHandlers, ModalScreen[Absence | None]):
    """缺席: one key for the reason, then any written opinion."""

    REASONS = ("病假", "事假", "公差", "其他")
    BINDINGS = [Binding("escape", "cancel", "取消"),
                *(Binding(str(i + 1), f"reason({i})", r) for i, r in enumerate(REASONS))]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.member_name = name
        self.reason = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"{self.member_name} 缺席", classes="dialog-title")
            yield Static("缺席原因：1 病假　2 事假　3 公差　4 其他", id="reasons")
            yield Input(placeholder="书面意见（没有可不填），回车确定", id="opinion", disabled=True)

    def action_reason(self, i: int) -> None:
        if self.reason:
            return
        self.reason = self.REASONS[i]
        self.query_one("#reasons", Static).update(f"缺席原因：{self.reason}")
        opinion = self.query_one("#opinion", Input)
        opinion.disabled = False
        opinion.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(Absence(self.reason, event.value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


class NumbersDialog(FormDialog, ModalScreen[list[int] | None]):
    """Whole numbers for named fields (票数): refuses anything else where it is typed."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, title: str, labels: list[str], values: list[int] | None = None, note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.labels = labels
        self.values = values or [0] * len(labels)
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="hint")
            with Grid(classes="form"):
                for i, (label, value) in enumerate(zip(self.labels, self.values, strict=True)):
                    yield Label(label)
                    yield Input(str(value), type="integer", id=f"n{i}")
            yield Static("回车到下一项，最后一项回车确定，Esc 取消", classes="hint")
            yield Static("", markup=False, id="form-error", classes="error")

    def submit(self, inputs: list[Input]) -> None:
        values = []
        for inp, label in zip(inputs, self.labels, strict=True):
            text = inp.value.strip() or "0"
            if not text.isdigit():
                self.query_one("#form-error", Static).update(f"“{label}”应为不小于0的整数")
                inp.focus()
                return
            values.append(int(text))
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(SafeHandlers, ModalScreen[bool]):
    BINDINGS = [Binding("y", "answer(True)", "确定"), Binding("n,escape", "answer(False)", "取消")]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail)
            yield Static("Y 确定　N 取消", classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def quorum_text(q: QuorumStatus) -> str:
    return (f"应到 {q.expected}　实到 {q.present}　缺席 {q.absent}　未签到 {q.uncalled}　"
            f"｜ 有表决权：应到 {q.voting_expected}　实到 {q.voting_present}")
