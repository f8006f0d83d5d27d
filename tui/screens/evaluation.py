"""民主评议: paper ballots entered one by one, as they came, with one key per member (1 优秀,
2 合格, 3 基本合格, 4 不合格, 0 未标记), or counts entered directly. The scheme decides which
ballots are void; a void ballot is counted as returned, with its reason, and not rated.
Once a ballot is saved it is never shown
again: the screen shows only how many ballots are in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from core.scheme import RATING_LABELS
from db.tables import Member, saved_id
from tui.screens.base import MeetingScreen, add_plain_row, cursor_key, move_to_key, reset_table
from tui.screens.forms import NumbersDialog


def doing_of(issued: int, current: int, of: str) -> str:
    # Every issued ballot is in: say so, rather than "ballot 24 of 23".
    return f"发出的{issued}张已全部录入" if issued and current > issued else f"正在录入 第 {current}{of} 张"


class EvaluationScreen(MeetingScreen):
    MODE = "evaluation"
    TITLE_TEXT = "民主评议"
    BINDINGS = [
        *(Binding(str(i + 1), f"rate({i})", label, key_display=str(i + 1)) for i, label in enumerate(RATING_LABELS)),
        Binding("0", "skip", "未标记", key_display="0"),
        Binding("backspace", "back", "退一格"),
        Binding("s", "save", "保存本张", key_display="回车/S"),
        # Before the rarer keys: at 100 columns the footer ends after a few more.
        Binding("p", "phones", "手机测评"),
        Binding("b", "blank", "空白票"),
        Binding("x", "clear", "重填本张"),
        Binding("t", "tally", "直接录入票数"),
        Binding("i", "issued", "发出票数"),
        Binding("r", "next_round", "切换轮次"),
        Binding("ctrl+z", "undo_mark", "撤销", key_display="^z"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.marks: dict[int, str] = {}
        self.order: list[int] = []  # members rated on this ballot, in the order of the keys
        self.round = 1
        self.round_of: object = None  # the quarter `round` was chosen for
        self.issued = self.returned = 0  # the round's counts as last drawn (the hint reads them)
        self.sealed = False

    def body(self) -> ComposeResult:
        yield Static(id="progress", classes="big")
        yield Static(markup=False, id="ballot-warning", classes="banner")
        yield DataTable(id="ballot", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Static(id="ballot-hint", classes="hint")

    def editable(self) -> bool:
        """As on every page, and not once the round is closed (nothing more is taken)."""
        if not super().editable():
            return False
        app = self.japp
        if app.store.round_state(app.quarter, self.round).closed:
            self.notify("本轮测评已结束，不能再录入测评票", severity="warning")
            return False
        return True

    def _graded(self) -> list[Member]:
        return [m for m in self.japp.store.members() if not m.exempt]

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        rounds = app.store.scheme(app.year).evaluation.rounds
        if self.round_of != app.quarter and not self.marks:  # a new meeting: its own round (R still switches)
            self.round, self.round_of = meeting_round(rounds, app.number), app.quarter
        summary = app.store.ballot_summary(app.quarter, self.round)
        state = app.store.round_state(app.quarter, self.round)
        issued = summary["issued"]
        current = summary["returned"] + 1
        self.issued, self.returned, self.sealed = issued, summary["returned"], state.sealed
        of = f" / {issued}" if issued else ""
        head = f"第{self.round}轮　" if rounds > 1 else ""
        results = self.query_one("#results", DataTable)
        results.display = state.closed
        self.query_one("#ballot", DataTable).display = not state.closed
        if state.sealed:
            # Codes are out: until the round is closed only how many came in, nothing of what they say
            # (a valid/void split or a member's count could tell a lone ballot apart).
            self.query_one("#progress", Static).update(
                f"{head}手机测评进行中，结束本轮后显示结果　｜　已收回 {summary['returned']} 张"
                f"（手机 {state.spent} / {state.codes}）　发出 {issued} 张　P 手机测评")
        elif state.closed:
            self.query_one("#progress", Static).update(
                f"{head}本轮测评已结束　｜　发出 {issued} 张，收回 {summary['returned']} 张（有效 {summary['valid']}，"
                f"无效 {summary['void']}）" + (f"，其中手机 {state.spent} 张" if state.codes else ""))
            self._show_results(results)
            self.query_one("#ballot-warning", Static).update("")
            self.query_one("#ballot-hint", Static).update("各党员本轮得票如上；本轮已结束，不能再录入测评票")
            return
        else:
            self._show_progress(head, doing_of(issued, current, of), summary)
        self._show_ballot()

    def _show_results(self, results: DataTable) -> None:
        """A closed round's counts per member (ballots and direct entries together)."""
        app = self.japp
        counts = app.store.ratings_of_quarter(app.quarter).get(self.round, {})
        reset_table(results, "序号", "姓名", *RATING_LABELS)
        for m in self._graded():
            got = counts.get(saved_id(m), {})
            add_plain_row(results, str(m.seq), m.name, *(str(got.get(k, 0)) for k in RATING_LABELS), key=str(m.id))

    def _show_progress(self, head: str, doing: str, summary: dict[str, int]) -> None:
        issued = summary["issued"]
        self.query_one("#progress", Static).update(
            f"{head}{doing}　｜　已收回 {summary['returned']} 张（有效 {summary['valid']}，"
            f"无效 {summary['void']}）" + ("" if issued else "　发出票数未设（按 I）")
            + (f"\n[b $text-error]收回票数多于发出的{issued}张：收回票数多于发出票数，本次测评无效，不能锁定[/]"
               if issued and summary["returned"] > issued else ""))

    def _show_ballot(self) -> None:
        graded = self._graded()
        table = self.query_one("#ballot", DataTable)
        row = table.cursor_row
        reset_table(table, "序号", "姓名", "本张评定")
        for m in graded:
            add_plain_row(table, str(m.seq), m.name, self.marks.get(saved_id(m), "·"), key=str(m.id))
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        self._refresh_hint()

    def _cursor_member(self) -> int | None:
        key = cursor_key(self.query_one("#ballot", DataTable))
        return int(key) if key is not None else None

    def action_rate(self, i: int) -> None:
        self._mark(RATING_LABELS[i])

    def action_skip(self) -> None:
        """0: the name is left unmarked on this paper ballot; it is not rated on it."""
        self._mark(None)

    def _mark(self, rating: str | None) -> None:
        """Mark the member under the cursor (None: left unmarked) and step to the next name. Only
        ratings join `order`, which backspace walks back."""
        if not self.editable():
            return
        mid = self._cursor_member()
        if mid is None:
            return
        table = self.query_one("#ballot", DataTable)
        if mid in self.order:
            self.order.remove(mid)
        if rating is None:
            self.marks.pop(mid, None)
        else:
            self.marks[mid] = rating
            self.order.append(mid)
        table.update_cell(str(mid), table.ordered_columns[2].key, rating or "未标记")
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1))
        self._refresh_hint()

    def _refresh_hint(self) -> None:
        # Only the lines that depend on the current ballot: a key must not rebuild the table.
        # As the printed ballot and the store count: 优秀 among the full members only.
        full = {saved_id(m) for m in self._graded() if m.status == "full"}
        graded_count = self.query_one("#ballot", DataTable).row_count
        excellent = sum(1 for k, v in self.marks.items() if v == "优秀" and k in full)
        warning = self.query_one("#ballot-warning", Static)
        limit = self._excellent_limit(len(full))
        if limit is not None and excellent > limit:
            warning.update(f"注意：本张评为优秀的已有 {excellent} 人，超过方案允许的 {limit} 人：保存后为无效票")
            warning.set_classes("banner warn")
        else:
            warning.update("")
            warning.set_classes("banner")
        left = graded_count - len(self.marks)
        hint = self.query_one("#ballot-hint", Static)
        if self.issued and self.returned >= self.issued:
            hint.update(self._all_in())
            return
        hint.update(
            ("本张已填完，按回车保存" if not left else f"本张有 {left} 人未标记（不计评定），可按回车保存")
            + "　1 优秀　2 合格　3 基本合格　4 不合格　0 未标记　退格 上一人　B 空白票　T 直接录入票数　P 手机测评")

    def _all_in(self) -> str:
        """Every issued ballot is in: what comes next, rather than 'press Enter to save'."""
        done = f"发出的{self.issued}张测评票已全部录入"
        if self.marks:  # one more ballot than were issued is being typed
            return (f"[b $text-error]{done}：再保存一张，收回票数将多于发出票数，本次测评无效[/]\n"
                    "如确有漏发的票，先按 I 改正发出票数；否则按 X 清除本张")
        if self.sealed:
            return (f"{done}（含手机测评）。下一步：按 P 打开手机测评，按 C 结束本轮后显示结果；\n"
                    "再按 F5 看积分榜，F6 锁定本季度")
        return (f"{done}，评议结果已计入积分榜。\n"
                "下一步：按 F5 看积分榜和各人评议结果，核对后按 F6 锁定本季度")

    def _excellent_limit(self, names: int) -> int | None:
        from core.ballots import excellent_limit

        share = self.japp.store.scheme(self.japp.year).evaluation.ballot.excellent_share
        return None if share is None else excellent_limit(share, names)

    def action_back(self) -> None:
        """Take back the last rating typed and put the cursor on that member."""
        table = self.query_one("#ballot", DataTable)
        if not self.order:
            table.move_cursor(row=max(table.cursor_row - 1, 0))
            return
        mid = self.order.pop()
        del self.marks[mid]
        table.update_cell(str(mid), table.ordered_columns[2].key, "·")
        move_to_key(table, str(mid))
        self._refresh_hint()

    def _saved(self) -> None:
        self.marks = {}
        self.order = []
        self.query_one("#ballot", DataTable).move_cursor(row=0)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_save()  # Enter, as the table reports it

    def action_undo_mark(self) -> None:
        """While a ballot is being entered, undo takes back its last mark, never a saved ballot."""
        if self.marks:
            self.action_back()
        else:
            self.japp.action_undo()

    def action_save(self) -> None:
        app = self.japp
        if not self.editable():
            return
        if not self.marks:
            self.notify("本张还没有评定；整张未标记的空白票请按 B", severity="warning")
            return
        done = app.attempt(app.store.add_ballot, app.quarter, dict(self.marks), self.round)
        if done:
            self._saved()
            if done.value:
                self.notify(f"本张为无效票（{done.value}），计入收回票数，不计评定", severity="warning", markup=False)
            else:
                self.notify("本张已保存")
            self.redraw()

    def action_blank(self) -> None:
        app = self.japp
        if not self.editable():
            return
        if self.marks:
            self.notify("本张已有评定；空白票须整张未填。按 X 重填本张", severity="warning")
            return
        done = app.attempt(app.store.add_ballot, app.quarter, None, self.round)
        if done:
            self._saved()
            self.notify(f"空白票已保存：无效票（{done.value}）" if done.value else "空白票已保存", markup=False)
            self.redraw()

    def action_clear(self) -> None:
        self._saved()
        self.redraw()

    def action_tally(self) -> None:
        app = self.japp
        if not self.editable():
            return
        mid = self._cursor_member()
        if mid is None:
            return
        name = next(m.name for m in self._graded() if m.id == mid)

        def entered(values: list[int] | None) -> None:
            if values is not None and app.attempt(app.store.set_tally, app.quarter, mid,
                                                  dict(zip(RATING_LABELS, values, strict=True)), self.round):
                counts = "　".join(f"{k}{v}" for k, v in zip(RATING_LABELS, values, strict=True))
                self.notify(f"{name}的票数已保存：{counts}", markup=False)

        stored = app.store.tally(app.quarter, mid, self.round)
        app.push_screen(NumbersDialog(f"{name}：直接录入第{self.round}轮票数", list(RATING_LABELS),
                                      [stored.get(k, 0) for k in RATING_LABELS],
                                      note="用于不逐张录入的情形；与逐张录入的票合并计算"), entered)

    def action_issued(self) -> None:
        app = self.japp
        if not self.editable():
            return
        current = app.store.ballot_summary(app.quarter, self.round)["issued"]

        def entered(values: list[int] | None) -> None:
            if values is not None:
                app.attempt(app.store.set_ballots_issued, app.quarter, values[0], self.round)

        app.push_screen(NumbersDialog("发出测评票张数", ["发出"], [current]), entered)

    def action_next_round(self) -> None:
        rounds = self.japp.store.scheme(self.japp.year).evaluation.rounds
        if rounds == 1:
            self.notify("本方案每年评议一轮")
            return
        if self.marks:
            self.notify("本张尚未保存，先保存或按 X 重填", severity="warning")
            return
        self.round = self.round % rounds + 1
        self.redraw()

    def action_phones(self) -> None:
        """P: the phone ballot panel for this round."""
        from tui.screens.evaluation_phone import PhonePanel

        if self.marks:
            self.notify("本张尚未保存，先保存或按 X 重填", severity="warning")
            return
        self.app.push_screen(PhonePanel(self.round))


def meeting_round(rounds: int, quarter: int) -> int:
    """The evaluation round a quarter's meeting holds: with two (half-yearly) rounds, the first
    half-year's meetings hold round 1 and the second's round 2; with one, round 1."""
    return min(rounds, max(1, -(-quarter * rounds // 4)))
