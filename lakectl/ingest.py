"""`lakectl ingest` / `make ingest`: run every producer and ingestor once against the local environment.

The steps call the same handler functions the deployed Lambdas run, with the environment variables
Terraform would set, against the shared emulator (or any AWS endpoint from the standard SDK settings):

1. buckets and streams are created only if missing (Terraform creates them normally);
2. ERCOT and Open-Meteo ingestion, fed by the recorded-response replay server (the local stack has no
   internet; ``http_source="live"`` calls the real public services instead);
3. wind-farm and IoT device simulators → Kinesis (or MQTT only, routed by the IoT rules, when MQTT_BROKER_URL is set);
4. local Firehose delivery (moto does not deliver Kinesis-sourced streams nor call transformation
   Lambdas) → ``telemetry/...`` and ``errors/.../processing-failed/...`` in raw;
5. partner meter readings through the API's validation (local equivalent of API Gateway) → Kinesis →
   the writer Lambda → ``partner/...``;
6. a PPA settlement statement PDF landed under ``documents/`` and passed to the OCR Lambda.

Python API: ``run_ingest(IngestConfig(...), endpoint_url=None) -> IngestResult``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lakectl.settings import REPO_ROOT, emulator_env
from lakeingest.common.sites import Site, parse_sites, sites_to_json
from lakeingest.simulators.producers import Produced

FIXTURES = REPO_ROOT / "tests" / "ingest" / "fixtures"
SITES_CSV = REPO_ROOT / "glue" / "lib" / "energylake" / "reference" / "sites.csv"


@dataclass
class IngestConfig:
    """What one local ingestion run does; the defaults line up with the recorded ERCOT/Open-Meteo data."""

    prefix: str = "energylake"
    env: str = "local"
    seed: int = 42
    start: datetime = datetime(2024, 1, 15, tzinfo=UTC)  # first telemetry reading (UTC)
    steps: int = 288  # telemetry readings per device (288 x 5 min = one day)
    interval_s: int = 300
    turbines_per_site: int = 3
    devices_per_site: int = 2
    bad_every: int = 97  # every n-th simulated record is malformed (0 = none) to exercise the error path
    # Every n-th well-formed device record reports one of its sensors as null (0 = none): the telemetry job's
    # quarantine path (missing_required:value), distinct from the nulls of sensors a device does not have.
    sensor_fault_every: int = 89
    partner_readings: int = 48
    http_source: str = "replay"  # replay | live
    ocr_engine: str = "local"  # local (pypdf; moto's Textract returns no blocks) | textract
    fixtures: Path = FIXTURES
    sites_csv: Path = SITES_CSV

    def bucket(self, zone: str) -> str:
        """``<prefix>-<env>-<zone>``."""
        return f"{self.prefix}-{self.env}-{zone}"

    def stream(self, name: str) -> str:
        """``<prefix>-<env>-<name>`` for Kinesis streams and delivery streams."""
        return f"{self.prefix}-{self.env}-{name}"


@dataclass
class IngestResult:
    """Counts per step; ``check()`` asserts that no record was lost."""

    steps: dict[str, dict[str, Any]] = field(default_factory=dict)

    def check(self) -> None:
        """Raise AssertionError when produced records are not all accounted for (raw + errors)."""
        for source in ("windfarm", "devices"):
            s = self.steps.get(f"deliver_{source}")
            p = self.steps.get(f"produce_{source}")
            if s and p and p["sent"] != s["ok"] + s["failed"] + s["dropped"]:
                raise AssertionError(f"{source}: sent {p['sent']} != delivered {s}")
        partner = self.steps.get("partner")
        if partner and partner["sent"] != partner["accepted"] + sum(partner["rejected"].values()):
            raise AssertionError(f"partner: {partner}")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"steps": self.steps}


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    with mock.patch.dict(os.environ, values):
        yield


def ensure_buckets(s3: Any, names: list[str]) -> list[str]:
    """Create the buckets that do not exist yet; return the ones created."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    created = []
    for name in names:
        if name not in existing:
            s3.create_bucket(Bucket=name)
            created.append(name)
    return created


def _sites(cfg: IngestConfig) -> list[Site]:
    return parse_sites(cfg.sites_csv.read_text())


def _step_ercot(cfg: IngestConfig, base_env: dict[str, str]) -> dict[str, Any]:
    from lakeingest.ercot import handler as ercot

    # The recorded fuel-mix document is a CSV, so the local run opts in to the report the default leaves out.
    env = {"ERCOT_REPORTS": "system_load,spp_realtime,fuel_mix", **base_env, "LANDING_BUCKET": cfg.bucket("landing")}
    with _environ(env):
        return ercot.handler({"source": "aws.events", "time": datetime.now(UTC).isoformat()})


def _step_openmeteo(cfg: IngestConfig, base_env: dict[str, str], sites: list[Site]) -> dict[str, Any]:
    from lakeingest.openmeteo import handler as openmeteo

    env = {**base_env, "LANDING_BUCKET": cfg.bucket("landing"), "SITES_JSON": sites_to_json(sites)}
    with _environ(env):
        return openmeteo.handler({"source": "aws.events", "time": cfg.start.isoformat()})


def _produce(cfg: IngestConfig, source: str, sites: list[Site]) -> list[Produced]:
    from lakeingest.simulators import producers

    common = {"start": cfg.start, "steps": cfg.steps, "interval_s": cfg.interval_s, "bad_every": cfg.bad_every}
    if source == "windfarm":
        return list(producers.windfarm_records(sites, seed=cfg.seed, turbines_per_site=cfg.turbines_per_site, **common))
    return list(
        producers.device_records(
            sites,
            seed=cfg.seed + 1,
            devices_per_site=cfg.devices_per_site,
            sensor_fault_every=cfg.sensor_fault_every,
            **common,
        )
    )


def _step_produce(cfg: IngestConfig, source: str, sites: list[Site], advance: Any) -> dict[str, Any]:
    from lakeingest.simulators import kinesis as kin
    from lakeingest.simulators import mqtt

    records = _produce(cfg, source, sites)
    if mqtt.broker_configured():
        # IoT Core's topic rules forward MQTT to the same stream: sending both ways would deliver twice.
        sent = mqtt.publish(source, records)
        advance(len(records))
        return {"sent": sent, "meant_invalid": sum(not r.valid for r in records), "via": "mqtt"}
    client = boto3.client("kinesis")
    sent = kin.put_records(client, cfg.stream(f"telemetry-{source}"), records, on_batch=advance)
    return {"sent": sent, "meant_invalid": sum(not r.valid for r in records), "via": "kinesis"}


def _step_deliver(cfg: IngestConfig, source: str) -> dict[str, Any]:
    from lakeingest.local.delivery import LocalFirehose
    from lakeingest.telemetry import transform

    with _environ({"ERROR_REASONS_BUCKET": cfg.bucket("raw")}):
        report = LocalFirehose(
            kinesis=boto3.client("kinesis"),
            s3=boto3.client("s3"),
            stream_name=cfg.stream(f"telemetry-{source}"),
            delivery_stream_name=cfg.stream(f"firehose-{source}"),
            bucket=cfg.bucket("raw"),
            source=source,
            transform=transform.handler,
            checkpoint_bucket=cfg.bucket("artifacts"),
        ).deliver()
    return {
        "ok": report.ok,
        "failed": report.failed,
        "dropped": report.dropped,
        "objects": len(report.objects),
        "error_objects": len(report.error_objects),
    }


def partner_requests(cfg: IngestConfig, sites: list[Site], api_key: str) -> list[tuple[dict[str, Any], str]]:
    """Simulated partner API calls (event, expected outcome): mostly valid, some bad on purpose."""
    import random

    rnd = random.Random(cfg.seed + 7)
    events: list[tuple[dict[str, Any], str]] = []
    for i in range(cfg.partner_readings):
        site = sites[i % len(sites)]
        ts = cfg.start + timedelta(minutes=15 * (i // len(sites) + 1))
        reading = {
            "reading_id": f"LSR-{cfg.seed}-{i:06d}",
            "partner_id": "LONESTAR_RETAIL",
            "meter_id": f"MTR-{site.site_id}-01",
            "site_id": site.site_id,
            "reading_ts": ts.isoformat().replace("+00:00", "Z"),
            "interval_minutes": 15,
            "energy_kwh": round(rnd.uniform(0.1, 0.25) * site.capacity_mw * 250, 3),
            "quality": "actual",
        }
        headers = {"x-api-key": api_key, "Content-Type": "application/json"}
        body = json.dumps(reading)
        expected = "accepted"
        if i % 16 == 5:
            reading["energy_kwh"] = -3.0
            body, expected = json.dumps(reading), "invalid"
        elif i % 16 == 9:
            headers["x-api-key"] = "wrong-key"
            expected = "forbidden"
        elif i % 16 == 13:
            body, expected = json.dumps({**reading, "notes": "x" * 9000}), "too_large"
        events.append(({"httpMethod": "POST", "path": "/readings", "headers": headers, "body": body}, expected))
    return events


def _step_partner(cfg: IngestConfig, sites: list[Site]) -> dict[str, Any]:
    from lakeingest.partner import api, writer

    stream = cfg.stream("partner-readings")
    api_key = "local-partner-key"
    kinesis = boto3.client("kinesis")
    rejected: dict[str, int] = {"forbidden": 0, "too_large": 0, "invalid": 0}
    status_kind = {403: "forbidden", 413: "too_large", 400: "invalid"}
    accepted = 0
    events = partner_requests(cfg, sites, api_key)
    with _environ({"PARTNER_STREAM_NAME": stream, "PARTNER_API_KEYS": api_key, "RAW_BUCKET": cfg.bucket("raw")}):
        for event, _expected in events:
            response = api.handle(event, kinesis)
            if response["statusCode"] == 202:
                accepted += 1
            else:
                rejected[status_kind[response["statusCode"]]] += 1
        # The Kinesis event source mapping: read the stream and hand batches to the writer Lambda.
        records = []
        for shard in kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]:
            it = kinesis.get_shard_iterator(
                StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )
            page = kinesis.get_records(ShardIterator=it["ShardIterator"], Limit=10000)
            records += page["Records"]
        written = writer.handler({"Records": [kinesis_event_record(r, stream) for r in records]})
    return {"sent": len(events), "accepted": accepted, "rejected": rejected, "writer": written}


def kinesis_event_record(record: dict[str, Any], stream: str) -> dict[str, Any]:
    """A GetRecords record in the shape Lambda's Kinesis event source delivers it."""
    return {
        "eventSource": "aws:kinesis",
        "eventSourceARN": f"arn:aws:kinesis:local:000000000000:stream/{stream}",
        "kinesis": {
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
        },
    }


def _step_documents(cfg: IngestConfig) -> dict[str, Any]:
    from lakeingest.documents import handler as ocr

    s3 = boto3.client("s3")
    landed = []
    for pdf in sorted((cfg.fixtures / "documents").glob("*.pdf")):
        key = f"documents/{cfg.start:%Y/%m/%d}/{pdf.name}"
        s3.put_object(Bucket=cfg.bucket("landing"), Key=key, Body=pdf.read_bytes(), ContentType="application/pdf")
        landed.append(key)
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "eventTime": datetime.now(UTC).isoformat(),
                "s3": {"bucket": {"name": cfg.bucket("landing")}, "object": {"key": key}},
            }
            for key in landed
        ]
    }
    with _environ({"RAW_BUCKET": cfg.bucket("raw"), "OCR_ENGINE": cfg.ocr_engine, "TEXTRACT_POLL_S": "0.2"}):
        return {"landed": len(landed), **ocr.handler(event)}


def run_ingest(
    config: IngestConfig | None = None,
    *,
    endpoint_url: str | None = None,
    console: Console | None = None,
    show_progress: bool = True,
) -> IngestResult:
    """Run every producer and ingestor once; return the counts (``result.check()`` has already passed).

    ``endpoint_url`` points the SDK at an emulator (None: use the environment, e.g. the shared
    emulator's AWS_ENDPOINT_URL or real AWS credentials).
    """
    from lakeingest.local.replay import ReplayServer
    from lakeingest.simulators import kinesis as kin

    cfg = config or IngestConfig()
    env = emulator_env(endpoint_url) if endpoint_url else {}
    sites = _sites(cfg)
    result = IngestResult()
    replay = None
    with _environ(env):
        http_env: dict[str, str] = {"HTTP_BACKOFF_INITIAL_S": "0.2", "HTTP_BACKOFF_MAX_S": "2"}
        if cfg.http_source == "replay":
            replay = ReplayServer(cfg.fixtures, {s.site_id: (s.latitude, s.longitude) for s in sites}).start()
            http_env.update(replay.env())
        elif cfg.http_source != "live":
            raise ValueError(f"http_source must be replay or live, got {cfg.http_source!r}")
        n_wind = sum(s.site_type == "wind" for s in sites) * cfg.turbines_per_site * 3 * cfg.steps
        n_dev = len(sites) * cfg.devices_per_site * cfg.steps
        plan = [
            ("setup", "buckets and streams (only if missing)", 1),
            ("ercot", "ERCOT reports → landing", 1),
            ("openmeteo", "Open-Meteo forecast + archive → landing", 1),
            ("produce_windfarm", "wind-farm producer → Kinesis", n_wind),
            ("produce_devices", "IoT device simulator → Kinesis", n_dev),
            ("deliver_windfarm", "Firehose delivery (local) windfarm → raw", 1),
            ("deliver_devices", "Firehose delivery (local) devices → raw", 1),
            ("partner", "partner API → Kinesis → raw", 1),
            ("documents", "SFTP PDF → OCR → raw", 1),
        ]
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        try:
            with Progress(*columns, console=console or Console(stderr=True), disable=not show_progress) as progress:
                tasks = {name: progress.add_task(desc, total=total) for name, desc, total in plan}

                def done(name: str, output: dict[str, Any]) -> None:
                    result.steps[name] = output
                    progress.update(tasks[name], completed=progress.tasks[tasks[name]].total)

                s3 = boto3.client("s3")
                created = ensure_buckets(s3, [cfg.bucket(z) for z in ("landing", "raw", "artifacts")])
                kinesis = boto3.client("kinesis")
                for name in ("telemetry-windfarm", "telemetry-devices", "partner-readings"):
                    kin.ensure_stream(kinesis, cfg.stream(name))
                done("setup", {"buckets_created": created})
                done("ercot", _step_ercot(cfg, http_env))
                done("openmeteo", _step_openmeteo(cfg, http_env, sites))
                for source in ("windfarm", "devices"):
                    task = tasks[f"produce_{source}"]
                    done(
                        f"produce_{source}",
                        _step_produce(cfg, source, sites, lambda n, t=task: progress.advance(t, n)),
                    )
                for source in ("windfarm", "devices"):
                    done(f"deliver_{source}", _step_deliver(cfg, source))
                done("partner", _step_partner(cfg, sites))
                done("documents", _step_documents(cfg))
        finally:
            if replay is not None:
                replay.stop()
    result.check()
    return result


def _cli(args: argparse.Namespace) -> int:
    from lakectl import emulator

    endpoint = None if args.aws else emulator.start_daemon()
    cfg = IngestConfig(
        seed=args.seed,
        steps=args.steps,
        http_source="live" if args.live else "replay",
        ocr_engine="textract" if args.textract else "local",
    )
    result = run_ingest(cfg, endpoint_url=endpoint)
    print(json.dumps(result.as_dict(), indent=2, default=str))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``lakectl ingest`` to the CLI."""
    parser = sub.add_parser("ingest", help="run every producer and ingestor once against the local environment")
    parser.add_argument("--seed", type=int, default=IngestConfig.seed, help="simulator seed (same seed, same data)")
    parser.add_argument("--steps", type=int, default=IngestConfig.steps, help="telemetry readings per device")
    parser.add_argument("--live", action="store_true", help="call the real ERCOT and Open-Meteo services")
    parser.add_argument("--textract", action="store_true", help="OCR through the Textract API instead of pypdf")
    parser.add_argument(
        "--aws", action="store_true", help="use the SDK environment as is (no local emulator), e.g. a dev account"
    )
    parser.set_defaults(func=_cli)


__all__ = ["IngestConfig", "IngestResult", "ensure_buckets", "register", "run_ingest"]
