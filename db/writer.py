"""One writer per database: the lock a console (or a writing command) holds for its whole life.

Whoever holds it may write; everyone else opens the database read-only and may try again later
(`try_acquire`), which is how a read-only console takes over from one that crashed.

Why these locks, and not a row in the database:
- Nothing is written into the database while a meeting runs. A heartbeat row committed every
  few seconds would sit in the WAL between the ballot commits and date them, and the order in
  which ballots were entered must not be recoverable from anything on disk.
- The lock dies with its holder, on every system, without anybody cleaning up:
  * SQLite: an OS file lock (`filelock`: fcntl/flock on POSIX, LockFileEx via msvcrt on Windows)
    on a sidecar file `<database>-writer.lock`. The OS drops it when the process ends however it
    ends, so a stale sidecar file (after a crash, or copied to another laptop) never blocks.
    Who holds it is written once, at takeover, into `<database>-writer.json` (user, host, pid,
    since); it is read only to tell the others, never trusted to decide who holds the lock.
  * PostgreSQL (several laptops on one server): a session-level advisory lock taken on a
    connection kept open for the holder's life; the server drops it when that connection dies.
    The holder describes itself in its connection's application_name, which pg_stat_activity
    shows to every user; pg_locks says which connection holds the lock.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from db.engine import database_url, make_engine

# The advisory lock's key: "jifen" in ASCII; per database (PostgreSQL scopes advisory locks so).
ADVISORY_KEY = 0x6A6966656E
_APP_PREFIX = "jifen-writer"


@dataclass(frozen=True)
class Holder:
    """Who holds the writer lock, as they described themselves when they took it."""

    user: str
    host: str
    pid: int
    since: datetime

    def who(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def when(self) -> str:
        if self.since.date() == datetime.now().date():
            return self.since.strftime("%H:%M")
        return f"{self.since.month}月{self.since.day}日 {self.since:%H:%M}"


def me() -> Holder:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (some services): the host still tells
        user = ""
    return Holder(user, socket.gethostname(), os.getpid(), datetime.now().replace(second=0, microsecond=0))


def read_only_line(holder: Holder | None) -> str:
    """The console's title line while another console writes."""
    if holder is None:
        return "只读：另一个 jifen 正在使用此数据库"
    return f"只读：{holder.who()}正在使用，自 {holder.when()} 起"


def refusal(holder: Holder | None) -> str:
    """The sentence a refused write gets (the console's notice, the command line's error)."""
    who = f"{holder.who()}（自 {holder.when()} 起）" if holder else "另一个 jifen"
    return f"此数据库正由{who}使用，这里只能查看，不能修改；未做任何改动"


class WriterLock:
    """The writer lock of one database (a path or a URL). Not reentrant: acquire once."""

    def __init__(self, db: str | os.PathLike[str]) -> None:
        url = database_url(db)
        self._impl: _SqliteLock | _PostgresLock | None = None
        if url.startswith("sqlite:///"):
            self._impl = _SqliteLock(Path(url.removeprefix("sqlite:///")))
        elif url.startswith("postgresql"):
            self._impl = _PostgresLock(url)
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; true when this process now holds it."""
        if not self.held:
            self.held = self._impl is None or self._impl.try_acquire()
        return self.held

    def holder(self) -> Holder | None:
        """Who holds it (None when unknown, or when nobody does)."""
        return None if self._impl is None else self._impl.holder()

    def release(self) -> None:
        if self.held and self._impl is not None:
            self._impl.release()
        self.held = False


class _SqliteLock:
    def __init__(self, path: Path) -> None:
        from filelock import FileLock

        self.lock_path = path.with_name(path.name + "-writer.lock")
        self.info_path = path.with_name(path.name + "-writer.json")
        # thread_local off: a console takes the lock in a worker thread and lets it go in the UI thread.
        self._lock = FileLock(str(self.lock_path), thread_local=False)

    def try_acquire(self) -> bool:
        from filelock import Timeout

        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            return False
        except OSError:  # the folder cannot hold the sidecar (read-only media): nobody may write
            return False
        h = me()
        try:
            tmp = self.info_path.with_name(self.info_path.name + f".{h.pid}")
            tmp.write_text(json.dumps({"user": h.user, "host": h.host, "pid": h.pid, "since": h.since.isoformat()},
                                      ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.info_path)
        except OSError:
            pass  # the others then see an unnamed holder; the lock itself is what counts
        return True

    def holder(self) -> Holder | None:
        try:
            d = json.loads(self.info_path.read_text(encoding="utf-8"))
            return Holder(str(d["user"]), str(d["host"]), int(d["pid"]), datetime.fromisoformat(d["since"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.info_path.unlink()  # before the lock goes: a successor writes its own
        self._lock.release()


def _ascii(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:limit]


class _PostgresLock:
    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.engine.Engine | None = None
        self._conn: sa.engine.Connection | None = None

    def _connection(self) -> sa.engine.Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            if self._engine is None:
                self._engine = make_engine(self.url)
            # Autocommit: the connection idles for hours and must not sit inside a transaction.
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def try_acquire(self) -> bool:
        try:
            conn = self._connection()
            got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
            if got:
                h = me()
                name = f"{_APP_PREFIX} {h.since:%Y%m%dT%H%M} {h.pid} {_ascii(h.user, 16)}@{_ascii(h.host, 20)}"
                conn.execute(sa.text("SELECT set_config('application_name', :n, false)"), {"n": name[:63]})
            return got
        except sa.exc.DBAPIError:
            self._drop()
            return False

    def holder(self) -> Holder | None:
        query = sa.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid::text::bigint = :hi AND l.objid::text::bigint = :lo")
        try:
            key = {"hi": ADVISORY_KEY >> 32, "lo": ADVISORY_KEY & 0xFFFFFFFF}
            name = self._connection().execute(query, key).scalar()
        except sa.exc.DBAPIError:
            self._drop()
            return None
        parts = str(name or "").split(" ")
        if len(parts) != 4 or parts[0] != _APP_PREFIX:
            return None
        user, _, host = parts[3].partition("@")
        try:
            return Holder(user, host, int(parts[2]), datetime.strptime(parts[1], "%Y%m%dT%H%M"))
        except ValueError:
            return None

    def release(self) -> None:
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._conn.close()
        self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
