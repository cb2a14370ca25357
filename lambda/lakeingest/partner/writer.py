"""Partner reading writer Lambda (Kinesis event source): one raw object per reading.

Key: ``partner/<YYYY>/<MM>/<DD>/<HHMMSS>-<reading_id>.json`` from the reading's own timestamp (UTC), so a
redelivered Kinesis batch rewrites the same keys (skipped when identical). A record that fails the schema
(only possible when something bypassed API Gateway) goes to ``errors/partner/invalid/<YYYY>/<MM>/<DD>/<HH>/``
with its reason, never silently dropped.

Environment: RAW_BUCKET (required).
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from typing import Any

from lakeingest.common.config import env_str
from lakeingest.common.keys import error_prefix, parse_iso_utc, partner_raw_key
from lakeingest.common.s3io import put_if_changed, s3_client
from lakeingest.partner.api import validation_errors

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Write each Kinesis record of the event; returns counts (written/skipped/replaced/invalid)."""
    bucket = env_str("RAW_BUCKET")
    s3 = s3_client()
    counts = {"written": 0, "skipped": 0, "replaced": 0, "invalid": 0}
    for record in event.get("Records", []):
        kin = record["kinesis"]
        data = base64.b64decode(kin["data"])
        seq = kin["sequenceNumber"]
        try:
            reading = json.loads(data)
            errors = validation_errors(reading)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            reading, errors = None, [f"not JSON: {exc}"]
        if errors:
            arrival = datetime.fromtimestamp(float(kin.get("approximateArrivalTimestamp", 0)) or 0, UTC)
            key = error_prefix("partner", "invalid", arrival) + f"{seq}.json"
            doc = {"reason": errors, "sequenceNumber": seq, "rawData": kin["data"]}
            s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(doc).encode(), ContentType="application/json")
            counts["invalid"] += 1
            log.warning(json.dumps({"sequenceNumber": seq, "invalid": errors}))
            continue
        key = partner_raw_key(parse_iso_utc(reading["reading_ts"]), reading["reading_id"])
        outcome = put_if_changed(
            s3, bucket, key, data, content_type="application/json", metadata={"kinesis-sequence-number": seq}
        )
        counts[outcome] += 1
    return counts
