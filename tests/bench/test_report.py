"""The report writer renders the tables, targets and projection from a results dict."""

from __future__ import annotations

import pytest

from bench.report import render_markdown
from bench.run import glue_projection, targets

MIB = 1024 * 1024


def _engine(seconds: float, files: int = 10) -> dict:
    return {
        "available": True,
        "runs": 3,
        "seconds": seconds,
        "records_per_s": 1000 / seconds,
        "mb_per_s": 100 / seconds,
        "mb_per_s_per_core": 50 / seconds,
        "cpu_seconds": seconds * 1.5,
        "peak_rss_bytes": 512 * MIB,
        "counts": {"records_in": 1000, "rows_out": 950, "quarantined": 30, "duplicates": 20, "candidate_rows": 1000},
        "balanced": True,
        "output": {"files": files, "bytes": 40 * MIB, "partitions_ge_128mib": 0, "small_files_in_big_partitions": 0},
    }


def _results() -> dict:
    res = {
        "started": "2024-05-01T00:00:00+00:00",
        "size": "50MB",
        "seed": 7,
        "runs": 3,
        "command": "make bench BENCH_SIZE=50MB",
        "machine": {"cpu": "Test CPU", "logical_cores": 2, "ram_gib": 24, "versions": {"duckdb": "1.0"}},
        "cores_used": 2,
        "telemetry_input": {"files": 48, "bytes": 100 * MIB, "records": 1000},
        "telemetry": {
            "project": _engine(10.0),
            "naive": _engine(40.0, files=300),
            "duckdb": _engine(4.0),
        },
        "telemetry_ratios": {"project_vs_naive": 4.0, "project_vs_duckdb": 0.4},
        "incremental": {"available": False, "reason": "disabled"},
        "athena": {"available": True, "curated_bytes": 10, "raw_json_bytes": 1000, "scan_share": 0.01, "queries": {}},
    }
    res["glue_projection"] = glue_projection(res["telemetry"]["project"]["mb_per_s_per_core"])
    res["targets"] = targets(res)
    return res


def test_table_has_one_row_per_engine_with_ratios() -> None:
    md = render_markdown(_results())
    rows = [ln for ln in md.splitlines() if ln.startswith("| Project job") or ln.startswith("| Naive")]
    assert len(rows) == 2
    assert "| 10.00 |" in rows[0] and "| 4.00 | 0.40 |" in rows[0]
    assert "Test CPU" in md and "make bench BENCH_SIZE=50MB" in md


def test_targets_are_judged_from_the_numbers() -> None:
    t = _results()["targets"]
    assert t["project_vs_naive"]["status"] == "met"  # 40 s vs 10 s
    assert t["project_vs_duckdb"]["status"] == "not met"  # 10 s vs 4 s is 2.5x
    assert t["incremental"]["status"] == "not measured"
    assert t["named_queries"]["status"] == "met"
    assert t["small_files"]["status"] == "met" and "no partition reached" in t["small_files"]["note"]


def test_unavailable_engine_is_reported_not_hidden() -> None:
    res = _results()
    res["telemetry"]["project"] = {"available": False, "reason": "project entry point not found"}
    res["glue_projection"] = glue_projection(None)
    res["targets"] = targets(res)
    md = render_markdown(res)
    assert "not run: project entry point not found" in md
    assert res["targets"]["project_vs_naive"]["status"] == "not measured"
    assert "Not projected" in md


def test_glue_projection_follows_the_stated_assumptions() -> None:
    g = glue_projection(10.0)  # 10 MB/s per core -> 102400 MB / 10 = 10240 core-s
    assert round(g["core_hours_per_day"], 3) == round(10240 / 3600, 3)
    # per hourly run: 10240/4/24 = 106.7 DPU-s over 2 workers = 53.3 s -> billed the 60 s minimum
    assert g["run_wall_seconds"] == 60
    assert round(g["dpu_hours_per_day"], 4) == round(24 * 2 * 60 / 3600, 4)
    assert round(g["usd_per_day"], 4) == round(g["dpu_hours_per_day"] * 0.44, 4)


def test_forecast_and_recorded_make_test_are_shown_with_their_source(tmp_path) -> None:
    import json

    from bench.run import recorded_make_test

    res = _results()
    res["forecast"] = {"available": True, "source": "metrics.json", "data": "SYNTHETIC",
                       "model": {"mae_mwh": 1.5, "rmse_mwh": 2.5}, "persistence": {"mae_mwh": 3.0, "rmse_mwh": 4.0},
                       "climatology": {"mae_mwh": 2.0, "rmse_mwh": 3.0}, "skill_vs_persistence": 0.375}  # fmt: skip
    assert recorded_make_test(tmp_path / "none.json")["available"] is False
    record = tmp_path / "make_test.json"
    record.write_text(json.dumps({"seconds": 612.0, "exit_code": 0, "summary": ["300 passed"],
                                  "measured_at": "2026-11-23T10:00:00+00:00", "source": "recorded"}))  # fmt: skip
    res["make_test"] = recorded_make_test(record)
    md = render_markdown(res)
    assert "| model | 1.500 | 2.500 |" in md and "| persistence | 3.000 | 4.000 |" in md
    assert "612 s (exit 0) 300 passed" in md and "2026-11-23T10:00:00+00:00" in md


def test_small_file_outlook_plans_files_by_bytes() -> None:
    res = _results()
    # 40 MiB out of 100 MiB in -> 40 GiB/day of output in one partition: 320 files of 128 MiB
    note = targets(res)["small_files"]["note"]
    assert "sized by bytes into 320 file(s) of ~128.0 MiB" in note and "keeps files >= 32 MiB" in note
    res["telemetry"]["project"]["output"]["partitions"] = 100_000  # ~0.4 MiB per partition: one small file each
    note = targets(res)["small_files"]["note"]
    assert "into 1 file(s)" in note and "keeps files >= 32 MiB" in note


def test_rerender_recomputes_derived_figures_from_the_json(tmp_path) -> None:
    import json

    from bench.run import rerender

    res = _results()
    for key in ("targets", "glue_projection", "telemetry_ratios"):
        res.pop(key)
    path = tmp_path / "latest.json"
    path.write_text(json.dumps(res))
    out = rerender(path, tmp_path / "B.md")
    assert out["telemetry_ratios"]["project_vs_naive"] == 4.0 and out["telemetry_ratios"]["project_vs_naive_cpu"] == 4.0
    assert out["glue_projection_cpu"]["mb_per_s_per_core"] == 100 / 15.0  # 100 MiB over 15 CPU seconds
    md = (tmp_path / "B.md").read_text()
    assert "From CPU time instead" in md and out["targets"]["project_vs_naive"]["status"] == "met"


def test_scaling_fits_fixed_and_per_mib_cost_through_two_sizes(tmp_path) -> None:
    import json

    from bench.run import rerender

    small = _results()  # 100 MiB input; project 15 CPU s, naive 60, duckdb 6
    small["started"] = "2024-05-01T00:00:00+00:00"
    large = _results()
    large["started"], large["size"] = "2024-05-02T00:00:00+00:00", "300MB"
    large["telemetry_input"]["bytes"] = 300 * MIB
    for name, cpu in (("project", 35.0), ("naive", 180.0), ("duckdb", 12.0)):
        large["telemetry"][name]["cpu_seconds"] = cpu
    (tmp_path / "small.json").write_text(json.dumps(small))
    (tmp_path / "large.json").write_text(json.dumps(large))
    out = rerender(tmp_path / "large.json", tmp_path / "B.md", [tmp_path / "small.json"])
    fit = out["scaling"]["fit"]
    assert fit["project"]["per_mib_cpu_s"] == pytest.approx(0.1) and fit["project"]["fixed_cpu_s"] == pytest.approx(5)
    assert fit["naive"]["per_mib_cpu_s"] == pytest.approx(0.6) and fit["duckdb"]["per_mib_cpu_s"] == pytest.approx(0.03)
    assert out["scaling"]["project_vs_naive_marginal"] == pytest.approx(6.0)
    assert "per-MiB (marginal) CPU ratio 6.00" in out["targets"]["project_vs_naive"]["note"]
    assert "per-MiB (marginal) CPU ratio 3.33" in out["targets"]["project_vs_duckdb"]["note"]
    md = (tmp_path / "B.md").read_text()
    assert "## Fixed vs per-MiB CPU cost" in md and "| 0.100 | 10.00 | 6.00 | 0.300 |" in md
    # Adding the same point twice does not duplicate it; one size alone gives no fit.
    again = rerender(tmp_path / "large.json", tmp_path / "B.md", [tmp_path / "small.json"])
    assert len(again["scaling"]["points"]) == 2
    assert rerender(tmp_path / "small.json", tmp_path / "C.md")["scaling"]["fit"] == {}


def test_issue_32_targets_say_what_is_not_yet_measured() -> None:
    res = _results()
    res["cdc"] = {
        "changes": 1000,
        "project_cdc": {"available": True, "seconds": 10.0, "changes_per_s": 100.0, "changes_per_s_per_core": 50.0,
                        "cpu_seconds": 40.0, "peak_rss_bytes": MIB},
        "duckdb_cdc": {"available": True, "seconds": 1.0, "changes_per_s": 1000.0, "changes_per_s_per_core": 500.0,
                       "cpu_seconds": 10.0, "peak_rss_bytes": MIB},
    }  # fmt: skip
    t = targets(res)
    assert t["project_cpu_vs_duckdb"]["value"] == 15.0 / 6.0 and t["project_cpu_vs_duckdb"]["status"] == "not met"
    assert t["cdc_cpu_vs_duckdb"]["value"] == 4.0 and t["cdc_cpu_vs_duckdb"]["status"] == "not met"  # 40 vs 10 CPU s
    for name in ("project_cpu_vs_competent", "warehouse_load"):  # make bench measures neither yet: no number
        assert t[name]["value"] is None and t[name]["status"] == "not measured" and t[name]["issue"] == 32
    res["targets"] = t
    md = render_markdown(res)
    assert "| 32 | warehouse_load | warehouse load of one new day, day-30/day-1 <= 1.2 | not yet measured |" in md
    assert "| 32 | cdc_cpu_vs_duckdb | CDC apply CPU <= 3x DuckDB's | 4.000 | **not met** |" in md
    res["telemetry"]["competent"] = _engine(10.0)  # a competent-PySpark engine, once the bench has one
    assert targets(res)["project_cpu_vs_competent"]["status"] == "met"


def test_cdc_section_shows_the_competent_merge_and_the_output_check() -> None:
    res = _results()
    engine = {"available": True, "seconds": 2.0, "changes_per_s": 500.0, "changes_per_s_per_core": 250.0,
              "peak_rss_bytes": MIB}  # fmt: skip
    res["cdc"] = {
        "changes": 1000,
        "project_cdc": {**engine, "cpu_seconds": 40.0},
        "competent_cdc": {**engine, "cpu_seconds": 20.0},
        "duckdb_cdc": {**engine, "cpu_seconds": 4.0},
        "output_comparison": {"providers": {"rows": {"project_cdc": 7, "duckdb_cdc": 7},
                                            "differences": {"duckdb_cdc vs project_cdc": 0}}},
    }  # fmt: skip
    res["targets"] = targets(res)
    assert "competent PySpark merge (no quarantine, rules or tombstones) uses 5.00x" in res["targets"][
        "cdc_cpu_vs_duckdb"]["note"]  # fmt: skip
    md = render_markdown(res)
    assert "| Competent PySpark merge (bench/engines/cdc_spark.py) | 500 | 250 | 2.00 | 20.00 | 5.00 | 1.0 |" in md
    assert "| Project job `trading_cdc_apply` | 500 | 250 | 2.00 | 40.00 | 10.00 | 1.0 |" in md
    assert "providers (7 rows) duckdb_cdc vs project_cdc: 0 rows differ." in md
    assert "Spark alone, doing only the merge, is at 5.0x DuckDB" in md and "the project's further 2.0x" in md


def test_the_report_reads_command_machine_tables_interpretation_then_targets() -> None:
    md = render_markdown(_results())
    order = ["```\nmake bench BENCH_SIZE=50MB\n```", "## Machine", "## Telemetry raw", "## Incremental load",
             "## CDC apply", "## Athena named queries", "## Interpretation", "## Targets", "## Method"]  # fmt: skip
    positions = [md.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "Raw results: `bench/results/bench-50MB.json`" in md


def test_each_run_replaces_the_results_of_its_size(tmp_path) -> None:
    import json

    from bench.run import newest_results, results_file

    assert results_file(tmp_path, "1GB") == tmp_path / "bench-1GB.json"
    for size, started in (("1GB", "2024-05-02T00:00:00+00:00"), ("50MB", "2024-05-03T00:00:00+00:00")):
        results_file(tmp_path, size).write_text(json.dumps({"started": started, "size": size}))
    assert newest_results(tmp_path).name == "bench-50MB.json"
    results_file(tmp_path, "1GB").write_text(json.dumps({"started": "2024-05-04T00:00:00+00:00"}))
    assert newest_results(tmp_path).name == "bench-1GB.json"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["bench-1GB.json", "bench-50MB.json"]
    with pytest.raises(FileNotFoundError, match="run `make bench` first"):
        newest_results(tmp_path / "empty")


def _cdc_point(
    table_rows: int, project_cpu: float, partitions_read: int, changes: int = 1000, duckdb_cpu: float = 10.0
) -> dict:
    extra = {"trading_transactions_partitions_read": partitions_read, "trading_transactions_files_read": 3,
             "trading_transactions_partitions_rewritten": 2}  # fmt: skip
    return {
        "changes": changes,
        "table_rows": table_rows,
        "project_cdc": {"available": True, "seconds": 10.0, "changes_per_s": 100.0, "changes_per_s_per_core": 50.0,
                        "cpu_seconds": project_cpu, "peak_rss_bytes": MIB, "counts": {"extra": extra}},
        "duckdb_cdc": {"available": True, "seconds": 1.0, "changes_per_s": 1000.0, "changes_per_s_per_core": 500.0,
                       "cpu_seconds": duckdb_cpu, "peak_rss_bytes": MIB},
    }  # fmt: skip


def test_cdc_points_of_other_table_sizes_join_the_report(tmp_path) -> None:
    import json

    from bench.run import rerender

    res = _results()
    res["cdc"] = _cdc_point(1_000_000, 40.0, 5)
    (tmp_path / "run.json").write_text(json.dumps(res))
    res["spark_heap"] = "4g"
    (tmp_path / "run.json").write_text(json.dumps(res))
    point = {"started": "later", "spark_heap": "8g", "cdc": _cdc_point(10_000_000, 44.0, 6)}
    (tmp_path / "cdc.json").write_text(json.dumps(point))
    rerender(tmp_path / "run.json", tmp_path / "A.md", cdc_points=[tmp_path / "cdc.json"])
    md = (tmp_path / "A.md").read_text()
    assert "| 1,000,000 | 40.00 | n/a | 10.00 | 4.00 | 5 | 3 | 2 | 1.0 | 4g |" in md
    assert "| 10,000,000 | 44.00 | n/a | 10.00 | 4.40 | 6 | 3 | 2 | 1.0 | 8g |" in md
    # Joining the same table size again replaces its point.
    rerender(tmp_path / "run.json", tmp_path / "B.md", cdc_points=[tmp_path / "cdc.json"])
    assert (tmp_path / "B.md").read_text().count("| 10,000,000 |") == 1


def test_a_smaller_batch_on_the_same_table_splits_cdc_cost_into_fixed_and_per_change(tmp_path) -> None:
    import json

    from bench.run import rerender

    res = _results()
    # 1,000 changes: project 40 CPU s, DuckDB 10; 100 changes: project 31, DuckDB 9.1 (same table).
    res["cdc"], res["spark_heap"] = _cdc_point(1_000_000, 40.0, 5), "4g"
    res["cdc"]["competent_cdc"] = {**res["cdc"]["duckdb_cdc"], "cpu_seconds": 14.0}
    (tmp_path / "run.json").write_text(json.dumps(res))
    small = {"started": "later", "spark_heap": "4g", "cdc": _cdc_point(1_000_000, 31.0, 4, changes=100, duckdb_cpu=9.1)}
    small["cdc"]["competent_cdc"] = {**small["cdc"]["duckdb_cdc"], "cpu_seconds": 9.5}
    (tmp_path / "small.json").write_text(json.dumps(small))
    big_table = {"started": "later", "spark_heap": "8g", "cdc": _cdc_point(10_000_000, 44.0, 6)}
    (tmp_path / "big.json").write_text(json.dumps(big_table))
    points = [tmp_path / "small.json", tmp_path / "big.json"]
    out = rerender(tmp_path / "run.json", tmp_path / "A.md", cdc_points=points)
    md = (tmp_path / "A.md").read_text()
    # Per million changes: project (40 - 31) / 900 * 1e6 = 10,000 CPU s, fixed 31 - 1 = 30; DuckDB 1,000 and 9.
    assert "| Project job `trading_cdc_apply` | 31.00 | 40.00 | 30.00 | 10,000.00 | 10.00 |" in md
    assert "| DuckDB reference | 9.10 | 10.00 | 9.00 | 1,000.00 | 1.00 |" in md
    assert out["targets"]["cdc_cpu_vs_duckdb"]["note"].endswith("per change (marginal, two batch sizes) 10.00x")
    assert "- Of the project's CDC cost, 30.00 CPU s are paid by every run whatever the batch (DuckDB: 9.00)" in md
    # The competent merge: (14 - 9.5) / 900 * 1e6 = 5,000 per million changes, 5x DuckDB's; fixed 9.5 - 0.5 = 9.
    assert ", the competent PySpark merge at 5.00x (fixed 9.00 CPU s), so no batch size brings a Spark" in md
    # The table-size comparison holds the run's batch size only: the smaller batch is not one of its rows.
    assert "| 1,000,000 | 40.00 | 14.00 | 10.00 | 4.00 |" in md and "| 10,000,000 | 44.00 |" in md
    assert "| 1,000,000 | 31.00 |" not in md


def test_a_later_cdc_run_replaces_the_runs_cdc_section_and_says_so(tmp_path) -> None:
    import json

    from bench.run import rerender

    res = _results()
    res["cdc"], res["spark_heap"] = _cdc_point(1_000_000, 40.0, 5), "4g"
    (tmp_path / "run.json").write_text(json.dumps(res))
    later = {"started": "2026-12-06T10:00:00+00:00", "command": "python -m bench cdc --table-rows 1000000",
             "runs": 3, "spark_heap": "4g", "cdc": _cdc_point(1_000_000, 30.0, 5)}  # fmt: skip
    (tmp_path / "later.json").write_text(json.dumps(later))
    rerender(tmp_path / "run.json", tmp_path / "A.md", cdc=tmp_path / "later.json")
    md = (tmp_path / "A.md").read_text()
    assert "Measured by a later CDC-only run, `python -m bench cdc --table-rows 1000000`, started " in md
    assert "| Project job `trading_cdc_apply` | 100 | 50 | 10.00 | 30.00 | 3.00 | 1.0 |" in md
    assert json.loads((tmp_path / "run.json").read_text())["targets"]["cdc_cpu_vs_duckdb"]["value"] == 3.0


def test_a_cdc_point_whose_project_run_failed_says_why() -> None:
    from bench.report import cdc_scaling

    res = _results()
    res["cdc"] = _cdc_point(1_000_000, 40.0, 5)
    failed = _cdc_point(10_000_000, 0.0, 0)
    failed["project_cdc"] = {
        "available": False,
        "reason": "Traceback\n...\njava.lang.OutOfMemoryError: Java heap space\n",
    }
    res["cdc_points"] = [{**failed, "spark_heap": "4g"}]
    rows = "\n".join(cdc_scaling(res))
    assert "| 10,000,000 | not measured: java.lang.OutOfMemoryError: Java heap space | n/a | 10.00 |" in rows


def test_the_warehouse_load_is_judged_at_its_worst_day_size_and_split_into_fixed_and_per_row() -> None:
    from bench.report import warehouse_section
    from bench.warehouse import summarise

    def point(rows: int, history: int, wall: float, cpu: float) -> dict:
        return {"history_days": history, "rows_per_day": rows, "runs": 2, "wall_s": [wall, wall],
                "wall_median_s": wall, "loader_cpu_median_s": cpu, "peak_memory_bytes": MIB,
                "staged_rows": [rows, rows], "warehouse_rows_after": rows * (history + 1)}  # fmt: skip

    # 2,000 rows: 0.5 s after 1 day, 0.55 after 30 (1.1); 20,000 rows: 2.0 and 2.1 (1.05).
    points = [
        point(2000, 1, 0.5, 0.3),
        point(2000, 30, 0.55, 0.3),
        point(20000, 1, 2.0, 1.2),
        point(20000, 30, 2.1, 1.2),
    ]
    res = summarise(points)
    assert res["ratio"] == pytest.approx(1.1) and res["ratio_rows_per_day"] == 2000 and res["meets_target"]
    # CPU per 1,000 rows (1.2 - 0.3) / 18 = 0.05; fixed 0.3 - 0.05 * 2 = 0.2, at both history lengths.
    assert [f["history_days"] for f in res["fit"]] == [1, 30]
    assert res["fit"][0]["cpu_s_per_1000_rows"] == pytest.approx(0.05) and res["fit"][0][
        "fixed_cpu_s"
    ] == pytest.approx(0.2)
    md = "\n".join(warehouse_section({"warehouse": {"started": "2026-12-06T15:00:00+00:00", **res}}))
    assert "Measured by `make bench-warehouse`, started 2026-12-06T15:00:00+00:00." in md
    assert "Ratio day-30/day-1: **1.10** (target <= 1.2; 1.10 at 2,000 rows per day, 1.05 at 20,000 rows per day)" in md
    assert "after 30 day(s) of history 0.200 CPU s fixed + 0.0500 per 1,000 rows" in md


def test_a_later_warehouse_run_replaces_the_runs_warehouse_section(tmp_path) -> None:
    import json

    from bench.run import rerender

    res = _results()
    (tmp_path / "run.json").write_text(json.dumps(res))
    later = {"started": "later", "points": [], "ratio": 1.05, "ratio_cpu": 1.0, "ratio_label": "day-30/day-1",
             "target": 1.2}  # fmt: skip
    (tmp_path / "wh.json").write_text(json.dumps(later))
    out = rerender(tmp_path / "run.json", tmp_path / "A.md", warehouse=tmp_path / "wh.json")
    assert out["targets"]["warehouse_load"]["value"] == 1.05
