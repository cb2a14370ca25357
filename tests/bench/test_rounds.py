"""Cold and warm runs, alternated rounds, DuckDB's memory limit and the JVM function's verdict (no engines run)."""

from __future__ import annotations

import pytest

from bench.report import render_markdown
from bench.run import _merge_rounds, duckdb_memory_limit, jvm_function_gain, summarise

MIB = 1024 * 1024
COUNTS = {"records_in": 100, "rows_out": 90, "quarantined": 5, "duplicates": 5, "candidate_rows": 100}


def _run(phase: str, seconds: float, cpu: float) -> dict:
    return {"phase": phase, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_bytes": MIB, "counts": COUNTS,
            "balanced": True, "output": {"files": 1, "bytes": MIB}}  # fmt: skip


def test_warm_runs_are_the_headline_and_cold_ones_include_start_up() -> None:
    def one(startup: float, startup_cpu: float, cold: tuple, warm: tuple) -> dict:
        return {"engine": "e", "startup": {"seconds": startup, "cpu_seconds": startup_cpu},
                "runs": [_run("cold", *cold), _run("warm", *warm)]}  # fmt: skip

    rounds = [one(5.0, 8.0, (10, 20), (4, 6)), one(7.0, 9.0, (12, 22), (6, 8)), one(6.0, 10.0, (11, 21), (5, 7))]
    s = summarise(_merge_rounds(rounds), 100 * MIB, 2)
    assert (s["runs"], s["seconds"], s["cpu_seconds"]) == (3, 5, 7)
    assert (s["cold_runs"], s["cold_seconds"], s["cold_cpu_seconds"]) == (
        3,
        17.0,
        31.0,
    )  # medians of 15/19/17 s and 28/31/31 CPU s
    assert s["cold_seconds_all"] == [15.0, 19.0, 17.0]


def test_a_failed_round_is_reported_not_averaged_away() -> None:
    rounds = [
        {"engine": "e", "runs": [_run("cold", 1, 1), _run("warm", 1, 1)]},
        {"engine": "e", "error": "boom", "runs": []},
    ]
    assert summarise(_merge_rounds(rounds), MIB, 2) == {"available": False, "reason": "boom"}


@pytest.mark.parametrize(
    ("heap", "env", "limit"), [("4g", None, "4GiB"), ("512m", None, "512MiB"), ("4g", "6GB", "6GB")]
)
def test_duckdb_gets_the_spark_heap_unless_told_otherwise(monkeypatch, heap, env, limit) -> None:
    if env:
        monkeypatch.setenv("BENCH_DUCKDB_MEMORY", env)
    else:
        monkeypatch.delenv("BENCH_DUCKDB_MEMORY", raising=False)
    assert duckdb_memory_limit(heap) == limit


def test_the_jvm_function_earns_its_keep_only_from_a_20_percent_gain() -> None:
    engine = {"available": True, "cpu_seconds": 100.0, "cold_cpu_seconds": 130.0}
    assert (
        jvm_function_gain({"project": engine, "project_nojvm": {**engine, "cpu_seconds": 110.0}})["earns_its_keep"]
        is False
    )
    verdict = jvm_function_gain({"project": engine, "project_nojvm": {**engine, "cpu_seconds": 130.0}})
    assert verdict["earns_its_keep"] is True and verdict["gain"] == pytest.approx(0.3 / 1.3)
    assert jvm_function_gain({"project": engine})["earns_its_keep"] is None  # not measured: no verdict


def test_the_report_states_duckdbs_memory_limit_and_the_headline_ratio() -> None:
    competent = summarise(
        _merge_rounds([{"engine": "c", "startup": {}, "runs": [_run("cold", 10, 20), _run("warm", 5, 10)]}]), MIB, 2
    )
    project = summarise(
        _merge_rounds([{"engine": "p", "startup": {}, "runs": [_run("cold", 10, 30), _run("warm", 5, 9)]}]), MIB, 2
    )
    res = {"telemetry": {"competent": competent, "project": project}, "spark_heap": "4g", "duckdb_memory_limit": "4GiB",
           "machine": {}, "telemetry_input": {}, "targets": {}}  # fmt: skip
    md = render_markdown(res)
    assert "`SET memory_limit = '4GiB'`" in md
    row = next(line for line in md.splitlines() if line.startswith("| Project job"))
    assert "| 9.00 | 30.00 | 0.90 | 1.50 |" in row  # CPU, cold CPU, and both over the competent job's
