"""Which database a command works on, and the two the command line remembers: the last one
the console, `jifen init` or `jifen demo` used, and the demo's own.

The order is fixed and said where it matters: `--db` (wherever it stands on the command line),
else `--last` (the remembered one), else the environment variable JIFEN_DB, else the default
file in the user data folder. A plain `jifen` therefore always opens the default database (or
JIFEN_DB's): it never jumps to whatever was opened last, which `jifen --last` does on request.

The last database is one line in the user config folder; a server URL is kept without its
password (libpq finds that in PGPASSWORD or its password file), so no secret lands on disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from db.engine import database_url, default_db_path, is_url, shown_url
from db.errors import StoreError

SOURCES = {"--db": "由 --db 指定", "--last": "上次使用的数据库", "JIFEN_DB": "由环境变量 JIFEN_DB 指定",
           "default": "默认位置"}


def last_db_file() -> Path:
    from platformdirs import user_config_path

    return user_config_path("jifen", appauthor=False) / "last-db.txt"


def demo_db_path() -> Path:
    """The demo's fixed home: a folder of its own, so the minutes its locks write stay with it."""
    from platformdirs import user_data_path

    return user_data_path("jifen", appauthor=False) / "demo" / "demo.db"


@dataclass(frozen=True)
class Choice:
    """A database as the user named it (a path or a URL) and where the name came from."""

    db: str
    source: str

    @property
    def url(self) -> str:
        return database_url(self.db)

    @property
    def is_file(self) -> bool:
        return not is_url(self.db)

    @property
    def path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def exists(self) -> bool:
        return not self.is_file or self.path.exists()

    def shown(self) -> str:
        """The full path, or the URL without its password."""
        return shown_url(self.url)

    def said(self) -> str:
        return f"{self.shown()}（{SOURCES[self.source]}）"

    def open_command(self) -> str:
        """The command that opens the console on this database again."""
        if self.source == "default" and not os.environ.get("JIFEN_DB"):
            return "jifen"
        return f"jifen --last（或 jifen --db {quoted(self.kept())}）"

    def kept(self) -> str:
        """How the database is remembered: an absolute path, or the URL without a password."""
        if self.is_file:
            return str(self.path)
        import sqlalchemy as sa

        return sa.engine.make_url(self.url).set(password=None).render_as_string(hide_password=False)

    def missing(self) -> str:
        """Why a command that needs an existing database refuses this one."""
        line = f"数据库文件不存在：{self.said()}。请检查 --db，或先用 jifen init 建立支部"
        last = remembered()
        if last and self.source != "--last" and last != self.kept():
            line += f"；上次使用的是 {last}，可用 jifen --last 打开"
        return line


def quoted(text: str) -> str:
    return f'"{text}"' if any(c.isspace() for c in text) else text


def choose(db: str | None, last: bool = False) -> Choice:
    """The database a command works on: --db, else --last, else JIFEN_DB, else the default."""
    if db and last:
        raise StoreError("--db 和 --last 只能用一个")
    if db:
        return Choice(db, "--db")
    if last:
        kept = remembered()
        if not kept:
            raise StoreError("还没有记下上次使用的数据库：请用 --db 指定数据库文件")
        return Choice(kept, "--last")
    env = os.environ.get("JIFEN_DB")
    if env:
        return Choice(env, "JIFEN_DB")
    return Choice(str(default_db_path()), "default")


def remembered() -> str | None:
    try:
        text = last_db_file().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def remember(choice: Choice) -> None:
    """Keep the database for `jifen --last`. A config folder that cannot be written costs only that."""
    target = last_db_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".new")
        tmp.write_text(choice.kept() + "\n", encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass
