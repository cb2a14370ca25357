"""The DMS S3 target format and semantics (energylake.dms), checked on the reference apply with the DMS model:
hexadecimal full-load counters, full-load timestamps that are transfer times, changes committed during the load,
primary-key updates, and the endpoint settings the readers assume."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energylake import compiler, dms
from migration.dms.apply import current_state
from migration.quarantine import Quarantine
from migration.source import contract_for
from tests.migration import dms_model
from tests.migration.dms_strategies import scenarios

CONTRACT = contract_for(dms_model.TABLE)
REPO = Path(__file__).resolve().parents[2]


def _apply(files: list[tuple[str, str]]):
    quarantine = Quarantine("test", "r1")
    rows, result = current_state(CONTRACT, [(f"dms/trading/customers/{n}", t.encode()) for n, t in files], quarantine)
    assert quarantine.records == [] and result.balanced()
    return sorted(tuple(r[c] for c in dms_model.COLUMNS) for r in rows)


def test_full_load_files_are_numbered_in_hexadecimal_and_ordered_by_their_counter():
    assert [dms.load_file_name(n) for n in (1, 9, 10, 15, 16)] == [
        "LOAD00000001.csv",
        "LOAD00000009.csv",
        "LOAD0000000A.csv",
        "LOAD0000000F.csv",
        "LOAD00000010.csv",
    ]
    names = [dms.load_file_name(n) for n in range(1, 40)] + ["20141029-1134010000.csv", "20141029-113401001.csv"]
    shuffled = random.Random(7).sample(names, len(names))
    # The CDC name with three fraction digits (…01001 = 1.001 s) is later than the one with four (…010000 = 1.0 s).
    assert sorted(shuffled, key=dms.file_sequence) == names
    assert dms.is_load_file("dms/trading/customers/LOAD0000000A.csv")
    assert not dms.is_load_file("dms/trading/customers/20141029-1134010000.csv")


def test_more_than_nine_load_files_and_changes_during_the_load_yield_the_source_state():
    for before_image in (False, True):
        scenario = dms_model.during_load_fixture(before_image)
        files = dms_model.dms_files(scenario)
        assert [n for n, _ in files if n.startswith("LOAD")][-4:] == [
            "LOAD0000000A.csv",
            "LOAD0000000B.csv",
            "LOAD0000000C.csv",
            "LOAD0000000D.csv",
        ]
        expected = dms_model.as_tuples(dms_model.final_state(scenario))
        assert _apply(files) == expected
        assert _apply(list(reversed(files))) == expected  # arrival order does not matter


def test_a_primary_key_update_removes_the_old_key():
    scenario = dms_model.Scenario(
        initial_keys=[1, 2],
        transactions=[[dms_model.Op("rekey", 1, 3)], [dms_model.Op("rekey", 2, 1)]],  # 1 -> 3, then 2 -> 1
        snapshot_after=0,
        written_after=[2],
    )
    got = _apply(dms_model.dms_files(scenario))
    assert [r[0] for r in got] == [1, 3] and got == dms_model.as_tuples(dms_model.final_state(scenario))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**16))
def test_every_interleaving_dms_allows_yields_the_source_state(scenario, seed):
    files = dms_model.dms_files(scenario)
    random.Random(seed).shuffle(files)
    assert _apply(files) == dms_model.as_tuples(dms_model.final_state(scenario))


def test_endpoint_settings_and_table_mappings_write_what_the_readers_assume():
    settings_doc = compiler.load()["dms"]["s3_target_settings"]  # what Terraform deploys
    # CsvNullValue defaults to the text NULL: the readers take an empty field as NULL, so the endpoint must say so.
    assert settings_doc["CsvNullValue"] == dms.NULL_VALUE == ""
    assert settings_doc["BucketFolder"] == dms.BUCKET_FOLDER and settings_doc["TimestampColumnName"] == "dms_commit_ts"
    assert settings_doc["DatePartitionEnabled"] is False and "CdcPath" not in settings_doc  # one folder per table
    rules = compiler.load()["dms"]["table_mappings"]["rules"]
    images = [r for r in rules if r["rule-action"] == "add-before-image-columns"]
    assert len(images) == 1
    assert images[0]["before-image-def"] == {"column-prefix": "bi_", "column-suffix": "", "column-filter": "pk-only"}


def test_the_cdc_job_reads_the_folders_the_endpoint_writes():
    import yaml

    from energylake.contracts import load_contracts

    jobs = yaml.safe_load((REPO / "glue" / "jobs" / "jobs.yaml").read_text())
    job = jobs["jobs"]["trading_cdc_apply"]
    schemas = {c.source["schema"] for c in load_contracts().values() if c.source.get("table")}
    # BucketFolder/<schema_name>/<table_name>/ (S3Settings BucketFolder); the job adds the table.
    assert [f"s3://{{landing}}/{dms.BUCKET_FOLDER}/{s}/" for s in schemas] == [job["arguments"]["--input_path"]]
