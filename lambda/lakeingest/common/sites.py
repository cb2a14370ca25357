"""The sites an ingestor serves, from SITES_JSON (inline) or SITES_S3_URI (a sites.csv or JSON object in S3)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from lakeingest.common.config import ConfigError, env_json, env_str


@dataclass(frozen=True)
class Site:
    """One wind or solar site (the columns of glue/lib/energylake/reference/sites.csv that ingestion needs)."""

    site_id: str
    site_type: str
    latitude: float
    longitude: float
    capacity_mw: float
    hub_height_m: float = 0.0

    @classmethod
    def from_mapping(cls, row: dict[str, Any]) -> Site:
        """Build from a CSV row or JSON object; ConfigError names the bad site and field."""
        site_id = str(row.get("site_id", "")).strip()
        if not site_id:
            raise ConfigError(f"site without site_id: {row}")
        try:
            site = cls(
                site_id=site_id,
                site_type=str(row["site_type"]).strip(),
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                capacity_mw=float(row["capacity_mw"]),
                hub_height_m=float(row.get("hub_height_m") or 0),
            )
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"site {site_id}: missing or malformed field {exc}") from None
        if site.site_type not in ("wind", "solar"):
            raise ConfigError(f"site {site_id}: site_type must be wind or solar, got {site.site_type!r}")
        if not (-90 <= site.latitude <= 90 and -180 <= site.longitude <= 180):
            raise ConfigError(f"site {site_id}: latitude/longitude out of range")
        return site


def parse_sites(text: str) -> list[Site]:
    """Sites from a sites.csv text or a JSON list of objects."""
    stripped = text.lstrip()
    rows = json.loads(text) if stripped.startswith("[") else list(csv.DictReader(io.StringIO(text)))
    sites = [Site.from_mapping(row) for row in rows]
    if not sites:
        raise ConfigError("the site list is empty")
    return sites


def sites_to_json(sites: list[Site]) -> str:
    """Sites as the compact JSON that SITES_JSON takes."""
    return json.dumps([s.__dict__ for s in sites], separators=(",", ":"))


def load_sites(s3: Any | None = None) -> list[Site]:
    """Sites from SITES_JSON, else from the object at SITES_S3_URI (s3://bucket/key)."""
    inline = env_json("SITES_JSON")
    if inline is not None:
        return parse_sites(json.dumps(inline))
    uri = env_str("SITES_S3_URI", "")
    if not uri:
        raise ConfigError("set SITES_JSON (a JSON list of sites) or SITES_S3_URI (s3://bucket/sites.csv)")
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ConfigError(f"SITES_S3_URI must look like s3://bucket/key, got {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    if s3 is None:
        import boto3

        s3 = boto3.client("s3")
    return parse_sites(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
