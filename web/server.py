"""The ballot server: uvicorn in a daemon thread, on a socket bound here first so that a port
already taken is a Chinese refusal at start(), not a log line in a thread.

No access log (it would tie a phone's address to the moment its ballot came in), no log file,
and nothing from uvicorn on the terminal (see _quiet_uvicorn)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from core.quarter import QuarterRef, QuarterState
from db.errors import StoreError
from web.addresses import ballot_address, local_addresses


def ready_refusal(store: Any, quarter: QuarterRef, round: int = 1) -> str:
    """Why this round cannot be served now ("" when it can): the store read-only, the quarter not
    in its meeting, the round closed or not in the scheme, no codes issued yet."""
    if getattr(store, "read_only", ""):  # another console writes: ballots could not be stored here
        return str(store.read_only)
    try:
        q = store.quarter(quarter)
        if q.state != QuarterState.MEETING:
            if q.state == QuarterState.LOCKED:
                return f"{quarter.name}已锁定，不能再进行民主测评"
            return f"{quarter.name}的党员大会还没有开始，请先开始会议"
        rounds = store.scheme(quarter.year).evaluation.rounds
        if not 1 <= round <= rounds:
            return f"本方案每年民主评议{rounds}轮，没有第{round}轮"
        state = store.round_state(quarter, round)
    except StoreError as exc:
        return str(exc)
    if state.closed:
        return f"第{round}轮测评已结束，不能再提交测评票"
    if state.codes == 0:
        return "尚未生成测评码：请先用 jifen evaluation codes 生成并分发测评码"
    return ""


def _quiet_uvicorn() -> None:
    """uvicorn says "Invalid HTTP request received." and more (in English, with pip advice) for
    every malformed request or upgrade header: any phone could fill the secretary's terminal.
    A start that fails is reported by start() in Chinese, so its loggers go nowhere."""
    logger = logging.getLogger("uvicorn")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


class BallotServer:
    """One round's ballot server. start() returns once the socket is bound and uvicorn serves;
    stop() returns once its thread has ended."""

    def __init__(self, store: Any, quarter: QuarterRef, round: int = 1, host: str = "0.0.0.0",
                 port: int = 8765, request_deadline: float | None = None) -> None:
        self.store, self.quarter, self.round = store, quarter, round
        self.request_deadline = request_deadline  # None: web.connections.REQUEST_DEADLINE
        self.host, self.port = host, port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ballot_url(self, host: str | None = None) -> str:
        """The page's address for phones: the host given, the bound one, or this laptop's first."""
        shown = host or (self.host if self.host not in ("0.0.0.0", "") else local_addresses()[0])
        return ballot_address(shown, self.port)

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
        except socket.gaierror:  # before OSError, its base
            sock.close()
            # e.g. an IPv6 address (::1): phones on a meeting room's Wi-Fi are reached over IPv4
            raise StoreError(f"“{self.host}”不是本机的 IPv4 地址，请从本机地址中选择（如 192.168.1.5）") from None
        except OSError as exc:
            sock.close()
            if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                raise StoreError(f"端口 {self.port} 已被占用，请换一个端口（--port）或关闭占用它的程序") from None
            if exc.errno in (99, 49, 10049):  # EADDRNOTAVAIL
                raise StoreError(f"本机没有地址 {self.host}，请从本机地址中选择") from None
            if exc.errno == 13:
                raise StoreError(f"没有权限使用端口 {self.port}，请换一个大于1024的端口") from None
            raise StoreError(f"无法在 {self.host}:{self.port} 启动测评服务：{exc.strerror or exc}") from None
        except OverflowError as exc:
            sock.close()
            raise StoreError(f"无法在 {self.host}:{self.port} 启动测评服务：{exc}") from None
        sock.setblocking(False)
        return sock

    def _protocol(self) -> type:
        from web.connections import REQUEST_DEADLINE, bounded_protocol

        return bounded_protocol(deadline=self.request_deadline or REQUEST_DEADLINE)

    def start(self, timeout: float = 5.0) -> None:
        import uvicorn

        from web.app import make_app

        if self.running:
            return
        reason = ready_refusal(self.store, self.quarter, self.round)
        if reason:
            raise StoreError(reason)
        sock = self._bind()
        self.port = int(sock.getsockname()[1])
        _quiet_uvicorn()
        config = uvicorn.Config(make_app(self.store, self.quarter, self.round), log_config=None,
                                access_log=False, log_level="warning", loop="asyncio",
                                lifespan="off", server_header=False, date_header=False,
                                # the client's own address only: a forwarded-for header is anyone's say
                                proxy_headers=False, http=self._protocol(),
                                timeout_graceful_shutdown=3)
        server = uvicorn.Server(config)
        self._server, self._socket = server, sock
        self._thread = threading.Thread(target=lambda: server.run(sockets=[sock]), name="jifen-ballot-server",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise StoreError("测评服务未能启动，请稍后重试")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
