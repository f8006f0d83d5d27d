"""A phone in the room that attacks the service, against a real server on 127.0.0.1: half-open
connections (slowloris), forged forwarded-for headers. Other phones' addresses are 127.0.0.x
source addresses (the whole of 127/8 is loopback on Linux)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.web.conftest import Meeting, Q
from web.connections import PER_ADDRESS
from web.server import BallotServer

ATTACKER = "127.0.0.9"


def api(server: BallotServer) -> str:
    return server.ballot_url() + "api/ballot"


@pytest.fixture
def quick_server(meeting: Meeting) -> Iterator[BallotServer]:
    """A server that cuts an incomplete request after one second (the default is 20)."""
    srv = BallotServer(meeting.store, Q, host="127.0.0.1", port=0, request_deadline=1.0)
    srv.start()
    yield srv
    srv.stop()


def half_open(server: BallotServer, source: str, n: int) -> list[socket.socket]:
    """n connections from `source`, each with a request's first line and never its end."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5, source_address=(source, 0))
        s.sendall(b"GET /api/ballot?code=x HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    return socks


def still_open(socks: list[socket.socket], wait: float = 0.5) -> int:
    """How many the server has not closed within `wait` seconds: a closed one reads EOF (or a reset)."""
    n = 0
    for s in socks:
        s.settimeout(wait)
        try:
            n += s.recv(1) != b""
        except TimeoutError:
            n += 1
        except OSError:
            pass
    return n


def test_half_open_connections_from_one_phone_do_not_take_the_service(meeting, quick_server):
    socks = half_open(quick_server, ATTACKER, 200)
    try:
        phone = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        r = phone.get(api(quick_server), params={"code": meeting.codes[0]})
        assert r.status_code == 200 and r.json()["members"]
        r = phone.post(api(quick_server), json={"code": meeting.codes[0], "marks": {str(meeting.ids[0]): "合格"}})
        assert r.status_code == 200
        # The server held only PER_ADDRESS of them, and cuts those at the deadline.
        assert still_open(socks, wait=15) == 0
        assert meeting.store.round_state(Q).returned == 1
    finally:
        for s in socks:
            s.close()


def test_the_attacker_gets_no_more_than_its_share(meeting, server):
    socks = half_open(server, ATTACKER, PER_ADDRESS + 30)
    try:
        assert still_open(socks) == PER_ADDRESS  # the rest were closed at once; these wait for their deadline
    finally:
        for s in socks:
            s.close()


def test_a_slow_body_is_cut_and_stores_nothing(meeting, quick_server):
    s = socket.create_connection(("127.0.0.1", quick_server.port), timeout=5, source_address=(ATTACKER, 0))
    body = json.dumps({"code": meeting.codes[1], "marks": {}}).encode()
    s.sendall(b"POST /api/ballot HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
    assert still_open([s], wait=15) == 0  # closed at the deadline without an answer
    s.close()
    assert meeting.store.round_state(Q).returned == 0
    assert meeting.store.code_status(Q, meeting.codes[1]) == "ok"


def test_forwarded_for_is_not_trusted_by_the_guard(meeting, server):
    for i in range(10):
        r = httpx.get(api(server), params={"code": "ZZZZZ-ZZZZ" + "23456789AB"[i]},
                      headers={"x-forwarded-for": f"10.0.0.{i}", "forwarded": f"for=10.0.1.{i}"})
        assert r.status_code == 403
    r = httpx.get(api(server), params={"code": meeting.codes[0]}, headers={"x-forwarded-for": "10.9.9.9"})
    assert r.status_code == 429


def test_the_guard_stays_small_and_quick_under_a_flood_of_addresses():
    """100 000 forged addresses, each with a wrong code: the guard keeps at most MAX_ADDRESSES,
    still blocks an address that guessed ten times, and forgets everyone after its window."""
    from web.guard import MAX_ADDRESSES, GuessGuard

    now = [0.0]
    guard = GuessGuard(clock=lambda: now[0])
    for i in range(100_000):
        guard.missed(f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
        now[0] += 0.001
    assert len(guard._misses) == MAX_ADDRESSES
    assert not guard.blocked("10.0.0.1")  # forgotten: quiet the longest
    for _ in range(10):
        guard.missed("192.168.1.50")
    assert guard.blocked("192.168.1.50") and all(len(m) <= 10 for m in guard._misses.values())
    now[0] += 301
    assert not guard.blocked("192.168.1.50") and len(guard._misses) == 0


def test_hostile_json_is_a_400_and_stores_nothing(meeting, server):
    ids, code = meeting.ids, meeting.codes[0]
    one = str(ids[0])
    cases = [
        b"[" * 60_000,  # nested past Python's stack: was a 500
        b'{"code": "' + code.encode() + b'", "marks": ' + b"{" * 30_000,
        # one member rated twice: "1" and "01", or the same key twice (json keeps the last)
        f'{{"code": "{code}", "marks": {{"{one}": "优秀", "0{one}": "不合格"}}}}'.encode(),
        f'{{"code": "{code}", "marks": {{"{one}": "优秀", "{one}": "不合格"}}}}'.encode(),
        f'{{"code": "{code}", "code": "{meeting.codes[1]}", "marks": {{}}}}'.encode(),
        json.dumps({"code": code, "marks": {" 1": "合格"}}).encode(),
        json.dumps({"code": code, "marks": {"1.0": "合格"}}).encode(),
        json.dumps({"code": code, "marks": {"9" * 400: "合格"}}).encode(),
        b'{"code": "' + code.encode() + b'", "marks": {}, "n": ' + b"9" * 50_000 + b"}",
        b'{"code": NaN, "marks": {}}',
    ]
    for body in cases:
        r = httpx.post(api(server), content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, (body[:80], r.text)
        assert "格式" in r.json()["error"]
    state = meeting.store.round_state(Q)
    assert (state.returned, state.spent) == (0, 0)


def test_full_width_and_dashed_codes_are_the_same_code(meeting, server):
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in meeting.codes[0].lower())
    assert httpx.get(api(server), params={"code": wide}).status_code == 200
    dashed = f"{meeting.codes[0][:5]}\u2014{meeting.codes[0][5:]}"
    r = httpx.post(api(server), json={"code": dashed, "marks": {str(meeting.ids[0]): "合格"}})
    assert r.status_code == 200
    assert httpx.get(api(server), params={"code": wide}).status_code == 409


def test_closing_the_round_while_thirty_phones_post(meeting, server):
    """The secretary closes the round in the middle of thirty submissions: no 500, every 200 is
    counted, every ballot after the close is refused (410) and nothing of it stored."""
    import threading

    answers: dict[int, int] = {}
    go = threading.Event()

    def phone(i: int) -> None:
        go.wait()
        with httpx.Client(timeout=60) as client:
            for _ in range(i):  # spread the phones over the close: each waits for a page load first
                client.get(server.ballot_url())
            r = client.post(api(server), json={"code": meeting.codes[i], "marks": {str(meeting.ids[i % 12]): "合格"}})
            answers[i] = r.status_code

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    go.set()
    while sum(1 for a in list(answers.values()) if a == 200) < 8 and len(answers) < 30:
        threading.Event().wait(0.005)
    state = meeting.store.close_round(Q)
    for t in threads:
        t.join()
    assert set(answers.values()) <= {200, 410} and len(answers) == 30, answers
    told = sum(1 for a in answers.values() if a == 200)
    after = meeting.store.round_state(Q)
    assert told == after.returned == after.spent == state.returned and 410 in answers.values()
