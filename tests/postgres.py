"""A real PostgreSQL server for the tests: a throwaway cluster on 127.0.0.1, started once per
session and stopped at its end. Import the fixture into a test module that needs it.

Debian keeps the server binaries outside PATH (/usr/lib/postgresql/N/bin); initdb refuses to
run as root, so under root the cluster belongs to the `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import missing


def _server_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    port: int
    user: str = "jifen"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; its postgresql:// URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class ServerUnavailable(RuntimeError):
    """This machine cannot start a throwaway server (the reason says what is missing)."""


@contextmanager
def throwaway_server() -> Iterator[PostgresServer]:
    """A throwaway cluster on 127.0.0.1 (fsync off), removed on exit. Outside pytest too: the
    benchmarks (bench/committee_bench.py) start theirs with it."""
    initdb, pg_ctl = _server_binary("initdb"), _server_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise ServerUnavailable("no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql package")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ServerUnavailable("psycopg is not installed (pip install 'jifen[postgres]')") from None
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise ServerUnavailable("running as root and there is no 'postgres' user to own the test cluster") from None
        as_user = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="jifen-pg-"))
    if as_user:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data, port = base / "data", _free_port()
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "jifen", "-E", "UTF8",
                        "--no-locale"], check=True, capture_output=True)
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"],
                       check=True, capture_output=True)
        yield PostgresServer(port)
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with ExitStack() as stack:
        try:
            server = stack.enter_context(throwaway_server())
        except ServerUnavailable as exc:
            missing(str(exc))
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database on each store the product supports: a SQLite file path, then a
    PostgreSQL URL on the session's server. Tests of the store, integrity and imports take
    this fixture, so each runs on both (PostgreSQL skipped, with the reason, where no server
    binary exists; never in CI)."""
    if request.param == "sqlite":
        return str(tmp_path / "branch.db")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()
