"""Grant files are validated as data: each kind of mistake fails with one message naming file and field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from energylake.contracts import load_contracts
from lakectl.governance import GRANTS_DIR, GovernanceError, tag_assignments, validate


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "lakeformation"
    shutil.copytree(GRANTS_DIR, target)
    return target


def _edit(directory: Path, name: str, change: Callable[[dict], None]) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_repository_grant_files_are_valid():
    gov = validate()
    assert set(gov.personas) == {"data_engineer", "analyst", "data_scientist", "trading_ops", "regional_analyst_west"}
    assert gov.data_filters[0].dataset == "client_analytics"


def _set(path: list, value):
    def change(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _remove(path: list):
    def change(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


CASES = [
    (
        "grants.yaml",
        _set(["grants", 1, "lf_tag_expression", "zone"], ["gold"]),
        "grants.yaml: grants[1].lf_tag_expression.zone: unknown tag value 'gold'",
    ),
    (
        "grants.yaml",
        _set(["grants", 0, "lf_tag_expression", "sensitivity"], ["low"]),
        "grants.yaml: grants[0].lf_tag_expression.sensitivity: unknown tag key 'sensitivity'",
    ),
    (
        "grants.yaml",
        _set(["grants", 2, "persona"], "intern"),
        "grants.yaml: grants[2].persona: unknown persona 'intern'",
    ),
    (
        "grants.yaml",
        _set(["grants", 0, "permissions"], ["SELECT", "READ"]),
        "grants.yaml: grants[0].permissions[1]: READ is not allowed (allowed: SELECT, DESCRIBE)",
    ),
    # Least privilege (energylake.grants.ALLOWED_PERMISSIONS): personas read; ALL and DROP are refused.
    (
        "grants.yaml",
        _set(["grants", 3, "permissions"], ["SELECT", "DROP"]),
        "grants.yaml: grants[3].permissions[1]: DROP is not allowed (allowed: SELECT, DESCRIBE)",
    ),
    (
        "grants.yaml",
        _set(["grants", 1, "permissions"], ["ALL"]),
        "grants.yaml: grants[1].permissions[0]: ALL is not allowed (allowed: SELECT, DESCRIBE)",
    ),
    ("grants.yaml", _set(["grants", 0, "permisions"], ["SELECT"]), "grants.yaml: grants[0].permisions: Extra inputs"),
    (
        "grants.yaml",
        _remove(["grants", 3, "allow_pii"]),
        "grants.yaml: grants[3]: grants persona 'trading_ops' pii columns (client_analytics.customer_name",
    ),
    (
        "grants.yaml",
        _set(["grants", 3, "reason"], " "),
        "grants.yaml: grants[3].reason: allow_pii: true needs a reason",
    ),
    (
        "grants.yaml",
        _set(["grants", 1, "lf_tag_expression", "classification"], ["public", "internal", "pii"]),
        "grants.yaml: grants[1]: grants persona 'analyst' pii columns (client_analytics.customer_name, "
        "client_analytics.email)",
    ),
    (
        "grants.yaml",
        _set(["grants", 1, "lf_tag_expression", "domain"], ["documents"]),
        "grants.yaml: grants[1].lf_tag_expression: matches no column of any dataset",
    ),
    (
        "grants.yaml",
        _set(["data_filters", 0, "dataset"], "client_analytix"),
        "grants.yaml: data_filters[0].dataset: unknown dataset 'client_analytix'",
    ),
    (
        "grants.yaml",
        _set(["data_filters", 0, "excluded_columns"], ["customer_name", "e_mail"]),
        "grants.yaml: data_filters[0].excluded_columns[1]: unknown column 'e_mail' of dataset 'client_analytics'",
    ),
    (
        "grants.yaml",
        _set(["data_filters", 0, "row_filter"], "region = = 'WEST'"),
        "grants.yaml: data_filters[0].row_filter: not a valid SQL condition",
    ),
    (
        "grants.yaml",
        _set(["data_filters", 0, "row_filter"], "regoin = 'WEST'"),
        "grants.yaml: data_filters[0].row_filter: unknown column 'regoin' of dataset 'client_analytics'",
    ),
    (
        "grants.yaml",
        _set(["data_filters", 0, "row_filter"], "region IN (SELECT region FROM x)"),
        "grants.yaml: data_filters[0].row_filter: not a single SQL condition",
    ),
    (
        "grants.yaml",
        _set(["data_filters", 0, "excluded_columns"], ["customer_name"]),
        "grants.yaml: data_filters[0]: grants persona 'regional_analyst_west' pii columns (client_analytics.email)",
    ),
    (
        "grants.yaml",
        _set(["data_filters", 0, "persona"], "analyst"),
        "grants.yaml: data_filters[0]: persona 'analyst' also has a tag-based SELECT on 'client_analytics'",
    ),
    (
        "tags.yaml",
        _set(["lf_tags", "domain"], ["telemetry", "market", "weather", "trading"]),
        "tags.yaml: lf_tags.domain: value 'operations' used by contract quarantine_records.yaml is not declared",
    ),
    ("tags.yaml", _remove(["lf_tags", "classification"]), "tags.yaml: lf_tags: missing tag key 'classification'"),
    (
        "personas.yaml",
        _set(["personas", "analyst", "role_name"], "lake analyst!"),
        "personas.yaml: personas.analyst.role_name: String should match pattern",
    ),
]


@pytest.mark.parametrize(
    ("file", "change", "message"), CASES, ids=[c[2].split(": ", 2)[1] + "|" + c[2][-20:] for c in CASES]
)
def test_malformed_grant_file_names_file_and_field(tmp_path, file, change, message):
    directory = _copy(tmp_path)
    validate(directory)  # the copy is valid before the edit, so the edit is what fails
    _edit(directory, file, change)
    with pytest.raises(GovernanceError) as err:
        validate(directory)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_invalid_yaml_and_missing_file(tmp_path):
    directory = _copy(tmp_path)
    (directory / "personas.yaml").write_text("personas: [unclosed\n")
    with pytest.raises(GovernanceError, match=r"^personas.yaml: invalid YAML"):
        validate(directory)
    (directory / "personas.yaml").unlink()
    with pytest.raises(GovernanceError, match=r"^personas.yaml: file not found"):
        validate(directory)


def test_cli_exits_1_with_the_message(tmp_path):
    directory = _copy(tmp_path)
    cmd = [sys.executable, "-m", "lakectl", "validate-grants", "--dir", str(directory)]
    ok = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "validate-grants: ok" in ok.stdout
    _edit(directory, "grants.yaml", _set(["grants", 1, "lf_tag_expression", "zone"], ["gold"]))
    bad = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "validate-grants: grants.yaml: grants[1].lf_tag_expression.zone: unknown tag value 'gold'"
    )


def test_tag_assignment_is_derived_from_the_contracts():
    contracts = load_contracts()
    tags = tag_assignments()
    assert set(tags) == set(contracts)
    for name, contract in contracts.items():
        assert tags[name]["database"] == f"energy_{contract.zone}"
        assert tags[name]["table_tags"] == {"zone": contract.zone, "domain": contract.domain}
        assert tags[name]["column_tags"] == {c.name: {"classification": c.classification} for c in contract.columns}
    assert tags["trading_customers"]["column_tags"]["email"] == {"classification": "pii"}
