"""Managed Service for Apache Flink entry point: the same SQL, with Kinesis source and sinks.

Managed Flink passes the runtime properties in /etc/flink/application_properties.json; Terraform sets the
``StreamingJob`` group (region, one ``input.<name>.stream.arn`` per telemetry stream read, output stream ARNs)
and the ``kinesis.analytics.flink.run.options`` group (``python`` = main.py, ``jarfile`` = the Kinesis SQL
connector inside the zip).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from analytics.streaming.config import kinesis_connectors

PROPERTIES_FILE = Path(os.environ.get("FLINK_APPLICATION_PROPERTIES", "/etc/flink/application_properties.json"))
GROUP = "StreamingJob"
REQUIRED = ("aws.region", "aggregates.stream.arn", "alerts.stream.arn", "errors.stream.arn")
INPUT_KEY = re.compile(r"^input\.([a-z][a-z0-9_]*)\.stream\.arn$")


def input_streams(props: dict[str, str]) -> dict[str, str]:
    """Source name -> stream ARN from the ``input.<name>.stream.arn`` properties (sorted by name)."""
    found = {m.group(1): v for k, v in props.items() if (m := INPUT_KEY.match(k)) and v}
    return dict(sorted(found.items()))


def load_properties(path: Path = PROPERTIES_FILE) -> dict[str, str]:
    """The StreamingJob property group; a missing file, group or key fails with what is missing."""
    groups = json.loads(path.read_text())
    found = {g["PropertyGroupId"]: g["PropertyMap"] for g in groups}
    if GROUP not in found:
        raise ValueError(f"{path}: no property group {GROUP!r} (found {sorted(found)})")
    props = found[GROUP]
    missing = [k for k in REQUIRED if not props.get(k)]
    if not input_streams(props):
        missing.append("input.<name>.stream.arn (at least one)")
    if missing:
        raise ValueError(f"{path}: property group {GROUP!r} is missing {missing}")
    return props


def main() -> None:
    """Build the statement set against Kinesis and submit it (Managed Flink keeps it running)."""
    from analytics.streaming.job import build_statement_set, create_table_env

    props = load_properties()
    connectors = kinesis_connectors(
        region=props["aws.region"],
        input_stream_arns=input_streams(props),
        aggregates_stream_arn=props["aggregates.stream.arn"],
        alerts_stream_arn=props["alerts.stream.arn"],
        errors_stream_arn=props["errors.stream.arn"],
        init_position=props.get("source.init.position", "LATEST"),
    )
    build_statement_set(create_table_env(bounded_local=False), connectors).execute()


if __name__ == "__main__":
    main()
