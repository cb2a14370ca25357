"""Terraform checks: formatting, validation, native module tests, bad grant files, and the local env on a
fresh embedded emulator (apply, then plan again expecting no changes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lakectl.demo import APPLY_PARALLELISM, remove_emulator_duplicates
from lakectl.emulator import EmbeddedEmulator
from lakectl.settings import emulator_env

from .packages import lambda_var_file

REPO = Path(__file__).resolve().parents[2]
TF_ROOT = REPO / "terraform"
MODULES = sorted(p.parent for p in (TF_ROOT / "modules").glob("*/main.tf"))
ENVS = sorted(p for p in (TF_ROOT / "envs").iterdir() if p.is_dir())
MIRROR = Path("/opt/tf-plugins")

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed"),
]


def tf_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for terraform: offline mirror when present, no real AWS credentials leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    if MIRROR.is_dir():
        env["TF_CLI_CONFIG_FILE"] = str(TF_ROOT / "cli.tfrc")
    env["TF_IN_AUTOMATION"] = "1"
    env.update(extra or {})
    return env


def tf(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    """Run terraform with -no-color, capturing output."""
    return subprocess.run(
        ["terraform", *args], cwd=cwd, env=env or tf_env(), capture_output=True, text=True, timeout=timeout
    )


def init(cwd: Path, *extra: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> None:
    """terraform init (no backend unless given), failing the test with terraform's output."""
    proc = tf(["init", "-input=false", "-no-color", *extra], cwd, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_fmt_clean() -> None:
    proc = tf(["fmt", "-check", "-recursive", "-diff", "-no-color"], TF_ROOT)
    assert proc.returncode == 0, f"terraform fmt would change files:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("root", ENVS + MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_validate(root: Path, tmp_path: Path) -> None:
    env = tf_env({"TF_DATA_DIR": str(tmp_path / ".terraform")})
    init(root, "-backend=false", env=env)
    proc = tf(["validate", "-no-color"], root, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "module", [m for m in MODULES if list((m / "tests").glob("*.tftest.hcl"))], ids=lambda p: p.name
)
def test_module_security_tests(module: Path, tmp_path: Path) -> None:
    env = tf_env({"TF_DATA_DIR": str(tmp_path / ".terraform")})
    init(module, "-backend=false", env=env)
    proc = tf(["test", "-no-color"], module, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 failed" in proc.stdout and "passed" in proc.stdout


@pytest.fixture
def emulator():
    """A moto server on a free port for this test (Terraform runs in a subprocess), emptied first.

    moto keeps its backends per process, so servers started in one pytest process share state: without the
    reset, buckets left by earlier tests (e.g. the demo's) make the apply fail with BucketAlreadyExists.
    """
    emu = EmbeddedEmulator().start()
    emu.reset()
    yield emu
    emu.stop()


def emulator_tf_env(emulator: EmbeddedEmulator) -> dict[str, str]:
    """Terraform's environment for a root under EMULATOR_PROVIDER: the emulator's endpoint, dummy keys."""
    return tf_env(
        {**emulator_env(emulator.endpoint_url), "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    )


EMULATOR_PROVIDER = """
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  max_retries                 = 2
}
"""


def _emulator_root(tmp_path: Path, modules: str) -> Path:
    """A root module of ``modules`` (HCL) under an AWS provider that the emulator's endpoint serves."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(EMULATOR_PROVIDER + modules)
    return root


def _grants_root(tmp_path: Path) -> Path:
    return _emulator_root(
        tmp_path,
        f"""
module "lf" {{
  source                     = "{TF_ROOT / "modules" / "lake_formation"}"
  env                        = "test"
  lake_spec_file             = "{TF_ROOT / "generated" / "lake.json"}"
  database_names             = {{ curated = "energy_curated" }}
  table_names                = {{}}
  bucket_arns                = {{ curated = "arn:aws:s3:::c" }}
  registered_zones           = ["curated"]
  admin_arns                 = ["arn:aws:iam::123456789012:root"]
  persona_trusted_principals = ["arn:aws:iam::123456789012:root"]
  enable_data_cells_filters  = false
  enable_tag_grants          = false
}}
""",
    )


# A malformed grant file never reaches Terraform: the contract compiler refuses it, naming the file and field,
# before terraform/generated/lake.json is written (tests/glue/test_compiler.py).


def test_valid_grant_files_plan(tmp_path: Path, emulator: EmbeddedEmulator) -> None:
    root = _grants_root(tmp_path)
    env = emulator_tf_env(emulator)
    init(root, env=env)
    proc = tf(["plan", "-input=false", "-no-color", "-detailed-exitcode"], root, env)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # 2 = valid plan with changes to make


@pytest.mark.smoke
def test_athena_module_applies_on_the_emulator(tmp_path: Path, emulator: EmbeddedEmulator) -> None:
    """One small module applied for real: the Terraform provider's Athena calls go through the emulator.

    This is what broke when botocore 1.44 changed Athena's wire protocol: moto routes requests with the botocore
    installed beside it, and answered every Athena call with 404 (for boto3 and Terraform alike).
    """
    root = _emulator_root(
        tmp_path,
        f"""
module "athena" {{
  source         = "{TF_ROOT / "modules" / "athena"}"
  env            = "smoke"
  results_bucket = "energylake-smoke-artifacts"
  kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  tags           = {{ project = "energylake" }} # moto lists tags only of workgroups created with some
}}
""",
    )
    env = emulator_tf_env(emulator)
    init(root, env=env)
    proc = tf(["apply", "-input=false", "-no-color", "-auto-approve"], root, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = tf(["plan", "-input=false", "-no-color", "-detailed-exitcode"], root, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_local_env_apply_then_plan_has_no_changes(tmp_path: Path, emulator: EmbeddedEmulator) -> None:
    """The whole local environment on a fresh emulator: apply succeeds, a second plan is empty (~2 min)."""
    env = tf_env(
        {
            **emulator_env(emulator.endpoint_url),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "TF_DATA_DIR": str(tmp_path / ".terraform"),
        }
    )
    # Same packages as `make plan`: lakeingest.packaging and the analytics consumers builder (venv Python).
    var_file = lambda_var_file(tmp_path)
    local = TF_ROOT / "envs" / "local"
    init(local, f"-backend-config=path={tmp_path / 'local.tfstate'}", env=env)
    args = ["-input=false", "-no-color", f"-var-file={var_file}"]

    def on_emulator(service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=emulator.endpoint_url,
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    # The demo's apply: as many operations at a time, and a create the emulator already held (moto, loaded host)
    # removed and applied again; any other failure fails the test.
    for attempt in range(3):
        applied = tf(["apply", "-auto-approve", f"-parallelism={APPLY_PARALLELISM}", *args], local, env, timeout=900)
        log = applied.stdout + applied.stderr
        if applied.returncode == 0 or attempt == 2 or not remove_emulator_duplicates(log, on_emulator):
            break
    assert applied.returncode == 0, applied.stdout[-4000:] + applied.stderr
    assert "Apply complete!" in applied.stdout
    again = tf(["plan", "-detailed-exitcode", *args], local, env, timeout=600)
    assert again.returncode == 0, "second plan is not empty:\n" + again.stdout[-6000:] + again.stderr
    outputs = json.loads(tf(["output", "-json", "-no-color"], local, env).stdout)

    # A Glue job publishing into the Terraform-made tables (same catalog calls as energylake.runtime) is no drift.
    _publish_like_a_job(emulator.endpoint_url, outputs["bucket_names"]["value"]["transform"])
    after_job = tf(["plan", "-detailed-exitcode", *args], local, env, timeout=600)
    assert after_job.returncode == 0, "a job's catalog publish shows as drift:\n" + after_job.stdout[-6000:]
    # The deployed ingestion functions are exactly those of lambda/functions.json (single definition), minus
    # batch_ingestion's excluded_functions default (partner_api: the optional Lambda-proxy form of the API;
    # telemetry_influx_writer: deployed in the VPC by timestream_influxdb, which envs/local does not use).
    manifest = json.loads((REPO / "lambda" / "functions.json").read_text())["functions"]
    assert set(outputs["lambda_function_names"]["value"]) == set(manifest) - {"partner_api", "telemetry_influx_writer"}
    # The analytics output streams exist; the Flink application, forecast endpoint and Grafana are flagged off.
    analytics = outputs["analytics"]["value"]
    assert set(analytics["output_streams"]) == {"aggregates", "alerts", "errors"}
    assert analytics["flink_application"] is None and analytics["grafana_endpoint"] is None


def _publish_like_a_job(endpoint_url: str, transform_bucket: str) -> None:
    """Register a partitioned and an unpartitioned table and a partition version the way a job run does."""
    import boto3

    from energylake.catalog import Catalog
    from energylake.contracts import get_contract

    glue = boto3.client(
        "glue",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    catalog = Catalog(glue)
    readings = get_contract("telemetry_readings")
    root = f"s3://{transform_bucket}/telemetry_readings/"
    catalog.register_table(readings, readings.glue_database(), root)
    catalog.put_partition(
        readings, readings.glue_database(), ("2024-07-15", "power_factor"), root + "event_date=2024-07-15/v=r1-1/"
    )
    customers = get_contract("trading_customers")
    location = f"s3://{transform_bucket}/trading_customers/v=r1-2/"
    catalog.register_table(customers, customers.glue_database(), location)
    assert catalog.table_location(customers.glue_database(), "trading_customers") == location


def test_lambda_packages_come_from_the_manifest(tmp_path: Path) -> None:
    """Source-only zips (no build/lambda) are built per manifest function with only that function's packages."""
    import zipfile

    repo = tmp_path / "repo"
    (repo / "lambda").mkdir(parents=True)
    shutil.copy(REPO / "lambda" / "functions.json", repo / "lambda" / "functions.json")
    values = json.loads(lambda_var_file(tmp_path / "state", repo).read_text())
    manifest = json.loads((REPO / "lambda" / "functions.json").read_text())["functions"]
    zips = {p.stem: p for p in Path(values["lambda_zip_dir"]).glob("*.zip")}
    assert set(zips) == set(manifest)
    names = zipfile.ZipFile(zips["ercot_ingest"]).namelist()
    assert "lakeingest/ercot/handler.py" in names and not any(n.startswith("lakeingest/documents/") for n in names)
    # The consumers, and the InfluxDB telemetry writer's own packages (the alerts consumer writes with its code).
    from lakeingest.packaging import function_sources

    writer = [name for _, name in function_sources("telemetry_influx_writer")]
    assert "lakeingest/telemetry/line_protocol.py" in writer
    assert zipfile.ZipFile(values["flink_consumers_zip"]).namelist() == sorted(
        ["analytics/__init__.py", "analytics/streaming/__init__.py", "analytics/streaming/consumers.py", *writer]
    )
