"""手机测评: the evaluation page's panel for phone ballots (P on the evaluation page).

The secretary issues one-time codes (G: slips PDF beside the database), starts the ballot
server on an address of this laptop (A chooses, S starts and stops), projects the address as
large text and as a QR code (F full screen; W a Wi-Fi QR for the hotspot), watches 已提交 x / y
and closes the round (C). The server belongs to the app (one at a time, stopped on quit) and
uses the app's Store. Everything that may wait (store reads each second, binding a socket,
writing the PDF) runs in a thread worker: the projector never freezes.

A read-only console (another console is the writer) only explains that the writing console
serves the ballot and shows the count; it offers no key that writes.
"""

from __future__ import annotations

import re
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Digits, Input, Label, Static

from core.quarter import QuarterRef
from db.ballots import RoundState
from db.errors import StoreError
from tui.safety import SafeHandlers
from tui.screens.base import MeetingScreen
from tui.screens.forms import ConfirmDialog, FormDialog, NumbersDialog
from tui.widgets.qr import QRCode

if TYPE_CHECKING:
    from db.store import Store

POLL_SECONDS = 1.0
START_TIMEOUT = 5.0


def wifi_text(ssid: str, password: str) -> str:
    """What a phone's camera reads as "join this Wi-Fi": WPA with a password, open without one.
    The characters \\ ; , : " are escaped with a backslash (the format's rule)."""
    def esc(s: str) -> str:
        return re.sub(r'([\\;,:"])', r"\\\1", s)

    if password:
        return f"WIFI:T:WPA;S:{esc(ssid)};P:{esc(password)};;"
    return f"WIFI:T:nopass;S:{esc(ssid)};;"


def slips_path(db_path: object, quarter: QuarterRef, round: int) -> Path:
    """Where the slips go: a 测评码 folder beside the SQLite file (the user's home folder for a
    server database), a name of its own when one is there already."""
    from db.engine import database_url, is_url

    if is_url(db_path):  # type: ignore[arg-type]
        folder = Path.home() / "测评码"
    else:
        folder = Path(database_url(db_path).removeprefix("sqlite:///")).parent / "测评码"  # type: ignore[arg-type]
    stem = f"{quarter.label}-第{round}轮-测评码"
    path = folder / f"{stem}.pdf"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.pdf"
        n += 1
    return path


def voters_present(store: Store, quarter: QuarterRef) -> int:
    """The default number of codes: voting members present at the roll call who are graded
    (full members, not excused from the meeting, not exempt from the points)."""
    calls = store.roll_calls(quarter)
    return sum(1 for m in store.members()
               if not m.exempt and not m.meeting_exempt and m.status == "full"
               and (c := calls.get(m.id or 0)) is not None and c.present)


class PhonePanel(MeetingScreen):
    """The phone ballot panel for one round of the quarter shown."""

    MODE = "evaluation"
    TITLE_TEXT = "手机测评"
    DEFAULT_CSS = """
    PhonePanel #phone-body { height: 1fr; }
    PhonePanel #phone-info { width: 52; height: 1fr; padding: 0 1; }
    PhonePanel #phone-qr { width: 1fr; height: 1fr; }
    PhonePanel #phone-host { height: auto; width: auto; }
    PhonePanel #phone-count { margin-top: 1; }
    """
    BINDINGS = [
        Binding("s", "serve", "启动/停止服务"),
        Binding("a", "address", "换地址"),
        Binding("g", "codes", "生成测评码"),
        Binding("f", "full_qr", "全屏二维码"),
        Binding("w", "wifi", "Wi-Fi二维码"),
        Binding("c", "close_round", "结束本轮"),
        Binding("escape", "back", "返回"),
    ]
    WRITES = ("serve", "address", "codes", "close_round")

    def __init__(self, round: int = 1) -> None:
        super().__init__()
        self.round = round
        self.state: RoundState | None = None
        self.busy = ""  # what a worker is doing now (start, stop, codes, close): one at a time
        self.slips = ""  # the last slips written

    def body(self) -> ComposeResult:
        with Horizontal(id="phone-body"):
            with Vertical(id="phone-info"):
                yield Static(id="phone-round", classes="big")
                yield Static(id="phone-service", classes="banner")
                yield Static(markup=False, id="phone-addresses")
                yield Static(markup=False, id="phone-url", classes="big")
                yield Digits(id="phone-host")
                yield Static(id="phone-count", classes="big")
                yield Static(markup=False, id="phone-slips", classes="hint")
                yield Static(id="phone-hint", classes="hint")
            yield QRCode(id="phone-qr")

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self._poll)
        self._poll()

    # --- what is shown ------------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.japp.seat.read_only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A read-only console offers nothing that writes (its footer leaves those keys out)."""
        # F too: a read-only console has no address to show. A closed round leaves only Esc.
        if not self.is_mounted:
            return True
        if self.state is not None and self.state.closed and action != "back":
            return False
        return not ((action in self.WRITES or action == "full_qr") and self.read_only)

    def host(self) -> str:
        return self.japp.ballot_host_chosen()

    def url(self) -> str:
        from web.addresses import ballot_address

        server = self.japp.ballot_server
        if server is not None and server.running:
            return server.ballot_url(self.host())
        return ballot_address(self.host(), self.japp.ballot_port)

    def redraw(self) -> None:
        app = self.japp
        if not app.ready:
            return
        self.refresh_bindings()
        rounds = app.store.scheme(app.year).evaluation.rounds
        head = f"第{self.round}轮" if rounds > 1 else "本轮"
        self.query_one("#phone-round", Static).update(f"{head}民主测评 · 手机测评")
        service = self.query_one("#phone-service", Static)
        qr = self.query_one("#phone-qr", QRCode)
        addresses = self.query_one("#phone-addresses", Static)
        host_digits = self.query_one("#phone-host", Digits)
        closed = self.state is not None and self.state.closed
        # Without a QR (read-only, or the round closed) the words take the whole width.
        self.query_one("#phone-info").styles.width = "1fr" if self.read_only or closed else 52
        if self.read_only:
            service.update("本控制台只读：只有正在写入数据库的控制台可以提供手机测评服务")
            service.set_classes("banner warn")
            addresses.update("")
            self.query_one("#phone-url", Static).update("")
            host_digits.display = False
            qr.text = ""
            qr.display = False
            self.query_one("#phone-hint", Static).update(
                "请在写入数据库的控制台上生成测评码、启动服务、结束本轮。Esc 返回")
            self._show_count()
            return
        server = app.ballot_server
        running = server is not None and server.running
        doing = {"start": "正在启动…", "stop": "正在停止…", "codes": "正在生成测评码…", "close": "正在结束本轮…"}
        if self.busy in doing:
            service.update(f"服务：{doing[self.busy]}")
            service.set_classes("banner")
        elif closed and not running:
            service.update("本轮测评已结束，不再接收测评票；按 Esc 回评议页看结果")
            service.set_classes("banner")
        elif running and server is not None and (server.round, server.quarter) != (self.round, app.quarter):
            # R on the evaluation page switched rounds while the other round's server runs.
            service.update(f"服务：{server.quarter.label} 第{server.round}轮的测评服务中（按 S 停止）")
            service.set_classes("banner warn")
        elif running:
            service.update("服务：服务中（按 S 停止）")
            service.set_classes("banner ok")
        else:
            service.update("服务：未启动（按 S 启动）")
            service.set_classes("banner")
        chosen = self.host()
        port = server.port if running and server is not None else app.ballot_port
        listed = "　".join(f"[{a}]" if a == chosen else a for a in app.ballot_hosts())
        addresses.update("" if closed else f"本机地址（A 切换）：{listed}\n端口：{port}")
        url = self.url()
        self.query_one("#phone-url", Static).update("" if closed else f"手机浏览器打开：\n{url}")
        host_digits.display = not closed
        host_digits.update(f"{chosen}:{port}" if len(chosen) <= 15 else str(port))
        qr.display = not closed
        qr.text = "" if closed else url
        self.query_one("#phone-slips", Static).update(f"测评码纸条已保存到：\n{self.slips}" if self.slips else "")
        self.query_one("#phone-hint", Static).update(
            "Esc 返回" if closed else
            "G 生成测评码　S 启动/停止　A 换地址　F 全屏二维码　W Wi-Fi二维码　C 结束本轮　Esc 返回")
        self._show_count()

    def _show_count(self) -> None:
        st = self.state
        count = self.query_one("#phone-count", Static)
        if st is None:
            count.update("已提交 … ")
            return
        closed = "　本轮已结束" if st.closed else ""
        count.update(f"已提交 {st.spent} / {st.codes}{closed}\n"
                     f"[$text-muted]收回 {st.returned} 张 / 发出 {st.issued} 张（纸质票与测评码合计）[/]")

    # --- the live count, read in a thread --------------------------------------------------------

    def _poll(self) -> None:
        if self.japp.ready:
            self.run_worker(self._read_state, thread=True, exclusive=True, group="phone-count", exit_on_error=False)

    def _read_state(self) -> None:
        app = self.japp
        try:
            state = app.store.round_state(app.quarter, self.round)
        except StoreError:
            return
        self._from_thread(self._got_state, state)

    def _got_state(self, state: RoundState) -> None:
        if state != self.state:
            before = self.state
            self.state = state
            # Ballots came in: the pages behind redraw their counts when shown again.
            self.japp.version += 1
            self.drawn_at = self.japp.version
            self._show_count()
            if before is None or before.closed != state.closed:
                self.redraw()  # the address and QR go once the round is closed

    def _from_thread(self, fn: object, *args: object) -> None:
        """Hand a result to the UI thread; nothing when the app has ended meanwhile."""
        with suppress(RuntimeError):
            self.app.call_from_thread(fn, *args)  # type: ignore[arg-type]

    def _work(self, what: str, fn: object) -> bool:
        """Run `fn` in a thread worker unless another piece of work is under way."""
        if self.busy:
            self.notify("请稍候：上一项操作尚未完成", severity="warning")
            return False
        self.busy = what
        self.redraw()

        def run() -> None:
            try:
                fn()  # type: ignore[operator]
            except Exception as exc:  # never a traceback, and never stuck "busy"
                self._from_thread(self._done, "", f"操作没有完成：{exc.__class__.__name__}。请重试或联系管理员。")

        self.run_worker(run, thread=True, group="phone-work", exit_on_error=False)
        return True

    def _done(self, message: str = "", error: str = "") -> None:
        self.busy = ""
        if error:
            self.notify(error, title="未执行", severity="error", timeout=8, markup=False)
        elif message:
            self.notify(message, markup=False, timeout=8)
        self.japp.changed()  # redraws this panel (and the pages behind it later)
        self._poll()

    # --- keys ------------------------------------------------------------------------------------

    def _writer(self) -> bool:
        if self.read_only:
            self.notify("本控制台只读：只有正在写入数据库的控制台可以提供手机测评服务", severity="warning")
            return False
        return True

    def action_serve(self) -> None:
        """S: start the server on the chosen address, or stop it."""
        if not self._writer():
            return
        app = self.japp
        server = app.ballot_server
        if server is not None and server.running:
            self._work("stop", lambda: self._stop(server))
            return
        from web.server import BallotServer, ready_refusal

        refusal = ready_refusal(app.store, app.quarter, self.round)
        if refusal:
            self.notify(refusal, title="未启动", severity="error", timeout=8, markup=False)
            return
        new = BallotServer(app.store, app.quarter, self.round, host=self.host(), port=app.ballot_port)
        self._work("start", lambda: self._start(new))

    def _start(self, server: object) -> None:
        from web.server import BallotServer

        assert isinstance(server, BallotServer)
        try:
            server.start(START_TIMEOUT)
        except StoreError as exc:
            self._from_thread(self._done, "", str(exc))
            return
        except OSError as exc:
            self._from_thread(self._done, "", f"测评服务未能启动：{exc.strerror or exc}")
            return
        if not self.app.is_running:  # the console quit meanwhile: it stopped no server of this one
            server.stop()
            return
        self.japp.ballot_server = server
        self._from_thread(self._done, f"测评服务已启动：{server.ballot_url(self.host())}")

    def _stop(self, server: object) -> None:
        from web.server import BallotServer

        assert isinstance(server, BallotServer)
        server.stop()
        self._from_thread(self._done, "测评服务已停止")

    def action_address(self) -> None:
        """A: the next of this laptop's addresses (the server binds to it: stop it first)."""
        if not self._writer():
            return
        app = self.japp
        if app.ballot_server is not None and app.ballot_server.running:
            self.notify("服务运行中：请先按 S 停止服务，再切换地址", severity="warning")
            return
        app.next_ballot_host()
        self.redraw()

    def action_codes(self) -> None:
        """G: ask how many, issue the codes and write the slips in a worker."""
        if not self._writer() or not self.editable():
            return
        app = self.japp
        default = voters_present(app.store, app.quarter)

        def entered(values: list[int] | None) -> None:
            if values is None:
                return
            if values[0] < 1:
                self.notify("测评码张数至少为1", severity="warning")
                return
            self._work("codes", lambda: self._issue(values[0]))

        app.push_screen(NumbersDialog("生成测评码", ["张数"], [default],
                                      note="默认：签到实到、参加测评的有表决权党员人数；每人发一张"), entered)

    def _issue(self, count: int) -> None:
        from exports.code_slips import write_code_slips
        from web.addresses import ballot_address, code_address

        app = self.japp
        host = self.host()
        server = app.ballot_server
        port = server.port if server is not None and server.running else app.ballot_port
        try:
            out = slips_path(app.db_path, app.quarter, self.round)
            out.parent.mkdir(parents=True, exist_ok=True)
            codes = app.store.issue_codes(app.quarter, count, self.round)
        except StoreError as exc:
            self._from_thread(self._done, "", str(exc))
            return
        except OSError as exc:
            self._from_thread(self._done, "", f"无法创建测评码文件夹：{exc.strerror or exc}")
            return
        rounds = app.store.scheme(app.year).evaluation.rounds
        title = f"{app.quarter.name}民主测评" + (f"（第{self.round}轮）" if rounds > 1 else "")
        try:
            write_code_slips(out, [(c, code_address(host, port, c)) for c in codes], title=title,
                             address=ballot_address(host, port))
        except OSError as exc:
            # The codes are issued (and count as issued): say so, so that they are not issued twice.
            self._from_thread(self._done, "", f"已生成{count}个测评码，但测评码文件未能保存（{exc.strerror or exc}）："
                                              "请检查磁盘后结束本轮重新测评，或改用纸质票")
            return
        self.slips = str(out)
        self._from_thread(self._done, f"已生成{count}个测评码，已保存到 {out}")

    def action_full_qr(self) -> None:
        if self.read_only:
            self.notify("本控制台只读：没有测评地址可显示", severity="warning")
            return
        if self.state is not None and self.state.closed:
            self.notify("本轮测评已结束，不再接收测评票", severity="warning")
            return
        url = self.url()
        self.app.push_screen(QRFullScreen(url, f"手机扫码或在浏览器打开 {url}"))

    def action_wifi(self) -> None:
        def entered(text: str | None) -> None:
            if text:
                self.app.push_screen(QRFullScreen(text, "手机扫码连接 Wi-Fi，再扫测评二维码"))

        self.app.push_screen(WifiDialog(), entered)

    def action_close_round(self) -> None:
        """C: end the round (Y/N); the server stops first, then no ballot, paper or phone, is taken."""
        if not self._writer() or not self.editable():
            return
        st = self.state
        detail = f"已提交 {st.spent} / {st.codes}，收回 {st.returned} 张。" if st else ""

        def answered(yes: bool | None) -> None:
            if yes:
                self._work("close", self._close)

        self.app.push_screen(ConfirmDialog("结束本轮测评？结束后不再接收手机和纸质测评票，并显示结果。",
                                           detail + "未提交的测评码作废。"), answered)

    def _close(self) -> None:
        app = self.japp
        server = app.ballot_server
        # Only this round's service: another round's (R switched rounds while it serves) goes on.
        if server is not None and (server.quarter, server.round) == (app.quarter, self.round):
            server.stop()
            app.ballot_server = None
        try:
            state = app.store.close_round(app.quarter, self.round)
        except StoreError as exc:
            self._from_thread(self._done, "", str(exc))
            return
        self._from_thread(self._done, f"本轮测评已结束：收回 {state.returned} 张（其中手机 {state.spent} 张）")

    def action_back(self) -> None:
        self.app.pop_screen()


class QRFullScreen(SafeHandlers, ModalScreen[None]):
    """A QR code over the whole screen, for the back row: Esc or F returns."""

    DEFAULT_CSS = """
    QRFullScreen { background: #ffffff; align: center middle; }
    QRFullScreen QRCode { width: 100%; height: 1fr; background: #ffffff; }
    QRFullScreen #qr-caption { width: 100%; height: 1; color: #000000; background: #ffffff; text-align: center; }
    """
    BINDINGS = [Binding("escape,f", "close", "返回")]

    def __init__(self, text: str, caption: str) -> None:
        super().__init__()
        self.text = text
        self.caption = caption

    def compose(self) -> ComposeResult:
        yield QRCode(self.text, id="qr-full")
        yield Static(self.caption, markup=False, id="qr-caption")

    def action_close(self) -> None:
        self.dismiss(None)


class WifiDialog(FormDialog, ModalScreen[str | None]):
    """The hotspot's name and password, for a Wi-Fi QR code (nothing is stored)."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def compose(self) -> ComposeResult:
        from textual.containers import Grid

        with Vertical(classes="dialog"):
            yield Label("Wi-Fi 二维码：让党员的手机连上本机热点", classes="dialog-title")
            with Grid(classes="form"):
                yield Label("网络名称")
                yield Input(id="ssid", placeholder="热点名称（SSID）")
                yield Label("密码")
                yield Input(id="password", placeholder="WPA 密码；开放网络留空", password=True)
            yield Static("回车到下一项，最后一项回车显示二维码，Esc 取消", classes="hint")
            yield Static("", markup=False, id="form-error", classes="error")

    def submit(self, inputs: list[Input]) -> None:
        ssid = self.query_one("#ssid", Input).value
        password = self.query_one("#password", Input).value
        if not ssid.strip():
            self.query_one("#form-error", Static).update("请填写网络名称")
            self.query_one("#ssid", Input).focus()
            return
        if password and not 8 <= len(password) <= 63:
            self.query_one("#form-error", Static).update("WPA 密码应为8至63个字符；开放网络请留空")
            self.query_one("#password", Input).focus()
            return
        self.dismiss(wifi_text(ssid, password))

    def action_cancel(self) -> None:
        self.dismiss(None)
