"""The ballot server's routes (Starlette): the page, and the ballot API a phone uses.

GET  /                      the page (web/page.html)
GET  /api/ballot?code=C     the names to rate and the 优秀 limit, for an unspent code
POST /api/ballot            {"code": C, "marks": {"<id>": "优秀"|...}}: 200 once committed

Statuses: 400 malformed, 403 unknown code, 409 spent, 410 round closed or quarter not in its
meeting, 429 an address that guessed too many codes, 503 the store busy. Every error body is
{"error": "<Chinese>"}. No answer ever carries a count of ratings."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.labels import RATING_LABELS
from core.quarter import QuarterRef
from db.ballots import CLOSED, OK, SPENT, UNKNOWN, normal_code
from db.errors import StoreError
from web.committer import BUSY, Committer
from web.guard import GuessGuard

PAGE = Path(__file__).with_name("page.html")
MAX_BODY = 64 * 1024

MALFORMED_CODE = "测评码应为10位字母和数字，如 ABCDE-FGHJK，请核对后重新输入"
UNKNOWN_CODE = "测评码无效，请核对纸条上的测评码后重新输入"
SPENT_CODE = "此测评码已经提交过测评票，不能重复提交"
CLOSED_ROUND = "本轮测评已结束，不能再提交"
TOO_MANY = "输错测评码的次数太多，请5分钟后再试，或请会议工作人员帮助"
BUSY_STORE = "服务器繁忙，测评票未保存，请稍后再点“确认提交”"
BAD_BALLOT = "提交的测评票格式不对，请刷新页面后重新填写"
TOO_LARGE = "提交的内容过大，未保存"
FAULT = "服务器出错，测评票未保存，请稍后再试"

_BY_STATUS = {UNKNOWN: (403, UNKNOWN_CODE), SPENT: (409, SPENT_CODE), CLOSED: (410, CLOSED_ROUND),
              BUSY: (503, BUSY_STORE)}


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class _Malformed(Exception):
    """A request that cannot be a ballot; its text is the Chinese reason."""


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


async def _body(request: Request) -> bytes:
    """The request's body, refused (TOO_LARGE) beyond MAX_BODY without reading the rest."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _Malformed(TOO_LARGE)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _Malformed(TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


def _no_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: {"5": "优秀", "5": "不合格"} says two things."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a key twice")
    return out


def parse_ballot(raw: bytes) -> tuple[str, dict[int, str]]:
    """The code and the marks of a POSTed ballot, or _Malformed. Which ids are on the list and
    how many 优秀 are allowed the store checks (it knows who is probationary)."""
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_twice)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: [[[[… nested past the stack
        raise _Malformed(BAD_BALLOT) from None
    if not isinstance(data, dict) or not isinstance(data.get("code"), str) or not isinstance(data.get("marks"), dict):
        raise _Malformed(BAD_BALLOT)
    code = normal_code(data["code"])
    if not code:
        raise _Malformed(MALFORMED_CODE)
    marks: dict[int, str] = {}
    for key, value in data["marks"].items():
        # One spelling per id: "1" and "01" on one ballot would rate one member twice.
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 9 and key == str(int(key))):
            raise _Malformed(BAD_BALLOT)
        if value not in RATING_LABELS:
            shown = value if isinstance(value, str) and len(value) <= 10 else "…"
            raise _Malformed(f"“{shown}”不是测评等次（{'/'.join(RATING_LABELS)}）")
        marks[int(key)] = value
    return code, marks


class BallotApp:
    """The routes over one store, one quarter and round; the guard and the committer live here."""

    def __init__(self, store: Any, quarter: QuarterRef, round: int = 1) -> None:
        self.store, self.quarter, self.round = store, quarter, round
        self.guard = GuessGuard()
        self.committer = Committer(lambda ballots: store.add_code_ballots(quarter, ballots, round))
        self.page = PAGE.read_bytes()

    def title(self) -> str:
        branch = self.store.branch_name()
        rounds = f"（第{self.round}轮）" if self.round > 1 else ""
        return f"{branch} {self.quarter.name}民主测评{rounds}".strip()

    async def index(self, request: Request) -> Response:
        return HTMLResponse(self.page)

    async def get_ballot(self, request: Request) -> Response:
        who = _client(request)
        if self.guard.blocked(who):
            return error(429, TOO_MANY)
        code = normal_code(request.query_params.get("code", ""))
        if not code:
            return error(400, MALFORMED_CODE)
        status = await run_in_threadpool(self.store.code_status, self.quarter, code, self.round)
        if status != OK:
            if status == UNKNOWN:
                self.guard.missed(who)
            return error(*_BY_STATUS.get(status, (410, CLOSED_ROUND)))
        form, title = await run_in_threadpool(lambda: (self.store.ballot_form(self.quarter), self.title()))
        return JSONResponse({"members": [{"id": i, "name": n, "probationary": p} for i, n, p in form.members],
                             "max_excellent": form.max_excellent, "title": title})

    async def post_ballot(self, request: Request) -> Response:
        who = _client(request)
        if self.guard.blocked(who):
            return error(429, TOO_MANY)
        try:
            code, marks = parse_ballot(await _body(request))
        except _Malformed as exc:
            return error(400, str(exc))
        answer = await self.committer.submit(code, marks)
        if answer == OK:
            return JSONResponse({"ok": True, "message": "已提交"})
        if answer == UNKNOWN:
            self.guard.missed(who)
        if answer in _BY_STATUS:
            return error(*_BY_STATUS[answer])
        return error(400, answer)  # the store's Chinese reason: a name not listed, too many 优秀


def _guarded(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """No traceback reaches a phone or the server's terminal: a fault is a Chinese 500/503."""
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except StoreError:
            return error(503, BUSY_STORE)
        except Exception:
            return error(500, FAULT)
    return run


class _Headers:
    """No caching (a shared phone shows no one else's ballot), no referrer, no sniffing."""

    EXTRA = [(b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer"),
             (b"x-content-type-options", b"nosniff"), (b"pragma", b"no-cache")]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.EXTRA]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    return error(404, "没有这个页面")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return error(405, "不支持这种请求")


def make_app(store: Any, quarter: QuarterRef, round: int = 1) -> ASGIApp:
    ballot = BallotApp(store, quarter, round)
    app = Starlette(routes=[
        Route("/", _guarded(ballot.index), methods=["GET"]),
        Route("/api/ballot", _guarded(ballot.get_ballot), methods=["GET"]),
        Route("/api/ballot", _guarded(ballot.post_ballot), methods=["POST"]),
    ], exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.ballot = ballot
    return _Headers(app)
