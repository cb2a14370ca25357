"""The demo applies envs/local with the artifacts tfvars file `make apply` uses (Lambda zips, Flink consumers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakectl import demo


def test_demo_applies_with_the_artifacts_var_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo.shutil, "which", lambda name: "/usr/local/bin/terraform")
    calls: list[list[str]] = []

    def terraform(args: list[str], env: dict[str, str], log: Path) -> None:
        calls.append(args)
        log.write_text("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n")

    monkeypatch.setattr(demo, "_terraform", terraform)
    cfg = demo.DemoConfig(state_dir=tmp_path)
    result = demo.step_terraform(cfg, {"endpoint": "http://127.0.0.1:1"})
    apply = next(args for args in calls if args[0] == "apply")
    var_files = [a.removeprefix("-var-file=") for a in apply if a.startswith("-var-file=")]
    assert len(var_files) == 1 and not any(a == "-var" for a in apply)
    values = json.loads(Path(var_files[0]).read_text())
    # The zip directory holds the Lambda packages (it is not the tfvars file itself).
    assert Path(values["lambda_zip_dir"]).is_dir() and list(Path(values["lambda_zip_dir"]).glob("*.zip"))
    assert Path(values["flink_consumers_zip"]).is_file()
    assert result["lambda_zip_dir"] == values["lambda_zip_dir"] and result["terraform"].startswith("Apply complete!")
