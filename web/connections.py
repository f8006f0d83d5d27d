"""Connections the ballot server will hold: a phone in the room must not be able to take the
service from the others by opening connections and sending nothing (slowloris).

uvicorn keeps a connection whose request never completes open for ever, and the server shares
the console's process and its file limit: a thousand half-open connections from one phone
stopped every other phone and left the console without file handles (found by
tests/web/test_hostile_clients.py). So each address may hold PER_ADDRESS connections, the
server at most total_limit(), further ones are closed at once; and a request must arrive whole
(headers and body) within REQUEST_DEADLINE seconds or its connection is closed. A request
already answered by the app (a ballot waiting for its commit) is never cut."""

from __future__ import annotations

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

# A phone's browser opens at most six to one host; the rest is room for phones behind one NAT
# (a guest Wi-Fi routed to the laptop's network), whose connections are short-lived.
PER_ADDRESS = 32
REQUEST_DEADLINE = 20.0
LOOPBACK = ("127.0.0.1", "::1")  # the laptop itself (the secretary's scripts, tests): no per-address cap


def total_limit() -> int:
    """A quarter of the process's file limit (the console needs the rest), within 64..1024."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1024
    return max(64, min(1024, soft // 4))


def bounded_protocol(per_address: int = PER_ADDRESS, total: int | None = None,
                     deadline: float = REQUEST_DEADLINE) -> type[H11Protocol]:
    """An h11 protocol class with its own counts (one per server)."""
    most = total_limit() if total is None else total
    open_by_address: dict[str, int] = {}

    class Bounded(H11Protocol):
        _address: str | None = None  # counted; None when refused at once
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            peer = transport.get_extra_info("peername")
            address = str(peer[0]) if peer else ""
            held = open_by_address.get(address, 0)
            if sum(open_by_address.values()) >= most or (address not in LOOPBACK and held >= per_address):
                transport.abort()  # frees the file handle now; connection_lost follows
                return
            open_by_address[address] = held + 1
            self._address = address
            super().connection_made(transport)
            self._start_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._address is None:
                return
            left = open_by_address.get(self._address, 1) - 1
            if left > 0:
                open_by_address[self._address] = left
            else:
                open_by_address.pop(self._address, None)
            self._address = None
            self._stop_deadline()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._deadline is None:  # the first bytes of the next request on a kept connection
                self._start_deadline()
            super().data_received(data)

        def on_response_complete(self) -> None:
            self._stop_deadline()
            super().on_response_complete()

        def _start_deadline(self) -> None:
            self._deadline = self.loop.call_later(deadline, self._too_slow)

        def _stop_deadline(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            cycle: Any = self.cycle
            if cycle is not None and not cycle.more_body and not cycle.response_complete:
                return  # the whole request is in: the app answers it, however long the commit takes
            if not self.transport.is_closing():
                self.transport.close()

    return Bounded
