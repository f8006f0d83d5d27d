"""The 手机测评 panel driven at the keyboard (Textual Pilot) on a real SQLite file: codes and
their slips PDF (read back), a real ballot server on 127.0.0.1 and a real HTTP POST of a ballot,
the projector's count, the evaluation page sealed until the round is closed, the read-only
console's refusal. The QR codes drawn in the terminal are painted into an image cell by cell
and decoded with zbarimg."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from PIL import Image
from rich.color import Color
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import DataTable

from core.quarter import QuarterRef
from db.ballots import CODE_ALPHABET
from db.demo import build_demo
from db.engine import database_url, open_engine
from db.store import MeetingFacts, Store
from db.writer import WriterLock
from tests.tui.test_console import shown, snapshot, until
from tui.app import JifenApp
from tui.screens.evaluation_phone import PhonePanel, QRFullScreen, slips_path, wifi_text
from tui.widgets.qr import QRCode, fit

Q4 = QuarterRef(2026, 4)
SIZE = (100, 30)
SHOWN_CODE = re.compile(f"[{CODE_ALPHABET}]{{5}}-[{CODE_ALPHABET}]{{5}}")


def meeting_with_roll_call(path: Path) -> int:
    """The demo with 2026Q4's meeting opened and everyone called present but the last member;
    returns how many voting members who are graded are present (the panel's default count)."""
    build_demo(path)
    engine = open_engine(path)
    store = Store(engine)
    store.open_meeting(Q4, MeetingFacts(datetime(2026, 12, 25, 14, 30), "党员活动室", "王建国", "刘丽娟"))
    called = [m for m in store.members() if not m.meeting_exempt]
    for m in called[:-1]:
        store.roll_call(Q4, m.id, True)
    store.roll_call(Q4, called[-1].id, False, "病假", "")
    voters = sum(1 for m in called[:-1] if m.status == "full" and not m.exempt)
    engine.dispose()
    return voters


@pytest.fixture
def meeting(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "demo.db"
    return path, meeting_with_roll_call(path)


@asynccontextmanager
async def console(path: Path, size: tuple[int, int] = SIZE) -> AsyncIterator[tuple[JifenApp, Pilot]]:
    app = JifenApp(db_path=path, ballot_host="127.0.0.1", ballot_port=0)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        yield app, pilot
    assert app.ballot_server is None  # stopped with the console
    assert app.failures == [], f"the console met exceptions: {app.failures!r}"


# --- the terminal QR, painted and decoded ---------------------------------------------------------

CELL_W, CELL_H = 4, 8  # pixels per terminal cell: twice as high as wide, as on a terminal


def rgb(color: Color | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if color is None:
        return default
    t = color.get_truecolor()
    return (t.red, t.green, t.blue)


def painted(widget: QRCode) -> Image.Image:
    """The widget's cells as drawn: each cell's top and bottom halves in the colours its
    character gives them (▀ ▄ █ and space), on a white margin."""
    w, h = widget.size.width, widget.size.height
    margin = 4 * CELL_W
    img = Image.new("RGB", (w * CELL_W + 2 * margin, h * CELL_H + 2 * margin), "white")
    for y, strip in enumerate(widget.render_lines(Region(0, 0, w, h))):
        x = 0
        for seg in strip:
            style = seg.style
            fg = rgb(style.color if style else None, (0, 0, 0))
            bg = rgb(style.bgcolor if style else None, (255, 255, 255))
            for ch in seg.text:
                top, bottom = {"▀": (fg, bg), "▄": (bg, fg), "█": (fg, fg)}.get(ch, (bg, bg))
                left, up = margin + x * CELL_W, margin + y * CELL_H
                img.paste(top, (left, up, left + CELL_W, up + CELL_H // 2))
                img.paste(bottom, (left, up + CELL_H // 2, left + CELL_W, up + CELL_H))
                x += 1
    return img


def decoded(widget: QRCode, tmp_path: Path) -> str:
    png = tmp_path / f"qr-{widget.id}.png"
    painted(widget).save(png)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, f"zbarimg found no QR code in {png}"
    return out.stdout.strip()


def test_scale_is_the_largest_that_fits() -> None:
    # 25 modules and a quiet zone of 2 on each side: 29 at scale 1 (29 columns, 15 rows).
    assert fit(25, 29, 15) == (1, 2)
    assert fit(25, 28, 15) == (0, 2)
    assert fit(25, 58, 29) == (2, 2)
    assert fit(25, 66, 33) == (2, 4)  # room for the wider quiet zone at the same scale
    assert fit(25, 200, 50) == (3, 4)


def test_wifi_text_escapes_the_special_characters() -> None:
    assert wifi_text("会议室", "12345678") == "WIFI:T:WPA;S:会议室;P:12345678;;"
    assert wifi_text('a;b,c:d"e\\f', "p;w") == 'WIFI:T:WPA;S:a\\;b\\,c\\:d\\"e\\\\f;P:p\\;w;;'
    assert wifi_text("open", "") == "WIFI:T:nopass;S:open;;"


def test_slips_go_beside_the_database_under_a_new_name(tmp_path: Path) -> None:
    db = tmp_path / "branch.db"
    first = slips_path(db, Q4, 1)
    assert first == tmp_path / "测评码" / "2026Q4-第1轮-测评码.pdf"
    first.parent.mkdir()
    first.write_bytes(b"")
    assert slips_path(db, Q4, 1) == tmp_path / "测评码" / "2026Q4-第1轮-测评码-2.pdf"
    assert slips_path("postgresql://u@localhost/jifen", Q4, 2) == Path.home() / "测评码" / "2026Q4-第2轮-测评码.pdf"


# --- the panel ---------------------------------------------------------------------------------


def toasts(app: JifenApp) -> str:
    return "\n".join(str(t.render()) for t in app.screen.query("Toast"))


def codes_in(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return SHOWN_CODE.findall(text)


@pytest.mark.asyncio
async def test_codes_server_phone_ballot_count_and_close(meeting: tuple[Path, int], tmp_path: Path) -> None:
    path, voters = meeting
    async with console(path) as (app, pilot):
        await pilot.press("f4", "p")
        panel = app.screen
        assert isinstance(panel, PhonePanel)
        assert "未启动" in shown(app, "#phone-service")
        assert "http://127.0.0.1:0/" in shown(app, "#phone-url")

        # A: the next of this laptop's addresses, round and back to 127.0.0.1.
        hosts = app.ballot_hosts()
        assert "127.0.0.1" in hosts
        for _ in hosts:
            await pilot.press("a")
            assert f"http://{app.ballot_host}:0/" in shown(app, "#phone-url")
        assert app.ballot_host == "127.0.0.1"

        # The server refuses to start before any code is out.
        await pilot.press("s")
        assert app.ballot_server is None

        # G: the count asked, the default being the voting members present; the slips written.
        await pilot.press("g")
        await until(pilot, lambda: type(app.screen).__name__ == "NumbersDialog")
        assert app.screen.query_one("#n0").value == str(voters)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: bool(panel.slips) and not panel.busy, timeout=20)
        pdf = Path(panel.slips)
        assert pdf == path.parent / "测评码" / "2026Q4-第1轮-测评码.pdf"
        codes = codes_in(pdf)
        assert len(codes) == len(set(codes)) == voters
        # The panel redraws on the message the worker's end posts: wait for it (under load it comes later).
        await until(pilot, lambda: str(pdf) in shown(app, "#phone-slips"))
        await until(pilot, lambda: f"已提交 0 / {voters}" in shown(app, "#phone-count"))

        # S: a real server on 127.0.0.1, its port shown and drawn as the QR code.
        await pilot.press("s")
        await until(pilot, lambda: app.ballot_server is not None and not panel.busy, timeout=10)
        server = app.ballot_server
        assert server is not None and server.running and server.port > 0
        url = f"http://127.0.0.1:{server.port}/"
        assert "服务中" in shown(app, "#phone-service")
        assert url in shown(app, "#phone-url")
        await pilot.pause()
        assert decoded(app.screen.query_one("#phone-qr", QRCode), tmp_path) == url

        # F: the same address over the whole screen, larger.
        await pilot.press("f")
        assert isinstance(app.screen, QRFullScreen)
        await pilot.pause()
        full = app.screen.query_one(QRCode)
        assert full.scale >= 2
        assert decoded(full, tmp_path) == url
        await pilot.press("escape")
        assert app.screen is panel

        # A phone submits a ballot with a code from the slips.
        store = Store(open_engine(path))
        first = store.ballot_form(Q4).members[0]
        async with httpx.AsyncClient(timeout=10) as client:
            got = await client.post(url + "api/ballot", json={"code": codes[0], "marks": {str(first[0]): "合格"}})
            assert got.status_code == 200, got.text
        await until(pilot, lambda: f"已提交 1 / {voters}" in shown(app, "#phone-count"), timeout=5)

        # The evaluation page: sealed, only how many came in.
        await pilot.press("escape")
        assert type(app.screen).__name__ == "EvaluationScreen"
        progress = shown(app, "#progress")
        assert "手机测评进行中，结束本轮后显示结果" in progress and "有效" not in progress
        assert f"已收回 1 张（手机 1 / {voters}）" in progress
        assert not app.screen.query_one("#results", DataTable).display

        # C + Y: the server stops, the round is closed, the results appear.
        await pilot.press("p")
        panel = app.screen
        assert isinstance(panel, PhonePanel)
        await pilot.press("c")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        await pilot.press("y")
        await until(pilot, lambda: app.ballot_server is None and not panel.busy, timeout=10)
        assert not server.running
        await until(pilot, lambda: "本轮已结束" in shown(app, "#phone-count"))
        await until(pilot, lambda: not panel.query_one("#phone-qr", QRCode).display)  # no address to scan now
        assert "本轮测评已结束" in shown(app, "#phone-service")
        assert store.round_state(Q4).closed
        assert store.code_status(Q4, codes[1]) == "closed"
        await pilot.press("escape")
        await pilot.pause()
        assert "本轮测评已结束" in shown(app, "#progress")
        results = app.screen.query_one("#results", DataTable)
        assert results.display
        row = [str(c) for c in results.get_row(str(first[0]))]
        assert row[1] == first[1] and row[2:] == ["0", "1", "0", "0"]  # 优秀 合格 基本合格 不合格

        # Paper ballots are no longer taken.
        before = store.ballot_summary(Q4)["returned"]
        await pilot.press("2", "s")
        assert store.ballot_summary(Q4)["returned"] == before == 1


@pytest.mark.asyncio
async def test_wifi_qr_decodes_to_the_hotspot(meeting: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = meeting
    async with console(path, size=(200, 50)) as (app, pilot):
        await pilot.press("f4", "p", "w")
        await until(pilot, lambda: type(app.screen).__name__ == "WifiDialog")
        await pilot.press(*"会议室;2F", "enter", *'pass,word:"1', "enter")
        assert isinstance(app.screen, QRFullScreen)
        await pilot.pause()
        assert decoded(app.screen.query_one(QRCode), tmp_path) == 'WIFI:T:WPA;S:会议室\\;2F;P:pass\\,word\\:\\"1;;'
        await pilot.press("escape")
        assert isinstance(app.screen, PhonePanel)


@pytest.mark.asyncio
async def test_the_panel_at_the_wide_size_draws_a_larger_qr(meeting: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = meeting
    async with console(path, size=(200, 50)) as (app, pilot):
        await pilot.press("f4", "p")
        await pilot.pause()
        qr = app.screen.query_one("#phone-qr", QRCode)
        assert qr.scale >= 2
        assert decoded(qr, tmp_path) == "http://127.0.0.1:0/"


@pytest.mark.asyncio
async def test_a_read_only_console_refuses_to_serve(meeting: tuple[Path, int]) -> None:
    path, _ = meeting
    holder = WriterLock(database_url(path))  # another console holds the database
    assert holder.try_acquire()
    try:
        before = snapshot(path)
        async with console(path) as (app, pilot):
            assert app.seat.read_only
            await pilot.press("f4", "p")
            assert isinstance(app.screen, PhonePanel)
            await pilot.pause()
            assert "只有正在写入数据库的控制台可以提供手机测评服务" in shown(app, "#phone-service")
            assert not app.screen.query_one("#phone-qr", QRCode).display
            footer = " ".join(b.binding.description for b in app.screen.active_bindings.values() if b.binding.show)
            assert "生成测评码" not in footer and "结束本轮" not in footer and "启动" not in footer
            await pilot.press("g", "s", "c", "y", "a")
            await pilot.pause()
            assert app.ballot_server is None
            assert isinstance(app.screen, PhonePanel)
        assert snapshot(path) == before
        assert not (path.parent / "测评码").exists()
    finally:
        holder.release()



@pytest.mark.asyncio
async def test_a_port_taken_is_a_chinese_refusal(meeting: tuple[Path, int]) -> None:
    path, voters = meeting
    engine = open_engine(path)
    Store(engine).issue_codes(Q4, voters)
    engine.dispose()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        app = JifenApp(db_path=path, ballot_host="127.0.0.1", ballot_port=taken.getsockname()[1])
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.press("f4", "p", "s")
            panel = app.screen
            assert isinstance(panel, PhonePanel)
            await until(pilot, lambda: "已被占用" in toasts(app), timeout=10)  # as the projector shows it
            assert not panel.busy
            assert app.ballot_server is None
            assert "未启动" in shown(app, "#phone-service")
        assert app.failures == []


@pytest.mark.asyncio
async def test_closing_another_round_leaves_the_served_round_serving(tmp_path: Path) -> None:
    """The Q4 meeting of a half-yearly scheme opens on round 2: round 2 served, R to round 1, P,
    C, Y: round 1 closes and round 2's phones go on (closing one round stopped the other's service)."""
    from core.schemes import builtin_text

    path = tmp_path / "two-rounds.db"
    store = Store(open_engine(path), "书记")
    store.init_branch("第一党支部", "linyi-geopark-2021", builtin_text("linyi-geopark-2021"), 2026)
    store.add_members([dict(name=f"党员{i:02d}", status="full") for i in range(6)])
    store.open_meeting(Q4, MeetingFacts(datetime(2026, 12, 25, 14, 30), "活动室", "甲", "乙"))
    store.roll_call_rest(Q4)
    store.issue_codes(Q4, 3, 1)
    second = store.issue_codes(Q4, 3, 2)
    member = store.ballot_form(Q4).members[0][0]
    store.engine.dispose()
    async with console(path) as (app, pilot):
        await pilot.press("f4", "p", "s")
        await until(pilot, lambda: app.ballot_server is not None and not app.screen.busy, timeout=10)  # type: ignore[attr-defined]
        server = app.ballot_server
        assert server is not None and server.round == 2
        await pilot.press("escape", "r", "p")
        panel = app.screen
        assert isinstance(panel, PhonePanel) and panel.round == 1
        await pilot.press("c")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        await pilot.press("y")
        await until(pilot, lambda: panel.state is not None and panel.state.closed and not panel.busy, timeout=10)
        assert app.ballot_server is server and server.running
        r = httpx.post(f"http://127.0.0.1:{server.port}/api/ballot",
                       json={"code": second[0], "marks": {str(member): "合格"}})
        assert r.status_code == 200
    check = Store(open_engine(path))
    assert check.round_state(Q4, 1).closed and check.round_state(Q4, 2).returned == 1
    assert not check.round_state(Q4, 2).closed


@pytest.mark.asyncio
async def test_quitting_with_a_ballot_half_sent_ends_cleanly(meeting: tuple[Path, int], tmp_path: Path) -> None:
    """A phone still sending its ballot when the console quits: the console ends (the server
    stops within its grace period), nothing half-stored, and a ballot answered 200 just before
    is kept."""
    path, _ = meeting
    store = Store(open_engine(path))
    codes = store.issue_codes(Q4, 3)
    member = store.ballot_form(Q4).members[0][0]
    store.engine.dispose()
    async with console(path) as (app, pilot):
        await pilot.press("f4", "p", "s")
        await until(pilot, lambda: app.ballot_server is not None and not app.screen.busy, timeout=10)  # type: ignore[attr-defined]
        server = app.ballot_server
        assert server is not None
        r = httpx.post(f"http://127.0.0.1:{server.port}/api/ballot",
                       json={"code": codes[0], "marks": {str(member): "合格"}})
        assert r.status_code == 200
        body = ('{"code": "%s", "marks": {"%d": "优秀"}}' % (codes[1], member)).encode()  # noqa: UP031
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.sendall(b"POST /api/ballot HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        await pilot.pause(0.2)
    slow.close()
    check = Store(open_engine(path))
    state = check.round_state(Q4)
    assert (state.returned, state.spent) == (1, 1) and check.code_status(Q4, codes[1]) == "ok"
    assert check.verify() == []
