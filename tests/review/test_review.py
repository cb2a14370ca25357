"""`make review`: the review summary of a scripted example branch, built in a temporary git repository.

The example branch makes a PII column visible to the analyst (a grant edit), drops a column from a contract and,
in its plan JSON, replaces a bucket; the report must name all three under "Needs attention". A branch that only
touches documentation gets a one-line report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from energylake.contracts import parse_contract
from lakectl import review
from lakectl.cli import main as cli_main

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = REPO_ROOT / "glue/lib/energylake/datasets/client_analytics.yaml"
# The paths the review reads at BASE, copied into the example repository (the rest of the tree is not needed).
COPIED = ("glue/lib/energylake", "glue/jobs", "lakeformation")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    env_args = ["-c", "user.name=review-test", "-c", "user.email=review@example.invalid", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *env_args, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A git repository holding the lake's contracts, jobs and grants on `main`, checked out on branch `change`."""
    repo = tmp_path / "lake"
    for rel in COPIED:
        shutil.copytree(REPO_ROOT / rel, repo / rel, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "README.md").write_text("# lake\n", encoding="utf-8")
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "base")
    _git(repo, "checkout", "--quiet", "-b", "change")
    return repo


def _edit_yaml(path: Path, edit) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _show_pii_to_analyst(repo: Path) -> None:
    def edit(doc):
        grant = next(g for g in doc["grants"] if g["persona"] == "analyst")
        grant["lf_tag_expression"]["classification"].append("pii")
        grant["allow_pii"] = True
        grant["reason"] = "Marketing wants customer e-mails in the dashboard."

    _edit_yaml(repo / "lakeformation/grants.yaml", edit)


def _drop_column(repo: Path, dataset: str, column: str) -> None:
    def edit(doc):
        doc["columns"] = [c for c in doc["columns"] if c["name"] != column]

    _edit_yaml(repo / f"glue/lib/energylake/datasets/{dataset}.yaml", edit)


def _plan_json(path: Path, resource_changes: list[dict]) -> Path:
    # The shape of `terraform show -json PLANFILE`: https://developer.hashicorp.com/terraform/internals/json-format
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": resource_changes,
    }
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def _change(address: str, module: str | None, rtype: str, actions: list[str], **extra) -> dict:
    out = {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": address.rsplit(".", 1)[-1],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": actions, "before": {}, "after": {}},
        **extra,
    }
    if module:
        out["module_address"] = module
    return out


BUCKET_REPLACED = _change(
    'module.storage.aws_s3_bucket.zone["curated"]',
    "module.storage",
    "aws_s3_bucket",
    ["delete", "create"],
    action_reason="replace_because_cannot_update",
)


def _attention(report: str) -> str:
    """The "Needs attention" section of a report."""
    section = report.split("### Needs attention", 1)[1]
    return section.split("\n### ", 1)[0]


def test_example_branch_names_pii_dropped_column_and_replaced_bucket(example_repo: Path, tmp_path: Path) -> None:
    _show_pii_to_analyst(example_repo)
    _drop_column(example_repo, "client_analytics", "preferred_energy_type")
    _git(example_repo, "commit", "--quiet", "-am", "the example change")
    plan = _plan_json(
        tmp_path / "plan.json",
        [
            BUCKET_REPLACED,
            _change('module.catalog.aws_glue_job.job["x"]', "module.catalog", "aws_glue_job", ["update"]),
            _change("module.athena.aws_athena_named_query.q", "module.athena", "aws_athena_named_query", ["create"]),
        ],
    )

    report = review.build_report(example_repo, "main", plan)
    attention = _attention(report)

    # 1. PII made visible to the analyst, naming the columns.
    assert "PII made visible: persona `analyst`" in attention
    assert "`email`" in attention and "`customer_name`" in attention
    # 2. The dropped column is a breaking contract change, with what it reaches.
    assert "breaking contract change in `client_analytics`" in attention
    assert "column `preferred_energy_type` removed" in attention
    assert "| `client_analytics` |" in report and "BREAKING" in report
    reach = next(line for line in report.splitlines() if line.startswith("`client_analytics` reaches:"))
    # Only the job that writes it: the curated jobs sharing a library module that names it are not reached.
    assert "jobs `curated_trading_analytics`;" in reach
    assert f"table `{parse_contract(CONTRACT).glue_database()}.client_analytics`" in reach
    assert "analyst (grants[1])" in reach and "data filter client_analytics_west_only" in reach
    assert "warehouse table `trading.client_analytics`" in reach
    # 3. The bucket replacement, and the per-module counts of the plan.
    assert "stateful resource replaced (destroyed and re-created)" in attention
    assert 'module.storage.aws_s3_bucket.zone["curated"]' in attention
    assert "| `module.storage` | 0 | 0 | 1 | 0 |" in report
    assert "| `module.catalog` | 0 | 1 | 0 | 0 |" in report
    # Nothing else is flagged: the Glue job update and the new named query are not stateful losses.
    assert "aws_glue_job" not in attention and "aws_athena_named_query" not in attention


def test_no_op_change_is_one_line(example_repo: Path, tmp_path: Path) -> None:
    (example_repo / "README.md").write_text("# lake\n\nTypo fixed.\n", encoding="utf-8")
    _git(example_repo, "commit", "--quiet", "-am", "docs only")
    plan = _plan_json(tmp_path / "plan.json", [_change("aws_s3_bucket.x", None, "aws_s3_bucket", ["no-op"])])

    report = review.build_report(example_repo, "main", plan)

    assert report.count("\n") == 1, report
    assert "no-op" in report


def test_uncommitted_changes_are_reviewed(example_repo: Path) -> None:
    """`git diff BASE` compares with the working tree: a change not yet committed is in the report."""
    _drop_column(example_repo, "site_hourly_generation", parse_contract_column(example_repo, "site_hourly_generation"))
    report = review.build_report(example_repo, "main")
    assert "breaking contract change in `site_hourly_generation`" in _attention(report)
    assert "No plan JSON given" in report


def parse_contract_column(repo: Path, dataset: str) -> str:
    """A nullable, non-key, non-partition column of ``dataset`` (one whose removal is only a dropped column)."""
    contract = parse_contract(repo / f"glue/lib/energylake/datasets/{dataset}.yaml")
    fixed = set(contract.primary_key) | set(contract.partition_by)
    return next(c.name for c in contract.columns if c.nullable and c.name not in fixed)


def _with_type(columns: list[dict], name: str, new_type: str) -> list[dict]:
    return [{**c, "type": new_type} if c["name"] == name else c for c in columns]


def test_compatibility_verdicts() -> None:
    # client_analytics (unpartitioned) with transaction_count as int, so that int -> bigint is a widening.
    loaded = parse_contract(CONTRACT).model_dump()
    data = {**loaded, "columns": _with_type(loaded["columns"], "transaction_count", "int")}

    def contract(**changes):
        return type(parse_contract(CONTRACT)).model_validate({**data, **changes})

    def verdict(old, new) -> str:
        return review.compare_contract("client_analytics", old, new).verdict

    old, cols = contract(), data["columns"]
    widened = _with_type(cols, "transaction_count", "bigint")
    assert review.compare_contract("client_analytics", old, contract()) is None
    # Athena reads int files as bigint only in a partitioned Parquet table, and lists no decimal change.
    assert verdict(contract(partition_by=["region"]), contract(columns=widened, partition_by=["region"])) == (
        "compatible"
    )
    assert verdict(old, contract(columns=widened)) == "BREAKING"
    assert verdict(old, contract(columns=_with_type(cols, "total_amount", "decimal(24,4)"))) == "BREAKING"
    assert verdict(old, contract(columns=_with_type(cols, "customer_id", "int"))) == "BREAKING"
    assert verdict(old, contract(columns=[*cols, {"name": "tier", "type": "string", "nullable": True}])) == (
        "compatible"
    )
    assert verdict(old, contract(columns=[*cols, {"name": "tier", "type": "string", "nullable": False}])) == (
        "BREAKING"
    )
    key_change = review.compare_contract("client_analytics", old, contract(primary_key=["customer_id", "segment"]))
    assert key_change.verdict == "BREAKING" and "primary key changed" in key_change.breaking[0]
    partitioned = review.compare_contract("client_analytics", old, contract(partition_by=["region"]))
    assert partitioned.verdict == "BREAKING" and "partitioning changed" in partitioned.breaking[0]
    dq = review.compare_contract("client_analytics", old, contract(quality=data["quality"][:1]))
    assert dq.verdict == "compatible" and dq.quality == ["removed `unique(columns=[customer_id])`"]


def test_plan_json_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(review.ReviewError, match="terraform show -json"):
        review.read_plan(bad)
    with pytest.raises(review.ReviewError, match="format_version"):
        review.plan_changes({"format_version": "0.1", "resource_changes": []})


def test_invalid_grants_and_contracts_are_named_not_read_as_lost_access(example_repo: Path) -> None:
    def pii_without_reason(doc):
        next(g for g in doc["grants"] if g["persona"] == "analyst")["lf_tag_expression"]["classification"].append("pii")

    _edit_yaml(example_repo / "lakeformation/grants.yaml", pii_without_reason)
    (example_repo / "glue/lib/energylake/datasets/broken.yaml").write_text("name: broken\ncolumns: 3\n")

    report = review.build_report(example_repo, "main")
    attention = _attention(report)

    assert "grant files do not validate (no access diff)" in attention
    assert "contract `broken` does not load" in attention
    assert "No persona gains or loses access." in report


def test_cli_writes_the_report(example_repo: Path, tmp_path: Path) -> None:
    _drop_column(example_repo, "client_analytics", "preferred_energy_type")
    plan = _plan_json(tmp_path / "plan.json", [BUCKET_REPLACED])
    out = tmp_path / "review.md"
    args = ["review", "--repo", str(example_repo), "--base", "main", "--plan", str(plan), "--output", str(out)]

    assert cli_main(args) == 0

    assert "stateful resource replaced" in out.read_text(encoding="utf-8")


def test_unknown_base_is_a_clear_error(example_repo: Path) -> None:
    with pytest.raises(review.ReviewError, match="no-such-ref"):
        review.build_report(example_repo, "no-such-ref")
