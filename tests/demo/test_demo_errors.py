"""`make demo` clear errors: a taken port, a missing Java or an unknown size name the step and what to do.

These stop in the `stack` step (or before it), so they start no Spark and no PostgreSQL: cheap and fast.
"""

from __future__ import annotations

import json
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakectl.demo import (
    DemoConfig,
    DemoError,
    check_java,
    duplicated_glue_tables,
    duplicated_lambda_functions,
    remove_emulator_duplicates,
    run_demo,
)
from lakectl.emulator import free_port
from lakectl.pipeline import StepFailedError


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A demo state directory the 'postgres' OS user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="lake-demo-err-"))
    path.chmod(0o755)
    yield path
    import shutil

    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other process listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def _config(state_dir: Path, endpoint: str, **kw) -> DemoConfig:
    defaults = {"size": "tiny", "source_port": free_port(), "warehouse_port": free_port()}
    return DemoConfig(
        state_dir=state_dir,
        report_dir=state_dir / "report",
        emulator_endpoint=endpoint,
        terraform=False,
        forecast=False,
        **{**defaults, **kw},
    )


def _failed_step(state_dir: Path) -> dict:
    return json.loads((state_dir / "demo" / "pipeline.json").read_text())["completed"]["__run__"]


def test_taken_port_names_the_step_the_port_and_the_variable(aws_emulator, state_dir, taken_port):
    cfg = _config(state_dir, aws_emulator.endpoint_url, source_port=taken_port)
    with pytest.raises(StepFailedError) as err:
        run_demo(cfg)
    message = str(err.value)
    assert message.startswith("step 'stack'"), message
    assert f"port {taken_port} (the source PostgreSQL) is in use" in message
    assert "LAKE_SOURCE_PG_PORT=<port>" in message and "resumes at 'stack'" in message
    assert _failed_step(state_dir)["status"] == "failed"
    # Nothing was started on the taken port, and no server data was created for it.
    assert not (state_dir / "postgres" / "source" / "postmaster.pid").exists()


def test_missing_java_says_how_to_install_it(aws_emulator, state_dir, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(state_dir))  # no java anywhere on PATH
    with pytest.raises(DemoError, match=r"Java not found.*openjdk-17-jdk-headless.*JAVA_HOME"):
        check_java()
    cfg = _config(state_dir, aws_emulator.endpoint_url)
    with pytest.raises(StepFailedError, match=r"^step 'stack' .*Java not found.*resumes at 'stack'"):
        run_demo(cfg)


def test_java_home_is_preferred_over_path(state_dir, monkeypatch):
    java = state_dir / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\n")
    monkeypatch.setenv("JAVA_HOME", str(state_dir / "jdk"))
    assert check_java() == str(java)


def test_unknown_size_fails_before_anything_starts(state_dir):
    cfg = _config(state_dir, "http://127.0.0.1:1", size="huge")
    with pytest.raises(ValueError, match="unknown demo size 'huge'; use one of tiny, small, large"):
        run_demo(cfg)
    assert not (state_dir / "demo").exists()


def test_resuming_with_another_size_is_refused(aws_emulator, state_dir, taken_port):
    with pytest.raises(StepFailedError):
        run_demo(_config(state_dir, aws_emulator.endpoint_url, source_port=taken_port))
    with pytest.raises(DemoError, match="the failed run used SIZE=tiny; resume with that size"):
        run_demo(_config(state_dir, aws_emulator.endpoint_url, size="small"))


def test_large_is_ten_times_small_in_the_same_window():
    from dataclasses import asdict

    from lakectl.demo import SIZES

    small, large = asdict(SIZES["small"]), asdict(SIZES["large"])
    assert large.pop("steps") == small.pop("steps")  # same day, so the recorded weather and market data cover it
    assert {k: v / small[k] for k, v in large.items()} == dict.fromkeys(small, 10.0)


# The plan and the error of an apply whose Glue table the emulator already held (demo-apply.log).
DUPLICATE_TABLE_PLAN = """
  # module.glue.aws_glue_catalog_table.dataset["ercot_settlement_prices"] will be created
  + resource "aws_glue_catalog_table" "dataset" {
      + arn           = (known after apply)
      + database_name = "energy_transform"
      + name          = "ercot_settlement_prices"
    }

  # module.glue.aws_glue_catalog_table.dataset["raw_ercot_settlement_prices"] will be created
  + resource "aws_glue_catalog_table" "dataset" {
      + database_name = "energy_raw"
    }
"""
DUPLICATE_TABLE_ERROR = (
    "\nError: creating Glue Catalog Table (ercot_settlement_prices): operation error Glue: CreateTable, https "
    "response error StatusCode: 400, RequestID: NMnW, AlreadyExistsException: Table already exists.\n"
    """

  with module.glue.aws_glue_catalog_table.dataset["ercot_settlement_prices"],
  on ../../modules/glue_catalog_etl/main.tf line 125, in resource "aws_glue_catalog_table" "dataset":
"""
)
DUPLICATE_TABLE_LOG = DUPLICATE_TABLE_PLAN + DUPLICATE_TABLE_ERROR


def test_a_glue_table_the_emulator_created_twice_is_found_in_the_apply_log():
    plan, error = DUPLICATE_TABLE_PLAN, DUPLICATE_TABLE_ERROR
    assert duplicated_glue_tables(plan + error) == [("energy_transform", "ercot_settlement_prices")]
    # Any other failure is left to the user: the apply is not run again.
    assert duplicated_glue_tables(plan + error.replace("AlreadyExistsException", "AccessDeniedException")) == []
    assert duplicated_glue_tables(plan) == []


def test_what_the_emulator_already_held_is_deleted_so_the_apply_can_run_again(aws_emulator):
    import boto3

    # A database of its own: the session's emulator is shared with the demo tests, which create energy_transform.
    database = "duplicate_check"
    log = DUPLICATE_TABLE_LOG.replace('"energy_transform"', f'"{database}"')
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput={"Name": "ercot_settlement_prices"})
    try:
        denied = log.replace("AlreadyExistsException", "AccessDeniedException")
        assert not remove_emulator_duplicates(denied)  # another failure: nothing is deleted, no second apply
        assert glue.get_tables(DatabaseName=database)["TableList"]
        assert remove_emulator_duplicates(log)
        assert glue.get_tables(DatabaseName=database)["TableList"] == []
    finally:
        glue.delete_database(Name=database)


def test_a_lambda_function_the_emulator_already_holds_is_named_for_deletion():
    # The error as the provider printed it when moto answered a repeated CreateFunction (demo-apply.log).
    error = (
        "\nError: creating Lambda Function (energylake-local-ercot_ingest): operation error Lambda: CreateFunction, "
        "https response error StatusCode: 409, RequestID: WNL4, ResourceConflictException: Function already exist: "
        'energylake-local-ercot_ingest\n\n  with module.batch_ingestion[0].aws_lambda_function.fn["ercot_ingest"],\n'
    )
    assert duplicated_lambda_functions(error) == ["energylake-local-ercot_ingest"]
    assert duplicated_lambda_functions(error.replace("ResourceConflictException", "AccessDeniedException")) == []
