"""Glue job: DMS full-load and CDC files of the trading database (landing) -> current-state transform tables."""

from __future__ import annotations

import sys

from energylake.cdc import apply_cdc, parse_dms, tombstone_records, tombstones_frame
from energylake.contracts import get_contract
from energylake.dms import trading_datasets
from energylake.frames import materialise
from energylake.runtime import JobMetrics, job_context
from energylake.storage import join_uri

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
            changes, rejects = parse_dms(ctx.read_lines(objects), contract)
            current = ctx.read_table(contract, database)
            tombstones_uri = ctx.state_uri("cdc_tombstones", f"{dataset}.json")
            saved = ctx.storage.get_json(tombstones_uri)
            tombstones = tombstones_frame(ctx.spark, saved, contract) if saved else None
            result = apply_cdc(current, changes, contract, tombstones)
            quarantined = ctx.quarantine(rejects, dataset)
            n_changes, applied, superseded = changes.count(), result.applied.count(), result.superseded.count()
            output = join_uri(ctx.args["output_path"], dataset) + "/"
            if contract.partition_by and result.touched_partitions is not None:
                touched = materialise(result.touched_partitions, eager=True)
                state = result.state.join(touched, list(contract.partition_by), "left_semi")
                drop = [tuple(str(v) for v in r) for r in touched.collect()]
                ctx.write_partitions(state, contract, database, output, drop=drop)
            else:
                ctx.write_partitions(result.state, contract, database, output)
            ctx.storage.put_json(tombstones_uri, tombstone_records(result.tombstones, contract))
            m = ctx.metrics
            m.rows_read += n_changes + quarantined
            m.rows_written += applied
            m.rows_deduplicated += superseded
            m.details[dataset] = {
                "read": n_changes + quarantined,
                "applied": applied,
                "deleted": result.applied.where("op = 'D'").count(),
                "superseded": superseded,
                "quarantined": quarantined,
            }
    return ctx.metrics


if __name__ == "__main__":
    main(sys.argv)
