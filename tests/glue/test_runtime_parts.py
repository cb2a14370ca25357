"""The job runtime's parts, each on its own: arguments, session, staging, bookmarks, publish and accounting.

The whole composition (JobContext) runs in tests/glue/test_jobs.py and, the way Glue runs it, test_glue_shaped.py.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from energylake import arguments, session
from energylake.accounting import JobMetrics, publish_metrics
from energylake.bookmarks import Bookmarks
from energylake.publish import Tables
from energylake.staging import Staging
from energylake.storage import ObjectInfo, Storage

STAND_IN = Path(__file__).parent / "glue_shaped" / "stand_in" / "awsglue" / "utils.py"
WHEN = datetime(2024, 7, 15, tzinfo=UTC)


def _object(uri: str, etag: str = "e1", size: int = 3) -> ObjectInfo:
    return ObjectInfo(uri, etag, size, WHEN)


@pytest.fixture
def bucket(s3) -> str:
    s3.create_bucket(Bucket="state")
    return "state"


# ---- arguments -------------------------------------------------------------------------------------------------
def test_local_arguments_keep_glues_own_and_check_paths():
    argv = [
        "job.py",
        "--input_path",
        "s3://b/in/",
        "--job-bookmark-option",
        "job-bookmark-disable",
        "--TempDir=s3://t/",
    ]
    args = arguments.parse_args(argv, ["input_path"], {"tables": "x"})
    # Locally every pair is kept (Glue passes its own arguments too); optional ones get their defaults.
    assert args == {
        "input_path": "s3://b/in/",
        "job-bookmark-option": "job-bookmark-disable",
        "TempDir": "s3://t/",
        "tables": "x",
    }
    with pytest.raises(arguments.ArgumentError, match="--output_path must be an s3:// URI"):
        arguments.parse_args(["job.py", "--output_path", "/tmp/out"], [])
    with pytest.raises(arguments.ArgumentError, match="unexpected argument 'stray'"):
        arguments.parse_args(["job.py", "stray"], [])


def test_job_arguments_need_the_common_ones_and_name_the_job_after_its_script():
    argv = ["glue/jobs/x_to_y.py", "--state_path", "s3://a/state/", "--quarantine_path", "s3://t/q/"]
    args = arguments.job_arguments(argv, [])
    assert args["JOB_NAME"] == "x_to_y" and args["quarantine_database"] == "energy_quarantine"
    with pytest.raises(arguments.ArgumentError, match="missing required argument --quarantine_path"):
        arguments.job_arguments(argv[:3], [])


def test_on_glue_getresolvedoptions_resolves_them_and_ignores_unrequested(monkeypatch):
    """On Glue only requested names (and optional ones present) are asked for; Glue's own come back as Glue's."""
    spec = importlib.util.spec_from_file_location("glue_shaped_awsglue_utils_args", STAND_IN)
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    package = types.ModuleType("awsglue")
    package.utils = utils
    monkeypatch.setitem(sys.modules, "awsglue", package)
    monkeypatch.setitem(sys.modules, "awsglue.utils", utils)
    monkeypatch.setattr(arguments, "glue_available", lambda: True)
    argv = ["s.py", "--JOB_NAME", "lake-dev-x", "--extra-py-files", "s3://a/l.whl", "--input_path", "s3://r/in/"]
    args = arguments.parse_args(argv, ["JOB_NAME", "input_path"], {"tables": "t1", "state_path": ""})
    assert args["input_path"] == "s3://r/in/" and args["tables"] == "t1" and args["state_path"] == ""
    assert args["job_bookmark_option"] == "job-bookmark-disable" and "extra-py-files" not in args
    with pytest.raises(utils.GlueArgumentError, match="--output_path"):
        arguments.parse_args(argv, ["output_path"])


# ---- session ---------------------------------------------------------------------------------------------------
def test_an_injected_session_factory_serves_local_jobs_only_inside_its_block(monkeypatch):
    made = []
    monkeypatch.setattr(session.SparkSession, "builder", types.SimpleNamespace(getOrCreate=lambda: "default"))
    with session.session_factory(lambda name: made.append(name) or "local"):
        assert session.job_session("telemetry", on_glue=False) == "local"
        assert session.job_session("telemetry", on_glue=True) == "default"  # Glue's own session, never the local
    assert session.job_session("telemetry", on_glue=False) == "default"
    assert made == ["glue-telemetry"]


# ---- staging ---------------------------------------------------------------------------------------------------
def test_direct_io_reads_and_writes_s3_itself():
    staging = Staging(storage=types.SimpleNamespace(), directory=None)
    objects = [_object("s3://raw/a.json")]
    assert not staging.staged
    assert staging.input_paths(objects) == (["s3://raw/a.json"], None)
    assert staging.table_path("s3://t/x/v=1/") == "s3://t/x/v=1/"


def test_staged_io_downloads_inputs_and_uploads_only_the_new_version(bucket, s3, tmp_path):
    s3.put_object(Bucket=bucket, Key="in/a.json", Body=b"{}\n")
    storage = Storage()
    staging = Staging.create(storage, "job", staged=True)
    try:
        paths, path_map = staging.input_paths(storage.list(f"s3://{bucket}/in/"))
        assert [Path(p).read_bytes() for p in paths] == [b"{}\n"]
        assert path_map == (str(staging.directory / "in") + "/", "s3://")

        class Writer:  # what Spark's writer leaves: this run's version next to an older one of the same directory
            def parquet(self, path: str) -> None:
                for rel in ("m=a/v=run-1/part-0.parquet", "m=a/v=old/part-0.parquet", "m=a/v=run-1/_SUCCESS"):
                    (Path(path) / rel).parent.mkdir(parents=True, exist_ok=True)
                    (Path(path) / rel).write_bytes(b"x")

        staging.write_parquet(Writer(), f"s3://{bucket}/out/", "run-1", "t-1")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="out/")["Contents"]]
        assert keys == ["out/m=a/v=run-1/part-0.parquet"]
    finally:
        staging.remove()
    assert not staging.directory.exists()


# ---- bookmarks -------------------------------------------------------------------------------------------------
def test_bookmarks_remember_inputs_and_sources_only_when_saved(bucket):
    storage = Storage()
    first = Bookmarks(storage, f"s3://{bucket}/state/", "job")
    first.load()
    objects = [_object("s3://raw/a"), _object("s3://raw/b")]
    assert first.fresh(objects) == objects
    assert first.source_changes("db.t", {"2024-07-15": "s3://t/d=2024-07-15/v=1/"}) == [("2024-07-15",)]
    assert Bookmarks(storage, f"s3://{bucket}/state/", "job").state == {}  # nothing saved yet
    first.record_file_stats("db.t", 1000, 10)
    first.save("run-1")

    again = Bookmarks(storage, f"s3://{bucket}/state/", "job")
    again.load()
    changed = [_object("s3://raw/a", etag="e2"), _object("s3://raw/b"), _object("s3://raw/c")]
    assert [o.uri for o in again.fresh(changed)] == ["s3://raw/a", "s3://raw/c"]  # new ETag and new key
    assert again.source_changes("db.t", {"2024-07-15": "s3://t/d=2024-07-15/v=1/"}) == []
    assert again.source_changes("db.t", {}) == [("2024-07-15",)]  # a removed partition is a change too
    assert again.source_changes("db.u", {"": "s3://t/u/v=2/"}) == [()]  # an unpartitioned table
    assert again.measured("db.t") == {"bytes": 1000, "rows": 10} and again.state["last_run_id"] == "run-1"


# ---- publish ---------------------------------------------------------------------------------------------------
def test_garbage_collection_keeps_the_published_version_and_measures_it(bucket, s3):
    for key in ("t/m=a/v=old/p.parquet", "t/m=a/v=new/p.parquet", "t/m=a/v=new/_SUCCESS", "t/m=a/notes.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"12345")
    tables = Tables(None, "run", Staging(Storage()), None, None)
    kept = tables.collect_garbage(f"s3://{bucket}/t/m=a/", f"s3://{bucket}/t/m=a/v=new/")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="t/")["Contents"])
    assert keys == ["t/m=a/notes.txt", "t/m=a/v=new/_SUCCESS", "t/m=a/v=new/p.parquet"] and kept == 5
    assert tables.collect_garbage(f"s3://{bucket}/t/m=a/", None) == 0  # a dropped partition: every version goes
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="t/")["Contents"]] == ["t/m=a/notes.txt"]


# ---- accounting ------------------------------------------------------------------------------------------------
def test_the_row_balance_counts_every_row_read_once():
    m = JobMetrics("j", "r")
    m.rows_quarantined += 2  # the quarantine counts its rows as it keeps them
    m.record_dataset("readings", valid=10, quarantined=2, written=7, deduplicated=1, not_reported=3)
    assert (m.rows_read, m.rows_written, m.rows_deduplicated, m.rows_not_reported) == (15, 7, 1, 3)
    assert m.details["readings"] == {"read": 15, "written": 7, "quarantined": 2, "deduplicated": 1, "not_reported": 3}
    assert not m.balanced  # two of the valid rows are unaccounted for
    m.rows_written += 2
    assert m.balanced and json.loads(json.dumps(m.to_dict()))["balanced"]
    aggregate = JobMetrics("j", "r", kind="aggregate", rows_read=4, rows_aggregated=4, rows_written=1)
    assert aggregate.balanced


def test_metrics_of_a_run_are_written_under_the_state_path(bucket, capsys):
    storage = Storage()
    ok, failed = JobMetrics("job", "run-1"), JobMetrics("job", "run-2")
    ok.finish(None, 1.23456)
    failed.finish(RuntimeError("disk full\nmore"), 0.5)
    for m in (ok, failed):
        publish_metrics(m, storage, f"s3://{bucket}/state/")
    assert (ok.status, ok.duration_s, failed.status, failed.error) == (
        "succeeded",
        1.235,
        "failed",
        "RuntimeError: disk full",
    )
    assert storage.get_json(f"s3://{bucket}/state/metrics/job/latest.json")["run_id"] == "run-1"
    assert storage.get_json(f"s3://{bucket}/state/metrics/job/run-2.json")["status"] == "failed"
    logged = [json.loads(line)["job_metrics"]["run_id"] for line in capsys.readouterr().err.splitlines()]
    assert logged == ["run-1", "run-2"]
