"""The project's real Glue jobs on local Spark against an emulated S3 and Glue Data Catalog (moto), for the benchmark.

The jobs are the unchanged scripts of ``glue/jobs`` run through ``lakectl.runner.run_job`` (the local Glue
runner): arguments from ``jobs.yaml``, inputs listed and bookmarked in S3, staged through boto3, outputs written
as versioned partitions and published in the Glue Data Catalog. The emulator runs in a child process of the
benchmark worker, measured apart from the job (on AWS, S3 and the catalog are not the job's CPU); AWS is
reached only through ``AWS_ENDPOINT_URL`` and the standard SDK settings.

Time spent moving bytes between the emulator and the local staging directory (``Storage.download`` /
``Storage.upload_file``) is measured separately: on AWS Glue Spark reads and writes S3 directly, so that part
is an artefact of running locally.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import boto3

from energylake.storage import Storage, parse_s3_uri


class StagingClock:
    """Wall seconds during which a Storage.download / Storage.upload_file ran (local staging overhead).

    Transfers run several at a time (Storage.download_all): time is counted while at least one is running.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._running = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def _start(self) -> None:
        with self._lock:
            if not self._running:
                self._since = time.perf_counter()
            self._running += 1

    def _stop(self) -> None:
        with self._lock:
            self._running -= 1
            if not self._running:
                self.seconds += time.perf_counter() - self._since

    @contextmanager
    def active(self) -> Iterator[StagingClock]:
        """Wrap the two Storage methods for the duration of the block."""
        orig_down, orig_up = Storage.download, Storage.upload_file
        clock = self

        def download(self: Storage, obj: Any, target: Path) -> Path:
            clock._start()
            try:
                return orig_down(self, obj, target)
            finally:
                clock._stop()

        def upload_file(self: Storage, source: Path, uri: str) -> None:
            clock._start()
            try:
                orig_up(self, source, uri)
            finally:
                clock._stop()

        Storage.download, Storage.upload_file = download, upload_file  # type: ignore[method-assign]
        try:
            yield self
        finally:
            Storage.download, Storage.upload_file = orig_down, orig_up  # type: ignore[method-assign]


class Lake:
    """An emulated lake (zone buckets + Glue catalog), driven by the real job scripts."""

    def __init__(self, emulator: Any = None) -> None:
        """Start an emulator in a child process, or use ``emulator`` (already in AWS_ENDPOINT_URL, e.g. a test's)."""
        from lakectl.emulator import ProcessEmulator
        from lakectl.settings import emulator_env

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per S3 request otherwise
        self._owned = emulator is None
        if emulator is None:
            for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                os.environ.pop(key, None)  # never send a real profile's credentials to the emulator
            # Its own process: what S3 and the Data Catalog spend serving the job is not the job's CPU or memory.
            emulator = ProcessEmulator().start()
            os.environ.update(emulator_env(emulator.endpoint_url))
        self.emulator = emulator
        self.s3 = boto3.client("s3")
        self.reset()

    @property
    def emulator_pid(self) -> int | None:
        """The emulator's process id when it runs in a process of its own (else None: it is in this one)."""
        return getattr(self.emulator, "pid", None)

    def reset(self) -> None:
        """Empty emulator with the environment's zone buckets."""
        from lakectl import runner

        self.emulator.reset()
        self.buckets = runner.placeholders()
        runner.ensure_buckets()

    def stop(self) -> None:
        """Stop the emulator (only when this Lake started it)."""
        if self._owned:
            self.emulator.stop()

    def put_tree(self, local_root: Path, files: Sequence[str], zone: str, prefix: str) -> int:
        """Upload ``files`` (under ``local_root``) to ``s3://<zone bucket>/<prefix>/<relative path>``; bytes."""
        total = 0
        bucket = self.buckets[zone]
        for f in files:
            rel = Path(f).relative_to(local_root).as_posix()
            self.s3.upload_file(str(f), bucket, f"{prefix.strip('/')}/{rel}")
            total += os.path.getsize(f)
        return total

    def run_job(self, name: str, clock: StagingClock | None = None) -> Any:
        """Run one job of jobs.yaml through the local Glue runner; its JobMetrics."""
        from lakectl import runner

        if clock is None:
            return runner.run_job(name)
        with clock.active():
            return runner.run_job(name)

    def export_table(self, database: str, table: str, target: Path) -> Path:
        """Download the table's current data (catalog partition locations) as ``<col>=<v>/part-*.parquet``."""
        from energylake.catalog import Catalog, partition_path

        catalog = Catalog()
        meta = catalog.get_table(database, table)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True, exist_ok=True)
        if meta is None:
            return target
        keys = [k["Name"] for k in meta.get("PartitionKeys", [])]
        locations = catalog.partitions(database, table) if keys else {(): meta["StorageDescriptor"]["Location"]}
        for values, location in locations.items():
            bucket, prefix = parse_s3_uri(location)
            sub = target / partition_path(keys, list(values)) if keys else target
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    if obj["Key"].endswith(".parquet"):
                        dest = sub / Path(obj["Key"]).name
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        self.s3.download_file(bucket, obj["Key"], str(dest))
        return target

    def snapshot(self, target: Path) -> Path:
        """Copy every bucket's objects and the catalog's tables/partitions to ``target`` (to restore later)."""
        import json

        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        glue = boto3.client("glue")
        catalog: dict[str, Any] = {}
        for db in glue.get_databases()["DatabaseList"]:
            tables = []
            for page in glue.get_paginator("get_tables").paginate(DatabaseName=db["Name"]):
                for t in page["TableList"]:
                    parts = [
                        {"Values": p["Values"], "StorageDescriptor": p["StorageDescriptor"]}
                        for pp in glue.get_paginator("get_partitions").paginate(
                            DatabaseName=db["Name"], TableName=t["Name"]
                        )
                        for p in pp["Partitions"]
                    ]
                    tables.append({"table": _table_input(t), "partitions": parts})
            catalog[db["Name"]] = tables
        (target / "catalog.json").write_text(json.dumps(catalog, default=str))
        for bucket in self.buckets_in_use():
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for obj in page.get("Contents", []):
                    dest = target / "s3" / bucket / obj["Key"]
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    self.s3.download_file(bucket, obj["Key"], str(dest))
        return target

    def restore(self, source: Path) -> None:
        """Reset the emulator and load a snapshot (objects keep their bytes, so bookmark ETags still match)."""
        import json

        self.reset()
        glue = boto3.client("glue")
        for db, tables in json.loads((source / "catalog.json").read_text()).items():
            with suppress(glue.exceptions.AlreadyExistsException):
                glue.create_database(DatabaseInput={"Name": db})
            for t in tables:
                glue.create_table(DatabaseName=db, TableInput=t["table"])
                parts = t["partitions"]
                for i in range(0, len(parts), 100):
                    glue.batch_create_partition(
                        DatabaseName=db, TableName=t["table"]["Name"], PartitionInputList=parts[i : i + 100]
                    )
        root = source / "s3"
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            bucket, key = path.relative_to(root).as_posix().split("/", 1)
            self.s3.upload_file(str(path), bucket, key)

    def buckets_in_use(self) -> list[str]:
        """The zone buckets (every object of the lake lives in one)."""
        from lakectl.runner import ZONES

        return [self.buckets[z] for z in ZONES]


def _table_input(table: dict[str, Any]) -> dict[str, Any]:
    allowed = ("Name", "Description", "TableType", "Parameters", "PartitionKeys", "StorageDescriptor")
    return {k: v for k, v in table.items() if k in allowed}
