"""The CI workflows pass actionlint, zizmor (offline) and the GitHub workflow JSON schema, with zero findings.

Each checker is also run on a deliberately broken workflow written to tmp_path, to show it fails there. A
checker that is not installed skips its tests with the install command (``pip install -e '.[dev]'`` brings
zizmor, check-jsonschema and actionlint, all three in the locked ``dev`` extra).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

# A workflow with one mistake per checker: a job that needs an unknown job (actionlint), a job without `runs-on`
# (the workflow schema), and an unpinned action with a pull-request title expanded into a shell (zizmor).
BROKEN = {
    "actionlint": """
on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-24.04
    needs: no-such-job
    steps:
      - run: echo build
""",
    "check-jsonschema": """
on: push
permissions: {}
jobs:
  build:
    steps:
      - run: echo build
""",
    "zizmor": """
on: pull_request
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
""",
}


def _tool(name: str) -> list[str]:
    """The command of a checker: beside this interpreter (an unactivated venv) or on PATH.

    All three come from the locked ``dev`` extra, so a missing one is a broken setup, not a reason to skip.
    """
    found = shutil.which(name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert found is not None, f"{name} is not installed: run `make setup` (it is in the locked dev extra)"
    return [found]


def _run(name: str, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    args = {
        "actionlint": ["-no-color"],
        # Offline: no GitHub API calls (those audits need a token and the network); every other audit runs.
        "zizmor": ["--offline", "--no-progress", "--persona=regular"],
        "check-jsonschema": ["--builtin-schema", "vendor.github-workflows"],
    }[name]
    env = {k: v for k, v in os.environ.items() if k not in {"GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN"}}
    cmd = [*_tool(name), *args, *map(str, paths)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)


def test_the_three_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} == {"pull-request.yml", "deploy-dev.yml", "upgrade-check.yml"}


@pytest.mark.parametrize("checker", sorted(BROKEN))
def test_workflows_pass_with_zero_findings(checker: str) -> None:
    result = _run(checker, WORKFLOWS)
    assert result.returncode == 0, f"{checker} findings:\n{result.stdout}\n{result.stderr}"
    if checker == "zizmor":
        assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize("checker", sorted(BROKEN))
def test_checker_fails_on_a_broken_workflow(checker: str, tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(BROKEN[checker].lstrip(), encoding="utf-8")

    result = _run(checker, [broken])

    assert result.returncode != 0, f"{checker} accepted a broken workflow:\n{result.stdout}\n{result.stderr}"
    expected = {"actionlint": "no-such-job", "check-jsonschema": "runs-on", "zizmor": "template-injection"}[checker]
    assert expected in result.stdout + result.stderr


def _workflow(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    return {("on" if k is True else k): v for k, v in doc.items()}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_declares_least_privilege_and_pins_actions(path: Path) -> None:
    workflow = _workflow(path)
    assert workflow["permissions"] == {}, "the workflow grants nothing by default; jobs ask for what they use"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} declares its permissions"
        assert "write-all" not in str(job["permissions"]) and "read-all" not in str(job["permissions"])
        for step in job.get("steps", []):
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{path.name}: {name}: {step['uses']} is not pinned by commit SHA"


def test_only_the_environment_job_assumes_the_apply_role() -> None:
    jobs = {(p.name, n): j for p in WORKFLOWS for n, j in _workflow(p)["jobs"].items()}
    uses_apply_role = {key for key, job in jobs.items() if "AWS_APPLY_ROLE_ARN" in str(job)}
    assert uses_apply_role == {("deploy-dev.yml", "apply")}
    apply = jobs[("deploy-dev.yml", "apply")]
    assert apply["environment"] == "dev"
    assert apply["needs"] == "plan"
    # It applies the saved plan it downloaded (make apply ENV=dev refuses to run without one), checked first.
    runs = [s.get("run", "") for s in apply["steps"]]
    assert any("sha256sum --check" in r for r in runs)
    assert any(r.startswith("make apply ENV=dev") for r in runs)
    for key, job in jobs.items():
        if "id-token" in job.get("permissions", {}):
            assert key in {("pull-request.yml", "plan"), ("deploy-dev.yml", "plan"), ("deploy-dev.yml", "apply")}


def test_pre_commit_hooks_are_local_only() -> None:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [r["repo"] for r in config["repos"]] == ["local"], "no hook code is downloaded"
    hooks = {h["id"]: h for r in config["repos"] for h in r["hooks"]}
    assert {"ruff-check", "ruff-format", "terraform-fmt", "contracts-and-grants"} <= set(hooks)
    contract_files = re.compile(hooks["contracts-and-grants"]["files"])
    watched = [
        *(REPO_ROOT / "glue/lib/energylake/datasets").glob("*.yaml"),
        *(REPO_ROOT / "lakeformation").glob("*.yaml"),
    ]
    assert watched and all(contract_files.search(p.relative_to(REPO_ROOT).as_posix()) for p in watched)


def test_codeowners_give_grants_iam_kms_and_contracts_a_second_owner() -> None:
    owners: dict[str, list[str]] = {}
    for line in (REPO_ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *teams = line.split()
            owners[pattern] = teams
    default = owners.pop("*")
    sensitive = [
        "/glue/lib/energylake/datasets/",  # contracts
        "/lakeformation/",  # grants
        "/terraform/modules/lake_formation/",
        "/terraform/modules/deploy_identity/",  # IAM
        "/terraform/envs/github-oidc/",
        "/terraform/modules/data_lake_storage/",  # KMS keys and bucket policies
    ]
    for pattern in sensitive:
        assert (REPO_ROOT / pattern.strip("/")).exists(), f"CODEOWNERS names a path that does not exist: {pattern}"
        assert set(owners.get(pattern, [])) - set(default), f"{pattern} needs an owner besides the default team"
