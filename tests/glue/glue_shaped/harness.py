"""Run the lake's Glue jobs the way AWS Glue 5.0 runs them, in a subprocess with Glue's Python path only.

What the subprocess gets, and where each piece comes from:

- the energylake wheel, built from glue/lib and put on ``sys.path`` as the zip it is, under the file name of the
  S3 key Terraform passes with ``--extra-py-files`` ("Using Python libraries with AWS Glue",
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html: Glue adds the files of
  --extra-py-files to the Python path; a .whl there is imported from the archive, never installed);
- the distributions Glue 5.0 provides (requirements/glue-provided.txt, from "Python modules already provided in
  AWS Glue") that this venv holds, pyspark and py4j among them, and nothing else of the venv;
- exactly the modules the job definition installs with ``--additional-python-modules`` (read from the planned
  job, at the pinned versions: the venv must hold those very versions);
- a stand-in ``awsglue`` (stand_in/awsglue: Glue's getResolvedOptions rules, recorded Job.init/commit);
- ``sys.argv`` = the script, Glue's own ``--JOB_ID``/``--JOB_RUN_ID``/``--JOB_NAME`` and every default argument
  of the job as ``terraform/modules/glue_catalog_etl`` plans it ("Using job parameters in AWS Glue jobs",
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html);
- the energylake functions jar on Spark's classpath, as ``--extra-jars`` puts it there.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
GLUE_MODULE = REPO / "terraform" / "modules" / "glue_catalog_etl"
# The module's test file whose single plan holds the deployed jobs (bucket names the harness creates).
ARGUMENTS_TEST = "tests/job_arguments.tftest.hcl"
RUNNER = HERE / "runner.py"
STAND_IN = HERE / "stand_in"


@dataclass(frozen=True)
class DeployedJob:
    """One aws_glue_job as Terraform plans it: Glue job name, the script uploaded for it, its default arguments."""

    name: str
    glue_name: str
    script: Path
    default_arguments: dict[str, str]

    def argv(self) -> list[str]:
        """``sys.argv`` of a run: the script, then Glue's run identifiers and the job's default arguments."""
        argv = [str(self.script), "--JOB_ID", f"j_{self.name}", "--JOB_RUN_ID", f"jr_{self.name}"]
        argv += ["--JOB_NAME", self.glue_name]
        for key, value in sorted(self.default_arguments.items()):
            argv += [key, value]
        return argv


def deployed_jobs(work: Path) -> dict[str, DeployedJob]:
    """Every Glue job of the plan of ``ARGUMENTS_TEST`` (``terraform test -verbose -json``, mocked provider)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TF_DATA_DIR=str(work / ".terraform"), TF_IN_AUTOMATION="1")
    if Path("/opt/tf-plugins").is_dir():
        env["TF_CLI_CONFIG_FILE"] = str(REPO / "terraform" / "cli.tfrc")
    for args in (
        ["init", "-backend=false", "-input=false"],
        ["test", f"-filter={ARGUMENTS_TEST}", "-verbose", "-json"],
    ):
        done = subprocess.run(
            ["terraform", *args, "-no-color"], cwd=GLUE_MODULE, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"terraform {args[0]} failed in {GLUE_MODULE}:\n{done.stdout[-4000:]}{done.stderr}")
    plans = [m["test_plan"] for m in map(json.loads, done.stdout.splitlines()) if m.get("type") == "test_plan"]
    if len(plans) != 1:
        raise RuntimeError(f"{ARGUMENTS_TEST}: expected one planned run, got {len(plans)}")
    changes = plans[0]["resource_changes"]
    uploaded = {
        (c["change"]["after"]["bucket"], c["change"]["after"]["key"]): GLUE_MODULE / c["change"]["after"]["source"]
        for c in changes
        if c["type"] == "aws_s3_object"
    }
    jobs = {}
    for change in changes:
        if change["type"] != "aws_glue_job":
            continue
        after = change["change"]["after"]
        bucket, _, key = after["command"][0]["script_location"].removeprefix("s3://").partition("/")
        if (bucket, key) not in uploaded:
            raise RuntimeError(f"{after['name']}: script {bucket}/{key} is not uploaded by the module")
        name = change["index"]
        jobs[name] = DeployedJob(name, after["name"], uploaded[bucket, key].resolve(), after["default_arguments"])
    return jobs


def build_wheel(work: Path, deployed_file_name: str) -> Path:
    """The energylake wheel built from a copy of glue/lib (no build output in the checkout), named as deployed."""
    source = work / "lib"
    shutil.copytree(REPO / "glue" / "lib", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    dist = work / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "--wheel-dir", str(dist), str(source)], check=True, capture_output=True)
    (built,) = dist.glob("energylake-*.whl")
    return built.rename(work / deployed_file_name)


def provided_names() -> list[str]:
    """Distribution names of requirements/glue-provided.txt, as ``make lock`` reads them (requirements/lock.py)."""
    spec = importlib.util.spec_from_file_location("requirements_lock", REPO / "requirements" / "lock.py")
    lock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lock)
    return lock.provided_on_glue()


def additional_modules(value: str) -> dict[str, str]:
    """``{name: version}`` of an --additional-python-modules value; only exact ``name==version`` pins are allowed."""
    pins = {}
    for item in filter(None, value.split(",")):  # no argument: Glue installs nothing
        requirement = Requirement(item.strip())
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==" or requirement.url or requirement.marker:
            raise ValueError(f"--additional-python-modules: {item!r} is not pinned as name==version")
        pins[canonicalize_name(requirement.name)] = specifiers[0].version
    return pins


def glue_site(work: Path, modules: dict[str, str]) -> Path:
    """A site directory holding (as links into this venv) only Glue's provided distributions and ``modules``.

    Provided distributions this venv lacks are left out (nothing of the lake may need them); a module the job
    installs must be here at exactly its pinned version, or the run would not be the deployed one.
    """
    site = work / "site"
    site.mkdir()
    wanted = {canonicalize_name(n): None for n in provided_names()} | dict(modules)
    found = {}
    for dist in importlib.metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name not in wanted or name in found:
            continue
        if wanted[name] is not None and dist.version != wanted[name]:
            raise RuntimeError(
                f"--additional-python-modules installs {name}=={wanted[name]}, this venv has {dist.version}"
            )
        found[name] = dist.version
        root = Path(dist.locate_file(""))
        # Top-level entries only; a shared __pycache__ would link every module's bytecode of the venv.
        for top in {Path(f).parts[0] for f in dist.files or [] if not str(f).startswith("..")} - {"__pycache__"}:
            if not (site / top).exists() and (root / top).exists():
                (site / top).symlink_to(root / top)
    missing = sorted(n for n in modules if n not in found)
    if missing:
        raise RuntimeError(f"--additional-python-modules installs {missing}, which this venv does not hold")
    return site


def run_jobs(
    work: Path,
    jobs: dict[str, DeployedJob],
    jar: Path,
    env: dict[str, str],
    controls: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Run every job's script in one Glue-shaped subprocess; returns the runner's report plus Job records.

    ``controls`` are extra runs (name: argv) after the jobs, e.g. a deployed argv with an argument removed, to show
    the run fails where Glue would.
    """
    (first, *others) = jobs.values()
    for job in others:
        for key in ("--extra-py-files", "--extra-jars", "--additional-python-modules"):
            if job.default_arguments.get(key) != first.default_arguments.get(key):
                raise RuntimeError(f"{job.name}: {key} differs from {first.name}'s; the harness runs them together")
    wheel_key = first.default_arguments["--extra-py-files"]
    wheel = build_wheel(work, wheel_key.rsplit("/", 1)[-1])
    modules = additional_modules(first.default_arguments.get("--additional-python-modules", ""))
    site = glue_site(work, modules)
    # Spark starts Python workers with this interpreter and the driver's PYTHONPATH: -S keeps the venv out there too.
    python = work / "python-glue"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    python.chmod(0o755)
    spec = {
        "jobs": {name: job.argv() for name, job in jobs.items()} | dict(controls or {}),
        "extra_jars": str(jar),
        "wheel": str(wheel),
        "report": str(work / "report.json"),
    }
    (work / "spec.json").write_text(json.dumps(spec))
    record = work / "jobs.jsonl"
    record.touch()
    child_env = {k: v for k, v in env.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    child_env.update(
        PYTHONPATH=os.pathsep.join(map(str, [wheel, site, STAND_IN])),
        PYTHONDONTWRITEBYTECODE="1",
        PYSPARK_PYTHON=str(python),
        GLUE_SHAPED_JOB_RECORD=str(record),
    )
    # -S: no site-packages of the venv; -P: not the runner's own directory either. Only PYTHONPATH remains.
    done = subprocess.run(
        [sys.executable, "-S", "-P", str(RUNNER), str(work / "spec.json")],
        cwd=work,
        env=child_env,
        capture_output=True,
        text=True,
        check=False,
    )
    report_file = work / "report.json"
    if not report_file.exists():
        raise RuntimeError(
            f"the Glue-shaped run died (exit {done.returncode}):\n{done.stdout[-4000:]}{done.stderr[-8000:]}"
        )
    report = json.loads(report_file.read_text())
    report["job_records"] = [json.loads(line) for line in record.read_text().splitlines()]
    report["wheel_members"] = zipfile.ZipFile(wheel).namelist()
    report["site"] = sorted(p.name for p in site.iterdir())
    report["additional_python_modules"] = modules
    report["stderr"] = done.stderr[-8000:]
    return report
