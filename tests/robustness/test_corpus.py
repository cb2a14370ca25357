"""Every job over the bad-input corpus: no crash, every row accounted for, quarantine stable and queryable.

The expectations are data (corpus/manifest.yaml); the corpus is rebuilt by make_corpus.py and checked here.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path

import boto3
import pytest

from energylake.contracts import get_contract
from lakectl import runner
from lakectl.governance import read_as
from lakectl.ingest import kinesis_event_record
from lakeingest.partner import writer

from . import make_corpus
from .corpus_lib import CORPUS, manifest, quarantine_counts, read_table, upload

MANIFEST = manifest()
RECORD_JOBS = list(MANIFEST["jobs"])
CURATED_JOBS = [n for n in runner.job_names() if n not in RECORD_JOBS]


@pytest.fixture(scope="module")
def corpus_run(aws_emulator, spark):
    """Run every record job over its corpus files (in the manifest's run order), then every curated job."""
    aws_emulator.reset()
    runner.ensure_buckets()
    buckets = runner.placeholders()
    s3 = boto3.client("s3")
    results: dict[str, list] = {}
    written_per_file: dict[str, int] = {}
    for job, spec in MANIFEST["jobs"].items():
        results[job] = []
        for run in spec["runs"]:
            uris = {rel: upload(s3, buckets, rel) for rel in run["files"]}
            metrics = runner.run_job(job)
            results[job].append(metrics)
            per_source: Counter = Counter()
            for table in spec.get("outputs", {}):
                out = read_table(s3, "energy_transform", table)
                per_source.update(out.source_file if "source_file" in out else [])
            for rel, uri in uris.items():
                written_per_file[rel] = per_source.get(uri, 0)
    curated = {name: runner.run_job(name) for name in CURATED_JOBS}
    quarantine = read_table(s3, "energy_quarantine", "quarantine_records")
    return {
        "s3": s3,
        "buckets": buckets,
        "results": results,
        "curated": curated,
        "quarantine": quarantine,
        "written_per_file": written_per_file,
    }


def _uri(buckets: dict[str, str], rel: str) -> str:
    zone, key = rel.split("/", 1)
    return f"s3://{buckets[zone]}/{key}"


def test_corpus_files_are_what_the_generator_writes(tmp_path):
    make_corpus.write(tmp_path)
    generated = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()} - {"manifest.yaml"}
    assert generated == committed, "run: python tests/robustness/make_corpus.py"
    for rel in generated:
        assert (tmp_path / rel).read_bytes() == (CORPUS / rel).read_bytes(), rel


def test_manifest_covers_every_corpus_file_and_adds_up():
    listed = [rel for spec in MANIFEST["jobs"].values() for run in spec["runs"] for rel in run["files"]]
    listed += list(MANIFEST["partner"])
    on_disk = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file())
    assert sorted(listed) == [p for p in on_disk if p != "manifest.yaml"]
    assert len(listed) == len(set(listed))
    for spec in MANIFEST["jobs"].values():
        for run in spec["runs"]:
            for rel, exp in run["files"].items():
                out = exp.get("written", 0) + exp.get("deduplicated", 0) + sum(exp.get("quarantined", {}).values())
                if "totals" not in run:  # CDC runs state written/deduplicated per run, not per file
                    assert exp["rows"] == out, rel
    # The corpus covers what the issue names (spot-checks on the bytes, so a regenerated corpus cannot drop them).
    raw = {rel: (CORPUS / rel).read_bytes() for rel in listed}
    assert any(b.startswith(b"\xef\xbb\xbf") for b in raw.values()), "UTF-8 BOM"
    assert any(b"\xe9" in b or b"\xc9" in b for b in raw.values()), "Latin-1"
    assert sum(1 for b in raw.values() if b == b"") >= 4, "zero-byte files"
    assert any(len(b) > 250_000 for b in raw.values()), "oversized record"
    assert any(b"\r\n" in b for b in raw.values()), "CRLF"


@pytest.mark.parametrize("job", RECORD_JOBS)
def test_no_crash_and_every_row_accounted_for(corpus_run, job):
    runs = MANIFEST["jobs"][job]["runs"]
    for metrics, run in zip(corpus_run["results"][job], runs, strict=True):
        files = run["files"].values()
        assert metrics.status == "succeeded", metrics.error
        assert metrics.balanced, metrics.to_dict()
        assert metrics.rows_read == sum(f["rows"] for f in files)
        assert metrics.rows_quarantined == sum(sum(f.get("quarantined", {}).values()) for f in files)
        totals = run.get("totals") or {
            "written": sum(f.get("written", 0) for f in files),
            "deduplicated": sum(f.get("deduplicated", 0) for f in files),
        }
        assert (metrics.rows_written, metrics.rows_deduplicated) == (totals["written"], totals["deduplicated"])


@pytest.mark.parametrize("job", RECORD_JOBS)
def test_quarantine_rows_per_file_and_reason(corpus_run, job):
    by_file = quarantine_counts(corpus_run["quarantine"])
    for run in MANIFEST["jobs"][job]["runs"]:
        for rel, exp in run["files"].items():
            got = dict(by_file.get(_uri(corpus_run["buckets"], rel), Counter()))
            assert got == exp.get("quarantined", {}), rel


@pytest.mark.parametrize("job", [j for j in RECORD_JOBS if MANIFEST["jobs"][j].get("outputs")])
def test_written_rows_per_file_and_table(corpus_run, job):
    spec = MANIFEST["jobs"][job]
    frames = {t: read_table(corpus_run["s3"], "energy_transform", t) for t in spec["outputs"]}
    assert {t: len(f) for t, f in frames.items()} == spec["outputs"]
    if all("source_file" in f for f in frames.values()):  # the run's winners, counted right after each run
        for run in spec["runs"]:
            for rel, exp in run["files"].items():
                assert corpus_run["written_per_file"][rel] == exp.get("written", 0), rel


def test_cdc_state_after_out_of_order_duplicated_and_stale_changes(corpus_run):
    for dataset, exp in MANIFEST["jobs"]["trading_cdc_apply"]["state"].items():
        table = read_table(corpus_run["s3"], "energy_transform", dataset).set_index(exp["key"])
        assert sorted(table.index) == sorted(exp["rows"]), dataset
        for key, values in exp["rows"].items():
            for col, value in values.items():
                got = table.loc[key, col]
                assert (float(got) if isinstance(value, float) else got) == value, (dataset, key, col)


def test_curated_jobs_run_over_the_corpus_outputs(corpus_run):
    for name, metrics in corpus_run["curated"].items():
        assert metrics.status == "succeeded" and metrics.balanced, (name, metrics.to_dict())
    assert corpus_run["curated"]["curated_site_hourly_generation"].rows_written > 0


def test_quarantine_schema_is_the_contract_and_every_row_has_a_reason(corpus_run):
    contract = get_contract("quarantine_records")
    q = corpus_run["quarantine"]
    assert len(q) == sum(m.rows_quarantined for runs in corpus_run["results"].values() for m in runs)
    assert q.reason.notna().all() and (q.reason.str.len() > 0).all()
    assert q.raw_record.notna().all() and q.source_file.notna().all()
    glue = boto3.client("glue").get_table(DatabaseName="energy_quarantine", Name="quarantine_records")["Table"]
    columns = [(c["Name"], c["Type"]) for c in glue["StorageDescriptor"]["Columns"] + glue["PartitionKeys"]]
    assert columns == [(c.name, c.type) for c in contract.data_columns + contract.partition_columns]
    assert sorted(q.columns) == sorted(c.name for c in contract.columns)


def test_quarantine_is_queryable_through_the_access_layer(corpus_run):
    # data_engineer may read quarantine (confidential raw_record included); the read goes via the Glue catalog.
    table = read_as("data_engineer", "quarantine_records", where="reason LIKE 'invalid_encoding%'")
    sources = {Path(s).name for s in table.column("source_file").to_pylist()}
    assert sources == {"seed-bom-latin1.json", "spp_realtime_20240715_1300.csv", "LOAD00000001.csv"}
    assert set(table.column("dataset").to_pylist()) == {
        "telemetry_readings",
        "ercot_settlement_prices",
        "trading_customers",
    }


def test_partner_writer_over_the_corpus(s3):
    s3.create_bucket(Bucket="energylake-local-raw")
    stream = "energylake-local-partner-readings"
    records = []
    for i, (rel, _) in enumerate(MANIFEST["partner"].items()):
        data = (CORPUS / rel).read_bytes()
        records.append(
            kinesis_event_record(
                {
                    "PartitionKey": "p",
                    "SequenceNumber": f"{i:020d}",
                    "Data": data,
                    "ApproximateArrivalTimestamp": __import__("datetime").datetime(2024, 7, 15, 16),
                },
                stream,
            )
        )
    import os

    os.environ["RAW_BUCKET"] = "energylake-local-raw"
    try:
        counts = writer.handler({"Records": records})
    finally:
        os.environ.pop("RAW_BUCKET")
    expected = Counter(MANIFEST["partner"].values())
    assert counts == {
        "written": expected["written"],
        "skipped": expected["deduplicated"],
        "replaced": 0,
        "invalid": expected["quarantined"],
    }
    raw = s3.list_objects_v2(Bucket="energylake-local-raw", Prefix="partner/").get("KeyCount", 0)
    assert raw == expected["written"]
    errors = s3.list_objects_v2(Bucket="energylake-local-raw", Prefix="errors/partner/invalid/")["Contents"]
    assert len(errors) == expected["quarantined"]
    for obj in errors:  # every rejected payload is kept with its reason, byte for byte
        doc = json.loads(s3.get_object(Bucket="energylake-local-raw", Key=obj["Key"])["Body"].read())
        assert doc["reason"] and all(doc["reason"])
        seq = int(doc["sequenceNumber"])
        rel = list(MANIFEST["partner"])[seq]
        assert MANIFEST["partner"][rel] == "quarantined"
        assert base64.b64decode(doc["rawData"]) == (CORPUS / rel).read_bytes()
