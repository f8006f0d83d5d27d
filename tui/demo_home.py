"""`jifen demo`: the demo branch in its fixed home, so a meeting held on it is there next time.

Without --db the demo lives in the user data folder (tui.places.demo_db_path): the first run
builds it, later runs reopen it as it was, `--fresh` rebuilds it (asking first on a terminal,
refusing without `--yes` elsewhere). A rebuild is made in a file beside the demo and moved into
place only when complete, so a crash never leaves half a demo. With --db the demo is built
there as always, and a database that already holds data is refused. With --branch (and --db)
another demo branch is built there and not opened: a committee demo is a loop of these.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from db.errors import StoreError
from tui.places import Choice, demo_db_path, quoted, remember


def _say(line: str) -> None:
    print(line, flush=True)


def _refused(exc: Exception, code: int = 1) -> int:
    for line in str(exc).splitlines():
        print(line, file=sys.stderr)
    return code


def _other_branch(args: argparse.Namespace, branch: str) -> int:
    """`jifen demo --branch NAME [--seed N] --db NEW`: another demo branch, built and named,
    never opened (a committee demo builds several in a loop)."""
    from db.demo import build_demo
    from tui.cli import hold_writer

    choice: Choice = args.choice
    if choice.source != "--db":
        return _refused(StoreError("--branch 需要用 --db 指定一个新的数据库文件（或空的 postgresql:// 数据库）"), 2)
    if args.fresh:
        return _refused(StoreError("--fresh 只用于固定位置的示范数据库，不能与 --branch 同用"), 2)
    if not branch.strip():
        return _refused(StoreError("--branch 后应为党支部名称"), 2)
    try:
        hold_writer(choice.db)
        store = build_demo(choice.db, branch=branch, seed=args.seed)
        name, members = store.branch_name(), len(store.members())
        store.engine.dispose()
    except StoreError as exc:
        return _refused(exc)
    _say(f"示范支部：{name}（{members}名党员，2026年第一至第三季度已锁定，第四季度未开会）")
    _say(f"示范数据库：{choice.shown()}")
    _say(f"打开控制台：jifen --db {quoted(choice.kept())}")
    return 0


def open_demo(args: argparse.Namespace) -> int:
    from db.demo import build_demo
    from tui.cli import hold_writer

    choice: Choice = args.choice
    branch = getattr(args, "branch", None)
    if branch is None and getattr(args, "seed", None):
        return _refused(StoreError("--seed 只与 --branch 同用"), 2)
    if branch is not None:
        return _other_branch(args, branch)
    try:
        if choice.source == "--db":
            if args.fresh:
                raise StoreError("--fresh 只用于固定位置的示范数据库；用 --db 时请指定一个新的数据库文件")
            hold_writer(choice.db)
            build_demo(choice.db)
            _say(f"示范数据库：{choice.shown()}")
        else:
            choice = Choice(str(demo_db_path()), "--db")
            if args.fresh and _holds_demo(choice.path) and not _confirmed(args):
                return 1
            if args.fresh or not _holds_demo(choice.path):
                hold_writer(choice.db)  # nobody else has it open to write while it is replaced
                _rebuild(choice.path)
                _say(f"示范数据库（新生成）：{choice.shown()}")
            else:
                _say(f"示范数据库（接着上次的会议）：{choice.shown()}")
            _say("再次打开：jifen demo；重新生成：jifen demo --fresh")
    except StoreError as exc:
        return _refused(exc)
    remember(choice)
    _say(f"也可以用：jifen --db {quoted(choice.kept())}")
    if args.no_tui:
        return 0
    from tui.cli import release_writer, run_console

    release_writer()  # the console takes the lock itself
    return run_console(choice)


def _holds_demo(path: Path) -> bool:
    """Whether the demo file is there with its branch (an empty or foreign file is rebuilt)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    from db.engine import open_engine
    from db.store import Store

    engine = open_engine(path)
    try:
        return bool(Store(engine).years())
    except Exception:  # unreadable: rebuilt, which is what the demo is for
        return False
    finally:
        engine.dispose()


def _confirmed(args: argparse.Namespace) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise StoreError("示范数据库中已有会议记录；重新生成会全部丢弃。确定要重新生成，请加 --yes")
    answer = input("示范数据库中已有会议记录，重新生成会全部丢弃。确定？(y/N) ").strip().lower()
    if answer not in ("y", "yes", "是"):
        _say("未重新生成")
        return False
    return True


def _rebuild(path: Path) -> None:
    """Build the demo beside `path` and move it into place."""
    from sqlalchemy import text

    from db.demo import build_demo

    path.parent.mkdir(parents=True, exist_ok=True)
    new = path.with_name(path.name + ".new")
    for leftover in _with_journals(new):
        _remove(leftover)
    store = build_demo(new)
    with store.engine.connect() as conn:  # fold the WAL into the file before it moves
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    store.engine.dispose()
    for leftover in _with_journals(new)[1:]:
        _remove(leftover)
    for old in _with_journals(path)[1:]:
        _remove(old)
    try:
        os.replace(new, path)
    except OSError as exc:
        raise StoreError(f"无法替换示范数据库 {path}：{exc.strerror}（是否还有控制台开着它？）") from None


def _with_journals(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StoreError(f"无法删除 {path}：{exc.strerror}（是否还有控制台开着它？）") from None
