"""Full benchmark pipeline at a small size (slow: several Spark jobs in child processes; `make bench` territory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.run import run_bench


@pytest.mark.slow
def test_whole_benchmark_writes_results_and_report(tmp_path: Path) -> None:
    res = run_bench(size="4MB", runs=1, workdir=tmp_path / "w", results_dir=tmp_path / "r", report=tmp_path / "B.md")
    assert [f.name for f in (tmp_path / "r").iterdir()] == ["bench-4MB.json"]
    md = (tmp_path / "B.md").read_text()
    assert "## Targets" in md and "| 7 | project_vs_naive |" in md and "| 32 | cdc_cpu_vs_duckdb |" in md
    for name in ("naive", "duckdb"):
        assert res["telemetry"][name]["available"] and res["telemetry"][name]["balanced"]
    assert all(v == 0 for v in res["output_comparison"]["differences"].values())
    assert res["cdc"]["duckdb_cdc"]["changes_per_s"] > 0
