"""One engine's repeated runs in its own process (a child of `python -m bench`), so its peak RSS is its own.

python -m bench.worker <spec.json> <result.json>; the spec names the engine, inputs, output base and runs.
Spark session start-up (JVM launch) happens before the timed runs and is measured on its own (``startup``): the
first run of a process is its cold run (a fresh JVM, what Glue pays: start-up + that run), the later ones warm.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.measure import CpuTime, PeakRss, output_stats
from bench.semantics import RunCounts

SPARK_ENGINES = {"naive", "competent", "competent_cdc"}
PROJECT_ENGINES = {"project", "project_nojvm", "project_cdc", "project_incremental", "project_workflow"}


def _spark():
    from lakectl.spark import local_spark

    cores = os.cpu_count() or 2
    return local_spark("energylake-bench", shuffle_partitions=int(os.environ.get("BENCH_SHUFFLE_PARTITIONS", cores)))


def _run_once(engine: str, spec: dict[str, Any], out: Path, spark: Any) -> RunCounts:
    """One timed run of a baseline `engine` writing under `out`."""
    files = spec.get("files", [])
    if engine == "duckdb":
        from bench.engines import duck

        return duck.transform(
            files, out / "data", out / "quarantine", threads=spec.get("threads"), memory_limit=spec.get("memory_limit")
        )
    if engine == "competent":
        from bench.engines import competent

        spec["_pending"] = competent.transform(spark, files, str(out / "data"), str(out / "quarantine"))
        return RunCounts(0, 0, 0, 0, 0)
    if engine == "naive":
        from bench.engines import naive

        pending = naive.transform(spark, spec["input_root"], str(out / "data"), str(out / "quarantine"))
        spec["_pending"] = pending
        return RunCounts(0, 0, 0, 0, 0)
    if engine == "duckdb_cdc":
        from bench.engines import cdc

        if spec.get("history_root"):  # the table the history built (untimed, see run) takes the batch
            return cdc.duckdb_merge(spec["input_root"], out / "table", threads=spec.get("threads"))
        return cdc.duckdb_apply(spec["input_root"], out / "table")
    if engine == "competent_cdc":
        from bench.engines import cdc_spark

        return cdc_spark.spark_merge(spark, spec["input_root"], out / "table")
    raise ValueError(f"unknown engine {engine!r}")


def _record(seconds: float, cpu: float, rss: int, counts: RunCounts, out: Path) -> dict[str, Any]:
    return {
        "phase": "warm",
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_bytes": rss,
        "counts": counts.as_dict(),
        "balanced": counts.balanced(),
        "output": output_stats(out / "data") if (out / "data").exists() else output_stats(out),
    }


def run_project(spec: dict[str, Any]) -> dict[str, Any]:
    """The project's real Glue jobs (bench.engines.project): only the job itself is timed, not the upload."""
    from bench.engines.project import ProjectRunner

    engine = spec["engine"]
    runner = ProjectRunner()
    base = Path(spec["output"])
    runs: list[dict[str, Any]] = []
    try:
        if engine == "project_workflow":
            from bench.athena import measure_named_queries

            data_root = Path(spec["input_root"])
            jobs = runner.workflow(data_root)
            return {"engine": engine, "jobs": jobs, "athena": measure_named_queries(data_root), "runs": []}
        if engine == "project_incremental":
            day = spec["day_files"]
            results = runner.incremental(
                spec["input_root"], spec["files"], day, Path(spec["snapshot"]), int(spec.get("runs", 3))
            )
            for seconds, cpu, rss, counts in results:
                runs.append(_record(seconds, cpu, rss, counts, base))
        else:
            for i in range(int(spec.get("runs", 3))):
                out = base / f"run{i}"
                shutil.rmtree(out, ignore_errors=True)
                if engine in ("project", "project_nojvm"):
                    seconds, cpu, rss, counts = runner.telemetry(
                        spec["input_root"], spec["files"], out, jvm_json=engine == "project"
                    )
                else:
                    history = spec.get("history_root")
                    snapshot = Path(spec["snapshot"]) if history else None
                    seconds, cpu, rss, counts = runner.cdc(spec["input_root"], out, history, snapshot)
                runs.append(_record(seconds, cpu, rss, counts, out))
                if not spec.get("keep_outputs") and i < int(spec.get("runs", 3)) - 1:
                    shutil.rmtree(out, ignore_errors=True)
    finally:
        runner.stop()
    return _phased({"engine": engine, "runs": runs, "startup": runner.startup})


def _phased(result: dict[str, Any]) -> dict[str, Any]:
    """Mark a process's first run cold (its JVM is fresh) and the rest warm."""
    if result["runs"]:
        result["runs"][0]["phase"] = "cold"
    return result


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run spec['runs'] times; per run: seconds, CPU seconds, peak RSS of the process tree, counts, output stats."""
    engine = spec["engine"]
    if engine in PROJECT_ENGINES:
        return run_project(spec)
    with CpuTime() as startup_cpu:
        start = time.perf_counter()
        spark = _spark() if engine in SPARK_ENGINES else None
        startup_seconds = time.perf_counter() - start
    startup = (
        {"seconds": startup_seconds, "cpu_seconds": startup_cpu.seconds}
        if spark
        else {"seconds": 0.0, "cpu_seconds": 0.0}
    )
    base = Path(spec["output"])
    runs = []
    for i in range(int(spec.get("runs", 3))):
        out = base / f"run{i}"
        if out.exists():
            shutil.rmtree(out)
        if engine == "duckdb_cdc" and spec.get("history_root"):
            from bench.engines import cdc

            # Untimed: the pre-existing table the timed batch is merged into (as the project's snapshot).
            cdc.duckdb_apply(spec["history_root"], out / "table", threads=spec.get("threads"))
        if engine == "competent_cdc" and spec.get("history_root"):
            from bench.engines import cdc_spark

            cdc_spark.spark_merge(spark, spec["history_root"], out / "table")  # untimed, as above
        with PeakRss() as rss, CpuTime() as cpu:
            start = time.perf_counter()
            counts = _run_once(engine, spec, out, spark)
            seconds = time.perf_counter() - start
        pending = spec.pop("_pending", None)
        if pending is not None:
            counts = pending()
        runs.append(_record(seconds, cpu.seconds, rss.peak, counts, out))
        if not spec.get("keep_outputs") and i < int(spec.get("runs", 3)) - 1:
            shutil.rmtree(out, ignore_errors=True)
    if spark is not None:
        spark.stop()
    return _phased({"engine": engine, "runs": runs, "startup": startup})


def main(argv: list[str] | None = None) -> int:
    """Entry point: read the spec, run, write the result JSON."""
    args = argv if argv is not None else sys.argv[1:]
    spec = json.loads(Path(args[0]).read_text())
    result = run(spec)
    Path(args[1]).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
