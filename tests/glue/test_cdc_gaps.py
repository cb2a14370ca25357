"""CDC apply cases found by the Spark end-to-end migration test: DMS files carrying the source's generated
partition column, and a delete that arrives (in an earlier job run) before older changes of the same key; and
DMS as DMS writes it (tests/migration/dms_model.py): more than nine full-load files, changes committed during
the full load, primary-key updates, in every interleaving and every cut into job runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energylake import cdc, parse
from energylake.contracts import get_contract
from tests.glue.test_library import _changes
from tests.migration import dms_model
from tests.migration.dms_strategies import job_runs, scenarios

CONTRACT = get_contract("trading_customers")


def _lines(spark, tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return parse.read_lines(spark, [str(path)], (str(tmp_path) + "/", "s3://bucket/"))


def test_parse_dms_parses_each_header_layout_and_keeps_files_without_a_header(spark, tmp_path):
    # Files of one batch may differ in layout (before images added to the task later); each is parsed by its
    # own header, and a file with no header row (its first line blank) is quarantined, even when no file has
    # the plain layout it would be parsed with.
    cols = ",".join(c.name for c in get_contract("trading_transactions").data_columns)
    ts = "2024-07-15 08:00:00.000000"
    row = "1,10,1,,1.5000,40.2500,60.3750,settled,2024-07-14 23:30:00.123456,2024-07-14 23:30:00.123456"
    files = {
        "derived.csv": f"Op,dms_commit_ts,{cols},transaction_date\nI,{ts},{row.replace('1,10', '2,10', 1)},2024-07-14\n",  # noqa: E501
        "before.csv": f"Op,dms_commit_ts,{cols},bi_transaction_id\nU,{ts},{row.replace('1,10', '3,10', 1)},4\n",
        "headerless.csv": f"\nI,{ts},{row.replace('1,10', '5,10', 1)}\nI,{ts},{row.replace('1,10', '6,10', 1)}\n",
    }
    lines = None
    for name, text in files.items():
        frame = _lines(spark, tmp_path, name, text)
        lines = frame if lines is None else lines.unionByName(frame)
    changes, bad = cdc.parse_dms(lines, get_contract("trading_transactions"))
    assert sorted((r.transaction_id, r.op) for r in changes.collect()) == [(2, "I"), (3, "U"), (4, "D")]
    assert (
        sorted((r.source_file, r.reason) for r in bad.collect())
        == [("s3://bucket/headerless.csv", "missing_header")] * 2
    )


def test_parse_dms_accepts_files_with_and_without_the_generated_partition_column(spark, tmp_path):
    cols = ",".join(c.name for c in get_contract("trading_transactions").data_columns)
    ts = "2024-07-15 08:00:00.000000"
    row = "1,10,1,,1.5000,40.2500,60.3750,settled,2024-07-14 23:30:00.123456,2024-07-14 23:30:00.123456"
    with_col = f"Op,dms_commit_ts,{cols},transaction_date\nI,{ts},{row},2024-07-14\nD,{ts},2,,,,,,,,,,\n"
    without = f"Op,dms_commit_ts,{cols}\nI,{ts},{row.replace('1,10', '3,10', 1)}\n"
    lines = _lines(spark, tmp_path, "a.csv", with_col).unionByName(_lines(spark, tmp_path, "b.csv", without))
    changes, bad = cdc.parse_dms(lines, get_contract("trading_transactions"))
    assert bad.count() == 0
    got = {r.transaction_id: (r.op, str(r.transaction_date)) for r in changes.collect()}
    assert got == {1: ("I", "2024-07-14"), 2: ("D", "None"), 3: ("I", "2024-07-14")}
    assert str(changes.where("transaction_id = 1").first().transaction_ts) == "2024-07-14 23:30:00.123456"


def _apply(current, changes, tombstones=None):
    """One job run's apply, with its state materialised like the job's write (short plans), and the tombstones
    kept after it: the earlier ones plus this run's, appended as ``energylake.tombstones`` appends them."""
    result = cdc.apply_cdc(current, changes, CONTRACT, tombstones)
    result.state = result.state.localCheckpoint()
    new = result.new_tombstones
    kept = (new if tombstones is None else tombstones.unionByName(new)).localCheckpoint()
    return result, kept


def test_a_delete_applied_before_older_changes_of_the_key_is_not_undone(spark):
    t1, t2, t3 = datetime(2024, 7, 15, 9), datetime(2024, 7, 15, 10), datetime(2024, 7, 15, 11)
    load = _changes(spark, [("I", t1, 1, "A", t1, "s3://x/LOAD00000001.csv", 1)])
    first, kept = _apply(None, load)
    # The later file (the delete at t3) arrives first ...
    later = _changes(spark, [("D", t3, 1, "A", t1, "s3://x/20240715-110000000.csv", 1)])
    second, kept = _apply(first.state, later, kept)
    assert second.state.count() == 0
    # ... then the earlier one (an update at t2): it must not bring the deleted key back.
    earlier = _changes(spark, [("U", t2, 1, "A2", t2, "s3://x/20240715-100000000.csv", 1)])
    third, kept = _apply(second.state, earlier, kept)
    assert third.state.count() == 0 and third.superseded.count() == 1 and third.applied.count() == 0
    # A re-insert committed after the delete is applied.
    again = _changes(spark, [("I", t3.replace(hour=12), 1, "A4", t3, "s3://x/20240715-120000000.csv", 1)])
    fourth, kept = _apply(third.state, again, kept)
    assert [(r.customer_id, r.name) for r in fourth.state.collect()] == [(1, "A4")]


def _spark_apply(spark, tmp_path: Path, runs: list[list[tuple[str, str]]]) -> list[tuple]:
    """Apply DMS files with the Glue library, one job run per group (state and tombstones carried over)."""
    state, tombstones = None, None
    for number, files in enumerate(runs):
        folder = tmp_path / f"run{number}" / "dms" / "trading" / "customers"
        folder.mkdir(parents=True)
        for name, text in files:
            (folder / name).write_text(text)
        paths = [str(folder / name) for name, _ in files]
        lines = parse.read_lines(spark, paths, (str(tmp_path / f"run{number}") + "/", "s3://landing/"))
        changes, bad = cdc.parse_dms(lines, CONTRACT)
        assert bad.count() == 0
        result, tombstones = _apply(state, changes, tombstones)
        state = result.state
    assert state is not None
    return sorted(tuple(r) for r in state.select(*dms_model.COLUMNS).collect())


def test_more_than_nine_load_files_and_changes_during_the_load_yield_the_source_state(spark, tmp_path):
    for before_image in (False, True):
        scenario = dms_model.during_load_fixture(before_image)
        files = dms_model.dms_files(scenario)
        expected = dms_model.as_tuples(dms_model.final_state(scenario))
        assert _spark_apply(spark, tmp_path / f"one{before_image}", [files]) == expected
        # The load's last files and the first CDC file in one job run, the rest in the next.
        runs = dms_model.grouped(scenario, [9, 14])
        assert _spark_apply(spark, tmp_path / f"three{before_image}", runs) == expected


def _interleaving_yields_the_source_state(spark, tmp_path_factory, data) -> None:
    scenario = data.draw(scenarios())
    files = dms_model.dms_files(scenario)
    runs = dms_model.grouped(scenario, data.draw(job_runs(len(files))))
    expected = dms_model.as_tuples(dms_model.final_state(scenario))
    assert _spark_apply(spark, tmp_path_factory.mktemp("dms"), runs) == expected


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_interleaving_dms_allows_yields_the_source_state(spark, tmp_path_factory, data):
    _interleaving_yields_the_source_state(spark, tmp_path_factory, data)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_interleaving_dms_allows_yields_the_source_state_many_examples(spark, tmp_path_factory, data):
    _interleaving_yields_the_source_state(spark, tmp_path_factory, data)
