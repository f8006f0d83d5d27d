"""The ballot API's contract, case by case, against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from db.ballots import CODE_ALPHABET, shown_code
from db.errors import StoreError
from tests.web.conftest import Q, new_meeting
from web.addresses import ballot_address, code_address, local_addresses
from web.server import BallotServer, ready_refusal


def api(server: BallotServer) -> str:
    return server.ballot_url() + "api/ballot"


def assert_error(r: httpx.Response, status: int, words: str = "") -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and any("\u4e00" <= ch <= "\u9fff" for ch in body["error"])
    assert words in body["error"]


def test_addresses_put_the_lan_first_and_loopback_last():
    found = local_addresses()
    assert found[-1] == "127.0.0.1" and found.count("127.0.0.1") == 1 and len(set(found)) == len(found)
    for a in found:
        socket.inet_aton(a)
    assert ballot_address("192.168.1.5", 8765) == "http://192.168.1.5:8765/"
    assert ballot_address("10.0.0.2", 80) == "http://10.0.0.2/"
    assert code_address("192.168.1.5", 8765, "ABCDE23456") == "http://192.168.1.5:8765/?c=ABCDE23456"


def test_the_page_is_served_without_caching_or_referrer(meeting, server):
    r = httpx.get(server.ballot_url())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "民主测评" in r.text and "XMLHttpRequest" in r.text
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    assert_error(httpx.get(server.ballot_url() + "nothing"), 404)


def test_get_gives_the_list_the_limit_and_the_title(meeting, server):
    r = httpx.get(api(server), params={"code": shown_code(meeting.codes[0]).lower()})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert set(body) == {"members", "max_excellent", "title"}
    assert [m["id"] for m in body["members"]] == meeting.ids
    assert body["members"][0] == {"id": meeting.ids[0], "name": "党员00", "probationary": False}
    assert body["members"][-1]["probationary"] is True
    assert body["max_excellent"] == 4 and body["title"] == "第一党支部 2026年第四季度民主测评"


def test_get_refuses_unknown_spent_malformed_and_closed(meeting, server):
    assert_error(httpx.get(api(server), params={"code": "ZZZZZ-ZZZZZ"}), 403, "无效")
    assert_error(httpx.get(api(server), params={"code": "ABC"}), 400, "10位")
    assert_error(httpx.get(api(server)), 400)
    code = meeting.codes[0]
    assert httpx.post(api(server), json={"code": code, "marks": {}}).status_code == 200
    assert_error(httpx.get(api(server), params={"code": code}), 409, "已经提交")
    meeting.store.close_round(Q)
    assert_error(httpx.get(api(server), params={"code": meeting.codes[1]}), 410, "已结束")


def test_post_stores_once_and_answers_only_after_the_commit(meeting, server):
    code, ids = meeting.codes[0], meeting.ids
    marks = {str(ids[0]): "优秀", str(ids[1]): "合格", str(ids[2]): "基本合格", str(ids[3]): "不合格"}
    r = httpx.post(api(server), json={"code": code, "marks": marks})
    assert r.status_code == 200 and r.json() == {"ok": True, "message": "已提交"}
    # The 200 came after the commit: a second connection of its own sees it at once.
    other = new_store(meeting.db)
    assert other.round_state(Q).returned == 1 and other.round_state(Q).spent == 1
    assert_error(httpx.post(api(server), json={"code": code, "marks": marks}), 409)
    assert other.round_state(Q).returned == 1


def new_store(db: str):
    from db.engine import open_engine
    from db.store import Store

    return Store(open_engine(db))


def test_post_refuses_every_malformed_ballot_and_stores_nothing(meeting, server):
    ids, code = meeting.ids, meeting.codes[0]
    cases = [
        (b"{not json", "格式"),
        (b"\xff\xfe", "格式"),
        (json.dumps([code]).encode(), "格式"),
        (json.dumps({"code": code}).encode(), "格式"),
        (json.dumps({"code": 12345, "marks": {}}).encode(), "格式"),
        (json.dumps({"code": code, "marks": []}).encode(), "格式"),
        (json.dumps({"code": code, "marks": {"abc": "优秀"}}).encode(), "格式"),
        (json.dumps({"code": code, "marks": {"-1": "优秀"}}).encode(), "格式"),
        (json.dumps({"code": code, "marks": {str(ids[0]): 1}}).encode(), "不是测评等次"),
        (json.dumps({"code": code, "marks": {str(ids[0]): "很好"}}).encode(), "“很好”不是测评等次"),
        (json.dumps({"code": code, "marks": {"999": "合格"}}).encode(), "999"),
        (json.dumps({"code": code, "marks": {str(i): "优秀" for i in ids[:5]}}).encode(), "优秀"),
        (json.dumps({"code": "ABCDE", "marks": {}}).encode(), "10位"),
        (json.dumps({"code": code, "marks": {}, "pad": "x" * 70000}).encode(), "过大"),
    ]
    for body, words in cases:
        r = httpx.post(api(server), content=body, headers={"content-type": "application/json"})
        assert_error(r, 400, words)
    state = meeting.store.round_state(Q)
    assert (state.returned, state.spent) == (0, 0)
    # the probationary member's 优秀 is outside the limit: four full members and her go in
    ok = {**{str(i): "优秀" for i in ids[:4]}, str(ids[-1]): "优秀"}
    assert httpx.post(api(server), json={"code": code, "marks": ok}).status_code == 200


def test_a_body_without_length_over_the_limit_is_refused(meeting, server):
    def chunks():
        for _ in range(20):
            yield b" " * 4096
    r = httpx.post(api(server), content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 400, "过大")
    assert meeting.store.round_state(Q).returned == 0


def test_post_with_an_unknown_or_closed_code(meeting, server):
    assert_error(httpx.post(api(server), json={"code": "ZZZZZZZZZZ", "marks": {}}), 403)
    meeting.store.close_round(Q)
    assert_error(httpx.post(api(server), json={"code": meeting.codes[0], "marks": {}}), 410)
    assert meeting.store.round_state(Q).returned == 0


def test_ten_wrong_codes_from_an_address_then_429_even_for_a_good_code(meeting, server):
    for n in range(10):
        guess = "ZZZZZZZZZ" + CODE_ALPHABET[n]
        call = httpx.get if n % 2 else (lambda url, params: httpx.post(url, json={"code": params["code"], "marks": {}}))
        assert_error(call(api(server), params={"code": guess}), 403)
    assert_error(httpx.get(api(server), params={"code": meeting.codes[0]}), 429, "5分钟")
    assert_error(httpx.post(api(server), json={"code": meeting.codes[0], "marks": {}}), 429)
    assert meeting.store.round_state(Q).returned == 0
    # malformed codes are no guesses: another server (another address book) is not blocked by them
    srv = BallotServer(meeting.store, Q, host="127.0.0.1", port=0)
    srv.start()
    try:
        for _ in range(12):
            assert_error(httpx.get(api(srv), params={"code": "short"}), 400)
        assert httpx.get(api(srv), params={"code": meeting.codes[0]}).status_code == 200
    finally:
        srv.stop()


def test_the_guard_forgets_after_its_window():
    from web.guard import GuessGuard

    now = [0.0]
    guard = GuessGuard(limit=3, window=300, clock=lambda: now[0])
    for _ in range(3):
        assert not guard.blocked("10.0.0.9")
        guard.missed("10.0.0.9")
    assert guard.blocked("10.0.0.9") and not guard.blocked("10.0.0.8")
    now[0] = 299.0
    assert guard.blocked("10.0.0.9")
    now[0] = 300.5
    assert not guard.blocked("10.0.0.9") and guard._misses == {}


def test_no_answer_carries_a_count(meeting, server):
    """Whatever the phones send, the answers hold the list, a confirmation or an error: no count."""
    ids = meeting.ids
    bodies = []
    for code in meeting.codes[:3]:
        bodies.append(httpx.post(api(server), json={"code": code, "marks": {str(ids[0]): "不合格"}}).json())
        bodies.append(httpx.get(api(server), params={"code": code}).json())
    bodies.append(httpx.get(api(server), params={"code": meeting.codes[5]}).json())
    shapes = [sorted(b) for b in bodies]
    assert shapes == [["message", "ok"], ["error"]] * 3 + [["max_excellent", "members", "title"]]
    assert all(sorted(m) == ["id", "name", "probationary"] for m in bodies[-1]["members"])
    assert "不合格" not in json.dumps(bodies, ensure_ascii=False)


def test_the_server_refuses_a_round_it_cannot_serve(tmp_path):
    m = new_meeting(str(tmp_path / "b.db"))
    assert ready_refusal(m.store, Q).startswith("尚未生成测评码")
    with pytest.raises(StoreError, match="尚未生成测评码"):
        BallotServer(m.store, Q, host="127.0.0.1", port=0).start()
    m.store.issue_codes(Q, 2)
    assert ready_refusal(m.store, Q) == ""
    assert "没有第2轮" in ready_refusal(m.store, Q, 2)
    assert "还没有开始" in ready_refusal(m.store, Q.__class__(2026, 3))
    m.store.read_only = "只读：另一个 jifen 正在使用此数据库"
    assert ready_refusal(m.store, Q) == m.store.read_only
    m.store.read_only = ""
    m.store.close_round(Q)
    assert "已结束" in ready_refusal(m.store, Q)


def test_a_taken_port_is_a_chinese_refusal_and_stop_is_idempotent(meeting, server):
    other = BallotServer(meeting.store, Q, host="127.0.0.1", port=server.port)
    with pytest.raises(StoreError, match=f"端口 {server.port} 已被占用"):
        other.start()
    assert not other.running and server.running
    assert server.ballot_url("192.168.3.4") == f"http://192.168.3.4:{server.port}/"
    server.stop()
    server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.port}/")


def test_the_page_is_es5_offline_and_keeps_nothing():
    """Old Android WebViews and WeChat's browser: no ES2015 syntax, no fetch, nothing from a CDN,
    nothing kept on the phone."""
    import re

    from web.app import PAGE

    text = PAGE.read_text(encoding="utf-8")
    script = text[text.index("<script>"):text.index("</script>")]
    for banned in ("=>", "`", "fetch(", "localStorage", "sessionStorage", "cookie", "Promise", "class ",
                   "...", ".includes(", "Object.assign"):
        assert banned not in script, banned
    assert not re.search(r"\b(const|let)\s", script)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # no CDN
    assert 'lang="zh-CN"' in text and "XMLHttpRequest" in script and "replaceState" in script


def test_a_store_locked_beyond_its_wait_is_a_503_and_stores_nothing(meeting, server):
    """Another program holds the database's write lock longer than the store waits (5 s):
    the phone is told in Chinese to try again, and its code stays unspent."""
    import sqlite3

    other = sqlite3.connect(meeting.db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        r = httpx.post(api(server), json={"code": meeting.codes[0], "marks": {}}, timeout=60)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert_error(r, 503, "未保存")
    assert meeting.store.round_state(Q).returned == 0 and meeting.store.code_status(Q, meeting.codes[0]) == "ok"
    assert httpx.post(api(server), json={"code": meeting.codes[0], "marks": {}}).status_code == 200
