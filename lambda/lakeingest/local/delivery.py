"""Local Firehose delivery: Kinesis stream → transformation Lambda → raw, with Firehose's key layout.

The embedded emulator (moto) accepts Firehose delivery streams but does not read Kinesis-sourced
streams or invoke transformation Lambdas (it only writes Direct PUT batches to S3). This step does
that work for real, locally: it reads every shard (GetShardIterator/GetRecords, resuming from a
checkpoint), buffers records like Firehose's buffering hints (size in MiB, record count per Lambda
invocation), invokes the same handler the deployed transformation Lambda runs, and writes

* ``Ok`` records, concatenated, to ``telemetry/<source>/<YYYY>/<MM>/<DD>/<HH>/<stream>-1-<YYYY-MM-DD-HH-MM-SS>-<id>``
  where the hour is the reading's event hour, exactly as the deployed stream's dynamic partitioning computes
  it (``lakeingest.telemetry.layout``, the same definition Terraform reads);
* ``ProcessingFailed`` records, as Firehose error documents (one JSON per line), to
  ``errors/<source>/processing-failed/<YYYY>/<MM>/<DD>/<HH>/...`` by arrival hour (Firehose's
  ``!{timestamp:...}`` namespace), and records without a sliceable event time to ``partitioning-failed``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lakeingest.telemetry.layout import PartitioningError, error_object_prefix, object_prefix

Transform = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class DeliveryReport:
    """What one delivery run did; ``records_in == ok + failed + dropped`` always holds."""

    source: str
    records_in: int = 0
    ok: int = 0
    failed: int = 0
    dropped: int = 0
    objects: list[str] = field(default_factory=list)
    error_objects: list[str] = field(default_factory=list)


@dataclass
class LocalFirehose:
    """One Kinesis-sourced "delivery stream" with a transformation Lambda and an S3 destination."""

    kinesis: Any
    s3: Any
    stream_name: str
    delivery_stream_name: str
    bucket: str
    source: str  # windfarm | devices
    transform: Transform
    buffer_mib: float = 1.0  # ProcessingConfiguration BufferSizeInMBs (Lambda payload per invocation)
    buffer_records: int = 500
    checkpoint_bucket: str | None = None  # where shard checkpoints live (resume without re-delivery)

    def _checkpoint_key(self, shard_id: str) -> str:
        return f"state/firehose-local/{self.delivery_stream_name}/{shard_id}.json"

    def _load_checkpoint(self, shard_id: str) -> str | None:
        if not self.checkpoint_bucket:
            return None
        try:
            body = self.s3.get_object(Bucket=self.checkpoint_bucket, Key=self._checkpoint_key(shard_id))["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        return json.loads(body)["sequence_number"]

    def _save_checkpoint(self, shard_id: str, sequence_number: str) -> None:
        if self.checkpoint_bucket:
            self.s3.put_object(
                Bucket=self.checkpoint_bucket,
                Key=self._checkpoint_key(shard_id),
                Body=json.dumps({"sequence_number": sequence_number}).encode(),
            )

    def _shard_records(self, shard_id: str) -> list[dict[str, Any]]:
        after = self._load_checkpoint(shard_id)
        kwargs: dict[str, Any] = {"StreamName": self.stream_name, "ShardId": shard_id}
        if after:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=after)
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        iterator = self.kinesis.get_shard_iterator(**kwargs)["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            page = self.kinesis.get_records(ShardIterator=iterator, Limit=10000)
            records.extend(page["Records"])
            if not page["Records"] or page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
        return records

    def _batches(self, records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        limit = int(self.buffer_mib * 1024 * 1024)
        batches: list[list[dict[str, Any]]] = [[]]
        size = 0
        for record in records:
            n = len(record["Data"])
            if batches[-1] and (size + n > limit or len(batches[-1]) >= self.buffer_records):
                batches.append([])
                size = 0
            batches[-1].append(record)
            size += n
        return [b for b in batches if b]

    def _event(self, shard_id: str, batch: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
        return {
            "invocationId": str(
                uuid.uuid5(uuid.NAMESPACE_OID, f"{self.stream_name}/{shard_id}/{batch[0]['SequenceNumber']}")
            ),
            "deliveryStreamArn": f"arn:aws:firehose:local:000000000000:deliverystream/{self.delivery_stream_name}",
            "sourceKinesisStreamArn": stream_arn,
            "region": "local",
            "records": [
                {
                    "recordId": r["SequenceNumber"],
                    "approximateArrivalTimestamp": int(r["ApproximateArrivalTimestamp"].timestamp() * 1000),
                    "data": base64.b64encode(r["Data"]).decode(),
                    "kinesisRecordMetadata": {
                        "shardId": shard_id,
                        "partitionKey": r["PartitionKey"],
                        "approximateArrivalTimestamp": int(r["ApproximateArrivalTimestamp"].timestamp() * 1000),
                        "sequenceNumber": r["SequenceNumber"],
                        "subsequenceNumber": 0,
                    },
                }
                for r in batch
            ],
        }

    def _object_name(self, arrival: datetime, shard_id: str, first_seq: str) -> str:
        # Firehose's object name: <stream>-<version>-<YYYY-MM-DD-HH-MM-SS>-<random>; ours is derived from the
        # shard and first sequence number so a re-run after a crash overwrites instead of duplicating.
        token = uuid.uuid5(uuid.NAMESPACE_OID, f"{self.delivery_stream_name}/{shard_id}/{first_seq}")
        return f"{self.delivery_stream_name}-1-{arrival:%Y-%m-%d-%H-%M-%S}-{token}"

    def deliver(self) -> DeliveryReport:
        """Deliver everything in the stream past the checkpoint; return the counts and object keys."""
        report = DeliveryReport(self.source)
        description = self.kinesis.describe_stream(StreamName=self.stream_name)["StreamDescription"]
        stream_arn = description["StreamARN"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            for batch in self._batches(self._shard_records(shard_id)):
                self._deliver_batch(report, shard_id, batch, stream_arn)
                self._save_checkpoint(shard_id, batch[-1]["SequenceNumber"])
        return report

    def _deliver_batch(self, report: DeliveryReport, shard_id: str, batch: list[dict], stream_arn: str) -> None:
        event = self._event(shard_id, batch, stream_arn)
        result = self.transform(event, None)
        by_id = {r["recordId"]: r for r in result.get("records", [])}
        ok_lines: dict[str, list[bytes]] = {}  # raw prefix (event hour) -> lines
        errors: dict[str, list[bytes]] = {}  # error prefix (arrival hour) -> error documents
        for record in batch:
            report.records_in += 1
            arrival = record["ApproximateArrivalTimestamp"].astimezone(UTC)
            out = by_id.get(record["SequenceNumber"])
            status = out.get("result") if out else None
            if status == "Ok":
                data = base64.b64decode(out["data"])
                try:
                    prefix = object_prefix(self.source, json.loads(data))
                except (PartitioningError, ValueError) as exc:
                    doc = self._error_doc(record, arrival, "DynamicPartitioning.MetadataExtractionFailed", str(exc))
                    errors.setdefault(error_object_prefix(self.source, "partitioning-failed", arrival), []).append(doc)
                    report.failed += 1
                    continue
                ok_lines.setdefault(prefix, []).append(data)
                report.ok += 1
            elif status == "Dropped":
                report.dropped += 1
            else:
                # ProcessingFailed, or a record the Lambda did not return (Firehose treats that as failed too)
                reason = "record missing from the transformation response"
                if out:
                    try:
                        reason = json.loads(base64.b64decode(out["data"]))["reason"]
                    except (ValueError, KeyError, TypeError):
                        reason = "ProcessingFailed"
                code = "Lambda.ProcessingFailedStatus" if out else "Lambda.MissingRecordId"
                doc = self._error_doc(record, arrival, code, reason)
                errors.setdefault(error_object_prefix(self.source, "processing-failed", arrival), []).append(doc)
                report.failed += 1
        first_seq = batch[0]["SequenceNumber"]
        # Firehose names objects by delivery time; the batch's first arrival keeps re-runs deterministic.
        named_at = batch[0]["ApproximateArrivalTimestamp"].astimezone(UTC)
        for prefix, lines in ok_lines.items():
            key = prefix + self._object_name(named_at, shard_id, first_seq)
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"".join(lines))
            report.objects.append(key)
        for prefix, lines in errors.items():
            key = prefix + self._object_name(named_at, shard_id, first_seq)
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"".join(lines))
            report.error_objects.append(key)

    @staticmethod
    def _error_doc(record: dict[str, Any], arrival: datetime, code: str, message: str) -> bytes:
        """One Firehose error document (a JSON line), as Firehose writes under the error output prefix."""
        doc = {
            "attemptsMade": 1,
            "arrivalTimestamp": int(arrival.timestamp() * 1000),
            "errorCode": code,
            "errorMessage": message,
            "attemptEndingTimestamp": int(datetime.now(UTC).timestamp() * 1000),
            "rawData": base64.b64encode(record["Data"]).decode(),
            "lambdaArn": "local:lakeingest.telemetry.transform.handler",
            "recordId": record["SequenceNumber"],
        }
        return (json.dumps(doc) + "\n").encode()
