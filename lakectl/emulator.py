"""The embedded AWS emulator: moto in server mode on 127.0.0.1.

Three ways to run it: ``EmbeddedEmulator`` (a thread inside the current process, used by tests on a
free port), ``ProcessEmulator`` (a child process on a free port, used by the benchmark so the emulator's
CPU and memory are not counted as the job's) and ``start_daemon``/``stop_daemon`` (a background process
with a pid file, used by the Makefile so Terraform, the demo and a developer's shell can share one emulator).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from lakectl.settings import REPO_ROOT, STATE_DIR, emulator_port


class EmulatorError(RuntimeError):
    """The emulator could not be started or reached; the message says what to do."""


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    """True when something already listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def is_emulator(endpoint_url: str) -> bool:
    """True when the endpoint answers like moto or LocalStack (so it can be reused)."""
    # /moto-api/ (dashboard) rather than /moto-api/data.json: the latter serialises every resource and
    # answers 500 once some resource types exist (e.g. after a Terraform apply of the whole lake).
    for probe in ("/moto-api/", "/_localstack/health"):
        with contextlib.suppress(requests.RequestException):
            if requests.get(endpoint_url + probe, timeout=2).status_code == 200:
                return True
    return False


def wait_until_up(endpoint_url: str, timeout_s: float = 30.0) -> None:
    """Block until the emulator answers, or raise EmulatorError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if is_emulator(endpoint_url):
            return
        time.sleep(0.2)
    raise EmulatorError(f"AWS emulator at {endpoint_url} did not answer within {timeout_s:.0f}s")


def _server_command(port: int) -> list[str]:
    """moto's server on ``port`` of the loopback interface, as a command line."""
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


@dataclass
class _LoopbackEmulator:
    """A moto server on a free loopback port."""

    port: int = field(default_factory=free_port)

    @property
    def endpoint_url(self) -> str:
        """Base URL to put in AWS_ENDPOINT_URL."""
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Drop every emulated resource (moto's reset API), keeping the server up."""
        requests.post(self.endpoint_url + "/moto-api/reset", timeout=10).raise_for_status()


@dataclass
class EmbeddedEmulator(_LoopbackEmulator):
    """moto's ThreadedMotoServer on a free loopback port, for one test session."""

    _server: object = None

    def start(self) -> EmbeddedEmulator:
        """Start the server thread and wait until it answers."""
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        wait_until_up(self.endpoint_url)
        return self

    def stop(self) -> None:
        """Stop the server thread."""
        if self._server is not None:
            self._server.stop()
            self._server = None


@dataclass
class ProcessEmulator(_LoopbackEmulator):
    """moto's server in a child process on a free loopback port; ``pid`` tells its resources apart."""

    _process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def start(self) -> ProcessEmulator:
        """Start the server process and wait until it answers."""
        self._process = subprocess.Popen(
            _server_command(self.port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(self.endpoint_url)
        except EmulatorError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server process."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def _pid_file() -> Path:
    return STATE_DIR / "emulator.pid"


def daemon_endpoint() -> str:
    """Endpoint of the shared background emulator."""
    return f"http://127.0.0.1:{emulator_port()}"


def _listening_pid(port: int) -> int | None:
    """The process listening on ``port``, when the OS lets this user see it."""
    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return conn.pid
    return None


def foreign_emulator(port: int) -> str | None:
    """Which moto server listens on ``port`` when it was started outside this checkout (None otherwise).

    Its resources belong to another checkout's Terraform state, so this checkout's apply would fail with
    "already exists". A server this checkout started (its pid file, or run from its directory) is not
    foreign, and neither is one whose process cannot be seen (LocalStack in Docker, another user's).
    """
    pid = _listening_pid(port)
    if pid is None or (_pid_file().exists() and _pid_file().read_text().strip() == str(pid)):
        return None
    try:
        process = psutil.Process(pid)
        command, directory = process.cmdline(), process.cwd()
    except psutil.Error:
        return None
    link = f"/proc/{pid}/cwd"
    if os.path.exists(link):  # Linux: the directory itself, so one re-created at the same path is another
        deleted = os.readlink(link).endswith(" (deleted)")
        ours = not deleted and os.path.samefile(link, REPO_ROOT)
    else:
        deleted, ours = not os.path.isdir(directory), Path(directory) == REPO_ROOT
    if "moto.server" not in command or ours:
        return None
    return f"moto, pid {pid}, started in {directory}{' (since deleted)' if deleted else ''}"


def start_daemon() -> str:
    """Start the background emulator unless one already answers; return its endpoint.

    A port held by something that is not an AWS emulator, or by the emulator of another checkout, is an
    error naming the port and what to do, rather than a confusing failure later in Terraform or boto3.
    """
    endpoint = daemon_endpoint()
    port = emulator_port()
    if port_in_use(port):
        if is_emulator(endpoint):
            foreign = foreign_emulator(port)
            if foreign:
                raise EmulatorError(
                    f"the AWS emulator on port {port} was started outside this checkout ({foreign}); its "
                    f"resources would clash with this checkout's Terraform state: stop it (`make emulator-stop` "
                    f"in that checkout, or kill the process) or choose another port with LAKE_EMULATOR_PORT=<port>"
                )
            return endpoint
        raise EmulatorError(
            f"port {port} is in use by a process that is not an AWS emulator; "
            f"stop it or choose another port with LAKE_EMULATOR_PORT=<port>"
        )
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log = open(STATE_DIR / "emulator.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        _server_command(port),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _pid_file().write_text(str(proc.pid))
    try:
        wait_until_up(endpoint)
    except EmulatorError:
        proc.kill()
        raise EmulatorError(f"AWS emulator failed to start; see {STATE_DIR / 'emulator.log'}") from None
    return endpoint


def stop_daemon() -> bool:
    """Stop the background emulator started by ``start_daemon``; False when none was running."""
    pid_file = _pid_file()
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True
