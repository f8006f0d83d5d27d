"""`jifen evaluation serve`: the phone ballot server without the console, until Ctrl+C or SIGTERM.

It holds the writer lock like any writing command (the server writes ballots), prints the
addresses to open and a QR code of the first, then the count of ballots in as it changes."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any


def _say(line: str) -> None:
    print(line, flush=True)


def _qr_lines(url: str) -> str:
    """A QR code of the address drawn with half blocks (two modules a character cell)."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def cmd_serve(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from tui.cli import _err, _parse_quarter, _store
    from web.addresses import ballot_address, local_addresses
    from web.server import BallotServer

    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: stop.set())
    server: BallotServer | None = None
    try:
        quarter = _parse_quarter(args.quarter)
        store = _store(args, write=True)
        server = BallotServer(store, quarter, args.round, args.host, args.port)
        server.start()  # checks ready_refusal first
        hosts = local_addresses() if args.host in ("0.0.0.0", "") else [args.host]
        _say(f"手机测评服务已启动：{quarter.name}第{args.round}轮。请手机连接本机所在的网络后打开：")
        for host in hosts:
            _say(f"  {ballot_address(host, server.port)}")
        _say(_qr_lines(ballot_address(hosts[0], server.port)))
        _say("按 Ctrl+C 停止服务；全部提交后停止服务，再用 jifen evaluation close 结束本轮。")
        shown = ""
        while not stop.is_set():
            state = store.round_state(quarter, args.round)
            line = f"已提交 {state.returned} / {state.issued}"
            if line != shown:
                _say(line)
                shown = line
            if state.closed:
                _say("本轮测评已结束，停止服务")
                break
            if not server.running:
                raise StoreError("测评服务意外停止")
            stop.wait(1.0)
        _say("正在停止测评服务…")
        server.stop()
        _say("测评服务已停止")
        return 0
    except StoreError as exc:
        for line in str(exc).splitlines():
            _err(line)
        return 1
    finally:
        if server is not None:
            server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.stdout.flush()
