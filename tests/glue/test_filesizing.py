"""Output file sizing by bytes (energylake.filesizing): the plan, and real Parquet files written with it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from energylake.contracts import get_contract
from energylake.filesizing import (
    MIB,
    bytes_per_row,
    file_tasks,
    hash_partition_keys,
    layout_for_write,
    plan_files,
    prior_bytes_per_row,
)


def test_plan_gives_small_partitions_one_file_and_big_ones_balanced_files_of_at_most_the_target():
    row_bytes = 5.0
    rows = {("2024-07-15", "power_factor"): 1_000, ("2024-07-15", "wind_speed"): 70_000_000}  # 5 KB, ~334 MiB
    plan = plan_files(rows, row_bytes, 128 * MIB)
    assert plan[("2024-07-15", "power_factor")] == 1
    n = plan[("2024-07-15", "wind_speed")]
    assert n == 3
    size = rows[("2024-07-15", "wind_speed")] * row_bytes / n
    assert 32 * MIB <= size <= 128 * MIB


@pytest.mark.parametrize("partition_mib", [128, 129, 200, 256.5, 1000, 10_000])
def test_no_planned_file_under_half_the_target_in_partitions_of_at_least_the_target(partition_mib):
    row_bytes = 4.9
    rows = int(partition_mib * MIB / row_bytes)
    n = plan_files({"p": rows}, row_bytes, 128 * MIB)["p"]
    assert 64 * MIB <= rows * row_bytes / n <= 128 * MIB


def test_plan_rejects_nonpositive_sizes():
    with pytest.raises(ValueError, match="must be positive"):
        plan_files({"p": 1}, 0.0, 128 * MIB)


def test_bytes_per_row_uses_a_large_enough_measurement_else_the_low_prior():
    contract = get_contract("telemetry_readings")
    prior = prior_bytes_per_row(contract)
    assert 0 < prior < 10  # a few bytes per row: errs towards larger files
    assert bytes_per_row(contract, None) == prior
    assert bytes_per_row(contract, {"bytes": 500, "rows": 100}) == prior  # too few rows to trust
    assert bytes_per_row(contract, {"bytes": 4_900_000, "rows": 1_000_000}) == pytest.approx(4.9)


def test_every_planned_file_gets_a_task_of_its_own_and_the_largest_files_the_first_tasks():
    plan = {("a",): 1, ("b",): 3, ("c",): 1}
    rows = {("a",): 10, ("b",): 300, ("c",): 50}  # rows per file: a 10, b 100, c 50
    assert file_tasks(plan, rows) == {("b",): 0, ("c",): 3, ("a",): 4}
    # Without row counts the order is the partitions' (still one task per file).
    assert file_tasks(plan) == {("a",): 0, ("b",): 1, ("c",): 4}


@pytest.mark.parametrize("tasks", [1, 7, 21])
def test_hash_partition_keys_send_a_row_to_the_task_of_that_index(spark, tasks):
    keys = hash_partition_keys(spark, tasks)
    assert len(set(keys)) == tasks
    frame = spark.createDataFrame(list(enumerate(keys)), "task int, key bigint")
    placed = frame.repartition(tasks, "key").select("task", F.spark_partition_id().alias("placed")).collect()
    assert sorted((r.task, r.placed) for r in placed) == [(i, i) for i in range(tasks)]


def test_layout_gives_each_planned_file_one_task_in_order_of_size(spark):
    frame = spark.range(0, 10_000).select(
        F.when(F.col("id") < 6_000, "big").when(F.col("id") < 9_000, "mid").otherwise("small").alias("part"), "id"
    )
    plan = {("big",): 2, ("mid",): 1, ("small",): 1}
    rows = {("big",): 6_000, ("mid",): 3_000, ("small",): 1_000}
    laid = layout_for_write(frame, ["part"], plan, rows)
    assert laid.rdd.getNumPartitions() == 4
    placed = laid.groupBy(F.spark_partition_id().alias("task"), "part").count().collect()
    by_task = {r.task: (r.part, r["count"]) for r in placed}
    assert sorted(by_task) == [0, 1, 2, 3], placed  # one partition per task, no task empty
    assert {by_task[0][0], by_task[1][0]} == {"big"} and by_task[2] == ("mid", 3_000) and by_task[3] == ("small", 1_000)
    assert by_task[0][1] + by_task[1][1] == 6_000 and min(by_task[0][1], by_task[1][1]) > 2_000  # spread by hash
    # A row of a partition the plan does not know still lands somewhere (the first task): placement never drops rows.
    extra = spark.range(0, 10).select(F.lit("unplanned").alias("part"), "id")
    assert layout_for_write(frame.unionByName(extra), ["part"], plan, rows).count() == 10_010


def _file_sizes(root: Path) -> dict[str, list[int]]:
    sizes: dict[str, list[int]] = {}
    for path in root.rglob("*.parquet"):
        sizes.setdefault(path.parent.relative_to(root).as_posix(), []).append(path.stat().st_size)
    return sizes


def test_layout_writes_the_planned_files_per_partition_with_real_bytes(spark, tmp_path):
    # Scaled down (a target of a few hundred KiB) so a "big" partition fits a unit test; same mechanics at 128 MiB.
    frame = spark.range(0, 240_000).select(
        F.when(F.col("id") < 200_000, "big").otherwise("small").alias("part"),
        F.col("id"),
        (F.rand(7) * 1000).alias("value"),  # incompressible enough for a measurable size
    )
    probe = tmp_path / "probe"
    frame.where("part = 'big'").coalesce(1).write.parquet(str(probe))
    measured = sum(p.stat().st_size for p in probe.rglob("*.parquet")) / 200_000
    target = int(200_000 * measured / 4.5)  # the big partition is 4.5 targets, the small one 0.9
    plan = plan_files({("big",): 200_000, ("small",): 40_000}, measured, target)
    assert plan[("small",)] == 1 and plan[("big",)] == 5
    out = tmp_path / "out"
    layout_for_write(frame, ["part"], plan).write.partitionBy("part").parquet(str(out))
    sizes = _file_sizes(out)
    assert len(sizes["part=small"]) == 1
    big = sizes["part=big"]
    assert len(big) == plan[("big",)]  # every planned file is written by a task of its own
    assert min(big) >= target / 4, big
    assert spark.read.parquet(str(out)).count() == 240_000


def _seed_lines(n_devices: int, minutes: int, start_minute: int = 0) -> list[str]:
    """Wind-farm seed records: one power-factor reading per device per minute on 2024-07-15."""
    import json
    import random

    rng = random.Random(start_minute)
    return [
        json.dumps(
            {
                "id": f"WF-SIZE-T{d:02d}",
                "data": round(rng.uniform(0.9, 1.0), 4),
                "type": "powerFactor",
                "date": f"2024-07-15T{m // 60:02d}:{m % 60:02d}:00.000Z",
            }
        )
        for m in range(start_minute, start_minute + minutes)
        for d in range(n_devices)
    ]


def _partition_files(s3, database: str, table: str) -> dict[tuple[str, ...], list[int]]:
    from lakectl.catalog import Catalog

    out = {}
    for values, location in Catalog().partitions(database, table).items():
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        objects = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        out[values] = [o["Size"] for o in objects if o["Key"].endswith(".parquet")]
    return out


def test_job_output_files_follow_the_plan_on_first_write_and_after_a_mass_redelivery(lake, s3, monkeypatch):
    """The telemetry job at a scaled-down target, after a mass re-delivery: the count planned before the merge
    (new + written rows) is ~4x the merged rows, so the merge lays the rows out again from the exact count
    instead of writing ~4x as many, smaller files."""
    from energylake import filesizing
    from lakectl import runner
    from tests.glue.conftest import put, read_catalog_table

    target = 24 * 1024
    monkeypatch.setattr(filesizing, "TARGET_FILE_BYTES", target)
    first = _seed_lines(n_devices=40, minutes=600)
    put(s3, lake["raw"], "telemetry/windfarm/2024/07/15/10/seed-1.json", "\n".join(first))
    m1 = runner.run_job("telemetry_to_transform")
    assert m1.status == "succeeded" and m1.rows_written == len(first)
    # Every row re-delivered three times in one later object, plus an hour of new rows.
    put(
        s3, lake["raw"], "telemetry/windfarm/2024/07/15/11/seed-2.json", "\n".join(first * 3 + _seed_lines(40, 60, 600))
    )
    m2 = runner.run_job("telemetry_to_transform")
    assert m2.status == "succeeded" and m2.balanced
    # The re-delivered rows are newer (later object), so one copy replaces each written row, two are duplicates.
    assert m2.rows_deduplicated == 2 * len(first) and m2.rows_written == len(first) + 40 * 60
    assert len(read_catalog_table(s3, "energy_transform", "telemetry_readings")) == len(first) + 40 * 60
    files = _partition_files(s3, "energy_transform", "telemetry_readings")
    big = {k: sizes for k, sizes in files.items() if sum(sizes) >= target}
    assert big, files  # the scenario needs a partition of at least the target
    for sizes in big.values():
        # Files as planned from the merged rows (+1 for the estimate), not from the ~4x larger count planned
        # before the merge; none under a quarter of the target.
        assert 1 < len(sizes) <= math.ceil(sum(sizes) / target) + 1, sizes
        assert min(sizes) >= target / 4, sizes
