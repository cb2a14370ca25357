"""Output file sizing by bytes (energylake.filesizing): the plan, and real Parquet files written with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from energylake.contracts import get_contract
from energylake.filesizing import MIB, bytes_per_row, layout_for_write, plan_files, prior_bytes_per_row


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
    # Hash placement can put two of a partition's slices in one task (one larger file), never split one.
    assert 1 < len(big) <= plan[("big",)]
    assert min(big) >= target / 4, big
    assert spark.read.parquet(str(out)).count() == 240_000
