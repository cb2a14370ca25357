"""The embedded emulator and PostgreSQL harness work for real (they back every other test)."""

import re

import boto3
import pytest

from lakectl.emulator import EmulatorError, is_emulator, port_in_use


def test_emulator_serves_s3_through_aws_endpoint_url(s3, aws):
    s3.create_bucket(Bucket="probe")
    s3.put_object(Bucket="probe", Key="a/b.json", Body=b"{}")
    assert boto3.client("s3").get_object(Bucket="probe", Key="a/b.json")["Body"].read() == b"{}"
    assert is_emulator(aws.endpoint_url)


def test_emulator_reset_drops_resources(s3, aws):
    s3.create_bucket(Bucket="gone")
    aws.reset()
    assert s3.list_buckets()["Buckets"] == []


def test_daemon_refuses_a_port_held_by_something_else(monkeypatch):
    import socket

    from lakectl import emulator

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        monkeypatch.setenv("LAKE_EMULATOR_PORT", str(port))
        assert port_in_use(port)
        with pytest.raises(EmulatorError, match=f"port {port} is in use"):
            emulator.start_daemon()


def test_daemon_refuses_the_emulator_of_another_checkout(monkeypatch, tmp_path):
    import subprocess

    from lakectl import emulator

    port = emulator.free_port()
    other_checkout = tmp_path / "other-checkout"
    other_checkout.mkdir()
    server = subprocess.Popen(
        emulator._server_command(port), cwd=other_checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        emulator.wait_until_up(f"http://127.0.0.1:{port}")
        monkeypatch.setenv("LAKE_EMULATOR_PORT", str(port))
        monkeypatch.setattr(emulator, "STATE_DIR", tmp_path / "state")
        with pytest.raises(
            EmulatorError, match=f"started outside this checkout \\(moto, pid {server.pid}, started in "
        ):
            emulator.start_daemon()
        # A checkout since deleted, and a new one cloned at its path, are still another checkout.
        other_checkout.rmdir()
        other_checkout.mkdir()
        monkeypatch.setattr(emulator, "REPO_ROOT", other_checkout)
        with pytest.raises(EmulatorError, match=re.escape(f"started in {other_checkout} (since deleted)")):
            emulator.start_daemon()
        # The same server, started by this checkout (its pid file), is reused.
        (tmp_path / "state").mkdir()
        (tmp_path / "state" / "emulator.pid").write_text(str(server.pid))
        assert emulator.start_daemon() == f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_fixed_local_ports_lie_below_the_ephemeral_port_range(monkeypatch):
    from pathlib import Path

    from lakectl import settings
    from lakectl.demo import DemoConfig

    for name in ("LAKE_EMULATOR_PORT", "LAKE_SOURCE_PG_PORT", "LAKE_WAREHOUSE_PG_PORT"):
        monkeypatch.delenv(name, raising=False)
    # A port in the range can be taken by any client connection or by a server on a "free" port (free_port).
    first_ephemeral = 49152  # IANA's range; Linux starts lower
    linux_range = Path("/proc/sys/net/ipv4/ip_local_port_range")
    if linux_range.exists():
        first_ephemeral = min(first_ephemeral, int(linux_range.read_text().split()[0]))
    demo = DemoConfig()
    ports = [settings.emulator_port(), demo.source_port, demo.warehouse_port]
    assert ports == [4566, settings.source_pg_port(), settings.warehouse_pg_port()]
    assert all(port < first_ephemeral for port in ports), (ports, first_ephemeral)


@pytest.mark.postgres
def test_postgres_harness_runs_a_real_server(postgres_factory):
    server = postgres_factory("probe")
    with server.connect() as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute("CREATE TABLE t (id int primary key)")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    assert version.split(".")[0] >= "13"
