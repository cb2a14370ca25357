"""Open-Meteo ingestion Lambda against recorded responses and the emulator's S3."""

from __future__ import annotations

import json

import pytest
import responses

from lakeingest.common.config import ConfigError
from lakeingest.openmeteo import handler as openmeteo

from .ingest_helpers import FIXTURES, LANDING, keys

FORECAST, ARCHIVE = "https://om.test/v1/forecast", "https://om.test/v1/archive"
SITES = [
    {
        "site_id": "WF-ROSCOE",
        "site_type": "wind",
        "latitude": 32.446,
        "longitude": -100.538,
        "capacity_mw": 781.5,
        "hub_height_m": 80,
    },
    {"site_id": "SF-ROADRUNNER", "site_type": "solar", "latitude": 31.295, "longitude": -102.459, "capacity_mw": 497.0},
]
EVENT = {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2024-01-15T00:00:07Z"}


@pytest.fixture
def om_env(lake, monkeypatch):
    monkeypatch.setenv("LANDING_BUCKET", LANDING)
    monkeypatch.setenv("SITES_JSON", json.dumps(SITES))
    monkeypatch.setenv("OPENMETEO_FORECAST_URL", FORECAST)
    monkeypatch.setenv("OPENMETEO_ARCHIVE_URL", ARCHIVE)
    return lake


def _register(rsps, kinds=("forecast", "archive"), sites=SITES) -> None:
    for kind in kinds:
        for site in sites:
            rsps.get(
                FORECAST if kind == "forecast" else ARCHIVE,
                match=[responses.matchers.query_param_matcher({"latitude": str(site["latitude"])}, strict_match=False)],
                body=(FIXTURES / "openmeteo" / f"{kind}_{site['site_id']}.json").read_bytes(),
                content_type="application/json",
            )


@responses.activate
def test_lands_forecast_and_archive_per_site(om_env):
    _register(responses.mock)
    result = openmeteo.handler(EVENT)
    assert result["written"] == 4 and result["hours"] == 2 * (48 + 24)
    assert keys(om_env, LANDING, "openmeteo/") == [
        "openmeteo/archive/SF-ROADRUNNER/2024/01/15/0000.json",
        "openmeteo/archive/WF-ROSCOE/2024/01/15/0000.json",
        "openmeteo/forecast/SF-ROADRUNNER/2024/01/15/0000.json",
        "openmeteo/forecast/WF-ROSCOE/2024/01/15/0000.json",
    ]
    body = om_env.get_object(Bucket=LANDING, Key="openmeteo/forecast/WF-ROSCOE/2024/01/15/0000.json")["Body"].read()
    assert body == (FIXTURES / "openmeteo" / "forecast_WF-ROSCOE.json").read_bytes()  # unchanged
    forecast_call = next(c for c in responses.calls if c.request.url.startswith(FORECAST))
    params = forecast_call.request.params
    assert params["hourly"] == "temperature_2m,wind_speed_10m,wind_speed_100m,shortwave_radiation,cloud_cover"
    assert params["wind_speed_unit"] == "ms" and params["forecast_days"] == "2"
    archive_call = next(c for c in responses.calls if c.request.url.startswith(ARCHIVE))
    assert archive_call.request.params["start_date"] == archive_call.request.params["end_date"] == "2024-01-10"


@responses.activate
def test_same_scheduled_event_is_idempotent(om_env):
    _register(responses.mock)
    openmeteo.handler(EVENT)
    again = openmeteo.handler({**EVENT, "time": "2024-01-15T00:00:41Z"})  # retry of the same hour
    assert again["skipped"] == 4 and again["written"] == 0
    assert len(keys(om_env, LANDING, "openmeteo/")) == 4


@responses.activate
def test_throttling_is_retried(om_env, monkeypatch):
    monkeypatch.setenv("OPENMETEO_KINDS", "forecast")
    monkeypatch.setenv("SITES_JSON", json.dumps(SITES[:1]))
    responses.get(FORECAST, status=429, json={"error": True, "reason": "Minutely API request limit exceeded"})
    _register(responses.mock, ["forecast"], SITES[:1])
    assert openmeteo.handler(EVENT)["written"] == 1
    assert len(responses.calls) == 2


@responses.activate
def test_changed_layout_fails_that_site_and_lands_the_others(om_env, monkeypatch):
    monkeypatch.setenv("OPENMETEO_KINDS", "forecast")
    doc = json.loads((FIXTURES / "openmeteo" / "forecast_WF-ROSCOE.json").read_text())
    del doc["hourly"]["wind_speed_100m"]
    doc["hourly_units"]["wind_speed_10m"] = "km/h"
    responses.get(
        FORECAST, match=[responses.matchers.query_param_matcher({"latitude": "32.446"}, strict_match=False)], json=doc
    )
    _register(responses.mock, ["forecast"], SITES[1:])
    with pytest.raises(RuntimeError, match=r"WF-ROSCOE: wind_speed_10m unit 'km/h' != 'm/s'; wind_speed_100m missing"):
        openmeteo.handler(EVENT)
    assert keys(om_env, LANDING, "openmeteo/") == ["openmeteo/forecast/SF-ROADRUNNER/2024/01/15/0000.json"]


@responses.activate
def test_api_error_body_is_reported(om_env, monkeypatch):
    monkeypatch.setenv("OPENMETEO_KINDS", "forecast")
    monkeypatch.setenv("SITES_JSON", json.dumps(SITES[:1]))
    responses.get(FORECAST, status=400, body=(FIXTURES / "openmeteo" / "error_400.json").read_bytes())
    with pytest.raises(RuntimeError, match=r"HTTP 400.*wind_speed_100mm"):
        openmeteo.handler(EVENT)


def test_sites_come_from_s3_when_configured(om_env, monkeypatch):
    from lakectl.settings import REPO_ROOT

    om_env.put_object(
        Bucket=LANDING,
        Key="reference/sites.csv",
        Body=(REPO_ROOT / "glue/lib/energylake/reference/sites.csv").read_bytes(),
    )
    monkeypatch.delenv("SITES_JSON")
    monkeypatch.setenv("SITES_S3_URI", f"s3://{LANDING}/reference/sites.csv")
    from lakeingest.common.sites import load_sites

    sites = load_sites()
    assert [s.site_id for s in sites][:2] == ["WF-ROSCOE", "WF-HORSE-HOLLOW"] and len(sites) == 5
    monkeypatch.delenv("SITES_S3_URI")
    with pytest.raises(ConfigError, match="SITES_JSON"):
        load_sites()
