"""The locked quarter's minute and publicity form, written in a child process.

Writing them takes a second or two, most of it in long C calls (font parsing and subsetting in
fontTools, the first import of fpdf2) that hold the interpreter lock; in a thread of the console
they starved the UI thread for up to 0.4 s. A child process has its own interpreter. It is a
plain `python -m exports.quarter_documents` run (not multiprocessing: "spawn" would re-import the
script that started the console, and its helper processes want the console's stderr, which
Textual has replaced). It gets plain arguments, opens its own store on the database, only reads
it (the store refuses writes, and it never takes the console's writer lock), and answers on its
stdout with the path written or why it could not. Its stderr goes to the null device: the
console has the terminal, nothing may print on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MINUTE, PUBLICITY = "minute", "publicity"

# Any write the child's store attempts is refused with this (it must never happen).
READ_ONLY = "生成文件的进程只读取数据库，不修改数据"
# The package folder, so the child imports this very program whatever its working folder.
_ROOT = str(Path(__file__).resolve().parents[1])


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
    """Writes the documents of one lock, each in a child process; a context manager, as the
    console uses it."""

    def write(self, url: str, which: str, year: int, number: int, out: Path) -> Path:
        """The path written; raises DocumentFailed with a Chinese sentence when it was not."""
        env = dict(os.environ, PYTHONIOENCODING="utf-8",
                   PYTHONPATH=os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH", "")) if p))
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # Windows: no console window flashes up
        try:
            done = subprocess.run([sys.executable, "-m", "exports.quarter_documents", url, which, str(year),
                                   str(number), str(out)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=env, creationflags=flags, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DocumentFailed(f"生成文件的进程无法运行：{exc}") from None
        lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
        if done.returncode != 0 or not lines:
            raise DocumentFailed("生成文件的进程意外退出")
        answer = str(json.loads(lines[-1]))
        if answer.startswith("!"):
            raise DocumentFailed(answer[1:])
        return Path(answer)

    def __enter__(self) -> DocumentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class DocumentFailed(RuntimeError):
    """A document was not written; the message says why, in Chinese."""


def main(argv: list[str]) -> int:
    url, which, year, number, out = argv
    # One JSON line: the path or "!reason", whatever the child's locale would do to the text.
    sys.stdout.write(json.dumps(_write(url, which, int(year), int(number), out)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
