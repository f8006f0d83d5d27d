"""The committee console's two dialogs: the report file's name, and the help."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from committee.report_files import FORMATS
from core.quarter import QuarterRef
from tui.safety import SafeHandlers


def file_problem(text: str) -> str:
    """Why `text` cannot be the report's file name, or "" when it can."""
    if not text:
        return "请填写文件名"
    path = Path(text).expanduser()
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        return f"文件扩展名应为 {' / '.join(FORMATS)}，不是“{suffix or '（无）'}”"
    if path.is_dir():
        return f"{path} 是一个文件夹，请写文件名"
    if not path.parent.is_dir():
        return f"文件夹 {path.parent} 不存在"
    return ""


class ReportFileDialog(SafeHandlers, ModalScreen[Path | None]):
    """写出汇总表: the file's name; its extension says the format. An existing file is
    replaced only after a second Enter."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, quarter: QuarterRef, default: Path) -> None:
        super().__init__()
        self.quarter = quarter
        self.default = default
        self.confirmed = ""  # the existing file a second Enter replaces

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"写出{self.quarter.name}党员积分汇总表", classes="dialog-title")
            yield Static("文件名（扩展名决定格式：.pdf、.xlsx 或 .csv）：", classes="hint")
            yield Input(str(self.default), id="report-file")
            yield Static("回车写出，Esc 取消", classes="hint")
            yield Static("", markup=False, id="form-error", classes="error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.confirmed = ""
        self.query_one("#form-error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        error = self.query_one("#form-error", Static)
        problem = file_problem(text)
        if problem:
            error.update(problem)
            return
        path = Path(text).expanduser().resolve()
        if path.exists() and self.confirmed != str(path):
            self.confirmed = str(path)
            error.update(f"{path.name} 已存在：再按回车将覆盖它，或改一个文件名")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP = """\
本页只读，不改动数据库。
  ← →     上一个 / 下一个季度（任一支部报送过的季度；打开时为最近的）
  ↑ ↓     选择党支部；表下显示等次分布、低于及格线的党员、更正、未结申诉
  Enter   所选支部的党员明细：积分、排名、同方案排名、等次、提示（Esc 返回）
  W       写出本季度汇总表：PDF、XLSX 或 CSV（同 jifen committee report）
  R       重新读取数据库（他人汇入新的报送文件之后）
  F7      深色 / 浅色　　　F1 或 ?  本帮助　　　Ctrl+Q  退出

积分、排名和等次由党委从报送的锁定记录重新计算，不用支部自报的数字；
同方案排名只在同一积分方案的支部之间计算；党委批复之前为拟定等次；
未结申诉按各支部报送时的说明列出（申诉不在校验码之内）。

汇入报送文件会写入数据库，请在命令行运行：
  jifen committee import --db {db} 报送文件…
"""


class CommitteeHelp(SafeHandlers, ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,question_mark,enter", "close", "关闭", key_display="Esc")]

    def __init__(self, db: str) -> None:
        super().__init__()
        self.db = db

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="committee-help"):
            yield Label("党委汇总控制台 帮助", classes="dialog-title")
            yield Static(HELP.format(db=self.db), markup=False)
            yield Static("Esc 关闭", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
