"""概况: the branch, the year's quarters and their state, today's meeting and agenda."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from core.quarter import QuarterRef, QuarterState
from db.appeals import AppealView
from db.store import MeetingFacts
from tui.screens.base import STATE_LABELS, MeetingScreen, add_plain_row, reset_table
from tui.screens.forms import ConfirmDialog, FactsForm, MeetingFactsDialog
from tui.screens.record import AgendaDialog, TextDialog, off_roster, parse_time

DEFAULT_AGENDA = "通报本季度党员积分情况；对有异议的积分事项进行表决；开展民主评议；部署下季度工作"


def appeal_line(v: AppealView) -> str:
    """第1号 刘丽娟 2026Q3：2026-10-10前答复（逾期）, or …：医院党委复议，2026-10-15前答复."""
    due = v.deadline
    when = f"{due:%Y-%m-%d}前答复" if due is not None else "方案未规定答复期限"
    review = f"{v.review_body}复议，" if v.review_on is not None else ""
    return f"第{v.number}号 {v.member} {v.quarter.label}：{review}{when}" + ("（逾期）" if v.overdue else "")


# The quarter states in which each meeting key applies; in the others it is hidden from the footer
# and does nothing (the hint line says what can be done instead).
APPLIES: dict[str, tuple[str, ...]] = {
    "open_meeting": (QuarterState.OPEN,),
    "edit_facts": (QuarterState.MEETING,),
    "end_meeting": (QuarterState.MEETING,),
    "cancel_meeting": (QuarterState.MEETING,),
    "agenda": (QuarterState.MEETING, QuarterState.LOCKED),  # a locked meeting's record may be read
}

# The hints, one short line per step: at 100 columns the right-hand column holds about 19
# Chinese characters, and a long line would break wherever the width ran out.
BEFORE_MEETING = "按 O 开始会议\n填写时间、地点、主持人和记录人\n← → 选择季度"
IN_MEETING = "F2 签到　F3 逐人过积分事项\nF4 民主评议　F5 积分榜　F6 锁定\nE 修改会议信息　A 议题记录　M 散会"
LOCKED = "本季度已锁定，只能查看\nA 查看议题记录　← → 选择季度"


class OverviewScreen(MeetingScreen):
    MODE = "overview"
    TITLE_TEXT = "概况"
    # The footer shows only what applies to the quarter's state (check_action); 取消会议 is rare
    # (a meeting opened by mistake) and stays out of the footer, in the palette only.
    BINDINGS = [
        Binding("o", "open_meeting", "开始会议", key_display="O"),
        Binding("e", "edit_facts", "会议信息", key_display="E"),
        Binding("a", "agenda", "议题记录", key_display="A"),
        Binding("m", "end_meeting", "散会", key_display="M"),
        Binding("x", "cancel_meeting", "取消会议", key_display="X", show=False),
        Binding("left", "quarter(-1)", "上一季度", key_display="←", priority=True),
        Binding("right", "quarter(1)", "下一季度", key_display="→", priority=True),
        # Shown in the hint only when its time has come (the year's Q4 locked, the next not opened).
        Binding("n", "open_year", "开始新年度", show=False),
    ]

    # The state of the quarter on screen as last drawn: check_action runs on every footer
    # refresh and must not query the store.
    shown_state: str = ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quarter":
            return self.japp.ready
        states = APPLIES.get(action)
        return states is None or self.shown_state in states

    def body(self) -> ComposeResult:
        with Horizontal(id="overview"):
            with Vertical(id="overview-left"):
                yield Static(markup=False, id="branch-name", classes="big")
                yield Static(markup=False, id="scheme-line")
                yield DataTable(id="quarters", cursor_type="none", zebra_stripes=True)
                yield Static(markup=False, id="appeals")  # open appeals, shown only when there are some
                yield Static(markup=False, id="appeals-overdue", classes="banner warn")
            with Vertical(id="overview-right"):
                yield Static("今日会议", classes="section")
                yield Static(markup=False, id="meeting-facts")
                yield Static("议题", classes="section")
                yield Static(markup=False, id="agenda")
                yield Static(id="next-step", classes="hint")

    def redraw(self) -> None:
        app = self.japp
        facts = self.query_one("#meeting-facts", Static)
        if not app.ready:
            self.query_one("#branch-name", Static).update("尚未建立党支部")
            facts.update("请在命令行运行\njifen init 建立支部和年度，\n再用 jifen members import\n导入名册；\n"
                         "或运行 jifen demo\n打开示范支部。")
            self._show_state("")
            return
        store = app.store
        self.query_one("#branch-name", Static).update(store.branch_name())
        self.query_one("#scheme-line", Static).update(f"{app.year}年度 · 积分方案：{store.scheme_name(app.year)}")
        table = self.query_one("#quarters", DataTable)
        reset_table(table, "季度", "状态", "会议日期", "校验码")
        rows = store.quarter_rows(app.year)
        for q, mt, lock in rows:
            lock = lock if q.state == QuarterState.LOCKED else None
            mark = "▶ " if q.number == app.number else "  "
            add_plain_row(table, f"{mark}第{'一二三四'[q.number - 1]}季度", STATE_LABELS[q.state],
                          mt.held_at.strftime("%Y-%m-%d") if mt else "—", lock.digest[:12] + "…" if lock else "—")
        self._show_appeals()
        mt = next((m for q, m, _ in rows if q.number == app.number), None)
        state = next((q.state for q, _, _ in rows if q.number == app.number), app.state)
        agenda = self.query_one("#agenda", Static)
        step = self.query_one("#next-step", Static)
        if mt is None:
            facts.update(f"{app.quarter_title}党员大会尚未开始")
            agenda.update("\n".join(f"{i}. {a}" for i, a in enumerate(DEFAULT_AGENDA.split("；"), 1)))
            step.update(BEFORE_MEETING)
        else:
            ended = f"　散会 {mt.ended_at:%H:%M}" if mt.ended_at else ""
            facts.update(f"时间：{mt.held_at:%Y年%m月%d日 %H:%M}{ended}\n地点：{mt.place or '—'}\n"
                         f"主持人：{mt.host or '（未填）'}\n记录人：{mt.recorder or '（未填）'}\n"
                         f"列席：{mt.observers or '无'}")
            agenda.update("\n".join(f"{i}. {a}" for i, a in enumerate(mt.agenda.splitlines(), 1)) or "—")
            step.update(IN_MEETING if state == QuarterState.MEETING else LOCKED + self._next_year_hint())
        self._show_state(state)

    def _show_state(self, state: str) -> None:
        """Keep the state drawn, and let the footer show the keys it allows."""
        if state != self.shown_state:
            self.shown_state = state
            self.refresh_bindings()

    def _next_year_hint(self) -> str:
        """After the newest year's Q4 lock, until the next year is opened: say how to open it."""
        app = self.japp
        coming = app.store.year_not_opened()
        if coming is None or coming != app.year + 1:
            return ""
        return f"\n{coming}年度尚未开始：\n运行 jifen year open {coming}\n或按 N 开始（沿用本年度积分方案）"

    def _show_appeals(self) -> None:
        """Open appeals with the date their answer is due; those past it in the warning style.
        Nothing at all when none is open (the page looks as before)."""
        views = self.japp.store.appeals(open_only=True)
        due = [v for v in views if not v.overdue]
        late = [v for v in views if v.overdue]
        on_time = self.query_one("#appeals", Static)
        overdue = self.query_one("#appeals-overdue", Static)
        on_time.display, overdue.display = bool(views), bool(late)
        lines = [f"未答复的申诉（{len(views)}件）：", *(appeal_line(v) for v in due)]
        on_time.update("\n".join(lines))
        overdue.update("\n".join(appeal_line(v) for v in late))

    def action_quarter(self, delta: int) -> None:
        """Choose the quarter to work on (a locked one is shown read-only)."""
        app = self.japp
        if not app.ready:
            return
        number = app.number + delta
        years = app.store.years()
        if number < 1 and app.year - 1 in years:  # back into last year's quarters
            app.year, number = app.year - 1, 4
        elif number > 4 and app.year + 1 in years:
            app.year, number = app.year + 1, 1
        elif number > 4 and app.store.year_not_opened() == app.year + 1:
            self.notify(f"{app.year + 1}年度尚未开始：运行 jifen year open {app.year + 1}（或按 N）",
                        severity="warning", markup=False)
        app.number = min(4, max(1, number))
        app.sub_title = f"{app.store.branch_name()} · {app.quarter_title}"
        app.changed()  # every page shows the quarter chosen

    def action_open_year(self) -> None:
        """开始新年度 with the same scheme, once this year's Q4 is locked (as `jifen year open`)."""
        app = self.japp
        coming = app.store.year_not_opened() if app.ready else None
        if coming is None:
            self.notify("本年度第四季度锁定后才能开始新的年度", severity="warning")
            return
        exempt = any(m.exempt for m in app.store.members())
        detail = (f"沿用{app.store.scheme_name(coming - 1)}，建立{coming}年度的四个季度，名册中未转出的党员转入。"
                  + ("免于积分管理按年度决定：上一年度的将取消，需要时按方案程序重新决定。" if exempt else "")
                  + f"更换积分方案请在命令行运行 jifen year open {coming} --scheme 方案编号或文件。")

        def answered(yes: bool | None) -> None:
            if yes and app.attempt(app.store.open_year, coming):
                app.year, app.number = coming, 1
                app.sub_title = f"{app.store.branch_name()} · {app.quarter_title}"
                app.changed()
                self.notify(f"已开始{coming}年度", title="新年度")

        app.push_screen(ConfirmDialog(f"开始{coming}年度？", detail), answered)

    def _last_facts(self) -> dict[str, str]:
        """Defaults for a new meeting: now, and the place and people of the last meeting."""
        app = self.japp
        values = {"held_at": app.store.clock().strftime("%Y-%m-%d %H:%M"), "agenda": DEFAULT_AGENDA}
        for n in range(app.number - 1, 0, -1):
            mt = app.store.meeting(QuarterRef(app.year, n))
            if mt:
                values.update(place=mt.place, host=mt.host, recorder=mt.recorder, observers=mt.observers)
                break
        return values

    def action_open_meeting(self) -> None:
        app = self.japp
        if not app.ready:
            return
        if app.state != QuarterState.OPEN:
            self.notify("本季度的会议已经开始或已锁定", severity="warning")
            return

        def open_it(form: FactsForm, confirmed: bool) -> None:
            if app.attempt(app.store.open_meeting, app.quarter, MeetingFacts(**form.__dict__),
                           confirm_date=confirmed):
                self.notify(f"{app.quarter_title}党员大会开始", title="会议")
                self._roster_notes(form)
                if form.held_at.date() > app.store.clock().date():
                    self.notify(f"会议日期 {form.held_at:%Y-%m-%d} 在今天之后，如有误可按 E 修改", severity="warning")

        def opened(form: FactsForm | None) -> None:
            if form is not None:
                self._with_date_confirmed(form.held_at, lambda confirmed: open_it(form, confirmed))

        self.app.push_screen(MeetingFactsDialog(f"开始{app.quarter_title}党员大会", self._last_facts(),
                                                self._roster()), opened)

    def _roster(self) -> list[str]:
        return [m.name for m in self.japp.store.members()]

    def _roster_notes(self, form: FactsForm) -> None:
        """Host and recorder may be typed; say so when one is not on the roster."""
        roster = self._roster()
        for role, name in (("主持人", form.host), ("记录人", form.recorder)):
            note = off_roster(name, roster)
            if note:
                self.notify(f"{role}{note}", severity="warning", markup=False)

    def _with_date_confirmed(self, held_at, then) -> None:
        """A date outside the quarter or before the previous meeting needs a yes first."""
        app = self.japp
        problems = app.store.meeting_date_problems(app.quarter, held_at)
        if not problems:
            then(False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                then(True)

        app.push_screen(ConfirmDialog("会议日期需要确认", "；".join(problems) + "。确定按此日期记录？"), answered)

    def action_edit_facts(self) -> None:
        app = self.japp
        mt = app.store.meeting(app.quarter) if app.ready else None
        if mt is None or app.state != QuarterState.MEETING:
            self.notify("会议进行中才能修改会议信息", severity="warning")
            return
        values = {"held_at": mt.held_at.strftime("%Y-%m-%d %H:%M"), "place": mt.place, "host": mt.host,
                  "recorder": mt.recorder, "observers": mt.observers, "agenda": "；".join(mt.agenda.splitlines())}

        def save(form: FactsForm, confirmed: bool) -> None:
            if app.attempt(app.store.set_meeting_facts, app.quarter, confirm_date=confirmed,
                           held_at=form.held_at, place=form.place, host=form.host, recorder=form.recorder,
                           observers=form.observers, agenda=form.agenda):
                self.notify("会议信息已保存")
                self._roster_notes(form)

        def saved(form: FactsForm | None) -> None:
            if form is None:
                return
            if form.held_at == mt.held_at:
                save(form, False)
            else:
                self._with_date_confirmed(form.held_at, lambda confirmed: save(form, confirmed))

        self.app.push_screen(MeetingFactsDialog("修改会议信息", values, self._roster()), saved)

    def _meeting_on(self) -> bool:
        app = self.japp
        if not app.ready or app.state != QuarterState.MEETING:
            self.notify("会议进行中才能这样做", severity="warning")
            return False
        return True

    def action_agenda(self) -> None:
        app = self.japp
        if not app.ready or app.store.meeting(app.quarter) is None:
            self.notify("会议尚未开始：请先按 O 开始会议", severity="warning")
            return
        app.push_screen(AgendaDialog(), lambda _: self.refresh_all())

    def action_end_meeting(self) -> None:
        """散会: the time the meeting ended, now by default; may be set again until the lock."""
        app = self.japp
        if not self._meeting_on():
            return
        mt = app.store.meeting(app.quarter)
        assert mt is not None
        shown = (mt.ended_at or app.store.clock()).strftime("%H:%M")

        def entered(text: str | None) -> None:
            if text is None:
                return
            at = parse_time(text, mt.held_at)
            if at is None:
                self.notify("散会时间应写成 16:30 或 2026-12-25 16:30", severity="error")
                return
            done = app.attempt(app.store.end_meeting, app.quarter, at)
            if done:
                self.notify(f"散会时间：{done.value:%Y-%m-%d %H:%M}（锁定前可再按 M 修改）")

        app.push_screen(TextDialog("散会", "散会时间", shown, "16:30"), entered)

    def action_cancel_meeting(self) -> None:
        """取消会议: a meeting opened by mistake, before its first vote or ballot."""
        app = self.japp
        if not self._meeting_on():
            return
        problem = app.attempt(app.store.cancel_problem, app.quarter)
        if not problem:
            return
        if problem.value:
            self.notify(str(problem.value), title="不能取消", severity="error", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes and app.attempt(app.store.cancel_meeting, app.quarter):
                self.notify(f"{app.quarter_title}党员大会已取消，签到和会议记录已清除", title="会议")

        app.push_screen(ConfirmDialog("取消本次党员大会？",
                                      "签到、议题记录和发出票数将清除，会上确认的事项恢复为“申报”；异议保留。"),
                        answered)
