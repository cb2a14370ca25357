"""The contract compiler: one validation of the lake's rule files, one generated document Terraform reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from energylake import compiler, dqdl
from energylake.contracts import get_contract

REPO = Path(__file__).resolve().parents[2]
# What the compiler reads and writes, and what the trading-table consumers import.
INPUTS = ("glue/lib/energylake", "glue/jobs", "lakeformation", "terraform/generated", "migration", "warehouse")


def _copy(tmp_path: Path, parts: tuple[str, ...] = INPUTS) -> Path:
    root = tmp_path / "repo"
    for part in parts:
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return root


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A Python subprocess whose imports resolve to the copy at ``root`` first."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "glue" / "lib"), str(REPO)])}
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, check=False)


def _edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_committed_output_is_up_to_date():
    """The drift test: what Terraform deploys is what the rule files say (`make compile` regenerates it)."""
    assert compiler.check() == "", "terraform/generated/lake.json is stale: run `make compile` and commit it"


def test_check_fails_with_a_diff_when_an_input_changed(tmp_path):
    root = _copy(tmp_path, ("glue/lib/energylake", "glue/jobs", "lakeformation", "terraform/generated"))
    ok = _run(root, "-m", "energylake.compiler", "--check", "--root", str(root))
    assert ok.returncode == 0, ok.stderr
    _edit_yaml(root / "glue/jobs/jobs.yaml", lambda d: d["defaults"].update(number_of_workers=3))
    stale = _run(root, "-m", "energylake.compiler", "--check", "--root", str(root))
    assert stale.returncode == 1
    assert '-      "number_of_workers": 2,' in stale.stderr and '+      "number_of_workers": 3,' in stale.stderr
    assert "terraform/generated/lake.json is stale" in stale.stderr


def _grant_permissions(permissions):
    return "lakeformation/grants.yaml", lambda d: d["grants"][3].update(permissions=permissions)


CASES = [
    (
        *_grant_permissions(["SELECT", "DROP"]),
        "lakeformation/grants.yaml: grants[3].permissions[1]: DROP is not allowed (allowed: SELECT, DESCRIBE)",
    ),
    (
        *_grant_permissions(["ALL"]),
        "lakeformation/grants.yaml: grants[3].permissions[0]: ALL is not allowed (allowed: SELECT, DESCRIBE)",
    ),
    (
        "lakeformation/grants.yaml",
        lambda d: d["data_filters"][0].update(excluded_columns=["customer_name", "e_mail"]),
        "lakeformation/grants.yaml: data_filters[0].excluded_columns[1]: unknown column 'e_mail' of dataset "
        "'client_analytics'",
    ),
    (
        "lakeformation/grants.yaml",
        lambda d: d["grants"][1].update(persona="analystt"),
        "lakeformation/grants.yaml: grants[1].persona: unknown persona 'analystt'",
    ),
    (
        "lakeformation/grants.yaml",
        lambda d: d["grants"][3].pop("allow_pii"),
        "lakeformation/grants.yaml: grants[3]: grants persona 'trading_ops' pii columns",
    ),
    (
        "glue/lib/energylake/datasets/trading_contracts.yaml",
        lambda d: d["quality"][2].update(column="state"),
        "glue/lib/energylake/datasets/trading_contracts.yaml: field quality[2].column: allowed_values rule names "
        "unknown column 'state'",
    ),
    (
        "glue/jobs/jobs.yaml",
        lambda d: d["jobs"]["curated_trading_analytics"].update(after=["trading_cdc_aply"]),
        "glue/jobs/jobs.yaml: jobs.curated_trading_analytics.after[0]: unknown job 'trading_cdc_aply'",
    ),
    (
        "glue/jobs/jobs.yaml",
        lambda d: d["jobs"]["telemetry_to_transform"].update(after=["curated_windfarm_daily_metrics"]),
        "glue/jobs/jobs.yaml: jobs.telemetry_to_transform.after: cycle telemetry_to_transform -> "
        "curated_windfarm_daily_metrics -> telemetry_to_transform",
    ),
    (
        "glue/jobs/jobs.yaml",
        lambda d: d["jobs"]["telemetry_to_transform"]["arguments"].update({"--input_path": "s3://{rawz}/telemetry/"}),
        "glue/jobs/jobs.yaml: jobs.telemetry_to_transform.arguments.--input_path: unknown placeholder {rawz}",
    ),
    (
        "glue/jobs/jobs.yaml",
        lambda d: d["jobs"]["telemetry_to_transform"].update(workers=4),
        "glue/jobs/jobs.yaml: jobs.telemetry_to_transform.workers: unknown field",
    ),
]


@pytest.mark.parametrize(("file", "change", "message"), CASES, ids=[c[2].split(": ")[1] for c in CASES])
def test_invalid_input_names_file_and_field(tmp_path, file, change, message):
    root = _copy(tmp_path, ("glue/lib/energylake/datasets", "glue/jobs", "lakeformation"))
    compiler.compile_lake(root)  # the copy compiles before the edit, so the edit is what fails
    _edit_yaml(root / file, change)
    with pytest.raises(compiler.CompileError) as err:
        compiler.compile_lake(root)
    assert str(err.value).startswith(message), str(err.value)


def test_dqdl_follows_the_contract_rules():
    """The translations the HCL did, now in Python (DQDL reference: https://docs.aws.amazon.com/glue/latest/dg/dqdl.html)."""
    telemetry = dqdl.ruleset(get_contract("telemetry_readings"))
    assert telemetry.startswith("Rules = [\n  ") and telemetry.endswith("\n]")
    assert 'ColumnValues "value" <= 1 where "metric = \'power_factor\'"' in telemetry
    contracts = dqdl.ruleset(get_contract("trading_contracts"))
    assert 'IsComplete "contract_id"' in contracts and 'IsUnique "contract_id"' in contracts
    assert 'ColumnValues "status" in ["draft", "active", "expired", "terminated"]' in contracts
    lake = compiler.load()
    assert lake["tables"]["telemetry_readings"]["dqdl"] == telemetry


def test_job_arguments_leave_only_bucket_names_to_terraform():
    job = compiler.load()["jobs"]["telemetry_to_transform"]
    assert job["arguments"]["--input_path"] == {"format": "s3://%s/telemetry/", "buckets": ["raw"]}
    assert job["arguments"]["--output_database"] == {"format": "energy_transform", "buckets": []}
    assert job["arguments"]["--quarantine_path"] == {"format": "s3://%s/quarantine/", "buckets": ["transform"]}


NEW_TRADING_TABLE = """\
name: trading_invoices
zone: transform
domain: trading
description: Invoices sent to customers, current state after CDC.
format: parquet
columns:
  - {name: invoice_id, type: bigint, nullable: false}
  - {name: customer_id, type: bigint, nullable: false}
  - {name: amount, type: "decimal(14,2)", nullable: false, classification: confidential}
  - {name: updated_at, type: timestamp, nullable: false}
primary_key: [invoice_id]
event_time: updated_at
quality:
  - {rule: not_null, columns: [invoice_id, customer_id, amount]}
source: {schema: trading, table: invoices}
"""

CONSUMERS = """
import json, sys
sys.argv = ["x"]
sys.path.insert(0, "glue/jobs")
import curated_trading_analytics, trading_cdc_apply
from migration import source
from warehouse import loader
print(json.dumps({
    "trading_cdc_apply": list(trading_cdc_apply.TABLES),
    "curated_trading_analytics": list(curated_trading_analytics.SOURCES),
    "warehouse.loader": list(loader.TRADING_DATASETS),
    "migration.source": list(source.TABLES),
}))
"""


def test_adding_a_trading_table_is_one_contract_file(tmp_path):
    """One new contract (plus `make compile`) reaches every consumer of the trading-table list."""
    root = _copy(tmp_path)
    (root / "glue/lib/energylake/datasets/trading_invoices.yaml").write_text(NEW_TRADING_TABLE)
    stale = _run(root, "-m", "energylake.compiler", "--check", "--root", str(root))
    assert stale.returncode == 1, "the committed output no longer matches: the drift check notices"
    regenerated = _run(root, "-m", "energylake.compiler", "--root", str(root))
    assert regenerated.returncode == 0, regenerated.stderr

    seen = _run(root, "-c", CONSUMERS)
    assert seen.returncode == 0, seen.stderr
    consumers = json.loads(seen.stdout)
    for name in ("trading_cdc_apply", "curated_trading_analytics", "warehouse.loader"):
        assert "trading_invoices" in consumers[name], (name, consumers[name])
    assert "invoices" in consumers["migration.source"]  # the source database creates and exports it

    lake = json.loads((root / compiler.OUTPUT).read_text())  # what Terraform deploys
    assert "trading_invoices" in lake["trading"]["datasets"] and "invoices" in lake["trading"]["tables"]
    selections = [r for r in lake["dms"]["table_mappings"]["rules"] if r["rule-type"] == "selection"]
    assert {"schema-name": "trading", "table-name": "invoices"} in [r["object-locator"] for r in selections]
    assert lake["tables"]["trading_invoices"]["database"] == "energy_transform"
    assert lake["lake_formation"]["table_tags"]["trading_invoices"] == {"zone": "transform", "domain": "trading"}
    assert 'IsComplete "amount"' in lake["tables"]["trading_invoices"]["dqdl"]
