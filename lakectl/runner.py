"""Local Glue runner: runs the unchanged job scripts of glue/jobs/jobs.yaml on local Spark.

Arguments are the ones Glue gets (the compiled jobs of terraform/generated/lake.json, which Terraform deploys
too, with the environment's bucket names filled in) plus overrides. The job reads and writes the emulated S3
at AWS_ENDPOINT_URL through boto3 staging (no hadoop-aws jars) and registers its tables and partitions in the
emulated Glue Data Catalog. Bookmarks and metrics live under --state_path, exactly as on AWS.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from energylake import compiler
from lakectl.settings import REPO_ROOT

JOBS_DIR = REPO_ROOT / "glue" / "jobs"
MANIFEST = JOBS_DIR / "jobs.yaml"
ZONES = ("landing", "raw", "transform", "curated", "artifacts")


@cache
def load_manifest() -> dict[str, Any]:
    """The compiled lake document (energylake.compiler: jobs.yaml validated, arguments resolved but bucket names)."""
    return compiler.load(REPO_ROOT)


def placeholders(env: str | None = None, prefix: str | None = None) -> dict[str, str]:
    """Placeholder values of jobs.yaml for an environment (buckets <prefix>-<env>-<zone>, Glue databases)."""
    env = env or os.environ.get("LAKE_ENV", "local")
    prefix = prefix or os.environ.get("LAKE_BUCKET_PREFIX", "energylake")
    values = {zone: f"{prefix}-{env}-{zone}" for zone in ZONES}
    values.update({f"db_{zone}": d["name"] for zone, d in load_manifest()["databases"].items()})
    return values


def job_names() -> list[str]:
    """Job names in workflow order (every job after the jobs in its `after` list)."""
    jobs = load_manifest()["jobs"]
    ordered: list[str] = []

    def visit(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in ordered:
            return
        if name in trail:
            raise ValueError(f"jobs.yaml: cycle in `after` through {name!r}")
        for dep in jobs[name].get("after", []):
            visit(dep, (*trail, name))
        ordered.append(name)

    for name in jobs:
        visit(name)
    return ordered


def job_arguments(name: str, overrides: Mapping[str, str] | None = None, env: str | None = None) -> dict[str, str]:
    """The --name value arguments Glue would pass to the job (without the leading dashes)."""
    manifest = load_manifest()
    if name not in manifest["jobs"]:
        raise KeyError(f"unknown job {name!r}; known: {sorted(manifest['jobs'])}")
    values = placeholders(env)
    # The same generic substitution Terraform makes: format(a.format, bucket names...).
    args = {
        k.lstrip("-"): a["format"] % tuple(values[b] for b in a["buckets"])
        for k, a in manifest["jobs"][name]["arguments"].items()
    }
    args["JOB_NAME"] = name
    for key, value in (overrides or {}).items():
        args[key.lstrip("-")] = value
    return args


def _load_script(name: str) -> Any:
    path = JOBS_DIR / f"{name}.py"
    if not path.exists():
        raise KeyError(f"no job script {path}")
    spec = importlib.util.spec_from_file_location(f"glue_job_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _local_session(app_name: str) -> Any:
    # Looked up at call time, so a test can wrap lakectl.spark.local_spark.
    from lakectl import spark

    return spark.local_spark(app_name)


def run_job(name: str, overrides: Mapping[str, str] | None = None, env: str | None = None):
    """Run one job in this process (reusing an active SparkSession) and return its JobMetrics.

    The job gets the local Glue-like session (lakectl.spark) through the library's session factory: the shipped
    library never imports lakectl itself.
    """
    from energylake.session import session_factory

    args = job_arguments(name, overrides, env)
    argv = [str(JOBS_DIR / f"{name}.py")]
    for key, value in args.items():
        argv += [f"--{key}", value]
    with session_factory(_local_session):
        return _load_script(name).main(argv)


def run_workflow(names: Sequence[str] | None = None, env: str | None = None) -> list:
    """Run jobs in workflow order (all jobs when ``names`` is None); returns their metrics."""
    wanted = set(names) if names else None
    return [run_job(n, env=env) for n in job_names() if wanted is None or n in wanted]


def ensure_buckets(env: str | None = None) -> list[str]:
    """Create the environment's zone buckets when missing (for local runs without Terraform)."""
    import boto3

    s3 = boto3.client("s3")
    names = [v for k, v in placeholders(env).items() if k in ZONES]
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in names:
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
    return names


def latest_metrics(name: str, env: str | None = None) -> dict[str, Any] | None:
    """The metrics JSON of the job's last successful run (from --state_path)."""
    from energylake.storage import Storage, join_uri

    state = job_arguments(name, env=env)["state_path"]
    return Storage().get_json(join_uri(state, "metrics", name, "latest.json"))


def _cmd_run_job(args: argparse.Namespace) -> int:
    import json

    from energylake.runtime import named_arguments  # the job scripts' own argument grammar

    job_args = list(args.job_args)
    # REMAINDER also captures runner flags written after the job name.
    if "--create-buckets" in job_args:
        job_args.remove("--create-buckets")
        args.create_buckets = True
    if args.create_buckets:
        ensure_buckets()
    metrics = run_job(args.job, named_arguments(job_args))
    print(json.dumps(metrics.to_dict(), indent=2, default=str))
    return 0 if metrics.status == "succeeded" else 1


def _cmd_run_workflow(args: argparse.Namespace) -> int:
    if args.create_buckets:
        ensure_buckets()
    for metrics in run_workflow(args.jobs or None):
        print(
            f"{metrics.job_name:34s} read={metrics.rows_read} written={metrics.rows_written} "
            f"quarantined={metrics.rows_quarantined} deduplicated={metrics.rows_deduplicated} "
            f"not_reported={metrics.rows_not_reported} {metrics.duration_s}s"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `run-job` and `run-workflow` to the lakectl CLI."""
    p = sub.add_parser("run-job", help="run a Glue job script locally with its Glue arguments (jobs.yaml)")
    p.add_argument("job", help="job name from glue/jobs/jobs.yaml")
    p.add_argument("--create-buckets", action="store_true", help="create the zone buckets if missing")
    p.add_argument("job_args", nargs=argparse.REMAINDER, help="--name value overrides")
    p.set_defaults(func=_cmd_run_job)
    w = sub.add_parser("run-workflow", help="run the Glue jobs locally in workflow (trigger) order")
    w.add_argument("jobs", nargs="*", help="subset of jobs (default: all)")
    w.add_argument("--create-buckets", action="store_true", help="create the zone buckets if missing")
    w.set_defaults(func=_cmd_run_workflow)
