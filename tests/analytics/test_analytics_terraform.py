"""The analytics Terraform modules are formatted and valid (real terraform, offline provider mirror)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ["managed_flink", "sagemaker_forecast", "managed_grafana"]

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not installed"),
]


def _tf(args: list[str], cwd: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1"}
    if Path("/opt/tf-plugins").is_dir():
        env["TF_CLI_CONFIG_FILE"] = str(REPO / "terraform" / "cli.tfrc")
    return subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("module", MODULES)
def test_module_is_valid(module, tmp_path):
    path = REPO / "terraform" / "modules" / module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (path / name).is_file(), f"{module}/{name} missing"
    fmt = _tf(["fmt", "-check", "-diff"], path, tmp_path)
    assert fmt.returncode == 0, fmt.stdout
    try:
        init = _tf(["init", "-backend=false", "-input=false"], path, tmp_path)
        assert init.returncode == 0, init.stderr
        validate = _tf(["validate", "-no-color"], path, tmp_path)
        assert validate.returncode == 0, validate.stderr + validate.stdout
    finally:
        (path / ".terraform.lock.hcl").unlink(missing_ok=True)  # modules do not pin providers; env roots do
