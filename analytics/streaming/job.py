"""The PyFlink side of the streaming job: table environment, statement set, bounded local execution.

Needs ``apache-flink`` (1.20, the Managed Flink runtime), which pins an older pyarrow/numpy than the lake's
main environment, so it lives in ``.venv-flink`` (``make setup``); ``analytics.streaming.run_bounded`` hides that.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

from pyflink.table import EnvironmentSettings, StatementSet, TableEnvironment

from analytics.streaming.config import SINKS, Connectors, StreamingRules, filesystem_connectors, render_statements


def create_table_env(bounded_local: bool) -> TableEnvironment:
    """A streaming TableEnvironment in UTC; the bounded local run is single-task and watermarks per record."""
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    conf = t_env.get_config()
    conf.set("table.local-time-zone", "UTC")
    conf.set("pipeline.name", "energylake-telemetry-analytics")
    # One-phase window aggregation: the local/global split pre-aggregates late readings in a buffer and lets
    # some of them into already-late windows, so lateness would no longer be "window_end - 1 ms <= watermark"
    # and the late_readings output would overlap the aggregates.
    conf.set("table.optimizer.agg-phase-strategy", "ONE_PHASE")
    if bounded_local:
        # Deterministic event-time semantics for tests: one task, and a watermark emitted after every record
        # (interval 0), exactly the per-record watermark the reference computation models.
        conf.set("parallelism.default", "1")
        conf.set("pipeline.auto-watermark-interval", "0 ms")
        # The filesystem sink commits its files on checkpoints (the last one runs when the input ends).
        conf.set("execution.checkpointing.interval", "1 s")
        # Fail fast: a restarted bounded job would re-emit its output and never finish.
        conf.set("restart-strategy.type", "none")
    else:
        # Kinesis shards without traffic must not hold back the watermark (and the windows) forever.
        conf.set("table.exec.source.idle-timeout", "1 min")
    return t_env


def build_statement_set(
    t_env: TableEnvironment, connectors: Connectors, rules: StreamingRules | None = None
) -> StatementSet:
    """Create the source, views and sinks, and return the statement set holding the job's INSERTs."""
    statement_set = t_env.create_statement_set()
    for statement in render_statements(connectors, rules):
        if statement.upper().startswith("INSERT"):
            statement_set.add_insert_sql(statement)
        else:
            t_env.execute_sql(statement)
    return statement_set


def read_sink_dir(path: Path) -> list[dict]:
    """Rows a filesystem JSON sink committed under ``path`` (in-progress/hidden files excluded)."""
    rows: list[dict] = []
    if not path.exists():
        return rows
    for part in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rows.extend(json.loads(line) for line in part.read_text().splitlines() if line.strip())
    return rows


def run_bounded_job(
    input_path: str | Path | Mapping[str, str | Path], out_dir: str | Path, rules: StreamingRules | None = None
) -> dict[str, Path]:
    """Run the job to completion on bounded JSON-lines input(s); write ``<out_dir>/<sink>.jsonl`` per sink.

    ``input_path`` is one file (source ``telemetry``) or ``{source name: file}``, one source table per stream.
    """
    out = Path(out_dir)
    raw_dir = out / "_flink"
    shutil.rmtree(raw_dir, ignore_errors=True)  # the filesystem sink adds part files: a rerun must not double rows
    inputs = (
        {name: Path(p).resolve() for name, p in input_path.items()}
        if isinstance(input_path, Mapping)
        else Path(input_path).resolve()
    )
    t_env = create_table_env(bounded_local=True)
    build_statement_set(t_env, filesystem_connectors(inputs, raw_dir.resolve()), rules).execute().wait()
    results: dict[str, Path] = {}
    for name in SINKS:
        target = out / f"{name}.jsonl"
        target.write_text("".join(json.dumps(row, sort_keys=True) + "\n" for row in read_sink_dir(raw_dir / name)))
        results[name] = target
    return results
