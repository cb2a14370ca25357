"""Glue job: DMS full-load and CDC files of the trading database (landing) -> current-state transform tables."""

from __future__ import annotations

import sys

from pyspark.sql import functions as F

from energylake.cdc import apply_cdc, parse_dms, stored_partitions
from energylake.contracts import get_contract
from energylake.dms import trading_datasets
from energylake.filesizing import partition_key
from energylake.runtime import JobMetrics, job_context
from energylake.storage import join_uri
from energylake.tombstones import TombstoneStore

TABLES = trading_datasets()  # every contract whose source hints name the trading schema


def main(argv: list[str]) -> JobMetrics:
    """Apply each table's new DMS files in commit order and rewrite the partitions they change."""
    with job_context(argv, ["input_path", "output_path", "output_database"], {"tables": ",".join(TABLES)}) as ctx:
        database = ctx.args["output_database"]
        for dataset in [t for t in ctx.args["tables"].split(",") if t]:
            contract = get_contract(dataset)
            objects = ctx.new_inputs(join_uri(ctx.args["input_path"], contract.source["table"]) + "/", [".csv"])
            if not objects:
                continue
            records, headers = ctx.read_csv_with_headers(objects)
            changes, rejects = parse_dms(records, contract, headers)
            parts = list(contract.partition_by)
            # Whole rows only of the partitions holding a changed key (found from the key column alone).
            located = stored_partitions(ctx.read_table(contract, database), changes, contract) if parts else []
            current = ctx.read_table(contract, database, located) if parts else ctx.read_table(contract, database)
            tombstone_store = TombstoneStore.at(ctx.spark, ctx.staging, contract, ctx.args["state_path"])
            stored_tombstones = tombstone_store.read()
            result = apply_cdc(current, changes, contract, stored_tombstones.frame)
            quarantined = ctx.quarantine(rejects, dataset)
            # Every change is either applied or superseded (apply_cdc splits them), so two counts suffice.
            n_changes = changes.count()
            counted = result.applied.agg(F.count(F.lit(1)), F.count(F.when(F.col("op") == "D", 1))).first()
            applied, deleted = int(counted[0]), int(counted[1])
            superseded = n_changes - applied
            output = join_uri(ctx.args["output_path"], dataset) + "/"
            touched: list[tuple[str, ...]] = []
            if parts and result.touched_partitions is not None:
                touched = [tuple(str(v) for v in r) for r in result.touched_partitions.collect()]
                # The state holds the partitions read (located) and the ones upserts land in; a located partition
                # whose changes were all superseded (stale or deleted before) has not changed and is not rewritten.
                state = result.state.where(partition_key(parts).isin(["|".join(v) for v in touched]))
                ctx.write_partitions(state, contract, database, output, drop=touched)
            else:
                ctx.write_partitions(result.state, contract, database, output)
            tombstone_store.append(result.new_tombstones, deleted, stored_tombstones, ctx.run_id)
            m = ctx.metrics
            m.rows_read += n_changes + quarantined
            m.rows_written += applied
            m.rows_deduplicated += superseded
            m.details[dataset] = {
                "read": n_changes + quarantined,
                "applied": applied,
                "deleted": deleted,
                "superseded": superseded,
                "quarantined": quarantined,
                # What the batch cost in stored data: whole rows read from these partitions, these rewritten.
                "partitions_read": len(located) if parts else int(current is not None),
                "files_read": len(current.inputFiles()) if current is not None else 0,
                "partitions_rewritten": len(touched) if parts else 1,
            }
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
