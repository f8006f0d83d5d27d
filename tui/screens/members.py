"""逐人: one member fills the screen with the quarter's entries, their clauses and state,
and the figures as they stand. Next/previous member with one key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Digits, Static

from core.labels import FLAG_LABELS, KIND_LABELS, STATUS_LABELS
from core.numbers import show
from core.probation import probation_of
from core.quarter import EntryStatus, QuarterState
from db.tables import Member, saved_id
from tui.screens.base import MeetingScreen, add_plain_row, cursor_cells, cursor_key, move_to_key, reset_table
from tui.screens.exemption import change_exemption
from tui.screens.record import Said, WhoWhatDialog, present_names
from tui.screens.vote import VoteDialog

PENDING = EntryStatus.DECLARED  # not yet confirmed at the meeting: shown as pending, never as final


class MembersScreen(MeetingScreen):
    MODE = "members"
    TITLE_TEXT = "逐人通报"
    BINDINGS = [
        # Priority: the entries table would take ← → to move between its columns.
        Binding("right,n", "step(1)", "下一人", key_display="→", priority=True),
        Binding("left,p", "step(-1)", "上一人", key_display="←", priority=True),
        Binding("c", "contest", "异议/撤回异议"),
        Binding("v", "vote", "表决"),
        Binding("k", "confirm", "确认"),
        Binding("d", "next_contested", "下一项待表决"),
        # Not in the footer (it would push Ctrl+Z off a 100-column screen): the hint line names it
        # where the scheme provides exemption; the palette lists it always.
        Binding("m", "exemption", "免于积分管理", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.index = 0

    def body(self) -> ComposeResult:
        with Horizontal(id="member-head"):
            with Vertical(id="member-id"):
                yield Static(markup=False, id="member-name", classes="big")
                yield Static(markup=False, id="member-post")
                yield Static(id="member-position", classes="hint")
            with Vertical(id="member-total"):
                yield Static("总分", classes="label")
                yield Digits(id="total-digits")
                yield Static(id="member-rank", classes="rank")
        yield Static(markup=False, id="member-figures", classes="figures")
        yield DataTable(id="entries", cursor_type="row", zebra_stripes=True)
        yield Static(markup=False, id="entry-detail", classes="detail")
        yield Static(id="entry-hint", classes="hint")

    def _members(self) -> list[Member]:
        return self.japp.store.members()

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        members = self._members()
        if not members:
            self.query_one("#member-name", Static).update("名册为空")
            return
        self.index %= len(members)
        m = members[self.index]
        store = app.store
        result = store.board(app.year).member(str(m.id))
        status = STATUS_LABELS.get(m.status, m.status)
        if m.exempt:
            route = store.scheme(app.year).exemption
            how = "，".join(x for x in (m.exempt_reason, f"经{route.route}" if route else "") if x)
            status += "　免于积分管理" + (f"（{how}）" if how else "")
        self.query_one("#member-name", Static).update(m.name)
        self.query_one("#member-post", Static).update(f"{m.post or '—'}　{status}")
        self.query_one("#member-position", Static).update(f"第 {self.index + 1} / {len(members)} 人　（← → 切换）")
        digits = self.query_one("#total-digits", Digits)
        rank = self.query_one("#member-rank", Static)
        figures = self.query_one("#member-figures", Static)
        if result.exempt:
            digits.update("--")
            rank.update("不排名")
            figures.update("免于积分管理：不计分、不排名、不评定等次")
        else:
            assert result.parts is not None  # only an exempt member has none
            parts = result.parts[app.number - 1]
            scheme = store.scheme(app.year)
            digits.update(show(result.total))
            deduction = f"−{show(parts.deduction)}" if parts.deduction else "0"
            grade = result.grade or "不定等次"
            rank.update(f"第 {result.rank} 名　{grade}")
            flags = "　".join(FLAG_LABELS[f] for f in result.flags if f not in ("exempt",))
            figures.update(
                f"截至{app.quarter_title}：基础分 {show(parts.base)}　{scheme.bonus.label} +{show(parts.bonus)}　"
                f"{scheme.deduction.label} {deduction}　季度积分 {show(parts.figure)}　｜　"
                f"全年积分 {show(result.points)}"
                + (f"　评议 {show(result.evaluation)}" if result.evaluation is not None else "")
                + (f"\n{flags}" if flags else "") + self._pending_line(store.entries(app.quarter, m.id))
                # a 预备党员: when the probation ends and whether the points allow conversion then
                + (f"\n预备期：{probation_of(scheme, result, m.status_since).sentence().split('：', 1)[1]}"
                   if m.status == "probationary" else ""))
        table = self.query_one("#entries", DataTable)
        row = table.cursor_row
        reset_table(table, "编号", "类型", "分值", "状态", "事项", "依据")
        scheme = store.scheme(app.year)
        for e in store.entries(app.quarter, m.id):
            item = scheme.item(e.item_code) if e.item_code else None
            what = e.note or (item.label if item else "")
            if e.level:
                what += f"（{e.level}）"
            sign = {"bonus": "+", "deduction": "−"}.get(e.kind, "")
            if e.status == PENDING:
                what = f"{what}　{pending_effect(e.kind, e.points)}"
            add_plain_row(table, f"#{e.id}", KIND_LABELS.get(e.kind, e.kind),
                          f"{sign}{show(e.points)}" if e.points is not None else "—",
                          "申报（待确认）" if e.status == PENDING else e.status, what,
                          item.cite or item.reading if item else "自定事项", key=str(e.id))
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        contested = sum(1 for e in store.entries(app.quarter) if e.status == EntryStatus.CONTESTED)
        self.query_one("#entry-hint", Static).update(
            (f"本季度还有 {contested} 项有异议的事项待表决。" if contested else "本季度没有待表决的事项。")
            + "　D 下一项待表决　C 异议/撤回　V 表决　K 确认"
            + ("　M 免于积分管理" if scheme.exemption is not None else ""))

    @staticmethod
    def _pending_line(entries) -> str:
        pending = [e for e in entries if e.status == PENDING]
        if not pending:
            return ""
        veto = any(e.kind == "veto" for e in pending)
        return (f"\n以上数字含 {len(pending)} 项待确认（申报）事项，尚非最终结果"
                + ("；其中一票否决待确认：如确认，全年积分为0" if veto else ""))

    def action_step(self, delta: int) -> None:
        self.index += delta
        self.query_one("#entries", DataTable).move_cursor(row=0)
        self.redraw()

    def action_next_contested(self) -> None:
        """Jump to the next member (after the one shown) with an entry still 有异议, on that entry."""
        app = self.japp
        members = self._members()
        contested: dict[int, int] = {}
        for e in app.store.entries(app.quarter):
            if e.status == EntryStatus.CONTESTED:
                contested.setdefault(e.member_id, saved_id(e))
        if not contested:
            self.notify("本季度没有待表决的事项")
            return
        for step in range(len(members) + 1):
            i = (self.index + step) % len(members)
            mid = saved_id(members[i])
            if mid in contested and (step or self._entry_id_quiet() != contested[mid]):
                self.index = i
                self.redraw()
                move_to_key(self.query_one("#entries", DataTable), str(contested[mid]))
                return

    def _entry_id_quiet(self) -> int | None:
        key = cursor_key(self.query_one("#entries", DataTable))
        return int(key) if key is not None else None

    def _entry(self) -> tuple[int, list[str]] | None:
        """The entry under the cursor: its id and its row's cells (or a notice why there is none)."""
        table = self.query_one("#entries", DataTable)
        key = cursor_key(table)
        cells = cursor_cells(table)
        if key is None or cells is None:
            self.notify("这位党员本季度没有积分事项", severity="warning")
            return None
        return int(key), cells

    def _entry_id(self) -> int | None:
        entry = self._entry()
        return entry[0] if entry else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The event may come after the table was rebuilt for another member: read the cursor's
        # row as it is now, not the event's row key.
        row = cursor_cells(self.query_one("#entries", DataTable))
        self.query_one("#entry-detail", Static).update(f"{row[4]}　〔{row[5]}〕" if row else "")

    def action_contest(self) -> None:
        """C: raise an objection, or take it back while no vote has been taken."""
        found = self._entry()
        if found is None:
            return
        entry, row = found
        app = self.japp
        if row[3] == EntryStatus.CONTESTED:
            if app.attempt(app.store.drop_objection, entry):
                self.notify("异议已撤回，事项恢复为“申报”")
            return
        if row[3] not in ("申报（待确认）", EntryStatus.CONFIRMED):
            self.notify(f"该事项当前为“{row[3]}”，不能提出异议", severity="warning", markup=False)
            return
        roster = [m.name for m in app.store.members()]
        name = str(self.query_one("#member-name", Static).content)

        def raised(said: Said | None) -> None:
            if said is not None and app.attempt(app.store.contest_entry, entry, said.who, said.text):
                note = "" if said.who in roster else f"（{said.who}不在名册中，按输入记录）"
                self.notify(f"已记为有异议，须经党员大会表决{note}", markup=False)

        app.push_screen(WhoWhatDialog(f"对{name}的事项 #{entry} 提出异议", "提出人", "理由", present_names(app), roster,
                                      f"{row[1]} {row[2]} {row[4]}"), raised)

    def action_exemption(self) -> None:
        """M: grant or end 免于积分管理 for the member on screen (tui.screens.exemption)."""
        members = self._members()
        if members:
            change_exemption(self.japp, members[self.index % len(members)])

    def action_confirm(self) -> None:
        entry = self._entry_id()
        if entry is not None:
            self.japp.attempt(self.japp.store.confirm_entry, entry)

    def action_vote(self) -> None:
        found = self._entry()
        if found is None:
            return
        entry, row = found
        if self.japp.state != QuarterState.MEETING:
            self.editable()
            return
        if row[3] != EntryStatus.CONTESTED:
            self.notify(f"该事项当前为“{row[3]}”，只有“有异议”的事项才付诸表决；先按 C 提出异议", severity="warning",
                        markup=False)
            return
        name = str(self.query_one("#member-name", Static).content)
        meaning = f"赞成＝同意给{name}记{row[1]}{row[2].lstrip('+−')}分；反对＝不同意记此分"
        self.app.push_screen(VoteDialog(entry, f"{name}：{row[1]} {row[2]} {row[4]}", meaning))


def pending_effect(kind: str, points) -> str:
    """What a pending entry will do if the meeting confirms it ("如确认…")."""
    if kind == "veto":
        return "如确认：一票否决，全年积分为0"
    if points is None:
        return "如确认：计入"
    return {"bonus": f"如确认：加{show(points)}分", "deduction": f"如确认：减{show(points)}分"}.get(
        kind, f"如确认：记{show(points)}分")
