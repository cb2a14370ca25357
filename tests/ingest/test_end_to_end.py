"""Local end to end: simulators → Kinesis (emulator) → local Firehose delivery + transform Lambda → raw.

Counts prove no record is lost: every produced record is a line under telemetry/ or an error document
under errors/<source>/processing-failed/ with its reason.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

from lakectl.ingest import IngestConfig, run_ingest
from lakectl.settings import REPO_ROOT
from lakeingest.common.sites import parse_sites
from lakeingest.local.delivery import LocalFirehose
from lakeingest.simulators import kinesis as kin
from lakeingest.simulators import producers
from lakeingest.telemetry import transform

from .ingest_helpers import ARTIFACTS, FIXTURES, LANDING, RAW, keys

SITES = parse_sites((REPO_ROOT / "glue/lib/energylake/reference/sites.csv").read_text())
START = datetime(2024, 1, 15, tzinfo=UTC)
KEY = re.compile(
    r"^telemetry/(windfarm|devices)/\d{4}/\d{2}/\d{2}/\d{2}/energylake-local-firehose-\1-1-[\d-]{19}-[0-9a-f-]{36}$"
)
ERR = re.compile(r"^errors/(windfarm|devices)/processing-failed/\d{4}/\d{2}/\d{2}/\d{2}/")


def _lines(s3, bucket, prefix):
    out = []
    for key in keys(s3, bucket, prefix):
        out += s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    return out


def test_simulators_are_deterministic_by_seed():
    a = list(producers.device_records(SITES, start=START, seed=9, steps=3, bad_every=7))
    b = list(producers.device_records(SITES, start=START, seed=9, steps=3, bad_every=7))
    c = list(producers.device_records(SITES, start=START, seed=10, steps=3, bad_every=7))
    assert a == b and a != c
    assert sum(not r.valid for r in a) == len(a) // 7


def test_producers_stream_delivery_raw_counts_and_layout(lake, kinesis, monkeypatch):
    monkeypatch.setenv("ERROR_REASONS_BUCKET", RAW)
    sent, invalid = {}, {}
    for source, records in (
        ("windfarm", list(producers.windfarm_records(SITES, start=START, steps=20, bad_every=23))),
        ("devices", list(producers.device_records(SITES, start=START, steps=20, bad_every=17))),
    ):
        stream = f"energylake-local-telemetry-{source}"
        kin.ensure_stream(kinesis, stream, shards=2)
        sent[source] = kin.put_records(kinesis, stream, records)
        invalid[source] = sum(not r.valid for r in records)
        firehose = LocalFirehose(
            kinesis=kinesis,
            s3=lake,
            stream_name=stream,
            bucket=RAW,
            source=source,
            delivery_stream_name=f"energylake-local-firehose-{source}",
            transform=transform.handler,
            buffer_records=100,
            checkpoint_bucket=ARTIFACTS,
        )
        report = firehose.deliver()
        assert report.records_in == sent[source] == report.ok + report.failed + report.dropped
        assert report.dropped == 0 and report.failed == invalid[source] > 0
        assert len(report.objects) >= sent[source] // 100  # buffering: at most 100 records per object

        ok = _lines(lake, RAW, f"telemetry/{source}/")
        errors = [json.loads(line) for line in _lines(lake, RAW, f"errors/{source}/processing-failed/")]
        assert len(ok) + len(errors) == sent[source]  # nothing lost
        assert len(errors) == invalid[source]
        assert all(KEY.match(k) for k in keys(lake, RAW, f"telemetry/{source}/"))
        assert all(ERR.match(k) for k in keys(lake, RAW, f"errors/{source}/processing-failed/"))
        assert all(e["errorCode"] == "Lambda.ProcessingFailedStatus" and e["errorMessage"] for e in errors)
        assert all(base64.b64decode(e["rawData"]) for e in errors)
        reasons = [
            r
            for k in keys(lake, RAW, f"errors/{source}/processing-failed-reasons/")
            for r in json.loads(lake.get_object(Bucket=RAW, Key=k)["Body"].read())["records"]
        ]
        assert sorted(r["recordId"] for r in reasons) == sorted(e["recordId"] for e in errors)
        field = "id" if source == "windfarm" else "device_id"
        assert all(json.loads(line)[field].rsplit("-T", 1)[0] in {s.site_id for s in SITES} for line in ok)

        # A second delivery run resumes from the checkpoint: nothing delivered twice.
        again = firehose.deliver()
        assert again.records_in == 0 and len(_lines(lake, RAW, f"telemetry/{source}/")) == len(ok)


def test_run_ingest_lands_every_source_and_accounts_for_every_record(aws):
    cfg = IngestConfig(steps=6, partner_readings=32, fixtures=FIXTURES)
    result = run_ingest(cfg, endpoint_url=aws.endpoint_url, show_progress=False)
    steps = result.steps
    assert {r["written"] for r in steps["ercot"]["reports"].values()} == {1}
    assert steps["openmeteo"]["written"] == 10
    assert steps["partner"]["accepted"] + sum(steps["partner"]["rejected"].values()) == 32
    assert steps["partner"]["writer"]["written"] == steps["partner"]["accepted"]
    assert steps["documents"]["written"] == 1
    import boto3

    s3 = boto3.client("s3")
    assert len(keys(s3, LANDING, "ercot/")) == 3 and len(keys(s3, LANDING, "openmeteo/")) == 10
    assert len(keys(s3, RAW, "partner/")) == steps["partner"]["accepted"]
    for source in ("windfarm", "devices"):
        lines = len(_lines(s3, RAW, f"telemetry/{source}/")) + len(
            _lines(s3, RAW, f"errors/{source}/processing-failed/")
        )
        assert lines == steps[f"produce_{source}"]["sent"]
    # Re-running is safe: landing objects are skipped, telemetry is delivered from the checkpoint on.
    again = run_ingest(cfg, endpoint_url=aws.endpoint_url, show_progress=False)
    assert {r["skipped"] for r in again.steps["ercot"]["reports"].values()} == {1}
    assert again.steps["openmeteo"]["skipped"] == 10
    assert (
        again.steps["deliver_windfarm"]["ok"] + again.steps["deliver_windfarm"]["failed"]
        == steps["produce_windfarm"]["sent"]
    )
