"""Real PostgreSQL servers for the local stack (the on-premises source and the Redshift stand-in).

The server binaries come from the OS packages (``initdb``/``pg_ctl``). PostgreSQL refuses to run as
root, so when we are root (containers, CI) the server runs as the ``postgres`` OS user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from lakectl.emulator import free_port, port_in_use


class PostgresError(RuntimeError):
    """The local PostgreSQL server could not be started; the message says what to do."""


def _find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise PostgresError(f"{name} not found: install the PostgreSQL server (Debian: apt-get install postgresql)")


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresError("running as root needs an OS user 'postgres' to own the database server") from None
    return ["runuser", "-u", "postgres", "--", *cmd]


@dataclass
class LocalPostgres:
    """One PostgreSQL cluster in ``data_dir`` listening on 127.0.0.1:``port``."""

    data_dir: Path
    port: int = 0
    user: str = "lake"
    database: str = "lake"

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        if not self.port:
            self.port = free_port()

    @property
    def dsn(self) -> str:
        """libpq connection string for the lake user and database."""
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={self.database}"

    def _run(self, cmd: list[str]) -> None:
        result = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PostgresError(f"{Path(cmd[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")

    def is_running(self) -> bool:
        """True when the cluster answers on its port."""
        try:
            with psycopg.connect(self.dsn, connect_timeout=2):
                return True
        except psycopg.Error:
            return False

    def start(self) -> LocalPostgres:
        """initdb on first use, then start the server and create the lake database."""
        if self.is_running():
            return self
        if port_in_use(self.port):
            raise PostgresError(f"port {self.port} is in use by another process; choose another port")
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._chown(self.data_dir)
            self._run(
                [
                    _find_binary("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    self.user,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]
            )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} -c fsync=off"
        self._run(
            [
                _find_binary("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-o",
                options,
                "-l",
                str(self.data_dir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        self._wait()
        self._ensure_database()
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown); the data directory is kept."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run([_find_binary("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _wait(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(dsn, connect_timeout=2):
                    return
            except psycopg.Error:
                time.sleep(0.2)
        raise PostgresError(f"PostgreSQL on port {self.port} did not start; see {self.data_dir / 'server.log'}")

    def _ensure_database(self) -> None:
        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def connect(self, **kwargs: object) -> psycopg.Connection:
        """A new psycopg connection to the lake database."""
        return psycopg.connect(self.dsn, **kwargs)
