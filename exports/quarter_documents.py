"""The locked quarter's minute and publicity form, written in a child process.

Writing them takes a second or two, most of it in long C calls (font parsing and subsetting in
fontTools, the first import of fpdf2) that hold the interpreter lock; in a thread of the console
they starved the UI thread for up to 0.4 s. A child process started with "spawn" (what Windows
does anyway, so the code runs the same everywhere) has its own interpreter. It gets plain
arguments, opens its own store on the database, only reads it (the store refuses writes, and it
never takes the console's writer lock), and answers with the path written or why it could not.

The console has the terminal: nothing may print on it. The child's output goes to the null
device, and so does that of multiprocessing's resource tracker (POSIX), which would otherwise be
started with the console's stderr, one Textual has replaced by an object with no file descriptor.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

MINUTE, PUBLICITY = "minute", "publicity"

# Any write the child's store attempts is refused with this (it must never happen).
READ_ONLY = "生成文件的进程只读取数据库，不修改数据"


def _quiet() -> None:
    """In the child, first: its stdout and stderr (a warning of fontTools, say) go nowhere."""
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(null, fd)
    os.close(null)


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (POSIX) with the null device as its stderr: it
    takes sys.stderr's descriptor, and Textual's stand-in has none (-1, which the start refuses).
    Once started it serves every later pool."""
    if sys.platform == "win32":
        return
    from multiprocessing import resource_tracker

    shown = sys.stderr
    with open(os.devnull, "w") as null:
        sys.stderr = null
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = shown


def _write(url: str, which: str, year: int, number: int, out: str) -> str:
    """In the child: write one document; the path, or "!" and the reason it could not be written."""
    from db.engine import open_engine
    from db.errors import StoreError
    from db.store import Store
    from exports.fonts import FontMissing

    try:
        engine = open_engine(url)
    except StoreError as exc:
        return "!" + str(exc)
    try:
        store = Store(engine)
        store.read_only = READ_ONLY
        if which == MINUTE:
            from exports.minutes import write_minutes

            path = write_minutes(store, year, number, out)
        else:
            from exports.forms import write_publicity

            path = write_publicity(store, year, number, out)
        return str(path)
    except (FontMissing, StoreError, OSError, ValueError) as exc:
        return "!" + str(exc)
    finally:
        engine.dispose()


class DocumentWriter:
    """One child process for the documents of one lock; use as a context manager."""

    def __init__(self) -> None:
        _start_resource_tracker()
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_quiet)

    def write(self, url: str, which: str, year: int, number: int, out: Path) -> Path:
        """The path written; raises DocumentFailed with a Chinese sentence when it was not."""
        try:
            answer = self.pool.submit(_write, url, which, year, number, str(out)).result()
        except BrokenProcessPool:
            raise DocumentFailed("生成文件的进程意外退出") from None
        if answer.startswith("!"):
            raise DocumentFailed(answer[1:])
        return Path(answer)

    def __enter__(self) -> DocumentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DocumentFailed(RuntimeError):
    """A document was not written; the message says why, in Chinese."""
