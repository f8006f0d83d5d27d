"""Where the database is, how to connect, and bringing its schema up to date.

SQLite by default, in the user's data folder; `--db PATH` or JIFEN_DB choose another file,
and a URL (postgresql://...) works the same. Every SQLite connection gets WAL,
synchronous=FULL and foreign keys, so a laptop that loses power loses nothing committed.
PostgreSQL goes through psycopg 3, the `postgres` extra: a plain postgresql:// URL is taken
to mean it (SQLAlchemy would otherwise reach for psycopg2, which jifen does not install).

Writes are serialized, one write transaction at a time per database, holding the write lock
from its first statement (`write_engine`): the checks a write makes and the rows it writes
can never be separated by another program's write.
- SQLite: the driver's own transaction handling is switched off (isolation_level None) and
  every transaction is begun here: a write with `BEGIN IMMEDIATE`, which takes the database's
  write lock before the first read; a read with a plain deferred `BEGIN`, so a read-only
  console never takes the write lock. (With a deferred BEGIN a write reads its checklist
  from one snapshot and upgrades to the write lock later; another program's commit in
  between makes the upgrade fail with SQLITE_BUSY_SNAPSHOT, or worse, the checks read what
  is no longer so.)
- PostgreSQL: a write first takes a transaction-level advisory lock (released at commit or
  rollback, also when the connection dies), then runs at READ COMMITTED: every statement
  after the lock sees everything the previous writer committed. Reads never wait for it.
A writer waits at most WRITE_WAIT_SECONDS for the lock; db.store turns the timeout into a
Chinese refusal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from db.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The revisions this program knows, oldest first. Opening a database that is already at the
# head then needs no Alembic import (a tenth of a second at start-up); tests/db keep this list
# equal to the migration scripts.
SCHEMA_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")
# The table that marks a committee database (committee.tables): never opened as a branch's.
COMMITTEE_MARK = "committee_schema"


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("jifen", appauthor=False) / "jifen.db"


POSTGRES_EXTRA = 'pip install "jifen[postgres]"'


def database_url(db: str | os.PathLike | None = None) -> str:
    """The URL for --db (a path or a URL), else JIFEN_DB, else the default file."""
    target = str(db) if db else os.environ.get("JIFEN_DB") or str(default_db_path())
    if "://" in target:
        scheme, rest = target.split("://", 1)
        if scheme in ("postgresql", "postgres"):
            return f"postgresql+psycopg://{rest}"
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def is_url(db: str | os.PathLike | None) -> bool:
    """Whether --db names a server database rather than a file."""
    return db is not None and "://" in str(db)


def shown_url(url: str) -> str:
    """The URL as the user may see it: no password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return sa.engine.make_url(url).render_as_string(hide_password=True)


# How long a write waits for another program's write transaction before it is refused: long
# enough for any single operation (locking a quarter of 300 members, an import's insert),
# short enough that a console does not seem to hang.
WRITE_WAIT_SECONDS = 5
BUSY_TIMEOUT_MS = WRITE_WAIT_SECONDS * 1000
# The transaction-level advisory lock every PostgreSQL write takes first: "jifenW" in ASCII
# (not db.writer's session-level key, which a console holds for its whole life).
WRITE_LOCK_KEY = 0x6A6966656E57
# The execution option that marks a write engine/connection.
_WRITE = "jifen_write"
WRITE_OPTION = {_WRITE: True}


def write_engine(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions are writes: each holds the database's
    write lock from its first statement."""
    return engine.execution_options(**WRITE_OPTION)


def _sqlite_no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite would BEGIN (deferred) by itself before the first INSERT/UPDATE/DELETE; the
    # "begin" listener below begins every transaction instead.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: sa.Connection) -> None:
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # e.g. a WAL checkpoint: no transaction at all
    # Also after an AUTOCOMMIT use: resetting the isolation level re-arms pysqlite's own BEGIN.
    conn.connection.driver_connection.isolation_level = None  # type: ignore[union-attr]
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _postgres_begin(conn: sa.Connection) -> None:
    if conn.get_execution_options().get(_WRITE):
        # SET LOCAL lasts until this transaction ends; lock_timeout also bounds waiting for a
        # row that someone outside the store (a raw session) holds.
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{WRITE_WAIT_SECONDS}s'")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Deleted content is overwritten with zeros, in the page and in pages put on the free list:
    # an undone ballot, or a ballot's old place before its quarter was rewritten, leaves nothing
    # readable in the file (db.secrecy).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        engine = sa.create_engine(url)
    except ModuleNotFoundError as exc:
        if url.startswith("postgresql"):
            raise StoreError(f"连接 PostgreSQL 数据库需要安装 jifen 的 postgres 扩展：{POSTGRES_EXTRA}") from None
        raise StoreError(f"无法打开数据库 {shown_url(url)}：缺少数据库驱动 {exc.name}") from None
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"数据库地址写法不对：{exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_no_driver_transactions)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _postgres_begin)
    return engine


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def schema_heads() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_alembic_config()).get_heads())


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def migrate(engine: Engine) -> None:
    """Upgrade the schema to this program's; refuse a database written by a newer program."""
    with engine.connect() as conn:
        if sa.inspect(conn).has_table(COMMITTEE_MARK):
            raise StoreError(f"{shown_url(str(engine.url))} 是党委的汇总数据库（jifen committee），"
                             "不是党支部的积分数据库，不能在这里打开")
        has_version = sa.inspect(conn).has_table("alembic_version")
        current = {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))} \
            if has_version else set()
    unknown = current - set(SCHEMA_REVISIONS)
    if unknown:
        raise StoreError(f"数据库由更新版本的 jifen 创建（结构版本 {', '.join(sorted(unknown))}），"
                         "本程序无法安全打开，请升级 jifen 后再试。")
    if current == {SCHEMA_REVISIONS[-1]}:
        return
    from alembic import command

    cfg = _alembic_config()
    with write_engine(engine).begin() as conn:  # two programs upgrading at once take turns
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_engine(db: str | os.PathLike | None = None) -> Engine:
    """An engine on the chosen database, its schema brought up to date."""
    url = database_url(db)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        # A server that is down or refuses us: one line with the server's own reason.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"无法连接数据库 {shown_url(url)}：{reason}") from None
    return engine
