"""Firehose layout parity: local delivery writes the keys the deployed stream's dynamic partitioning would.

The deployed side is evaluated as AWS does it: the jq query Terraform configures (read from the generated
layout file Terraform reads) runs on each transformed record with a real jq, and its keys fill the
``!{partitionKeyFromQuery:...}`` prefix. (Firehose runs jq 1.6; the ``jq`` package's newer jq slices strings
the same way.)
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import jq

from lakectl.settings import REPO_ROOT
from lakeingest.common.sites import parse_sites
from lakeingest.local.delivery import LocalFirehose
from lakeingest.simulators import kinesis as kin
from lakeingest.simulators import producers
from lakeingest.telemetry import layout, transform

from .ingest_helpers import ARTIFACTS, RAW, keys

SITES = parse_sites((REPO_ROOT / "glue/lib/energylake/reference/sites.csv").read_text())
MODULE = REPO_ROOT / "terraform/modules/streaming_ingestion/main.tf"


def _deployed_prefix(source: str, line: str) -> str:
    """The prefix AWS would build: the Terraform-read jq query on the record, substituted into the prefix."""
    spec = json.loads(layout.LAYOUT_FILE.read_text())["sources"][source]
    keys_ = jq.compile(spec["metadata_extraction_query"]).input_text(line).first()
    return re.sub(r"!\{partitionKeyFromQuery:(\w+)\}", lambda m: keys_[m.group(1)], spec["prefix"])


def test_generated_layout_is_current_and_is_what_terraform_reads():
    assert layout.LAYOUT_FILE.read_text() == layout.render(), "run: python -m lakeingest.telemetry.layout"
    tf = MODULE.read_text()
    assert "telemetry_layout.json" in tf
    assert "prefix              = local.telemetry[each.key].prefix" in tf
    assert "parameter_value = local.telemetry[each.key].metadata_extraction_query" in tf
    # no second, hand-written copy of the partitioning rule in the module
    assert "partitionKeyFromQuery" not in tf and "[11:13]" not in tf


def test_local_keys_equal_the_deployed_prefix_by_event_hour_not_arrival(lake, kinesis, monkeypatch):
    monkeypatch.setenv("ERROR_REASONS_BUCKET", RAW)
    # Readings from a day long past: every event hour differs from the (current) arrival hour.
    start = datetime(2024, 7, 15, 9, 50, tzinfo=UTC)
    for source, records in (
        ("windfarm", list(producers.windfarm_records(SITES, start=start, steps=6, bad_every=0))),
        ("devices", list(producers.device_records(SITES, start=start, steps=6, bad_every=0))),
    ):
        stream = f"energylake-local-telemetry-{source}"
        kin.ensure_stream(kinesis, stream, shards=1)
        sent = kin.put_records(kinesis, stream, records)
        report = LocalFirehose(
            kinesis=kinesis,
            s3=lake,
            stream_name=stream,
            bucket=RAW,
            source=source,
            delivery_stream_name=f"energylake-local-firehose-{source}",
            transform=transform.handler,
            checkpoint_bucket=ARTIFACTS,
        ).deliver()
        assert report.ok == sent > 0
        arrival_hours = {f"telemetry/{source}/{datetime.now(UTC) + timedelta(hours=h):%Y/%m/%d/%H}/" for h in (-1, 0)}
        prefixes = set()
        checked = 0
        for key in keys(lake, RAW, f"telemetry/{source}/"):
            local_prefix = key.rsplit("/", 1)[0] + "/"
            prefixes.add(local_prefix)
            for line in lake.get_object(Bucket=RAW, Key=key)["Body"].read().decode().splitlines():
                assert _deployed_prefix(source, line) == local_prefix
                checked += 1
        assert checked == sent  # every record checked, none lost
        assert len(prefixes) > 1 and not prefixes & arrival_hours  # several event hours, none the arrival hour


def test_a_record_without_an_event_time_goes_to_partitioning_failed():
    assert layout.object_prefix("devices", {"ts": "2024-07-15T10:05:00.000Z"}) == "telemetry/devices/2024/07/15/10/"
    try:
        layout.object_prefix("devices", {"device_id": "X"})
    except layout.PartitioningError as exc:
        assert "'ts'" in str(exc)
    else:
        raise AssertionError("a record without ts must not be partitioned")
