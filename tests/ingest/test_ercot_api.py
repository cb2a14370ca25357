"""ERCOT Public API ingestion against recorded responses (responses library), Secrets Manager and S3 on the emulator.

The fixtures in ``fixtures/ercot_api`` have the API's documented shapes (see that folder's README): a B2C token
answer, the ``_meta``/``report``/``fields``/``data``/``_links`` envelope paged by ``page``/``size``, and B2C's
``invalid_grant`` error.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from urllib.parse import parse_qs

import boto3
import pytest
import responses

from lakeingest.common.config import ConfigError
from lakeingest.ercot import api
from lakeingest.ercot import handler as ercot
from lakeingest.ercot.reports import LayoutChangedError

from .ingest_helpers import FIXTURES, LANDING, keys

F = FIXTURES / "ercot_api"
BASE = "https://api.test/api/public-reports"
TOKEN = "https://b2c.test/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token"
LOAD_URL = f"{BASE}/np6-345-cd/act_sys_load_by_wzn"
SPP_URL = f"{BASE}/np6-905-cd/spp_node_zone_hub"
SECRET = "energylake/ercot-public-api"
SUBSCRIPTION_KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def api_env(lake, monkeypatch):
    boto3.client("secretsmanager").create_secret(
        Name=SECRET,
        SecretString=json.dumps(
            {"username": "lake@example.com", "password": "pw", "subscription_key": SUBSCRIPTION_KEY}
        ),
    )
    monkeypatch.setenv("LANDING_BUCKET", LANDING)
    monkeypatch.setenv("ERCOT_API_SECRET_ID", SECRET)
    monkeypatch.setenv("ERCOT_API_BASE_URL", BASE)
    monkeypatch.setenv("ERCOT_API_TOKEN_URL", TOKEN)
    monkeypatch.setenv("ERCOT_API_PAGE_SIZE", "10")
    return lake


def _token_ok(rsps) -> None:
    rsps.post(TOKEN, body=(F / "token_ok.json").read_bytes(), content_type="application/json")


def _page(rsps, url: str, fixture: str, day: str, page: int, params=("operatingDayFrom", "operatingDayTo"), **kw):
    query = {params[0]: day, params[1]: day, "page": str(page), "size": "10"}
    rsps.get(
        url,
        match=[responses.matchers.query_param_matcher(query)],
        body=(F / fixture).read_bytes(),
        content_type="application/json",
        **kw,
    )


def _load_pages(rsps, page2: str = "system_load_2024-07-15_page2.json") -> None:
    for n, name in ((1, "system_load_2024-07-15_page1.json"), (2, page2), (3, "system_load_2024-07-15_page3.json")):
        _page(rsps, LOAD_URL, name, "2024-07-15", n)


def _rows(s3, key: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(s3.get_object(Bucket=LANDING, Key=key)["Body"].read().decode())))


def _recorded_rows(*fixtures: str) -> list[list]:
    return [row for f in fixtures for row in json.loads((F / f).read_text())["data"]]


@responses.activate
def test_three_pages_land_as_one_published_csv_with_every_row(api_env, monkeypatch):
    monkeypatch.setenv("ERCOT_REPORTS", "system_load")
    _token_ok(responses.mock)
    _load_pages(responses.mock)
    result = ercot.handler({"start_date": "2024-07-15", "end_date": "2024-07-15"})
    outcome = result["reports"]["system_load"]
    assert result["source"] == "api" and outcome["status"] == "ok"
    assert outcome["written"] == 1 and outcome["rows"] == 24
    assert keys(api_env, LANDING, "ercot/") == ["ercot/system_load/2024/07/15/system_load_20240715_0000_api.csv"]
    rows = _rows(api_env, "ercot/system_load/2024/07/15/system_load_20240715_0000_api.csv")
    assert tuple(rows[0]) == ercot.REPORTS["system_load"].header
    recorded = _recorded_rows(*(f"system_load_2024-07-15_page{n}.json" for n in (1, 2, 3)))
    assert len(rows) - 1 == len(recorded) == 24  # nothing lost across the pages
    assert rows[1][:3] == ["07/15/2024", "01:00", str(recorded[0][2])] and rows[1][-1] == "N"
    # one sign-in for all pages; every data call carries the ID token and the subscription key
    assert sum(TOKEN in c.request.url for c in responses.calls) == 1
    data_calls = [c.request for c in responses.calls if c.request.url.startswith(LOAD_URL)]
    assert len(data_calls) == 3
    assert all(r.headers["Ocp-Apim-Subscription-Key"] == SUBSCRIPTION_KEY for r in data_calls)
    assert all(r.headers["Authorization"].startswith("Bearer eyJ") for r in data_calls)
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == ["password"] and form["response_type"] == ["id_token"]


@responses.activate
def test_a_429_is_retried_after_backoff_then_the_page_lands(api_env, monkeypatch):
    monkeypatch.setenv("ERCOT_REPORTS", "spp_realtime")
    _token_ok(responses.mock)
    params = ("deliveryDateFrom", "deliveryDateTo")
    responses.get(SPP_URL, status=429, headers={"Retry-After": "0"}, json={"statusCode": 429, "message": "Rate limit"})
    _page(responses.mock, SPP_URL, "spp_realtime_2024-07-15.json", "2024-07-15", 1, params)
    result = ercot.handler({"start_date": "2024-07-15"})
    outcome = result["reports"]["spp_realtime"]
    assert outcome["status"] == "ok" and outcome["written"] == 1
    assert outcome["rows"] == len(_recorded_rows("spp_realtime_2024-07-15.json")) == 24
    assert sum(c.request.url.startswith(SPP_URL) for c in responses.calls) == 2
    rows = _rows(api_env, "ercot/spp_realtime/2024/07/15/spp_realtime_20240715_0000_api.csv")
    assert tuple(rows[0]) == ercot.REPORTS["spp_realtime"].header and len(rows) == 25


@responses.activate
def test_auth_failure_names_the_b2c_error_and_lands_nothing(api_env):
    responses.post(TOKEN, status=400, body=(F / "token_invalid_grant.json").read_bytes())
    with pytest.raises(ercot.ErcotIngestError, match="AADB2C90225") as failure:
        ercot.handler({"start_date": "2024-07-15"})
    outcomes = failure.value.outcomes
    assert set(outcomes) == {"system_load", "spp_realtime"}
    assert all(o["status"] == "failed" and "ErcotAuthError" in o["error"] for o in outcomes.values())
    assert "pw" not in str(failure.value)  # the password never reaches a message
    assert sum(TOKEN in c.request.url for c in responses.calls) == 1  # a refused sign-in is not repeated
    assert not any(c.request.url.startswith(BASE) for c in responses.calls)
    assert keys(api_env, LANDING, "ercot/") == []


@responses.activate
def test_an_empty_range_is_an_outcome_not_an_object(api_env, monkeypatch):
    monkeypatch.setenv("ERCOT_REPORTS", "system_load")
    _token_ok(responses.mock)
    _page(responses.mock, LOAD_URL, "system_load_2024-07-16_empty.json", "2024-07-16", 1)
    result = ercot.handler({"start_date": "2024-07-16", "end_date": "2024-07-16"})
    outcome = result["reports"]["system_load"]
    assert outcome["status"] == "ok" and outcome["empty"] == 1 and outcome["written"] == 0 and outcome["rows"] == 0
    assert keys(api_env, LANDING, "ercot/") == []


@responses.activate
def test_a_malformed_page_fails_its_day_only_and_the_other_report_lands(api_env, monkeypatch):
    monkeypatch.setenv("ERCOT_REPORTS", "system_load,spp_realtime")
    _token_ok(responses.mock)
    _load_pages(responses.mock, page2="system_load_2024-07-15_page2_malformed.json")
    _page(
        responses.mock, SPP_URL, "spp_realtime_2024-07-15.json", "2024-07-15", 1, ("deliveryDateFrom", "deliveryDateTo")
    )
    result = ercot.handler({"start_date": "2024-07-15"})
    load, spp = result["reports"]["system_load"], result["reports"]["spp_realtime"]
    assert load["status"] == "failed" and load["written"] == 0
    assert "page 2" in load["failed_days"]["2024-07-15"] and "lacks ['data']" in load["failed_days"]["2024-07-15"]
    # the half-read day is not landed (no partial object), and the other report is unaffected
    assert spp["status"] == "ok" and spp["written"] == 1
    assert keys(api_env, LANDING, "ercot/") == ["ercot/spp_realtime/2024/07/15/spp_realtime_20240715_0000_api.csv"]


def test_rows_that_do_not_add_up_to_total_records_are_an_error():
    client = api.ErcotApiClient(api.ApiCredentials("u", "p", "k"), clock=lambda: 0.0)
    page = json.loads((F / "system_load_2024-07-15_page1.json").read_text())
    page["_meta"]["totalPages"] = 1  # claims one page of 24 rows but carries 10
    client._token, client._token_expires = "t", 1.0
    with responses.RequestsMock() as rsps:
        rsps.get(f"{api.DEFAULT_API_BASE_URL}/np6-345-cd/act_sys_load_by_wzn", json=page)
        with pytest.raises(LayoutChangedError, match=r"received 10 rows, _meta\.totalRecords says 24"):
            client.fetch_day(api.API_REPORTS["system_load"], date(2024, 7, 15))


def test_the_id_token_is_renewed_before_its_hour_ends():
    now = [0.0]
    client = api.ErcotApiClient(api.ApiCredentials("u", "p", "k"), token_url=TOKEN, clock=lambda: now[0])
    with responses.RequestsMock() as rsps:
        _token_ok(rsps)
        _token_ok(rsps)
        assert client.id_token() == client.id_token()
        assert len(rsps.calls) == 1
        now[0] = api.TOKEN_LIFETIME_S - api.TOKEN_MARGIN_S  # just inside the renewal margin
        client.id_token()
        assert len(rsps.calls) == 2


def test_backfill_needs_the_api_and_a_forward_range(aws, monkeypatch):
    monkeypatch.setenv("LANDING_BUCKET", LANDING)
    monkeypatch.delenv("ERCOT_API_SECRET_ID", raising=False)
    with pytest.raises(ConfigError, match="needs the Public API"):
        ercot.handler({"start_date": "2024-07-15"})
    with pytest.raises(ConfigError, match="before it starts"):
        api.days(date(2024, 7, 15), date(2024, 7, 14))


def test_a_secret_without_the_subscription_key_is_named_without_its_values():
    with pytest.raises(api.ErcotAuthError, match=r"lacks \['subscription_key'\]") as failure:
        api.ApiCredentials.from_secret_string(json.dumps({"username": "u", "password": "hunter2"}), "s")
    assert "hunter2" not in str(failure.value)
