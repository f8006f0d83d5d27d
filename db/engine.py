"""Where the database is, how to connect, and bringing its schema up to date.

SQLite by default, in the user's data folder; `--db PATH` or JIFEN_DB choose another file,
and a URL (postgresql://...) works the same. Every SQLite connection gets WAL,
synchronous=FULL and foreign keys, so a laptop that loses power loses nothing committed.
PostgreSQL goes through psycopg 3, the `postgres` extra: a plain postgresql:// URL is taken
to mean it (SQLAlchemy would otherwise reach for psycopg2, which jifen does not install).
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
SCHEMA_REVISIONS = ("0001", "0002", "0003")


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
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
        event.listen(engine, "connect", _sqlite_pragmas)
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
    with engine.begin() as conn:
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
