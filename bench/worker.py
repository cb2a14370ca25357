"""One engine's repeated runs in its own process (a child of `python -m bench`), so its peak RSS is its own.

python -m bench.worker <spec.json> <result.json>; the spec names the engine, inputs, output base and runs.
Spark session start-up (JVM launch) happens before the timed part; its memory still counts in peak RSS.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.measure import PeakRss, output_stats
from bench.semantics import RunCounts

SPARK_ENGINES = {"project", "naive", "project_cdc"}


def _spark():
    from lakectl.spark import local_spark

    cores = os.cpu_count() or 2
    return local_spark("energylake-bench", shuffle_partitions=int(os.environ.get("BENCH_SHUFFLE_PARTITIONS", cores)))


def _run_once(engine: str, spec: dict[str, Any], out: Path, spark: Any) -> RunCounts:
    """One timed run of `engine` writing under `out` (which may hold earlier history)."""
    files = spec.get("files", [])
    if engine == "duckdb":
        from bench.engines import duck

        return duck.transform(files, out / "data", out / "quarantine", threads=spec.get("threads"))
    if engine == "naive":
        from bench.engines import naive

        pending = naive.transform(spark, spec["input_root"], str(out / "data"), str(out / "quarantine"))
        spec["_pending"] = pending
        return RunCounts(0, 0, 0, 0, 0)
    if engine == "project":
        from bench.engines import project

        spec["_pending"] = project.transform(spark, files, str(out / "data"), str(out / "quarantine"))
        return RunCounts(0, 0, 0, 0, 0)
    if engine == "duckdb_cdc":
        from bench.engines import cdc

        return cdc.duckdb_apply(spec["input_root"], out)
    if engine == "project_cdc":
        from bench.engines import project

        return project.cdc_apply(spark, spec["input_root"], str(out))
    raise ValueError(f"unknown engine {engine!r}")


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run spec['runs'] times; per run: seconds, peak RSS of the process tree, row counts, output stats."""
    engine = spec["engine"]
    spark = _spark() if engine in SPARK_ENGINES else None
    base = Path(spec["output"])
    runs = []
    for i in range(int(spec.get("runs", 3))):
        out = base / f"run{i}"
        if spec.get("history"):  # start from a copy of the processed history (incremental runs)
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(spec["history"], out)
        elif out.exists():
            shutil.rmtree(out)
        with PeakRss() as rss:
            start = time.perf_counter()
            counts = _run_once(engine, spec, out, spark)
            seconds = time.perf_counter() - start
        pending = spec.pop("_pending", None)
        if pending is not None:
            counts = pending()
        runs.append(
            {
                "seconds": seconds,
                "peak_rss_bytes": rss.peak,
                "counts": counts.as_dict(),
                "balanced": counts.balanced(),
                "output": output_stats(out / "data") if (out / "data").exists() else output_stats(out),
            }
        )
        if not spec.get("keep_outputs") and i < int(spec.get("runs", 3)) - 1:
            shutil.rmtree(out, ignore_errors=True)
    if spark is not None:
        spark.stop()
    return {"engine": engine, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    """Entry point: read the spec, run, write the result JSON."""
    args = argv if argv is not None else sys.argv[1:]
    spec = json.loads(Path(args[0]).read_text())
    result = run(spec)
    Path(args[1]).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
