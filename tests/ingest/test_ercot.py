"""ERCOT ingestion Lambda against recorded MIS responses (responses library) and the emulator's S3."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import responses

from lakeingest.common.config import ConfigError
from lakeingest.common.http import HttpError
from lakeingest.ercot import handler as ercot
from lakeingest.ercot.reports import REPORTS, LayoutChangedError

from .ingest_helpers import FIXTURES, LANDING, keys

LIST = "https://mis.test/misapp/servlets/IceDocListJsonWS"
DOWNLOAD = "https://mis.test/misdownload/servlets/mirDownload"
F = FIXTURES / "ercot"
DOCS = {"system_load": "981734112", "spp_realtime": "981801550", "fuel_mix": "981736020"}


@pytest.fixture
def ercot_env(lake, monkeypatch):
    monkeypatch.setenv("LANDING_BUCKET", LANDING)
    monkeypatch.setenv("ERCOT_MIS_LIST_URL", LIST)
    monkeypatch.setenv("ERCOT_MIS_DOWNLOAD_URL", DOWNLOAD)
    monkeypatch.setenv("ERCOT_REPORTS", ",".join(DOCS))  # fuel_mix is opt-in (a workbook on ERCOT's site)
    return lake


def _register(rsps: responses.RequestsMock, names=tuple(DOCS), zip_override: dict[str, bytes] | None = None) -> None:
    for name in names:
        rtid = REPORTS[name].report_type_id
        rsps.get(
            LIST,
            match=[responses.matchers.query_param_matcher({"reportTypeId": str(rtid)})],
            body=(F / f"{name}_listing.json").read_bytes(),
            content_type="application/json",
        )
        body = (zip_override or {}).get(name) or (F / f"{name}_doc_{DOCS[name]}.zip").read_bytes()
        rsps.get(
            DOWNLOAD,
            match=[responses.matchers.query_param_matcher({"doclookupId": DOCS[name]})],
            body=body,
            content_type="application/zip",
        )


def _csv_in(zip_path) -> bytes:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(zf.namelist()[0])


@responses.activate
def test_lands_each_report_unchanged_under_the_deterministic_key(ercot_env):
    _register(responses.mock)
    result = ercot.handler({"source": "aws.events"})
    assert {n: r["written"] for n, r in result["reports"].items()} == {n: 1 for n in DOCS}
    assert {r["status"] for r in result["reports"].values()} == {"ok"}
    landed = keys(ercot_env, LANDING, "ercot/")
    # publish times 05:10:33, 11:15:02 and 06:02:15 Central (UTC-6) → UTC in the key
    assert landed == [
        "ercot/fuel_mix/2024/01/15/fuel_mix_20240115_1202_981736020.csv",
        "ercot/spp_realtime/2024/01/15/spp_realtime_20240115_1715_981801550.csv",
        "ercot/system_load/2024/01/15/system_load_20240115_1110_981734112.csv",
    ]
    body = ercot_env.get_object(Bucket=LANDING, Key=landed[2])["Body"].read()
    assert body == _csv_in(F / "system_load_doc_981734112.zip")
    assert body.startswith(b'"OperDay","HourEnding","COAST"')
    meta = ercot_env.head_object(Bucket=LANDING, Key=landed[1])["Metadata"]
    assert meta["ercot-doc-id"] == "981801550" and meta["ercot-product"] == "NP6-905-CD"


@responses.activate
def test_retry_is_idempotent_and_does_not_download_again(ercot_env):
    _register(responses.mock)
    ercot.handler({})
    downloads_before = sum(DOWNLOAD in c.request.url for c in responses.calls)
    again = ercot.handler({})
    assert {n: r["skipped"] for n, r in again["reports"].items()} == {n: 1 for n in DOCS}
    assert sum(DOWNLOAD in c.request.url for c in responses.calls) == downloads_before
    assert len(keys(ercot_env, LANDING, "ercot/")) == 3


@responses.activate
def test_transient_http_errors_are_retried_with_backoff(ercot_env, monkeypatch):
    monkeypatch.setenv("ERCOT_REPORTS", "spp_realtime")
    responses.get(LIST, status=503)
    responses.get(LIST, status=429)
    _register(responses.mock, ["spp_realtime"])
    result = ercot.handler({})
    assert result["reports"]["spp_realtime"]["written"] == 1
    assert sum(LIST in c.request.url for c in responses.calls) == 3


@responses.activate
def test_retries_are_bounded_and_client_errors_fail_at_once(ercot_env, monkeypatch):
    monkeypatch.setenv("ERCOT_REPORTS", "system_load")
    responses.get(LIST, status=502)
    with pytest.raises(HttpError, match="502"):
        ercot.handler({})
    assert len(responses.calls) == 3  # HTTP_MAX_ATTEMPTS
    responses.reset()
    responses.get(LIST, status=404)
    with pytest.raises(HttpError, match="404"):
        ercot.handler({})
    assert len(responses.calls) == 1
    assert keys(ercot_env, LANDING, "ercot/") == []


@responses.activate
def test_changed_layout_fails_clearly_and_lands_nothing(ercot_env, monkeypatch):
    monkeypatch.setenv("ERCOT_REPORTS", "system_load")
    _register(responses.mock, ["system_load"], {"system_load": (F / "system_load_changed_layout.zip").read_bytes()})
    with pytest.raises(LayoutChangedError, match=r"NP6-345-CD.*unexpected \['PANHANDLE'\]"):
        ercot.handler({})
    assert keys(ercot_env, LANDING, "ercot/") == []


def test_zip_without_csv_is_a_layout_change():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("IntGenbyFuel2024.xlsx", b"PK...")
    with pytest.raises(LayoutChangedError, match=r"expected one CSV.*IntGenbyFuel2024.xlsx"):
        ercot.extract_csv(buf.getvalue(), "fuel mix")


def test_header_check_accepts_the_published_headers_only():
    for name, doc in DOCS.items():
        REPORTS[name].check_header(_csv_in(F / f"{name}_doc_{doc}.zip"), name)
    with pytest.raises(LayoutChangedError, match="interval columns"):
        REPORTS["fuel_mix"].check_header(b'"Date","Fuel","Settlement Type","Total","Noon"\r\n', "x")


def test_missing_bucket_setting_is_a_config_error(aws, monkeypatch):
    monkeypatch.delenv("LANDING_BUCKET", raising=False)
    with pytest.raises(ConfigError, match="LANDING_BUCKET"):
        ercot.handler({})


@responses.activate
def test_two_documents_published_in_the_same_minute_both_land(ercot_env, monkeypatch):
    """Two documents published within one minute (a corrected re-post; the repeated DST hour when a time
    carries no offset) share the minute of their key: the DocID keeps them from overwriting each other."""
    monkeypatch.setenv("ERCOT_REPORTS", "system_load")
    listing = json.loads((F / "system_load_listing.json").read_text())
    csv_docs = [
        e for e in listing["ListDocsByRptTypeRes"]["DocumentList"] if e["Document"]["FriendlyName"].endswith("_csv")
    ]
    original = csv_docs[0]["Document"]
    repost = {**original, "DocID": "981734999", "PublishDate": original["PublishDate"].replace(":33-", ":51-")}
    listing["ListDocsByRptTypeRes"]["DocumentList"] = [{"Document": original}, {"Document": repost}]
    responses.get(LIST, json=listing)
    body = (F / "system_load_doc_981734112.zip").read_bytes()
    for doc_id in (original["DocID"], repost["DocID"]):
        responses.get(DOWNLOAD, match=[responses.matchers.query_param_matcher({"doclookupId": doc_id})], body=body)
    result = ercot.handler({})
    assert result["reports"]["system_load"]["written"] == 2
    landed = keys(ercot_env, LANDING, "ercot/system_load/")
    assert len(landed) == 2 and len({k.rsplit("_", 1)[0] for k in landed}) == 1  # same minute, two objects
    assert {k.rsplit("_", 1)[1] for k in landed} == {f"{original['DocID']}.csv", "981734999.csv"}
