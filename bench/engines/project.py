"""Adapter to the project's real Glue jobs (glue/jobs/*.py via lakectl.runner) for the benchmark.

This is the ONLY place the benchmark touches the project's API. Every measurement runs the unchanged job
scripts of ``glue/jobs/jobs.yaml`` on local Spark against an in-process emulated S3 + Glue Data Catalog
(``bench.lake.Lake``): the input is uploaded where Firehose/DMS would deliver it (untimed), the job is timed
from argument parsing to bookmark commit, and its output is read back through the catalog afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.lake import Lake, StagingClock
from bench.measure import CpuTime, PeakRss, process_cpu
from bench.semantics import RunCounts

TELEMETRY_JOB = "telemetry_to_transform"
CDC_JOB = "trading_cdc_apply"
TRANSFORM_DB = "energy_transform"


class ProjectJobUnavailable(RuntimeError):  # noqa: N818 - reads as a state, like FileNotFound
    """The project's job scripts or the local runner could not be loaded."""


def available() -> str | None:
    """None when the project's jobs can be run locally, else why not."""
    try:
        from lakectl import runner

        for name in (TELEMETRY_JOB, CDC_JOB):
            runner.job_arguments(name)
            if not (runner.JOBS_DIR / f"{name}.py").exists():
                return f"job script {name}.py missing under {runner.JOBS_DIR}"
    except Exception as exc:  # ImportError, KeyError from jobs.yaml
        return f"{type(exc).__name__}: {exc}"
    return None


def cdc_available() -> str | None:
    """None when the project's CDC apply job can be run, else why not."""
    return available()


def count_lines(files: Sequence[str]) -> int:
    """Non-empty lines of the files (raw records offered to every engine)."""
    total = 0
    for f in files:
        with open(f, "rb") as fh:
            total += sum(1 for line in fh if line.strip())
    return total


def _counts(
    metrics: Any, records_in: int, staging_s: float, extra: dict[str, int] | None = None, emulator_cpu: float = 0.0
) -> RunCounts:
    """JobMetrics -> RunCounts (the job's own accounting: read = written + quarantined + de-duplicated)."""
    if metrics.status != "succeeded":
        raise ProjectJobUnavailable(f"job {metrics.job_name} {metrics.status}: {metrics.error}")
    return RunCounts(
        records_in=records_in,
        candidate_rows=metrics.rows_read,
        rows_out=metrics.rows_written,
        quarantined=metrics.rows_quarantined,
        duplicates=metrics.rows_deduplicated,
        extra={
            "staging_ms": round(staging_s * 1000),
            "emulator_cpu_ms": round(emulator_cpu * 1000),
            "job_duration_ms": round(metrics.duration_s * 1000),
            **(extra or {}),
        },
    )


class ProjectRunner:
    """One emulated lake per worker process; each method is one benchmark step on the real jobs."""

    def __init__(self, emulator: Any = None) -> None:
        from lakectl.spark import local_spark

        self.lake = Lake(emulator)
        exclude = [self.lake.emulator_pid] if self.lake.emulator_pid else []
        with CpuTime(exclude=exclude) as cpu:
            start = time.perf_counter()
            self.spark = local_spark("energylake-bench")  # JVM start-up outside the timed runs; jobs reuse it
        # What a cold run pays on top of its job (bench.worker): the JVM and Spark session start.
        self.startup = {"seconds": time.perf_counter() - start, "cpu_seconds": cpu.seconds}
        self.emulator_cpu = 0.0

    def _timed(self, job: str) -> tuple[float, float, int, Any, float]:
        """Run ``job``: wall seconds, CPU seconds and peak RSS of the process tree, metrics, staging seconds.

        The emulator's process is left out of the CPU and memory (S3 and the catalog are not the job's
        resources on AWS); its CPU over the run is kept in ``self.emulator_cpu``.
        """
        clock = StagingClock()
        emulator = self.lake.emulator_pid
        exclude = [emulator] if emulator else []
        emulator_before = process_cpu(emulator)
        with PeakRss(exclude=exclude) as rss, CpuTime(exclude=exclude) as cpu:
            start = time.perf_counter()
            metrics = self.lake.run_job(job, clock)
            seconds = time.perf_counter() - start
        self.emulator_cpu = process_cpu(emulator) - emulator_before
        return seconds, cpu.seconds, rss.peak, metrics, clock.seconds

    def stop(self) -> None:
        """Stop the emulator."""
        self.lake.stop()

    def telemetry(
        self, input_root: str, files: Sequence[str], out: Path, jvm_json: bool = True
    ) -> tuple[float, float, int, RunCounts]:
        """Fresh lake, upload the raw telemetry, time telemetry_to_transform; export its table to out/data.

        ``jvm_json=False`` runs the job with Spark's built-in JSON reading instead of the JVM function
        (energylake.jvm.JSON_READER_CONF, a setting of the session the job joins).
        """
        from energylake.jvm import BUILTIN_JSON_READER, JSON_READER_CONF

        self.lake.reset()
        records_in = count_lines(files)
        self.lake.put_tree(Path(input_root), files, "raw", "telemetry")
        # The setting is the session's, which later jobs in this process share (the test suite's too): it holds
        # for this run only.
        before = self.spark.conf.get(JSON_READER_CONF, None)
        self.spark.conf.set(JSON_READER_CONF, "jvm" if jvm_json else BUILTIN_JSON_READER)
        try:
            seconds, cpu, rss, metrics, staging = self._timed(TELEMETRY_JOB)
        finally:
            if before is None:
                self.spark.conf.unset(JSON_READER_CONF)
            else:
                self.spark.conf.set(JSON_READER_CONF, before)
        counts = _counts(metrics, records_in, staging, emulator_cpu=self.emulator_cpu)
        self.lake.export_table(TRANSFORM_DB, "telemetry_readings", out / "data")
        # The run's quarantine rows too: the engines are compared on what they reject as well as what they keep.
        from energylake.contracts import get_contract

        self.lake.export_table(
            get_contract("quarantine_records").glue_database(), "quarantine_records", out / "quarantine"
        )
        return seconds, cpu, rss, counts

    def incremental(
        self, input_root: str, history: Sequence[str], day: Sequence[str], snapshot: Path, runs: int
    ) -> list[tuple[float, float, int, RunCounts]]:
        """Process ``history`` once (untimed, snapshotted), then per run: restore, upload ``day``, time the job."""
        if not (snapshot / "catalog.json").exists():
            self.lake.reset()
            self.lake.put_tree(Path(input_root), history, "raw", "telemetry")
            self.lake.run_job(TELEMETRY_JOB)
            self.lake.snapshot(snapshot)
        out = []
        records_in = count_lines(day)
        for _ in range(runs):
            self.lake.restore(snapshot)
            self.lake.put_tree(Path(input_root), day, "raw", "telemetry")
            seconds, cpu, rss, metrics, staging = self._timed(TELEMETRY_JOB)
            counts = _counts(metrics, records_in, staging, {"input_objects": metrics.input_objects}, self.emulator_cpu)
            out.append((seconds, cpu, rss, counts))
        return out

    def cdc(
        self, dms_root: str, out: Path, history_root: str | None = None, snapshot: Path | None = None
    ) -> tuple[float, float, int, RunCounts]:
        """Fresh lake, upload the DMS full load + CDC files, time trading_cdc_apply.

        With ``history_root`` (a pre-existing table's full load) the history is applied once, untimed, and
        snapshotted; each run restores it and times the batch applied to it.
        """
        if history_root and snapshot is not None:
            if not (snapshot / "catalog.json").exists():
                self.lake.reset()
                loads = sorted(str(p) for p in Path(history_root).rglob("*.csv"))
                self.lake.put_tree(Path(history_root), loads, "landing", "dms/trading")
                self.lake.run_job(CDC_JOB)
                self.lake.snapshot(snapshot)
            self.lake.restore(snapshot)
        else:
            self.lake.reset()
        files = sorted(str(p) for p in Path(dms_root).rglob("*.csv"))
        self.lake.put_tree(Path(dms_root), files, "landing", "dms/trading")
        seconds, cpu, rss, metrics, staging = self._timed(CDC_JOB)
        extra = {f"{t}_{k}": int(v) for t, d in metrics.details.items() for k, v in d.items()}
        counts = _counts(metrics, metrics.rows_read, staging, extra, self.emulator_cpu)
        # The tables as the catalog names them, laid out like the other engines' (out/table/<table>), for the
        # output check of bench.run.
        from bench.engines.cdc import TABLES
        from energylake.contracts import get_contract

        for table in TABLES:
            contract = get_contract(f"trading_{table}")
            self.lake.export_table(contract.glue_database(), contract.name, out / "table" / table)
        return seconds, cpu, rss, counts

    def workflow(self, data_root: Path) -> dict[str, Any]:
        """Every job of jobs.yaml in workflow order on the generated landing + raw data (each timed once)."""
        from lakectl import runner

        self.lake.reset()
        uploads = {
            "raw/telemetry": ("raw", "telemetry"),
            "landing/ercot": ("landing", "ercot"),
            "landing/openmeteo": ("landing", "openmeteo"),
            "landing/dms/trading": ("landing", "dms/trading"),
        }
        for rel, (zone, prefix) in uploads.items():
            root = data_root / rel
            files = sorted(str(p) for p in root.rglob("*") if p.is_file())
            self.lake.put_tree(root, files, zone, prefix)
        jobs: dict[str, Any] = {}
        for name in runner.job_names():
            seconds, cpu, _, metrics, staging = self._timed(name)
            jobs[name] = {"seconds": seconds, "cpu_seconds": cpu, "staging_seconds": staging,
                          "emulator_cpu_seconds": self.emulator_cpu,
                          "status": metrics.status, "balanced": metrics.balanced,
                          "rows_read": metrics.rows_read, "rows_written": metrics.rows_written}  # fmt: skip
        return jobs
