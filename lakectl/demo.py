"""`make demo` / `lakectl demo`: the whole lake locally, end to end, with a report a person can look at.

Steps (resumable through ``lakectl.pipeline.run_steps``; a failed run continues at the failed step):

1. ``stack``      the embedded AWS emulator (moto daemon) and two real PostgreSQL servers (on-prem trading
                  source, warehouse stand-in), started only if not running; Java and ports checked first;
2. ``terraform``  ``terraform apply`` of ``terraform/envs/local`` against the emulator (same as ``make apply``);
3. ``ingest``     ``lakectl.ingest.run_ingest``: ERCOT/Open-Meteo Lambdas on recorded responses, telemetry
                  through Kinesis and the local Firehose delivery, partner API path, documents + OCR;
4. ``trading``    the trading source seeded once, DMS-compatible full load, one CDC batch (change generator);
5. ``crawl``      the crawlers' equivalent: raw/landing tables (from the contracts) at their prefixes;
6. ``workflow``   every Glue job in trigger order through the local Glue runner (catalog updated);
7. ``warehouse``  data-quality gate, then COPY-equivalent loads, MERGE and stored procedures;
8. ``athena``     the Athena named queries answered locally as personas (Lake Formation grants applied);
9. ``forecast``   the generation forecast (``analytics.forecast``) on its synthetic history;
10. ``report``    ``demo-report/index.html`` + PNG charts.

Rerun semantics: the sample is deterministic. A second run replays the same window: ERCOT, Open-Meteo and
documents land nothing new (same key, same content), the DMS exporter finds no new source changes, and the
telemetry simulators send the window again, which Firehose delivers as new raw objects (at-least-once
duplicates). Job bookmarks make the Glue jobs read only those new objects; every row is a duplicate of a
stored one, so curated results (checksums in the summary) stay the same.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from lakectl.pipeline import RunState, Step, StepFailedError, run_steps
from lakectl.settings import REPO_ROOT, STATE_DIR, emulator_env, source_pg_port, warehouse_pg_port

TF_ENV_DIR = REPO_ROOT / "terraform" / "envs" / "local"
TF_MIRROR = Path("/opt/tf-plugins")
CURATED_TABLES = (
    "site_hourly_generation",
    "grid_weather_hourly",
    "windfarm_daily_metrics",
    "daily_energy_consumption",
    "client_analytics",
)
# Tables the crawlers' equivalent registers: the schema-on-read datasets of landing/raw (contract zone raw).
CRAWLED_TABLES = (
    "raw_telemetry_seed",
    "raw_telemetry_device",
    "raw_ercot_system_load",
    "raw_ercot_settlement_prices",
    "raw_ercot_fuel_mix",
)


class DemoError(RuntimeError):
    """The demo cannot run; the message says what to do."""


@dataclass(frozen=True)
class Scale:
    """How big the sample is; every size uses the same code."""

    steps: int  # telemetry readings per device (5-minute interval)
    turbines_per_site: int  # seed-format wind-farm turbines per wind site
    devices_per_site: int  # rich-format IoT devices per site
    partner_readings: int
    trading_size: int  # migration.source scale factor (1 = 1200 transactions)
    cdc_batches: int  # source transactions in the one CDC batch


SIZES: dict[str, Scale] = {
    "tiny": Scale(
        steps=96, turbines_per_site=2, devices_per_site=1, partner_readings=16, trading_size=1, cdc_batches=12
    ),
    "small": Scale(
        steps=288, turbines_per_site=3, devices_per_site=2, partner_readings=48, trading_size=1, cdc_batches=40
    ),
    # 10x the rows of small in the same day (more devices, more trading rows), so the recorded weather and
    # market data still cover the window.
    "large": Scale(
        steps=288, turbines_per_site=30, devices_per_site=20, partner_readings=480, trading_size=10, cdc_batches=400
    ),
}


@dataclass
class DemoConfig:
    """One demo run: sample size, where state and the report go, and how to reach the services."""

    size: str = "small"
    state_dir: Path = STATE_DIR
    report_dir: Path = REPO_ROOT / "demo-report"
    emulator_endpoint: str | None = None  # None: start or reuse the shared emulator daemon
    source_port: int = field(default_factory=source_pg_port)
    warehouse_port: int = field(default_factory=warehouse_pg_port)
    terraform: bool = True
    forecast: bool = True
    resume: bool = True
    seed: int = 42

    @property
    def scale(self) -> Scale:
        """The Scale of ``size``; ValueError naming the known sizes."""
        if self.size not in SIZES:
            raise ValueError(f"unknown demo size {self.size!r}; use one of {', '.join(SIZES)} (SIZE=...)")
        return SIZES[self.size]

    @property
    def demo_dir(self) -> Path:
        """Demo state: pipeline state, summary, query results."""
        return self.state_dir / "demo"


# ------------------------------------------------------------------------------------------------- helpers


def _buckets() -> dict[str, str]:
    from lakectl.runner import placeholders

    return placeholders()


def _store(zone: str, prefix: str = ""):
    from migration.storage import S3Store

    return S3Store(_buckets()[zone], prefix)


def check_java() -> str:
    """Path of the java binary Spark needs, or DemoError saying how to install it."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    found = str(candidate) if candidate and candidate.exists() else shutil.which("java")
    if not found:
        raise DemoError(
            "Java not found: the Glue jobs run on local Spark, which needs Java 17. Install it "
            "(Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME, then run `make demo` again"
        )
    return found


def _postgres(cfg: DemoConfig, name: str, port: int, env_var: str):
    from lakectl.emulator import port_in_use
    from lakectl.postgres import LocalPostgres, PostgresError

    server = LocalPostgres(cfg.state_dir / "postgres" / name, port=port)
    if not server.is_running() and port_in_use(port):
        raise DemoError(
            f"port {port} (the {name} PostgreSQL) is in use by another process; stop it or choose another "
            f"port with {env_var}=<port>, then run `make demo` again"
        )
    try:
        server.start()
    except PostgresError as exc:
        raise DemoError(f"{name} PostgreSQL on port {port}: {exc}") from exc
    return server


def _source_server(cfg: DemoConfig):
    from migration.source import ensure_logical_decoding

    server = _postgres(cfg, "source", cfg.source_port, "LAKE_SOURCE_PG_PORT")
    ensure_logical_decoding(server)
    return server


def curated_checksums() -> dict[str, str]:
    """SHA-256 per curated table over its current rows (read through the catalog), order-independent."""
    return {name: _frame_checksum(read_table(name)) for name in CURATED_TABLES}


def _frame_checksum(frame: Any) -> str:
    if frame.empty:
        return "empty"
    cols = sorted(frame.columns)
    text = frame[cols].astype(str).sort_values(cols).to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()


def read_table(name: str) -> Any:
    """Current rows of a catalog table as pandas (partition values as columns), read via catalog locations."""
    import pandas as pd
    import pyarrow.parquet as pq

    from energylake.contracts import get_contract
    from lakectl.lake_tables import files_from_catalog

    contract = get_contract(name)
    files = files_from_catalog(contract.glue_database(), name, contract.partition_by)
    frames = []
    for f in files:
        frame = pq.read_table(f.local_path).to_pandas()
        for key, value in f.partition.items():
            frame[key] = value
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ------------------------------------------------------------------------------------------------- steps


def step_stack(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Java check, emulator (daemon or given endpoint), source and warehouse PostgreSQL."""
    from lakectl import emulator

    java = check_java()
    if cfg.emulator_endpoint:
        endpoint = cfg.emulator_endpoint
        if not emulator.is_emulator(endpoint):
            raise DemoError(f"no AWS emulator answers at {endpoint}")
    else:
        try:
            endpoint = emulator.start_daemon()
        except emulator.EmulatorError as exc:
            raise DemoError(str(exc)) from exc
    os.environ.update(emulator_env(endpoint))
    source = _source_server(cfg)
    warehouse = _postgres(cfg, "warehouse", cfg.warehouse_port, "LAKE_WAREHOUSE_PG_PORT")
    return {"endpoint": endpoint, "java": java, "source_dsn": source.dsn, "warehouse_dsn": warehouse.dsn}


def _tf_env(cfg: DemoConfig, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(emulator_env(endpoint))
    env.setdefault("AWS_ACCESS_KEY_ID", os.environ.get("AWS_ACCESS_KEY_ID", "testing"))
    env.setdefault("AWS_SECRET_ACCESS_KEY", os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"))
    if TF_MIRROR.is_dir():  # offline: the AWS provider from the on-disk mirror (as terraform/make.mk does)
        env["TF_CLI_CONFIG_FILE"] = str(REPO_ROOT / "terraform" / "cli.tfrc")
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_DATA_DIR"] = str(cfg.state_dir / "terraform" / "demo-data")
    return env


def _terraform(args: list[str], env: dict[str, str], log: Path) -> None:
    proc = subprocess.run(
        ["terraform", f"-chdir={TF_ENV_DIR}", *args, "-no-color"], env=env, capture_output=True, text=True, check=False
    )
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise DemoError(f"terraform {args[0]} failed (full log: {log}):\n{tail}")


# A create that failed because its resource already exists, and the address Terraform names for it.
_DUPLICATE_TABLE = re.compile(
    r"Error: creating Glue Catalog Table \((?P<name>[^)]+)\):[^\n]*AlreadyExistsException"
    r".*?\n\s*with (?P<address>\S+),",
    re.DOTALL,
)


def duplicated_glue_tables(apply_log: str) -> list[tuple[str, str]]:
    """(database, table) of each Glue table an apply failed to create because the emulator already held it.

    Seen twice on a loaded 2-core host: the emulator held a table that this apply alone creates, and the
    emulator's log showed no error before the failed create, so the likely cause is a create the provider's SDK
    sent again when it had not read the answer; Terraform then has no record of the table. The database is
    read from the apply's own plan of that resource.
    """
    found = []
    for match in _DUPLICATE_TABLE.finditer(apply_log):
        planned = apply_log.split(f"# {match['address']} will be created", 1)
        database = re.search(r'database_name\s*=\s*"([^"]+)"', planned[1]) if len(planned) == 2 else None
        if database:
            found.append((database.group(1), match["name"]))
    return found


# The same for a Lambda function (moto answers the repeated CreateFunction with 409 "Function already exist").
_DUPLICATE_FUNCTION = re.compile(
    r"Error: creating Lambda Function \((?P<name>[^)]+)\):[^\n]*ResourceConflictException: Function already exist"
)


def duplicated_lambda_functions(apply_log: str) -> list[str]:
    """Names of the Lambda functions an apply failed to create because the emulator already held them (the same
    repeated create as ``duplicated_glue_tables``; seen once, with a higher ``-parallelism``)."""
    return [match["name"] for match in _DUPLICATE_FUNCTION.finditer(apply_log)]


def remove_emulator_duplicates(apply_log: str, client: Callable[[str], Any] | None = None) -> bool:
    """Delete what a failed apply could not create because the emulator already held it (Glue tables, Lambda
    functions; Terraform has no record of them) and say whether anything was, so the apply may run again: it
    creates them from the same configuration and touches nothing else. Any other failure returns False.

    ``client`` makes a boto3 client by service name; by default ``boto3.client``, which reaches the emulator
    through AWS_ENDPOINT_URL (the demo's stack step sets it).
    """
    tables, functions = duplicated_glue_tables(apply_log), duplicated_lambda_functions(apply_log)
    if not (tables or functions):
        return False
    if client is None:
        import boto3

        client = boto3.client
    glue, lambda_client = client("glue"), client("lambda")
    for database, table in tables:
        glue.delete_table(DatabaseName=database, Name=table)
    for name in functions:
        lambda_client.delete_function(FunctionName=name)
    return True


# Terraform's default of 10 concurrent operations is held for most of the apply by the six S3 lifecycle
# configurations (the provider polls each until its rules read back the same several times: ~55 s each against
# moto, whatever the rules) and the six Kinesis streams (30-40 s each), and the rest of the plan queues behind
# them: 20 leaves it room.
APPLY_PARALLELISM = 20


def step_terraform(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """terraform init + apply of envs/local on the emulator, with the Lambda zips of `make apply`."""
    if not cfg.terraform:
        from lakectl.runner import ensure_buckets

        return {"terraform": "skipped (buckets created directly)", "buckets": ensure_buckets()}
    if shutil.which("terraform") is None:
        raise DemoError("terraform not found: install Terraform >= 1.6 (terraform/README.md) or pass --no-terraform")
    tf_state = cfg.state_dir / "terraform"
    tf_state.mkdir(parents=True, exist_ok=True)
    # Same zips as terraform/make.mk's tf-lambda-zips: build/lambda when packaged, else source-only zips.
    artifact_vars = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "terraform" / "scripts" / "lambda_zips.py"),
            str(REPO_ROOT),
            str(cfg.state_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    env = _tf_env(cfg, ctx["endpoint"])
    _terraform(
        ["init", "-input=false", "-reconfigure", f"-backend-config=path={tf_state / 'local.tfstate'}"],
        env,
        tf_state / "demo-init.log",
    )
    started = time.monotonic()
    # The script prints the tfvars file it wrote (Lambda zip dir, Flink consumers zip), as `make apply` uses it.
    apply_log = tf_state / "demo-apply.log"
    apply = [
        "apply",
        "-input=false",
        "-auto-approve",
        f"-parallelism={APPLY_PARALLELISM}",
        f"-var-file={artifact_vars}",
    ]
    for attempt in range(3):
        try:
            _terraform(apply, env, apply_log)
            break
        except DemoError:
            # Seen on a loaded 2-core host with the moto server: a create the emulator already held.
            if attempt == 2 or not remove_emulator_duplicates(apply_log.read_text()):
                raise
    applied = apply_log.read_text()
    summary = next((line for line in applied.splitlines() if line.startswith("Apply complete!")), "")
    zips = json.loads(Path(artifact_vars).read_text())["lambda_zip_dir"]
    return {"terraform": summary, "apply_s": round(time.monotonic() - started, 1), "lambda_zip_dir": zips}


def step_ingest(cfg: DemoConfig, ctx: dict[str, Any], console: Console) -> dict[str, Any]:
    """Every producer and ingestor once (lakectl.ingest.run_ingest) on the sample window."""
    from lakectl.ingest import IngestConfig, run_ingest

    scale = cfg.scale
    ingest_cfg = IngestConfig(
        seed=cfg.seed,
        steps=scale.steps,
        turbines_per_site=scale.turbines_per_site,
        devices_per_site=scale.devices_per_site,
        partner_readings=scale.partner_readings,
    )
    result = run_ingest(ingest_cfg, endpoint_url=ctx["endpoint"], console=console, show_progress=False)
    return {"ingest": result.as_dict()["steps"]}


def step_trading(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Seed the source once, DMS full load, one CDC batch; a rerun exports only changes made since."""
    import psycopg

    from migration.dms.exporter import DmsExporter, summarize
    from migration.source import create_schema, generate_changes, generate_sample_data

    landing, artifacts = _store("landing"), _store("artifacts")
    exporter = DmsExporter(ctx["source_dsn"], landing, artifacts, _store("transform", "quarantine"))
    marker_key = "state/demo/trading.json"
    marker = json.loads(artifacts.get(marker_key) or b"{}")
    out: dict[str, Any] = {}
    if not exporter.load_state().get("full_load_ts"):
        # A fresh lake (e.g. a restarted emulator): start the source over so the landing zone and the
        # source agree; the slot of an earlier lake would hold changes this lake never saw loaded.
        exporter.drop_slot()
        with psycopg.connect(ctx["source_dsn"]) as conn:
            create_schema(conn, drop=True)
            out["seeded"] = generate_sample_data(conn, seed=7, size=cfg.scale.trading_size)
        marker = {}
        out["full_load"] = summarize(exporter.run())
    if not marker.get("changes_generated"):
        with psycopg.connect(ctx["source_dsn"]) as conn:
            changes = generate_changes(conn, seed=11, batches=cfg.scale.cdc_batches)
        out["changes"] = {f"{t}.{op}": n for (t, op), n in sorted(changes.operations.items())}
        marker = {"changes_generated": True, "at": datetime.now(UTC).isoformat()}
        artifacts.put(marker_key, json.dumps(marker).encode())
    out["cdc"] = summarize(exporter.export_changes())
    return {"trading": out}


def step_crawl(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Crawlers' equivalent: register the schema-on-read tables at their prefixes and count their objects."""
    from energylake.contracts import get_contract
    from lakectl.catalog import register_contract_table

    buckets = _buckets()
    crawled: dict[str, Any] = {}
    for name in CRAWLED_TABLES:
        contract = get_contract(name)
        zone, prefix = contract.source.get("bucket_zone", "raw"), contract.source.get("prefix", "")
        location = f"s3://{buckets[zone]}/{prefix}"
        database = register_contract_table(name, location)
        objects = _store(zone).list(prefix)
        folders = {o["Key"].rsplit("/", 1)[0] for o in objects}
        crawled[name] = {"database": database, "location": location, "objects": len(objects), "folders": len(folders)}
    return {"crawl": crawled}


def step_workflow(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Every Glue job in trigger order on local Spark; fails naming the job when one does not succeed."""
    from lakectl.runner import job_names, run_job

    jobs: dict[str, Any] = {}
    for name in job_names():
        # Each job prints its metrics JSON line to stderr; keep it in the demo log, not in the progress display.
        with open(cfg.demo_dir / "jobs.log", "a") as log, contextlib.redirect_stderr(log):
            metrics = run_job(name)
        record = metrics.to_dict()
        jobs[name] = record
        if metrics.status != "succeeded":
            raise DemoError(f"Glue job {name} ended {metrics.status}: {metrics.error}")
        if not metrics.balanced:
            raise DemoError(f"Glue job {name}: row accounting does not balance: {record}")
    return {"jobs": jobs, "curated_checksums": curated_checksums()}


def step_warehouse(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Data-quality gate, then COPY-equivalent loads, MERGE and the settlement procedures."""
    from energylake.catalog import Catalog
    from warehouse.executors import LocalWarehouse
    from warehouse.loader import WAREHOUSE_DATASETS, load_datasets, setup_warehouse
    from warehouse.quality import DataQualityGateError

    executor = LocalWarehouse(ctx["warehouse_dsn"])
    setup_warehouse(executor)
    try:
        result = load_datasets(
            executor,
            stores={"transform": _store("transform"), "curated": _store("curated")},
            manifest_store=_store("artifacts", "state/redshift/manifests"),
            iam_role=os.environ.get(
                "REDSHIFT_COPY_ROLE_ARN", "arn:aws:iam::000000000000:role/energylake-local-redshift-copy"
            ),
            datasets=WAREHOUSE_DATASETS,
            catalog=Catalog(),  # the partition versions the Glue jobs published: only new ones are COPYed
        )
    except DataQualityGateError as exc:
        raise DemoError(
            f"{exc}; fix the data (see the quarantine and the gate report) and run `make demo` again"
        ) from exc
    counts = {}
    for table in (
        "trading.providers",
        "trading.customers",
        "trading.contracts",
        "trading.transactions",
        "trading.daily_client_settlement",
        "trading.client_analytics",
    ):
        counts[table] = executor.query(f"SELECT count(*) FROM {table}")[0][0]
    return {
        "warehouse": {
            "run_id": result.run_id,
            "rows_loaded": result.rows,
            "statements": result.statements,
            "warehouse_rows": counts,
            "gate": [asdict(r) for r in result.gate.results],
        }
    }


def _query_dir(cfg: DemoConfig) -> Path:
    return cfg.demo_dir / "queries"


def step_athena(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Named queries and dashboard panel queries as personas; the PII restriction is checked, not assumed."""
    import pyarrow.parquet as pq

    from analytics.dashboards import iter_panels, panel_query
    from energylake.contracts import get_contract
    from lakectl.athena_local import load_named_queries, run_named_query, run_query

    out_dir = _query_dir(cfg)
    shutil.rmtree(out_dir, ignore_errors=True)
    (out_dir / "named").mkdir(parents=True)
    (out_dir / "panels").mkdir(parents=True)
    named: dict[str, Any] = {}
    for name, query in load_named_queries().items():
        result = run_named_query(query, "analyst")
        pq.write_table(result.table, out_dir / "named" / f"{name}.parquet")
        named[name] = {"persona": "analyst", "rows": result.table.num_rows, "bytes_scanned": result.bytes_scanned}
    # The business dashboard's Athena panels, as the analyst (Grafana's $__timeFilter = the whole sample).
    panels: dict[str, Any] = {}
    for dashboard, panel in iter_panels(("business",)):
        sql = panel_query(panel)
        if "site_generation_forecast" in sql:
            continue  # the forecast table is written by `make forecast` (batch scoring), not by the demo run
        sql = _strip_time_filter(sql)
        result = run_query(sql, "analyst")
        pq.write_table(result.table, out_dir / "panels" / f"{panel['id']:02d}.parquet")
        panels[panel["title"]] = {"dashboard": dashboard, "id": panel["id"], "rows": result.table.num_rows}
    pii = {c.name for c in get_contract("client_analytics").columns if c.classification == "pii"}
    personas = {}
    for persona in ("analyst", "trading_ops", "regional_analyst_west"):
        result = run_query("SELECT * FROM client_analytics", persona)
        personas[persona] = {
            "columns": result.columns,
            "rows": result.table.num_rows,
            "pii_columns_seen": sorted(pii & set(result.columns)),
        }
    if personas["analyst"]["pii_columns_seen"]:
        raise DemoError(f"analyst persona sees PII columns {personas['analyst']['pii_columns_seen']}")
    return {"athena": {"named_queries": named, "panels": panels, "personas": personas}}


def _strip_time_filter(sql: str) -> str:
    import re

    return re.sub(r"\$__timeFilter\([^)]*\)", "TRUE", sql)


def step_forecast(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Train the generation forecast on its seeded synthetic history (the demo sample holds one day only)."""
    if not cfg.forecast:
        return {"forecast": {"skipped": True}}
    from analytics.forecast.training import train

    out = cfg.demo_dir / "forecast"
    metrics = train(None, output_dir=out, seed=cfg.seed, max_iter=120)
    return {"forecast": {"metrics": metrics, "dir": str(out)}}


def step_report(cfg: DemoConfig, ctx: dict[str, Any]) -> dict[str, Any]:
    """Charts and index.html from the catalog's curated tables and the run's own figures."""
    from lakectl.demo_report import build_report

    index = build_report(cfg, ctx)
    return {"report": str(index)}


# ------------------------------------------------------------------------------------------------- runner


def build_steps(cfg: DemoConfig, console: Console) -> list[Step]:
    """The demo's steps in order."""

    def bind(fn: Any, *extra: Any):
        return lambda ctx: fn(cfg, ctx, *extra)

    return [
        Step("stack", "emulator + PostgreSQL (source, warehouse)", bind(step_stack)),
        Step("terraform", "terraform apply envs/local on the emulator", bind(step_terraform)),
        Step("ingest", "telemetry, ERCOT, Open-Meteo, partner API, documents", bind(step_ingest, console)),
        Step("trading", "trading DB: DMS full load + one CDC batch", bind(step_trading)),
        Step("crawl", "crawlers' equivalent: raw tables in the catalog", bind(step_crawl)),
        Step("workflow", "Glue workflow on local Spark", bind(step_workflow)),
        Step("warehouse", "DQ gate, COPY-equivalent load, stored procedures", bind(step_warehouse)),
        Step("athena", "Athena named queries as personas", bind(step_athena)),
        Step("forecast", "generation forecast (synthetic history)", bind(step_forecast)),
        Step("report", "demo-report/index.html + charts", bind(step_report)),
    ]


def run_demo(cfg: DemoConfig, console: Console | None = None) -> dict[str, Any]:
    """Run (or resume) the demo; return the summary that is also written to ``<state>/demo/summary.json``."""
    console = console or Console(stderr=True)
    cfg.scale  # noqa: B018 - unknown size fails before anything starts
    state_path = cfg.demo_dir / "pipeline.json"
    # The services step always runs (processes may have stopped since the failed run); on a resume the
    # other completed steps are skipped.
    state = RunState.load(state_path)
    state.completed.pop("stack", None)
    if state.completed:
        state.save()
    run_file = cfg.demo_dir / "run.json"
    failed = state.completed.get("__run__", {}).get("status") == "failed"
    previous = json.loads(run_file.read_text()).get("size") if run_file.exists() else None
    if cfg.resume and failed and previous and previous != cfg.size:
        raise DemoError(
            f"the failed run used SIZE={previous}; resume with that size, or start over with `make demo-clean`"
        )
    cfg.demo_dir.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps({"size": cfg.size}))
    ctx: dict[str, Any] = {"size": cfg.size, "scale": asdict(cfg.scale)}
    started = time.monotonic()
    results = run_steps(build_steps(cfg, console), state_path, ctx, resume=cfg.resume, console=console)
    summary = {
        "size": cfg.size,
        "scale": asdict(cfg.scale),
        "finished_at": datetime.now(UTC).isoformat(),
        "wall_s": round(time.monotonic() - started, 1),
        "steps": {name: r.get("seconds") for name, r in results.items()},
        "results": {name: r.get("output") for name, r in results.items()},
    }
    cfg.demo_dir.mkdir(parents=True, exist_ok=True)
    runs = cfg.demo_dir / "runs"
    runs.mkdir(exist_ok=True)
    text = json.dumps(summary, indent=2, default=str)
    (cfg.demo_dir / "summary.json").write_text(text)
    (runs / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}.json").write_text(text)
    return summary


def clean(cfg: DemoConfig) -> list[str]:
    """Stop the demo's services and remove its state and report; returns what was done."""
    from lakectl import emulator
    from lakectl.postgres import LocalPostgres

    done = []
    for name in ("source", "warehouse"):
        data = cfg.state_dir / "postgres" / name
        if (data / "postmaster.pid").exists():
            LocalPostgres(data, port=1).stop()
            done.append(f"stopped {name} PostgreSQL")
    if not cfg.emulator_endpoint and emulator.stop_daemon():
        done.append("stopped the AWS emulator")
    for path in (
        cfg.demo_dir,
        cfg.state_dir / "postgres",
        cfg.state_dir / "terraform" / "local.tfstate",
        cfg.report_dir,
    ):
        if path.is_dir():
            shutil.rmtree(path)
            done.append(f"removed {path}")
        elif path.exists():
            path.unlink()
            done.append(f"removed {path}")
    return done


def _cli(args: argparse.Namespace) -> int:
    import logging

    cfg = DemoConfig(
        size=args.size, terraform=not args.no_terraform, forecast=not args.no_forecast, resume=not args.restart
    )
    if args.report_dir:
        cfg.report_dir = Path(args.report_dir)
    if args.clean:
        for line in clean(cfg):
            print(line)
        return 0
    # The Lambdas and jobs log every rejected record; the log file keeps them out of the progress display.
    cfg.demo_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(cfg.demo_dir / "demo.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        summary = run_demo(cfg)
    except (StepFailedError, DemoError, ValueError) as exc:
        print(f"lakectl demo: {exc}", file=sys.stderr)
        return 1
    print(
        f"demo ({summary['size']}) finished in {summary['wall_s']}s; report: {summary['results']['report']['report']}"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``lakectl demo`` to the CLI."""
    p = sub.add_parser("demo", help="run the whole lake locally end to end and write demo-report/")
    p.add_argument("--size", default=os.environ.get("SIZE", "small"), help=f"sample size: {', '.join(SIZES)}")
    p.add_argument("--report-dir", default=None, help="where index.html and the charts go (default demo-report/)")
    p.add_argument("--no-terraform", action="store_true", help="create buckets directly instead of terraform apply")
    p.add_argument("--no-forecast", action="store_true", help="skip training the forecast")
    p.add_argument("--restart", action="store_true", help="start from the first step even after a failed run")
    p.add_argument("--clean", action="store_true", help="stop the services and remove the demo state and report")
    p.set_defaults(func=_cli)
