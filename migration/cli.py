"""lakectl sub-commands for the migration and warehouse areas (registered from lakectl.cli.build_parser)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import psycopg

LOCAL_COPY_ROLE = "arn:aws:iam::000000000000:role/energylake-local-redshift-copy"  # local placeholder, never used


def local_source():
    """The local on-prem source server (.local/postgres/source, port LAKE_SOURCE_PG_PORT or 25432), started."""
    from lakectl.settings import source_pg_port
    from migration.source import start_source

    return start_source(port=source_pg_port())


def local_warehouse_server():
    """The local Redshift stand-in server (.local/postgres/warehouse, port LAKE_WAREHOUSE_PG_PORT or 25439)."""
    from lakectl.postgres import LocalPostgres
    from lakectl.settings import STATE_DIR, warehouse_pg_port

    return LocalPostgres(STATE_DIR / "postgres" / "warehouse", port=warehouse_pg_port()).start()


def warehouse_executor():
    """Redshift Data API when REDSHIFT_WORKGROUP or REDSHIFT_CLUSTER_ID is set, else the local stand-in."""
    from warehouse.executors import LocalWarehouse, RedshiftDataApi

    if os.environ.get("REDSHIFT_WORKGROUP") or os.environ.get("REDSHIFT_CLUSTER_ID"):
        return RedshiftDataApi(
            database=os.environ.get("REDSHIFT_DATABASE", "lake"),
            workgroup_name=os.environ.get("REDSHIFT_WORKGROUP"),
            cluster_identifier=os.environ.get("REDSHIFT_CLUSTER_ID"),
            secret_arn=os.environ.get("REDSHIFT_SECRET_ARN"),
            db_user=os.environ.get("REDSHIFT_DB_USER"),
        )
    return LocalWarehouse(local_warehouse_server().dsn)


def exporter(create_buckets: bool = True):
    """The DMS exporter wired to the local source and the lake buckets (names from the environment)."""
    from migration.dms.exporter import DmsExporter
    from migration.storage import S3Store, bucket_name, ensure_bucket

    for zone in ("landing", "transform", "artifacts") if create_buckets else ():
        ensure_bucket(bucket_name(zone))
    return DmsExporter(
        local_source().dsn,
        S3Store(bucket_name("landing")),
        S3Store(bucket_name("artifacts")),
        S3Store(bucket_name("transform"), "quarantine"),
    )


def _source(args: argparse.Namespace) -> int:
    from migration.source import create_schema, generate_changes, generate_sample_data

    server = local_source()
    if args.action == "start":
        print(f"source PostgreSQL ready: {server.dsn}")
    elif args.action == "stop":
        server.stop()
    elif args.action == "seed":
        if not args.keep_exporter_state:
            print(json.dumps({"reset": _reset_pipeline()}, default=str))
        with psycopg.connect(server.dsn) as conn:
            create_schema(conn, drop=True)
            print(json.dumps(generate_sample_data(conn, seed=args.seed, size=args.size)))
    else:
        with psycopg.connect(server.dsn) as conn:
            summary = generate_changes(conn, seed=args.seed, batches=args.batches)
        print(json.dumps({f"{t}.{op}": n for (t, op), n in sorted(summary.operations.items())}))
    return 0


def _reset_pipeline() -> dict[str, object]:
    """Before a re-seed: drop the exporter's slot, state and landing files, and the CDC job's bookmark and tables."""
    from dataclasses import asdict

    import boto3
    from botocore.exceptions import BotoCoreError

    from energylake.storage import parse_s3_uri
    from lakectl.runner import job_arguments
    from migration.reset import CDC_JOB, reset_cdc_job, reset_exporter
    from migration.storage import S3Store

    job = job_arguments(CDC_JOB)
    state_bucket, state_prefix = parse_s3_uri(job["state_path"])
    transform_bucket, transform_prefix = parse_s3_uri(job["output_path"])
    try:
        result = reset_exporter(exporter(create_buckets=False))
        reset_cdc_job(
            S3Store(transform_bucket, transform_prefix),
            S3Store(state_bucket),
            glue=boto3.client("glue"),
            database=job["output_database"],
            bookmark_key=f"{state_prefix.rstrip('/')}/bookmarks/{CDC_JOB}.json".lstrip("/"),
            tombstones_prefix=f"{state_prefix.rstrip('/')}/cdc_tombstones/".lstrip("/"),
            result=result,
        )
    except BotoCoreError as exc:  # e.g. no emulator running: say so instead of leaving a half reset
        raise SystemExit(
            f"cannot reset the lake side of the trading pipeline ({exc}); start the emulator (make emulator-start) "
            "or set AWS_ENDPOINT_URL, or pass --keep-exporter-state"
        ) from None
    return asdict(result)


def _dms(args: argparse.Namespace) -> int:
    from migration.dms.apply import apply_dms_to_transform
    from migration.dms.exporter import summarize
    from migration.storage import S3Store, bucket_name

    result = exporter().run()
    print(json.dumps(summarize(result)))
    if args.apply:
        results = apply_dms_to_transform(
            S3Store(bucket_name("landing")),
            S3Store(bucket_name("transform")),
            quarantine_store=S3Store(bucket_name("transform"), "quarantine"),
        )
        print(
            json.dumps(
                {
                    k: {"rows_in": v.rows_in, "rows_out": v.rows_out, "quarantined": v.quarantined}
                    for k, v in results.items()
                }
            )
        )
    return 0


def _sct(args: argparse.Namespace) -> int:
    from lakectl.settings import STATE_DIR
    from migration.sct import convert, write_outputs
    from migration.storage import bucket_name

    with psycopg.connect(local_source().dsn) as conn:
        result = convert(conn, "trading", transform_bucket=bucket_name("transform"))
    for path in write_outputs(result, Path(args.out or STATE_DIR / "sct"), "trading"):
        print(path)
    return 1 if any(f.severity == "error" for f in result.findings) else 0


def _warehouse(args: argparse.Namespace) -> int:
    from migration.storage import S3Store, bucket_name
    from warehouse.loader import WAREHOUSE_DATASETS, load_datasets, setup_warehouse

    executor = warehouse_executor()
    setup_warehouse(executor)
    if args.action == "load":
        result = load_datasets(
            executor,
            stores={"transform": S3Store(bucket_name("transform")), "curated": S3Store(bucket_name("curated"))},
            manifest_store=S3Store(bucket_name("artifacts"), "state/redshift/manifests"),
            iam_role=os.environ.get("REDSHIFT_COPY_ROLE_ARN", LOCAL_COPY_ROLE),
            datasets=args.datasets or WAREHOUSE_DATASETS,
        )
        print(json.dumps({"run_id": result.run_id, "rows": result.rows, "statements": result.statements}))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the source, dms-export, sct and warehouse sub-commands to lakectl."""
    src = sub.add_parser("source", help="local on-prem trading PostgreSQL: start, stop, seed, changes")
    src.add_argument("action", choices=["start", "stop", "seed", "changes"])
    src.add_argument("--seed", type=int, default=7)
    src.add_argument("--size", type=int, default=1, help="scale factor (1 = 1200 transactions)")
    src.add_argument("--batches", type=int, default=40, help="source transactions for `changes`")
    src.add_argument(
        "--keep-exporter-state",
        action="store_true",
        help="seed without resetting the DMS exporter (slot, state, landing files) and the CDC job's output",
    )
    src.set_defaults(func=_source)
    dms = sub.add_parser("dms-export", help="DMS-compatible full load + CDC into the landing bucket")
    dms.add_argument("--apply", action="store_true", help="also run the reference CDC apply into transform")
    dms.set_defaults(func=_dms)
    sct = sub.add_parser("sct", help="convert the source schema: Redshift DDL, Glue tables, assessment")
    sct.add_argument("--out", default=None, help="output directory (default .local/sct)")
    sct.set_defaults(func=_sct)
    wh = sub.add_parser("warehouse", help="set up the warehouse or run curated-to-redshift")
    wh.add_argument("action", choices=["setup", "load"])
    wh.add_argument(
        "--datasets", nargs="+", default=None, help="datasets to load (default: the trading tables + client_analytics)"
    )
    wh.set_defaults(func=_warehouse)
