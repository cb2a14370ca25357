"""`make bench`: generate the input once, run every engine in a child process, summarise, write the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.engines import project
from bench.generate import MIB, generate, generate_history, parse_size
from bench.measure import fixed_and_per_unit, machine, median
from bench.report import over, render_markdown
from lakectl.spark import DEFAULT_DRIVER_MEMORY

REPO_ROOT = Path(__file__).resolve().parents[1]
# The competent PySpark job is the headline baseline (every ratio is against it); project_nojvm is the project
# job with its JVM JSON function switched off (energylake.telemetry.JSON_READER_CONF), to measure what it earns.
TELEMETRY_ENGINES = ("competent", "project", "project_nojvm", "naive", "duckdb")
PROJECT_TELEMETRY = ("project", "project_nojvm")
# DuckDB's memory limit (SET memory_limit): by default the Spark engines' heap, so no engine gets more memory.
DUCKDB_MEMORY_ENV = "BENCH_DUCKDB_MEMORY"
# Glue pricing assumptions of the projection (stated in the report).
GLUE = {"vcpu_per_dpu": 4, "usd_per_dpu_hour": 0.44, "min_billed_seconds": 60, "workers": 2, "runs_per_day": 24}
DAILY_GB = 100


def _files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.is_file())


def _worker(spec: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Run bench.worker in a child process (its own peak RSS, its own JVM) and read its result."""
    scratch.mkdir(parents=True, exist_ok=True)
    spec_path = scratch / f"{spec['name']}.spec.json"
    result_path = scratch / f"{spec['name']}.result.json"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run(
        [sys.executable, "-m", "bench.worker", str(spec_path), str(result_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join(line for line in proc.stderr.splitlines() if "WARN" not in line)[-2000:]
        return {"engine": spec["engine"], "error": tail or f"exit {proc.returncode}", "runs": []}
    return json.loads(result_path.read_text())


def summarise(result: dict[str, Any], input_bytes: int, cores: int) -> dict[str, Any]:
    """Medians over runs plus throughput per core: warm runs (the headline) and cold runs apart.

    A cold run is a process's first (a fresh JVM, what Glue pays): its cost includes the process's start-up
    (JVM and Spark session). When a result has no warm run, its runs stand for both.
    """
    runs = result.get("runs") or []
    if not runs:
        return {"available": False, "reason": result.get("error") or result.get("reason", "no runs")}
    warm = [r for r in runs if r.get("phase", "warm") == "warm"] or runs
    cold = [r for r in runs if r.get("phase") == "cold"]
    seconds = median([r["seconds"] for r in warm])
    counts = warm[-1]["counts"]
    out = {
        "available": True,
        "runs": len(warm),
        "seconds": seconds,
        "seconds_all": [round(r["seconds"], 3) for r in warm],
        "records_per_s": counts["records_in"] / seconds,
        "mb_per_s": input_bytes / MIB / seconds,
        "mb_per_s_per_core": input_bytes / MIB / seconds / cores,
        "records_per_s_per_core": counts["records_in"] / seconds / cores,
        "cpu_seconds": median([r.get("cpu_seconds", 0.0) for r in warm]),
        "cpu_seconds_all": [round(r.get("cpu_seconds", 0.0), 3) for r in warm],
        "peak_rss_bytes": int(median([r["peak_rss_bytes"] for r in warm])),
        "staging_seconds": median([r["counts"].get("extra", {}).get("staging_ms", 0) / 1000 for r in warm]),
        "emulator_cpu_seconds": median([r["counts"].get("extra", {}).get("emulator_cpu_ms", 0) / 1000 for r in warm]),
        "counts": counts,
        "balanced": all(r["balanced"] for r in runs),
        "output": warm[-1]["output"],
    }
    if cold:
        cold_s = [r["seconds"] + r.get("startup_seconds", 0.0) for r in cold]
        cold_cpu = [r.get("cpu_seconds", 0.0) + r.get("startup_cpu_seconds", 0.0) for r in cold]
        out |= {"cold_runs": len(cold), "cold_seconds": median(cold_s), "cold_cpu_seconds": median(cold_cpu),
                "cold_seconds_all": [round(x, 3) for x in cold_s],
                "cold_cpu_seconds_all": [round(x, 3) for x in cold_cpu],
                "startup_seconds": median([r.get("startup_seconds", 0.0) for r in cold])}  # fmt: skip
    return out


def _merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One engine's worker results of every round as one result; each cold run carries its process's start-up."""
    runs: list[dict[str, Any]] = []
    for result in rounds:
        if not result.get("runs"):
            return result  # an error: report it rather than a partial median
        startup = result.get("startup") or {}
        for r in result["runs"]:
            if r.get("phase") == "cold":
                r = {
                    **r,
                    "startup_seconds": startup.get("seconds", 0.0),
                    "startup_cpu_seconds": startup.get("cpu_seconds", 0.0),
                }
            runs.append(r)
    return {"engine": rounds[0].get("engine") if rounds else None, "runs": runs}


def duckdb_memory_limit(spark_heap: str) -> str:
    """DuckDB's memory limit: BENCH_DUCKDB_MEMORY, else the Spark heap's size (e.g. 4g -> 4GiB)."""
    explicit = os.environ.get(DUCKDB_MEMORY_ENV)
    if explicit:
        return explicit
    text = spark_heap.strip().lower()
    units = {"k": "KiB", "m": "MiB", "g": "GiB", "t": "TiB"}
    return f"{text[:-1]}{units[text[-1]]}" if text[-1:] in units else f"{text}B"


def compare_outputs(outputs: dict[str, Path], quarantines: dict[str, Path] | None = None) -> dict[str, Any]:
    """Row-set comparison of the engines' outputs (every compared column, DuckDB EXCEPT ALL both ways).

    ``quarantines``: each engine's quarantine Parquet, compared the same way on (source file, reason code,
    raw record) at the one counting grain of bench.semantics; the result goes under ``"quarantine"``.
    """
    from bench.semantics import COMPARED_COLUMNS, QUARANTINE_COLUMNS, reason_code_sql, source_key_sql

    data_cols = ", ".join(source_key_sql(c) + " AS source_file" if c == "source_file" else c for c in COMPARED_COLUMNS)
    out = _compare(outputs, data_cols, hive=True)
    if quarantines is not None:
        normalise = {"source_file": source_key_sql("source_file") + " AS source_file",
                     "reason": reason_code_sql("reason") + " AS reason"}  # fmt: skip
        q_cols = ", ".join(normalise.get(c, c) for c in QUARANTINE_COLUMNS)
        out["quarantine"] = _compare(quarantines, q_cols, hive=False)
    return out


def _compare(paths: dict[str, Path], select: str, hive: bool) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    views = {}
    options = ", hive_partitioning=true, hive_types_autocast=true" if hive else ", hive_partitioning=false"
    for name, path in paths.items():
        if path.exists() and any(path.rglob("*.parquet")):
            source = f"read_parquet('{path}/**/*.parquet'{options}, union_by_name=true)"
            con.execute(f"CREATE VIEW {name} AS SELECT {select} FROM {source}")
            views[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
    out: dict[str, Any] = {"rows": views, "differences": {}}
    names = sorted(views)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            diff = con.execute(
                f"SELECT (SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})) + "
                f"(SELECT count(*) FROM (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a}))"
            ).fetchone()[0]  # type: ignore[index]
            out["differences"][f"{a} vs {b}"] = diff
    return out


def glue_projection(mb_per_s_per_core: float | None) -> dict[str, Any]:
    """Glue DPU-hours and dollars per day for DAILY_GB from the measured per-core throughput."""
    if not mb_per_s_per_core:
        return {"available": False, "assumptions": GLUE}
    core_seconds = DAILY_GB * 1024 / mb_per_s_per_core
    dpu_seconds_needed = core_seconds / GLUE["vcpu_per_dpu"]
    per_run = dpu_seconds_needed / GLUE["runs_per_day"]
    run_wall = max(per_run / GLUE["workers"], GLUE["min_billed_seconds"])  # all workers billed for the run
    dpu_hours = GLUE["runs_per_day"] * GLUE["workers"] * run_wall / 3600
    return {
        "available": True,
        "assumptions": GLUE,
        "mb_per_s_per_core": mb_per_s_per_core,
        "daily_gb": DAILY_GB,
        "core_hours_per_day": core_seconds / 3600,
        "dpu_hours_per_day": dpu_hours,
        "usd_per_day": dpu_hours * GLUE["usd_per_dpu_hour"],
        "usd_per_month": dpu_hours * GLUE["usd_per_dpu_hour"] * 30,
        "run_wall_seconds": run_wall,
    }


def targets(res: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The issues' targets, each met / not met / not measured, with the measured value.

    Issue 32's targets come first (CPU against a competent PySpark job and DuckDB, CDC apply, warehouse load);
    issue 7's follow. A target whose measurement ``make bench`` does not take yet is "not measured".
    """
    tel = res["telemetry"]
    p = tel.get("project", {})
    out: dict[str, dict[str, Any]] = {}

    def verdict(ok: bool | None, value: Any, goal: str, note: str = "", issue: int = 7) -> dict[str, Any]:
        status = "not measured" if ok is None else ("met" if ok else "not met")
        return {"status": status, "value": value, "goal": goal, "note": note, "issue": issue}

    competent = over(p, tel.get("competent"))
    out["project_cpu_vs_competent"] = verdict(
        None if competent is None else competent <= 1.0,
        competent,
        "project CPU <= 1.0x a competent PySpark job's (telemetry)",
        "" if competent is not None else "the competent-PySpark engine was not run (BENCH_ENGINES) or failed",
        issue=32,
    )
    duck_cpu_ratio = over(p, tel.get("duckdb"))
    out["project_cpu_vs_duckdb"] = verdict(
        None if duck_cpu_ratio is None else duck_cpu_ratio <= 2.0,
        duck_cpu_ratio,
        "project CPU <= 2x DuckDB's per core (telemetry)",
        issue=32,
    )
    cdc = res.get("cdc") or {}
    cdc_ratio = over(cdc.get("project_cdc"), cdc.get("duckdb_cdc"))
    spark_floor = over(cdc.get("competent_cdc"), cdc.get("duckdb_cdc"))
    # What Spark itself costs for the same merge, without the project's checks: the gap's share that is Spark's.
    cdc_notes = []
    if spark_floor is not None:
        cdc_notes.append(
            f"the competent PySpark merge (no quarantine, rules or tombstones) uses {spark_floor:.2f}x DuckDB's CPU"
        )
    if (marginal := (res.get("cdc_batch_fit") or {}).get("project_cdc_vs_duckdb_marginal")) is not None:
        cdc_notes.append(f"per change (marginal, two batch sizes) {marginal:.2f}x")
    out["cdc_cpu_vs_duckdb"] = verdict(
        None if cdc_ratio is None else cdc_ratio <= 3.0,
        cdc_ratio,
        "CDC apply CPU <= 3x DuckDB's",
        "; ".join(cdc_notes),
        issue=32,
    )
    wh = res.get("warehouse") or {}
    warehouse = wh.get("ratio")
    note = "make bench does not load the warehouse yet" if warehouse is None else ""
    if len(wh.get("ratios") or []) > 1:
        note = f"the larger of the day sizes' ratios ({wh['ratio_rows_per_day']:,} rows per day)"
    out["warehouse_load"] = verdict(
        None if warehouse is None else warehouse <= 1.2,
        warehouse,
        "warehouse load of one new day, day-30/day-1 <= 1.2",
        note,
        issue=32,
    )

    ratios = _ratios(tel)
    vs_naive = ratios.get("project_vs_naive")
    sc = res.get("scaling") or {}

    def cpu_note(ratio: str, marginal: float | None = None) -> str:
        note = f"wall-time ratio; CPU-time ratio {ratio}"
        if marginal is not None:
            note += f"; per-MiB (marginal) CPU ratio {marginal:.2f} from two input sizes"
        return note

    out["project_vs_naive"] = verdict(
        None if vs_naive is None else vs_naive >= 3,
        vs_naive,
        ">= 3x naive throughput",
        cpu_note(_r(ratios.get("project_vs_naive_cpu")), sc.get("project_vs_naive_marginal"))
        # Issue 7 measured its 3x against a naive script that inferred the schema with an extra read and ran a
        # Python UDF per row; issue 32 made the naive script what a user would really write, which is cheaper.
        + "; against issue 32's naive script, which has no schema-inference pass or Python UDF",
    )
    duck_vs = ratios.get("project_vs_duckdb")  # DuckDB seconds / project seconds
    vs_duck = 1 / duck_vs if duck_vs else None
    duck_cpu = ratios.get("project_vs_duckdb_cpu")
    out["project_vs_duckdb"] = verdict(
        None if vs_duck is None else vs_duck <= 2,
        vs_duck,
        "DuckDB per-core throughput <= 2x project's",
        cpu_note(
            _r(1 / duck_cpu if duck_cpu else None),
            1 / sc["project_vs_duckdb_marginal"] if sc.get("project_vs_duckdb_marginal") else None,
        ),
    )
    inc = res.get("incremental", {})
    ratio = inc.get("ratio")
    out["incremental"] = verdict(None if ratio is None else ratio <= 1.2, ratio, "day-31/day-2 time <= 1.2")
    ath = res.get("athena", {})
    share = ath.get("scan_share")
    out["named_queries"] = verdict(None if share is None else share <= 0.02, share, "<= 2% of raw-JSON bytes")
    out_stats = p.get("output") if p.get("available") else None
    if out_stats is None:
        out["small_files"] = verdict(None, None, "no file < 32 MiB in partitions >= 128 MiB")
    else:
        note = "" if out_stats["partitions_ge_128mib"] else "no partition reached 128 MiB at this input size"
        note += _file_size_outlook(p, res.get("telemetry_input", {}).get("bytes") or 0)
        out["small_files"] = verdict(
            out_stats["small_files_in_big_partitions"] == 0,
            out_stats["small_files_in_big_partitions"],
            "no file < 32 MiB in partitions >= 128 MiB",
            note,
        )
    return out


def _file_size_outlook(p: dict[str, Any], input_bytes: int) -> str:
    """What the job's file sizing (energylake.filesizing) does at 100 GB/day with the measured bytes per row."""
    from energylake.filesizing import TARGET_FILE_BYTES, plan_files

    rows, out = p["counts"].get("rows_out") or 0, p["output"].get("bytes") or 0
    if not rows or not out or not input_bytes:
        return ""
    row_bytes = out / rows
    part_bytes = DAILY_GB * 1024**3 * out / input_bytes / max(p["output"].get("partitions") or 1, 1)
    n_files = plan_files({"p": round(part_bytes / row_bytes)}, row_bytes, TARGET_FILE_BYTES)["p"]
    file_mib = part_bytes / n_files / MIB
    verdict = "would leave files under 32 MiB" if file_mib < 32 <= part_bytes / MIB else "keeps files >= 32 MiB"
    return (
        f"; outlook at {DAILY_GB} GB/day: ~{part_bytes / MIB:,.0f} MiB per partition, sized by bytes into "
        f"{n_files} file(s) of ~{file_mib:,.1f} MiB (target {TARGET_FILE_BYTES / MIB:,.0f} MiB at the measured "
        f"{row_bytes:.1f} bytes/row), which {verdict}"
    )


RESULTS_DIR = REPO_ROOT / "bench" / "results"
WAREHOUSE_RESULTS = "warehouse-load.json"  # bench.warehouse's output under RESULTS_DIR
MAKE_TEST_FILE = RESULTS_DIR / "make_test.json"


def results_file(results_dir: Path, size: str) -> Path:
    """The results JSON of the latest run at ``size`` (``bench-<size>.json``; each run replaces it)."""
    return Path(results_dir) / f"bench-{size}.json"


def newest_results(results_dir: Path = RESULTS_DIR) -> Path:
    """The results JSON whose run started last (what ``python -m bench report`` renders by default)."""
    files = sorted(Path(results_dir).glob("bench-*.json"), key=lambda f: json.loads(f.read_text())["started"])
    if not files:
        raise FileNotFoundError(f"no bench-<size>.json under {results_dir}: run `make bench` first")
    return files[-1]


def _r(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def time_make_test(record: Path = MAKE_TEST_FILE) -> dict[str, Any]:
    """Wall time of `make test` (slow; only with --make-test); also recorded in ``record`` for later reports."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load = list(os.getloadavg())
    start = time.perf_counter()
    proc = subprocess.run(["make", "test"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    summary = [line for line in proc.stdout.splitlines() if " passed" in line or " failed" in line][-1:]
    failed = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    result = {"seconds": time.perf_counter() - start, "exit_code": proc.returncode, "summary": summary,
              "failed_tests": failed[:20], "measured_at": started, "load_average_at_start": load,
              "source": "measured in this run"}  # fmt: skip
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({**result, "source": f"recorded by make bench BENCH_MAKE_TEST=1 on {started}"}))
    return result


def recorded_make_test(record: Path = MAKE_TEST_FILE) -> dict[str, Any]:
    """The last recorded `make test` wall time (says when it was measured), or why there is none."""
    if not record.exists():
        return {"available": False, "reason": "not measured (run with BENCH_MAKE_TEST=1)"}
    return json.loads(record.read_text())


def forecast_metrics(workdir: Path, seed: int = 42) -> dict[str, Any]:
    """MAE/RMSE of the generation forecast vs persistence and climatology (analytics.forecast, issue 9).

    Uses FORECAST_METRICS (a metrics.json written by `make train`) when set, else trains deterministically.
    """
    path = os.environ.get("FORECAST_METRICS")
    try:
        if path and Path(path).exists():
            metrics = json.loads(Path(path).read_text())
            metrics["source"] = path
        else:
            from analytics.forecast.training import train

            metrics = train(output_dir=workdir / "forecast", seed=seed)
            metrics["source"] = f"analytics.forecast.training.train(seed={seed}) in this run"
    except Exception as exc:  # ImportError when analytics is absent; report rather than fail the bench
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    return {"available": True, **metrics}


def run_bench(
    size: str = "1GB",
    seed: int = 7,
    runs: int = 3,
    workdir: Path | None = None,
    results_dir: Path | None = None,
    report: Path | None = None,
    engines: tuple[str, ...] = TELEMETRY_ENGINES,
    incremental: bool = True,
    cdc: bool = True,
    athena_queries: bool = True,
    make_test: bool = False,
    command: str = "",
    cdc_changes: int = 1_000_000,
    cdc_table_rows: int | None = None,
    add_points: Sequence[Path] = (),
) -> dict[str, Any]:
    """The whole benchmark; returns the results dict (also written as JSON and rendered to markdown)."""
    workdir = Path(workdir or Path(tempfile.gettempdir()) / "energylake-bench")
    results_dir = Path(results_dir or RESULTS_DIR)
    cores = os.cpu_count() or 1
    res: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "size": size,
        "seed": seed,
        "runs": runs,
        "machine": machine(),
        "cores_used": cores,
        "spark_heap": os.environ.get("LAKE_SPARK_DRIVER_MEMORY", DEFAULT_DRIVER_MEMORY),
        "project_library": _project_library(),
        "notes": [n for n in os.environ.get("BENCH_NOTE", "").split("|") if n],
    }
    data = workdir / f"data-s{seed}-{parse_size(size)}"
    manifest = data / "manifest.json"
    if not manifest.exists():
        _log(f"generating {size} of input under {data}")
        generate(data, seed=seed, size=size)
    res["input"] = json.loads(manifest.read_text())
    tel_root = data / "raw" / "telemetry"
    files = _files(tel_root)
    in_bytes = sum(os.path.getsize(f) for f in files)
    res["telemetry_input"] = {"files": len(files), "bytes": in_bytes, "records": sum(
        v for k, v in res["input"]["records"].items() if k.startswith("telemetry/"))}  # fmt: skip
    scratch = workdir / "scratch"
    res["telemetry"] = {}
    res["duckdb_memory_limit"] = duckdb_memory_limit(res["spark_heap"])
    outputs: dict[str, Path] = {}
    quarantines: dict[str, Path] = {}
    rounds: dict[str, list[dict[str, Any]]] = {}
    runnable = []
    for engine in engines:
        if engine in PROJECT_TELEMETRY and (why := project.available()):
            res["telemetry"][engine] = {"available": False, "reason": why}
        else:
            runnable.append(engine)
    # Each round runs every engine once in a fresh process (a cold run, then a warm one), rotating the order
    # so that no engine always runs first or after the same neighbour on the shared machine.
    for i in range(runs):
        order = runnable[i % len(runnable) :] + runnable[: i % len(runnable)] if runnable else []
        for engine in order:
            _log(f"telemetry: {engine} round {i + 1}/{runs} (cold + warm)")
            out = workdir / "out" / engine
            spec = {"name": engine, "engine": engine, "files": files, "input_root": str(tel_root), "output": str(out),
                    "runs": 2, "threads": cores, "keep_outputs": False,
                    "memory_limit": res["duckdb_memory_limit"] if engine == "duckdb" else None}  # fmt: skip
            rounds.setdefault(engine, []).append(_worker(spec, scratch))
            outputs[engine] = out / "run1" / "data"
            quarantines[engine] = out / "run1" / "quarantine"
    for engine in runnable:
        res["telemetry"][engine] = summarise(_merge_rounds(rounds[engine]), in_bytes, cores)
    res["telemetry_ratios"] = _ratios(res["telemetry"])
    res["output_comparison"] = compare_outputs(outputs, quarantines)
    if incremental:
        res["incremental"] = _incremental(workdir, seed, size, runs, scratch)
    if cdc:
        res["cdc"] = _cdc(workdir, seed, cdc_changes, runs, scratch, cores, cdc_table_rows)
    warehouse = results_dir / WAREHOUSE_RESULTS  # written by `make bench-warehouse`, a prerequisite of `make bench`
    res["warehouse"] = json.loads(warehouse.read_text()) if warehouse.exists() else {}
    if athena_queries:
        _log("project workflow (every job) + athena named queries: bytes scanned")
        wf = _workflow(data, workdir, scratch)
        res["workflow"] = wf.get("jobs") or {"available": False, "reason": wf.get("reason")}
        res["athena"] = wf.get("athena") or {"available": False, "reason": wf.get("reason")}
    if make_test:
        _log("make test (timed)")
        res["make_test"] = time_make_test()
    else:
        res["make_test"] = recorded_make_test()
    _log("forecast metrics")
    res["forecast"] = forecast_metrics(workdir)
    res["extra_points"] = [p for p in (telemetry_point(json.loads(Path(f).read_text())) for f in add_points) if p]
    derive(res)
    res["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results_dir.mkdir(parents=True, exist_ok=True)
    # One file per size, overwritten: earlier results of a size are in git history, not beside the latest.
    results_file(results_dir, size).write_text(json.dumps(res, indent=2, default=str))
    if report:
        Path(report).write_text(render_markdown(res))
    return res


def add_cdc_points(res: dict[str, Any], paths: Sequence[Path]) -> None:
    """Join the CDC measurements of ``python -m bench cdc`` results to ``res`` (one per batch and table size)."""

    def size(p: dict[str, Any]) -> tuple[Any, Any]:
        return p.get("changes"), p.get("table_rows")

    for path in paths:
        point = json.loads(Path(path).read_text())
        kept = [p for p in res.get("cdc_points") or [] if size(p) != size(point["cdc"])]
        res["cdc_points"] = [
            *kept,
            {**point["cdc"], "started": point.get("started"), "spark_heap": point.get("spark_heap")},
        ]


def replace_cdc(res: dict[str, Any], later: dict[str, Any]) -> None:
    """The CDC section of ``res`` from a later ``python -m bench cdc`` run, marked as measured by that run."""
    res["cdc"] = {**later["cdc"], "spark_heap": later.get("spark_heap"),
                  "measured_by": {k: later.get(k) for k in ("command", "started", "runs", "spark_heap")}}  # fmt: skip


def run_cdc_bench(
    changes: int,
    table_rows: int | None,
    runs: int,
    seed: int = 7,
    workdir: Path | None = None,
    results_dir: Path | None = None,
    command: str = "",
) -> Path:
    """The CDC apply alone (project, PySpark merge, DuckDB) against a table of ``table_rows``: the results file.

    The file (``cdc-<changes>-t<rows>.json``) joins a bench report with ``--cdc-point``: the same batch against
    tables of different sizes shows whether a batch's cost follows the changes or the table (issue 32).
    """
    workdir = Path(workdir or Path(tempfile.gettempdir()) / "energylake-bench")
    results_dir = Path(results_dir or RESULTS_DIR)
    res: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "command": command,
                           "machine": machine(), "runs": runs, "seed": seed,
                           "spark_heap": os.environ.get("LAKE_SPARK_DRIVER_MEMORY", DEFAULT_DRIVER_MEMORY)}  # fmt: skip
    res["cdc"] = _cdc(workdir, seed, changes, runs, workdir / "scratch", os.cpu_count() or 1, table_rows)
    res["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"cdc-{changes}-t{table_rows or 0}.json"
    out.write_text(json.dumps(res, indent=2, default=str))
    return out


def derive(res: dict[str, Any]) -> dict[str, Any]:
    """Figures computed from the measurements: ratios, Glue projections (wall- and CPU-time based), targets."""
    res["telemetry_ratios"] = _ratios(res["telemetry"])
    res["jvm_function"] = jvm_function_gain(res["telemetry"])
    p = res["telemetry"].get("project", {})
    res["glue_projection"] = glue_projection(p.get("mb_per_s_per_core") if p.get("available") else None)
    in_mib = (res.get("telemetry_input") or {}).get("bytes", 0) / MIB
    cpu_rate = in_mib / p["cpu_seconds"] if p.get("available") and p.get("cpu_seconds") else None
    res["glue_projection_cpu"] = glue_projection(cpu_rate)
    res["scaling"] = scaling(res)
    res["cdc_batch_fit"] = cdc_batch_fit(res)
    res["targets"] = targets(res)
    return res


def telemetry_point(res: dict[str, Any]) -> dict[str, Any] | None:
    """This run's telemetry measurement as one point of the size scaling: input MiB and CPU/wall s per engine."""
    tel, inp = res.get("telemetry") or {}, res.get("telemetry_input") or {}
    engines = {k: v for k, v in tel.items() if v.get("available")}
    if not engines or not inp.get("bytes"):
        return None
    return {"size": res.get("size"), "started": res.get("started"), "input_mib": inp["bytes"] / MIB,
            "cpu_seconds": {k: v.get("cpu_seconds") for k, v in engines.items()},
            "seconds": {k: v["seconds"] for k, v in engines.items()}}  # fmt: skip


def scaling(res: dict[str, Any]) -> dict[str, Any]:
    """Fixed and per-MiB CPU cost per engine from two input sizes (a line through the smallest and largest).

    Points: this run plus ``res["extra_points"]`` (other runs on the same generator and seed). The marginal
    (per-MiB) ratios say how the engines compare once the input is large enough for fixed costs not to matter.
    """
    points = [p for p in [telemetry_point(res), *(res.get("extra_points") or [])] if p]
    points.sort(key=lambda p: p["input_mib"])
    out: dict[str, Any] = {"points": points, "fit": {}}
    if len(points) < 2 or points[-1]["input_mib"] <= points[0]["input_mib"]:
        return out
    lo, hi = points[0], points[-1]
    for engine in sorted(set(lo["cpu_seconds"]) & set(hi["cpu_seconds"])):
        a, b = lo["cpu_seconds"][engine], hi["cpu_seconds"][engine]
        if a is None or b is None:
            continue
        fixed, per_mib = fixed_and_per_unit((lo["input_mib"], a), (hi["input_mib"], b))
        out["fit"][engine] = {"per_mib_cpu_s": per_mib, "fixed_cpu_s": fixed,
                              "lo": {"mib": lo["input_mib"], "cpu_s": a},
                              "hi": {"mib": hi["input_mib"], "cpu_s": b}}  # fmt: skip
    fit = out["fit"]
    for base in ("competent", "naive", "duckdb"):
        if "project" in fit and base in fit and fit["project"]["per_mib_cpu_s"] > 0:
            out[f"project_vs_{base}_marginal"] = fit[base]["per_mib_cpu_s"] / fit["project"]["per_mib_cpu_s"]
    return out


CDC_ENGINE_KEYS = ("project_cdc", "competent_cdc", "duckdb_cdc")


def cdc_batch_fit(res: dict[str, Any]) -> dict[str, Any]:
    """Fixed and per-change CPU cost of the CDC apply per engine, from two batch sizes against one table size.

    A line through the smallest and largest batch among the run's CDC measurement and the joined points with
    its table size: the fixed part is what a run costs whatever the batch (JVM, planning, listing, catalog),
    the per-change part what decides the cost of large batches. The marginal ratios compare the per-change parts.
    """
    head = res.get("cdc") or {}
    same_table = [p for p in [head, *(res.get("cdc_points") or [])] if p.get("changes")]
    same_table = [p for p in same_table if p.get("table_rows") == head.get("table_rows")]
    same_table.sort(key=lambda p: p["changes"])
    out: dict[str, Any] = {"table_rows": head.get("table_rows"), "fit": {}}
    if len(same_table) < 2 or same_table[-1]["changes"] <= same_table[0]["changes"]:
        return out
    lo, hi = same_table[0], same_table[-1]
    out["changes"] = [lo["changes"], hi["changes"]]
    for engine in CDC_ENGINE_KEYS:
        a, b = (lo.get(engine) or {}).get("cpu_seconds"), (hi.get(engine) or {}).get("cpu_seconds")
        if a is None or b is None:
            continue
        fixed, per_million = fixed_and_per_unit((lo["changes"] / 1e6, a), (hi["changes"] / 1e6, b))
        out["fit"][engine] = {"lo_cpu_s": a, "hi_cpu_s": b, "per_million_cpu_s": per_million,
                              "fixed_cpu_s": fixed}  # fmt: skip
    duck = (out["fit"].get("duckdb_cdc") or {}).get("per_million_cpu_s")
    for engine in ("project_cdc", "competent_cdc"):
        mine = (out["fit"].get(engine) or {}).get("per_million_cpu_s")
        if mine is not None and duck and duck > 0:
            out[f"{engine}_vs_duckdb_marginal"] = mine / duck
    return out


def rerender(
    results: Path,
    report: Path,
    add_points: Sequence[Path] = (),
    cdc_points: Sequence[Path] = (),
    cdc: Path | None = None,
    warehouse: Path | None = None,
) -> dict[str, Any]:
    """Recompute the derived figures of a results JSON and write the report again (no measurement).

    ``add_points``: results JSONs of other runs (same generator and seed, another size) whose telemetry
    measurement joins the fixed vs per-MiB fit. ``cdc_points``: results of ``python -m bench cdc`` (the same
    batch against other table sizes), shown beside the run's own CDC measurement. ``cdc``: a later
    ``python -m bench cdc`` result that replaces the run's own CDC measurement (the report names its command).
    ``warehouse``: a later ``make bench-warehouse`` result that replaces the run's warehouse measurement.
    """
    res = json.loads(Path(results).read_text())
    if warehouse is not None:
        res["warehouse"] = json.loads(Path(warehouse).read_text())
    if cdc is not None:
        replace_cdc(res, json.loads(Path(cdc).read_text()))
    add_cdc_points(res, cdc_points)
    for path in add_points:
        point = telemetry_point(json.loads(Path(path).read_text()))
        if point and all(p.get("started") != point["started"] for p in res.get("extra_points") or []):
            res.setdefault("extra_points", []).append(point)
    if not (res.get("make_test") or {}).get("seconds"):
        res["make_test"] = recorded_make_test()  # measured after the run (it is slow): say when
    res = derive(res)
    Path(results).write_text(json.dumps(res, indent=2, default=str))
    Path(report).write_text(render_markdown(res))
    return res


def _ratios(tel: dict[str, Any]) -> dict[str, float | None]:
    """Throughput of each engine relative to the competent job (the headline), the naive script and DuckDB.

    ``<a>_vs_<b>`` is b's seconds over a's (above 1: a is faster), ``_cpu`` the same on CPU seconds (warm runs),
    ``_cold_cpu`` on cold runs (start-up included).
    """
    out: dict[str, float | None] = {}
    for name, s in tel.items():
        for base in ("competent", "naive", "duckdb"):
            b = tel.get(base, {})
            ok = s.get("available") and b.get("available")
            out[f"{name}_vs_{base}"] = b["seconds"] / s["seconds"] if ok else None
            cpu_ok = ok and s.get("cpu_seconds") and b.get("cpu_seconds")
            out[f"{name}_vs_{base}_cpu"] = b["cpu_seconds"] / s["cpu_seconds"] if cpu_ok else None
            cold_ok = ok and s.get("cold_cpu_seconds") and b.get("cold_cpu_seconds")
            out[f"{name}_vs_{base}_cold_cpu"] = b["cold_cpu_seconds"] / s["cold_cpu_seconds"] if cold_ok else None
    return out


def jvm_function_gain(tel: dict[str, Any]) -> dict[str, Any]:
    """Whole-job CPU the JVM JSON function saves: project without it over project with it (warm and cold).

    CONTRIBUTING: code shaped for speed stays only with a measured whole-job gain of at least 20%.
    """
    with_jvm, without = tel.get("project", {}), tel.get("project_nojvm", {})
    warm = over(without, with_jvm)
    cold = None
    if with_jvm.get("cold_cpu_seconds") and without.get("cold_cpu_seconds"):
        cold = without["cold_cpu_seconds"] / with_jvm["cold_cpu_seconds"]
    gain = None if warm is None else 1 - 1 / warm  # share of the plain job's CPU the function saves
    return {"nojvm_over_jvm_cpu": warm, "nojvm_over_jvm_cold_cpu": cold, "gain": gain,
            "earns_its_keep": None if gain is None else gain >= 0.2}  # fmt: skip


def _incremental(workdir: Path, seed: int, size: str, runs: int, scratch: Path) -> dict[str, Any]:
    """The real job on day N after 1 day vs after 30 days of processed history (bookmarks pick the day's objects)."""
    if why := project.available():
        return {"available": False, "reason": why}
    per_day = max(parse_size(size) // 100, 1 * MIB)
    root = workdir / f"history-s{seed}-{per_day}"
    if not (root / "raw").exists():
        _log(f"generating 31 days x {per_day // MIB} MiB of telemetry history")
        generate_history(root, seed, per_day, days=31)
    tel_root = root / "raw" / "telemetry"
    by_day: dict[str, list[str]] = {}
    for f in _files(tel_root):
        key = "/".join(Path(f).parts[-5:-2])
        by_day.setdefault(key, []).append(f)
    ordered = sorted(by_day)
    result: dict[str, Any] = {"available": True, "per_day_bytes": per_day, "days": len(ordered)}
    for label, history_days, day in (
        ("after_1_day", ordered[:1], ordered[1]),
        ("after_30_days", ordered[:30], ordered[30]),
    ):
        _log(f"incremental: day {day} {label} x{runs} (history of {len(history_days)} day(s) processed first)")
        spec = {"name": f"inc-{label}", "engine": "project_incremental", "input_root": str(tel_root),
                "files": [f for d in history_days for f in by_day[d]], "day_files": by_day[day],
                "snapshot": str(workdir / "snapshots" / f"history-s{seed}-{per_day}-{label}"),
                "output": str(workdir / "out" / f"inc-{label}"), "runs": runs}  # fmt: skip
        r = _worker(spec, scratch)
        if not r.get("runs"):
            return {"available": False, "reason": r.get("error", "no runs")}
        result[label] = {"seconds": median([x["seconds"] for x in r["runs"]]), "day": day,
                         "cpu_seconds": median([x["cpu_seconds"] for x in r["runs"]]),
                         "seconds_all": [round(x["seconds"], 3) for x in r["runs"]],
                         "input_objects": r["runs"][-1]["counts"]["extra"].get("input_objects"),
                         "history_objects": len(spec["files"])}  # fmt: skip
    result["ratio"] = result["after_30_days"]["seconds"] / result["after_1_day"]["seconds"]
    result["ratio_cpu"] = result["after_30_days"]["cpu_seconds"] / result["after_1_day"]["cpu_seconds"]
    return result


def _cdc(
    workdir: Path, seed: int, changes: int, runs: int, scratch: Path, cores: int, table_rows: int | None = None
) -> dict[str, Any]:
    """Changes/s of applying one DMS batch of `changes` CDC rows: project job and DuckDB reference.

    Without ``table_rows`` the batch comes with its full load (changes/4 transactions) and both are applied in
    one timed run. With ``table_rows`` the full load is a pre-existing table of that many transactions over
    CDC_HISTORY_DAYS days, applied untimed (the project snapshots the lake, DuckDB writes its table) before each
    timed run of the batch against it.
    """
    from bench.generate import DEFAULT_START, GenStats, generate_cdc

    root = workdir / (f"cdc-s{seed}-{changes}" + (f"-t{table_rows}" if table_rows else ""))
    if not (root / "done").exists():
        _log(f"generating a DMS batch of {changes:,} changes" + (f" on {table_rows:,} rows" if table_rows else ""))
        stats = GenStats(seed=seed, target_bytes=0, start="", days=1)
        generate_cdc(root, seed, changes, DEFAULT_START, stats, table_rows=table_rows)
        (root / "done").touch()
    dms = root / "landing" / "dms" / "trading"
    dms_bytes = sum(p.stat().st_size for p in dms.rglob("*.csv"))
    out: dict[str, Any] = {"changes": changes, "input_bytes": dms_bytes, "table_rows": table_rows}
    history = {"history_root": str(root / "history" / "dms" / "trading"),
               "snapshot": str(workdir / "snapshots" / root.name)} if table_rows else {}  # fmt: skip
    engines = ("project_cdc", "competent_cdc", "duckdb_cdc")
    for engine in engines:
        if engine == "project_cdc" and (why := project.cdc_available()):
            out[engine] = {"available": False, "reason": why}
            continue
        _log(f"cdc: {engine} x{runs}")
        spec = {"name": engine, "engine": engine, "input_root": str(dms), "output": str(workdir / "out" / engine),
                "runs": runs, "threads": cores, **history}  # fmt: skip
        r = _worker(spec, scratch)
        if not r.get("runs"):
            out[engine] = {"available": False, "reason": r.get("error")}
            continue
        secs = median([x["seconds"] for x in r["runs"]])
        out[engine] = {"available": True, "seconds": secs, "changes_per_s": changes / secs,
                       "changes_per_s_per_core": changes / secs / cores,
                       "cpu_seconds": median([x["cpu_seconds"] for x in r["runs"]]),
                       "seconds_all": [round(x["seconds"], 3) for x in r["runs"]],
                       "cpu_seconds_all": [round(x["cpu_seconds"], 2) for x in r["runs"]],
                       "peak_rss_bytes": int(median([x["peak_rss_bytes"] for x in r["runs"]])),
                       "counts": r["runs"][-1]["counts"]}  # fmt: skip
    # The last run's tables of every engine, row for row (each engine keeps its last run's output).
    ran = [e for e in engines if (out.get(e) or {}).get("available")]
    tables = {e: workdir / "out" / e / f"run{runs - 1}" / "table" for e in ran}
    out["output_comparison"] = compare_cdc_outputs(tables)
    return out


def compare_cdc_outputs(table_roots: dict[str, Path]) -> dict[str, Any]:
    """Row-set comparison of each trading table between the engines (every contract column, typed alike)."""
    from bench.engines.cdc import TABLES, duck_type
    from energylake.contracts import get_contract

    out: dict[str, Any] = {}
    for table in TABLES:
        contract = get_contract(f"trading_{table}")
        select = ", ".join(f"CAST({c.name} AS {duck_type(c.type)}) AS {c.name}" for c in contract.columns)
        out[table] = _compare({e: root / table for e, root in table_roots.items()}, select, hive=True)
    return out


def _workflow(data: Path, workdir: Path, scratch: Path) -> dict[str, Any]:
    """Every project job on the generated data, then the Athena named queries on the tables they built."""
    if why := project.available():
        return {"available": False, "reason": why}
    spec = {"name": "workflow", "engine": "project_workflow", "input_root": str(data),
            "output": str(workdir / "out" / "workflow")}  # fmt: skip
    r = _worker(spec, scratch)
    if r.get("error"):
        return {"available": False, "reason": r["error"]}
    return r


def _project_library() -> str:
    """Where the energylake package under test was imported from (the installed glue/lib of this checkout)."""
    import energylake

    return str(Path(energylake.__file__).parent)


def _log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)
