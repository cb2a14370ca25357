"""Every Glue job, run the way AWS Glue 5.0 runs it (tests/glue/glue_shaped/harness.py says how and why).

A job fails here when, as deployed, it could not import (a dependency neither provided by Glue 5.0 nor installed
with --additional-python-modules), load a dataset contract or reference file from the wheel zip, resolve the
arguments Terraform gives it with Glue's getResolvedOptions rules, or run its main path to Job.commit.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import boto3
import pytest
from packaging.utils import canonicalize_name

from lakectl.jvm import build_jar

from .glue_shaped import harness

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed"),
]

JOB_SCRIPTS = sorted(p.stem for p in (harness.REPO / "glue" / "jobs").glob("*.py"))
DATASETS = sorted(p.stem for p in (harness.REPO / "glue" / "lib" / "energylake" / "datasets").glob("*.yaml"))
REFERENCE = sorted(p.name for p in (harness.REPO / "glue" / "lib" / "energylake" / "reference").glob("*.csv"))


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> dict[str, harness.DeployedJob]:
    return harness.deployed_jobs(tmp_path_factory.mktemp("terraform"))


@pytest.fixture(scope="module")
def glue_run(deployed, aws_emulator, tmp_path_factory) -> dict:
    """One Glue-shaped subprocess running every deployed job against an empty lake on the emulator."""
    aws_emulator.reset()
    s3 = boto3.client("s3")
    buckets = {
        value.removeprefix("s3://").split("/", 1)[0]
        for job in deployed.values()
        for value in job.default_arguments.values()
        if value.startswith("s3://")
    }
    for bucket in sorted(buckets):
        s3.create_bucket(Bucket=bucket)
    return harness.run_jobs(
        tmp_path_factory.mktemp("glue-shaped"), deployed, build_jar(), dict(os.environ), controls(deployed)
    )


def controls(deployed: dict[str, harness.DeployedJob]) -> dict[str, list[str]]:
    """Deployed runs broken the way a Terraform or jobs.yaml edit could break them; each must fail."""
    argv = deployed["telemetry_to_transform"].argv()
    missing = argv[: argv.index("--output_path")] + argv[argv.index("--output_path") + 2 :]
    bookmark = list(argv)
    bookmark[bookmark.index("--job-bookmark-option") + 1] = "enable"
    local_path = list(argv)
    local_path[local_path.index("--input_path") + 1] = "/data/telemetry/"
    return {"control:missing_output_path": missing, "control:bad_bookmark": bookmark, "control:local_path": local_path}


def test_every_job_script_is_deployed(deployed) -> None:
    assert sorted(deployed) == JOB_SCRIPTS
    for name, job in deployed.items():
        assert job.script == harness.REPO / "glue" / "jobs" / f"{name}.py"


def test_python_path_is_glues_only(glue_run) -> None:
    imports = glue_run["imports"]
    assert imports["ok"], imports.get("traceback")
    wheel = glue_run["sys_path"][0]
    # The library is imported from inside the wheel archive (zipimport), not from the checkout or the venv.
    assert Path(wheel).is_file() and imports["value"]["energylake"].startswith(wheel + os.sep)
    assert "site-packages" not in " ".join(glue_run["sys_path"])
    assert not any(p.startswith(str(harness.REPO / "glue" / "lib")) for p in glue_run["sys_path"])
    allowed = {canonicalize_name(n) for n in harness.provided_names()}
    allowed |= set(glue_run["additional_python_modules"])
    dists = {canonicalize_name(p.split("-")[0]) for p in glue_run["site"] if p.endswith(".dist-info")}
    assert dists <= allowed, f"distributions Glue neither provides nor installs: {sorted(dists - allowed)}"


def test_contracts_and_reference_files_load_from_the_wheel_zip(glue_run) -> None:
    for name in DATASETS:
        assert f"energylake/datasets/{name}.yaml" in glue_run["wheel_members"]
    data = glue_run["library_data"]
    assert data["ok"], data.get("traceback")
    assert data["value"]["contracts"] == DATASETS
    assert sorted(data["value"]["reference_lines"]) == REFERENCE
    assert all(lines > 1 for lines in data["value"]["reference_lines"].values())
    jar_and_sites = glue_run["jar_and_sites"]
    assert jar_and_sites["ok"], jar_and_sites.get("traceback")
    assert jar_and_sites["value"] == data["value"]["reference_lines"]["sites.csv"] - 1


@pytest.mark.parametrize(
    ("control", "error"),
    [
        ("control:missing_output_path", "GlueArgumentError: the following arguments are required: --output_path"),
        ("control:bad_bookmark", "GlueArgumentError: argument --job-bookmark-option: invalid choice: 'enable'"),
        ("control:local_path", "ArgumentError: argument --input_path must be an s3:// URI"),
    ],
)
def test_a_run_glue_would_fail_fails_here(glue_run, control: str, error: str) -> None:
    result = glue_run["jobs"][control]
    assert not result["ok"] and result["error"].startswith(error), result


@pytest.mark.parametrize("name", JOB_SCRIPTS)
def test_job_runs_as_deployed_to_job_commit(glue_run, deployed, name: str) -> None:
    result = glue_run["jobs"][name]
    assert result["ok"], f"{name} fails as Glue runs it: {result['error']}\n{result['traceback']}"
    job = deployed[name]
    records = [r for r in glue_run["job_records"] if r["job"] == job.glue_name]
    assert [r["event"] for r in records] == ["init", "commit"], records
    resolved = records[0]["args"]
    # The arguments the job resolved are Glue's resolution of the deployed ones.
    for key, value in job.default_arguments.items():
        if key.lstrip("-") in resolved and "-" not in key.lstrip("-"):
            assert resolved[key.lstrip("-")] == value, key
    assert resolved["JOB_NAME"] == job.glue_name
    assert resolved["job_bookmark_option"] == job.default_arguments["--job-bookmark-option"]
