"""Warehouse-load benchmark: the cost of loading ONE new day after 1 and after N days of history, at two day sizes.

A synthetic trading lake is published the way the Glue jobs publish it (Parquet in an immutable version
directory per partition, the Glue catalog's partition location switched to it; see energylake.publish), on a
moto server in its own process, and loaded into a real PostgreSQL (the local Redshift stand-in) by
``warehouse.loader.load_datasets``. Each measured run publishes the next day and loads it; the loader should
find that day alone, so the day-N/day-1 ratio (issue 32: <= 1.2) shows whether a load depends on history.
Measured at each day size given, the ratio reported is the largest; two day sizes split the loader's CPU into a
fixed part and a part per 1,000 rows of the day.

Runs alternate between the history lengths. Peak memory is the loader process's Python heap
peak during the load (tracemalloc: S3 bodies, gate rows, COPY rows) plus pyarrow's peak allocation in it;
PostgreSQL and moto run in other processes.

    python -m bench.warehouse --rows-per-day 2000,20000 --history 1,30 --runs 3
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench.measure import fixed_and_per_unit
from energylake.catalog import Catalog, partition_path
from energylake.contracts import DatasetContract, get_contract
from migration.dms.apply import arrow_type

START = date(2026, 1, 1)
CUSTOMERS = 50
BUCKET = "transform"


def _row(contract: DatasetContract, n: int, day: date) -> dict[str, Any]:
    """A valid row of ``contract`` with key ``n`` (foreign keys resolve to ids 1..CUSTOMERS)."""
    ts = datetime.combine(day, datetime.min.time()) + timedelta(seconds=n % 86400)
    ref = 1 + n % CUSTOMERS
    out: dict[str, Any] = {}
    for col in contract.columns:
        if col.name in contract.primary_key:
            out[col.name] = n
        elif col.name in ("provider_id", "customer_id", "contract_id"):
            out[col.name] = ref
        elif col.name in ("transaction_date", "start_date"):
            out[col.name] = day
        elif col.type == "date":
            out[col.name] = None if col.nullable else day
        elif col.type == "timestamp":
            out[col.name] = ts
        elif col.type.startswith("decimal"):
            out[col.name] = Decimal(n % 997) + Decimal("0.5")
        elif col.name == "status":
            out[col.name] = ("settled", "pending", "cancelled")[n % 3]
        elif col.type == "string":
            out[col.name] = f"{col.name}-{n % 7}"
        else:
            out[col.name] = n
    return out


def publish(
    s3: Any,
    catalog: Catalog,
    contract: DatasetContract,
    rows: Sequence[dict[str, Any]],
    version: str,
    *,
    values: tuple[str, ...] = (),
    bucket: str = BUCKET,
    files: int = 1,
) -> str:
    """Write ``rows`` as a new version of one partition (or of the unpartitioned table) and switch the catalog to
    it, like energylake.publish.Tables.write_partitions; returns the version location."""
    base = f"{contract.name}/" + (partition_path(contract.partition_by, values) + "/" if values else "")
    prefix = f"{base}v={version}/"
    schema = pa.schema([(c.name, arrow_type(c.type), c.nullable) for c in contract.data_columns])
    chunk = max(1, -(-len(rows) // files))
    for index in range(files):
        part = rows[index * chunk : (index + 1) * chunk]
        if not part and index:
            break
        table = pa.Table.from_pylist([{c: r[c] for c in schema.names} for r in part], schema=schema)
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="snappy")
        s3.put_object(Bucket=bucket, Key=f"{prefix}part-{index:05d}.snappy.parquet", Body=buf.getvalue())
    location = f"s3://{bucket}/{prefix}"
    database = contract.glue_database()
    catalog.ensure_database(database)
    if catalog.get_table(database, contract.name) is None or not contract.partition_by:
        catalog.register_table(
            contract, database, location if not contract.partition_by else f"s3://{bucket}/{contract.name}/"
        )
    if contract.partition_by:
        catalog.put_partition(contract, database, values, location)
    return location


def publish_dimensions(s3: Any, catalog: Catalog, version: str = "dims") -> None:
    """Providers, customers and contracts with ids 1..CUSTOMERS (every synthetic transaction resolves)."""
    for name in ("trading_providers", "trading_customers", "trading_contracts"):
        contract = get_contract(name)
        publish(s3, catalog, contract, [_row(contract, n, START) for n in range(1, CUSTOMERS + 1)], version)


def publish_day(s3: Any, catalog: Catalog, day_index: int, rows: int, version: str = "", files: int = 1) -> str:
    """Transactions of day ``START + day_index`` (keys unique across days) as a new partition version."""
    contract = get_contract("trading_transactions")
    day = START + timedelta(days=day_index)
    first = day_index * rows
    data = [_row(contract, first + n, day) for n in range(1, rows + 1)]
    return publish(s3, catalog, contract, data, version or f"d{day_index}", values=(day.isoformat(),), files=files)


def _load(executor: Any, s3: Any, catalog: Catalog, reader: Any = None) -> Any:
    from migration.storage import S3Store
    from warehouse.loader import TRADING_DATASETS, load_datasets

    return load_datasets(
        executor,
        stores={"transform": S3Store(BUCKET, client=s3)},
        manifest_store=S3Store("artifacts", "state/redshift/manifests", client=s3),
        iam_role="arn:aws:iam::000000000000:role/energylake-local-redshift-copy",
        datasets=TRADING_DATASETS,
        catalog=catalog,
        now=datetime.now().astimezone(),
        reader=reader,
    )


class Scenario:
    """One lake (moto in its own process) and one warehouse (PostgreSQL) holding ``history`` loaded days."""

    def __init__(self, history: int, rows_per_day: int, workdir: Path) -> None:
        import boto3

        from lakectl.emulator import ProcessEmulator
        from lakectl.postgres import LocalPostgres
        from warehouse.executors import LocalWarehouse
        from warehouse.loader import setup_warehouse

        self.history, self.rows_per_day, self.next_day = history, rows_per_day, history
        self.emulator = ProcessEmulator().start()
        self.server = LocalPostgres(workdir / f"pg-{history}").start()
        endpoint = self.emulator.endpoint_url
        self.s3 = boto3.client("s3", endpoint_url=endpoint)
        self.catalog = Catalog(boto3.client("glue", endpoint_url=endpoint))
        for bucket in (BUCKET, "artifacts"):
            self.s3.create_bucket(Bucket=bucket)
        self.executor = LocalWarehouse(self.server.dsn, s3=self.s3)
        setup_warehouse(self.executor)
        publish_dimensions(self.s3, self.catalog)
        for day in range(history):
            publish_day(self.s3, self.catalog, day, rows_per_day)
        _load(self.executor, self.s3, self.catalog)
        self.vacuum()
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.peaks: list[int] = []
        self.staged: list[int] = []

    def vacuum(self) -> None:
        """Steady state before measuring: statistics current, no autovacuum pending from the history load."""
        import psycopg

        with psycopg.connect(self.server.dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")

    def load_next_day(self) -> None:
        """Publish the next day and load it (measured: wall, loader CPU, loader peak memory)."""
        publish_day(self.s3, self.catalog, self.next_day, self.rows_per_day)
        self.next_day += 1
        pa_before = pa.default_memory_pool().max_memory()
        tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        result = _load(self.executor, self.s3, self.catalog)
        self.walls.append(time.perf_counter() - wall)
        self.cpus.append(time.process_time() - cpu)
        arrow_peak = max(0, pa.default_memory_pool().max_memory() - pa_before)
        self.peaks.append(tracemalloc.get_traced_memory()[1] + arrow_peak)
        tracemalloc.stop()
        self.staged.append(result.rows["trading_transactions"])
        self.vacuum()

    def summary(self) -> dict[str, Any]:
        """The measured runs of this history length."""
        total = self.executor.query("SELECT count(*) FROM trading.transactions")[0][0]
        return {
            "history_days": self.history,
            "rows_per_day": self.rows_per_day,
            "runs": len(self.walls),
            "wall_s": self.walls,
            "wall_median_s": statistics.median(self.walls),
            "loader_cpu_median_s": statistics.median(self.cpus),
            "peak_memory_bytes": max(self.peaks),
            "staged_rows": self.staged,
            "warehouse_rows_after": total,
        }

    def close(self) -> None:
        """Stop the servers this scenario started."""
        self.server.stop()
        self.emulator.stop()


def run(day_sizes: Sequence[int], histories: Sequence[int], runs: int, out: Path | None) -> dict[str, Any]:
    """Measure every history length at every day size (rows per day), runs alternated between them all (so
    machine noise hits all alike); the results of ``summarise``."""
    import os

    from lakectl.settings import emulator_env

    saved = dict(os.environ)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    scenarios: list[Scenario] = []
    try:
        with tempfile.TemporaryDirectory(prefix="wh-bench-") as tmp:
            base = Path(tmp)
            base.chmod(0o755)
            os.environ.update({k: v for k, v in emulator_env("http://127.0.0.1:1").items() if k != "AWS_ENDPOINT_URL"})
            for rows_per_day in day_sizes:
                for history in histories:
                    scenarios.append(Scenario(history, rows_per_day, base / f"rows-{rows_per_day}"))
            for _ in range(runs):
                for scenario in scenarios:
                    scenario.load_next_day()
            points = [s.summary() for s in scenarios]
            for scenario in scenarios:
                scenario.close()
            scenarios = []
    finally:
        for scenario in scenarios:
            scenario.close()
        os.environ.clear()
        os.environ.update(saved)
    res = {"started": started, **summarise(points)}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=2) + "\n")
    return res


def summarise(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratio of the longest history's median to the shortest's at each day size, the largest of them as the
    result (issue 32 target: <= 1.2), and per history a line through the day sizes' loader CPU (fixed s and s
    per 1,000 rows of the day)."""
    sizes = sorted({p["rows_per_day"] for p in points})
    histories = sorted({p["history_days"] for p in points})
    at = {(p["rows_per_day"], p["history_days"]): p for p in points}
    ratios = []
    for rows in sizes:
        first, last = at[(rows, histories[0])], at[(rows, histories[-1])]
        ratios.append({"rows_per_day": rows, "ratio": last["wall_median_s"] / first["wall_median_s"],
                       "ratio_cpu": last["loader_cpu_median_s"] / first["loader_cpu_median_s"]})  # fmt: skip
    worst = max(ratios, key=lambda r: r["ratio"])
    fit = []
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        for history in histories:
            a, b = at[(lo, history)]["loader_cpu_median_s"], at[(hi, history)]["loader_cpu_median_s"]
            fixed, per_1000 = fixed_and_per_unit((lo / 1000, a), (hi / 1000, b))
            fit.append({"history_days": history, "fixed_cpu_s": fixed, "cpu_s_per_1000_rows": per_1000})
    res = {
        "benchmark": "warehouse-load-one-new-day",
        "points": points,
        "ratios": ratios,
        "ratio": worst["ratio"],
        "ratio_cpu": worst["ratio_cpu"],
        "ratio_label": f"day-{histories[-1]}/day-{histories[0]}",
        "ratio_rows_per_day": worst["rows_per_day"],
        "fit": fit,
        "target": 1.2,
    }
    res["meets_target"] = res["ratio"] <= res["target"]
    return res


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the ratio and peak memory, write the results JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.warehouse")
    parser.add_argument("--rows-per-day", default="2000,20000", help="day sizes in rows, comma separated")
    parser.add_argument("--history", default="1,30", help="history lengths in days, comma separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/warehouse-load.json"))
    args = parser.parse_args(argv)
    histories = [int(h) for h in args.history.split(",")]
    res = run([int(r) for r in args.rows_per_day.split(",")], histories, args.runs, args.out)
    for p in res["points"]:
        print(
            f"history {p['history_days']:>3} days: one new day of {p['rows_per_day']} rows in "
            f"{p['wall_median_s']:.3f} s (median of {p['runs']}), peak memory {p['peak_memory_bytes'] / 2**20:.1f} MiB"
        )
    for r in res["ratios"]:
        print(f"{res['ratio_label']} at {r['rows_per_day']} rows/day = {r['ratio']:.2f} (CPU {r['ratio_cpu']:.2f})")
    print(f"largest {res['ratio']:.2f} (target <= {res['target']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
