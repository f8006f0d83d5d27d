"""`jifen evaluation codes|close|results`: one-time codes for the phone ballot printed on slips
(or listed in a .txt), the end of a round, and its results as JSON.

Every check that can fail is made before codes are issued: once issued, a round is sealed until
it is closed, and codes nobody holds would only be ballots that never come back."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.quarter import QuarterRef
    from db.ballots import RoundState
    from db.store import Store

SUFFIXES = (".pdf", ".txt")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")


def _fail(message: str) -> int:
    for line in message.splitlines():
        print(line, file=sys.stderr)
    return 1  # a refusal, as the other commands' (argparse's usage errors are 2)


def _host(given: str | None) -> str:
    """The host printed on the slips: as given (an IPv4 address or a host name), or this machine's
    first LAN address (a phone cannot reach 127.0.0.1)."""
    from db.errors import StoreError
    from web.addresses import LOOPBACK, local_addresses

    if given is None:
        found = local_addresses()[0]
        if found == LOOPBACK:
            raise StoreError("找不到本机的局域网地址（电脑是否已连上 Wi-Fi 或开启热点？）；"
                             "请用 --host 写明手机访问本机的地址，如 --host 192.168.1.5")
        return found
    host = given.strip()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if not _HOSTNAME.match(host):
            raise StoreError(f"--host “{given}”不是地址：应为 IPv4 地址（如 192.168.1.5）或主机名") from None
        return host
    if ip.version != 4:
        raise StoreError(f"--host “{given}”：纸条上的地址请用 IPv4 地址（如 192.168.1.5）")
    if ip.is_unspecified:
        raise StoreError("--host 0.0.0.0 只能用于监听，手机无法访问；请写本机的局域网地址，如 192.168.1.5")
    return host


# --- checks before anything is issued ------------------------------------------------------------


def _check_out(out: str) -> tuple[Path, str]:
    """The output file: a .pdf or .txt in a folder that exists and can be written. Nothing is left
    behind by the check."""
    from db.errors import StoreError

    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise StoreError(f"输出文件的扩展名应为 {' / '.join(SUFFIXES)}，不是“{suffix or '（无）'}”")
    try:
        return _check_out_path(out, path, suffix)
    except OSError as exc:  # a name too long, a folder one may not look into: said before codes are issued
        raise StoreError(_out_refusal(out, exc)) from None


def _out_refusal(out: str, exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return f"输出文件名太长，请换一个短一些的文件名：{out[:60]}…"
    return f"不能在这里建立文件“{out}”（{exc.strerror or exc.__class__.__name__}），请换一个文件名或位置"


def _check_out_path(out: str, path: Path, suffix: str) -> tuple[Path, str]:
    from db.errors import StoreError

    if path.is_dir():
        raise StoreError(f"“{out}”是一个文件夹，请写文件名，如 {path / ('测评码' + suffix)}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise StoreError(f"文件夹“{folder}”不存在，请先建立它或换一个位置")
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"“{out}”不能写入（只读文件）")
    try:
        fd, probe = tempfile.mkstemp(prefix=".jifen-", dir=folder)
    except OSError:
        raise StoreError(f"文件夹“{folder}”不能写入，请换一个位置") from None
    os.close(fd)
    os.unlink(probe)
    if not path.exists():
        # The very name, made and removed: a name too long or one the disk refuses (a USB stick's
        # FAT takes no ? : " * in a name) would fail only after the codes were issued.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(path)
    return path, suffix


def _check_round(store: Store, quarter: QuarterRef, round: int) -> RoundState:
    """The quarter in its meeting and the round open (the store checks again when it issues)."""
    from core.quarter import QuarterState
    from db.errors import StoreError

    q = store.quarter(quarter)
    if q.state == QuarterState.LOCKED:
        raise StoreError(f"{quarter.name}已锁定，不能再生成测评码")
    if q.state != QuarterState.MEETING:
        raise StoreError(f"{quarter.name}的党员大会还没有开始：请先开始会议、点名，再按到会人数生成测评码")
    rounds = store.scheme(quarter.year).evaluation.rounds
    if not 1 <= round <= rounds:
        raise StoreError(f"本方案每年民主评议{rounds}轮，没有第{round}轮")
    state = store.round_state(quarter, round)
    if state.closed:
        raise StoreError(f"第{round}轮测评已结束，不能再生成测评码")
    return state


def _counts(state: RoundState) -> str:
    return f"发出 {state.issued} 张（纸质 {state.paper_issued}，测评码 {state.codes}）"


def _title(store: Store, quarter: QuarterRef, round: int) -> str:
    return f"{store.branch_name()} {quarter.name}民主测评（第{round}轮）"


# --- the commands ----------------------------------------------------------------------------------


def cmd_codes(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from exports.fonts import FontMissing
    from tui.cli import _parse_quarter, _store
    from web.addresses import ballot_address

    try:
        path, suffix = _check_out(args.out)
        host = _host(args.host)
        quarter = _parse_quarter(args.quarter)
        if not 1 <= args.count <= 500:
            raise StoreError("测评码个数应在1到500之间")
        if suffix == ".pdf":
            from exports.fonts import find_fonts

            find_fonts()  # no font, no slips: found out before any code is issued
        store = _store(args, write=True)
        _check_round(store, quarter, args.round)
        title = _title(store, quarter, args.round)
        codes = store.issue_codes(quarter, args.count, args.round)
    except StoreError as exc:
        return _fail(_console_note(str(exc)))
    except FontMissing as exc:
        return _fail(str(exc))
    try:
        _write(path, suffix, codes, host, args.port, title)
    except (OSError, FontMissing) as exc:
        # Checked just before, so rare (a full disk): the codes are out and nobody holds them.
        return _fail(f"已生成 {len(codes)} 个测评码，但文件“{path}”未能写入（{exc.__class__.__name__}）；"
                     "这些码已计入本轮发出数，却无法找回，请如实记入会议记录")
    state = store.round_state(quarter, args.round)
    kind = "测评码纸条" if suffix == ".pdf" else "测评码清单"
    print(f"已生成{kind} {len(codes)} 个：{path}")
    print(f"手机测评地址：{ballot_address(host, args.port)}")
    print(f"本轮已发出 {state.issued} 张（纸质 {state.paper_issued}，测评码 {state.codes}）")
    return 0


def _console_note(message: str) -> str:
    """A refusal because a console holds the writer lock also says where codes can be made."""
    if message.startswith("此数据库正由"):  # db.writer.refusal
        return message + "\n测评码可在控制台的民主测评页面生成（按 G）"
    return message


def _write(path: Path, suffix: str, codes: list[str], host: str, port: int, title: str) -> None:
    from db.ballots import shown_code
    from web.addresses import ballot_address, code_address

    if suffix == ".pdf":
        from exports.code_slips import write_code_slips

        write_code_slips(path, [(c, code_address(host, port, c)) for c in codes], title=title,
                         address=ballot_address(host, port))
        return
    fd, tmp = tempfile.mkstemp(prefix=".codes-", suffix=".txt", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("".join(shown_code(c) + "\n" for c in codes))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_close(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from tui.cli import _parse_quarter, _store

    try:
        quarter = _parse_quarter(args.quarter)
        state = _store(args, write=True).close_round(quarter, args.round)
    except StoreError as exc:
        return _fail(str(exc))
    print(f"{quarter.name}第{args.round}轮测评已结束，不再收票")
    print(f"{_counts(state)}，收回 {state.returned} 张（其中手机 {state.spent} 张）")
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from core.labels import RATING_LABELS
    from db.errors import StoreError
    from tui.cli import _parse_quarter, _store

    try:
        quarter = _parse_quarter(args.quarter)
        store = _store(args)  # read-only: works while a console holds the writer lock
        state = store.round_state(quarter, args.round)
        if state.sealed:
            raise StoreError(f"第{args.round}轮测评还在进行（已收回 {state.returned} / {state.issued}），"
                             "结束本轮后才能查看结果：jifen evaluation close")
        summary = store.ballot_summary(quarter, args.round)
        counts = store.ratings_of_quarter(quarter).get(args.round, {})
        listed = [(mid, name) for mid, name, _ in store.ballot_form(quarter).members]
        names = {m.id: m.name for m in store.members(include_left=True)}
        seen = {mid for mid, _ in listed}
        listed += [(mid, names.get(mid, str(mid))) for mid in sorted(counts) if mid not in seen]
    except StoreError as exc:
        return _fail(str(exc))
    out = {"quarter": f"{quarter.year}Q{quarter.number}", "round": args.round,
           "issued": summary["issued"], "returned": summary["returned"], "blank": summary["blank"],
           "void": summary["void"],
           "members": [{"id": mid, "name": name,
                        "counts": {label: counts.get(mid, {}).get(label, 0) for label in RATING_LABELS}}
                       for mid, name in listed]}
    sys.stdout.buffer.write((json.dumps(out, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    sys.stdout.flush()
    return 0
