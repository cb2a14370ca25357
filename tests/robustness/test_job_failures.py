"""Issue 33, class 7: a failure that is not about one row's content ends the job with one clear line.

The CLI prints one line per failure (the AWS error code named); the stack trace goes to the log file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from energylake.failures import one_line
from lakectl import runner

from .balance_lib import put_objects

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _lakectl(args: list[str], log_file: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAKE_LOG_FILE": log_file}
    env["PYTHONPATH"] = os.pathsep.join([REPO, os.path.join(REPO, "glue", "lib"), os.path.join(REPO, "lambda")])
    return subprocess.run(
        [sys.executable, "-m", "lakectl", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600
    )


def _failure_lines(stderr: str) -> list[str]:
    # Lines about the failure: not the job's metrics record (one JSON line) nor Spark's start-up notices.
    spark_notices = ("Setting default log level", "To adjust logging level")
    return [
        line
        for line in stderr.splitlines()
        if line.strip()
        and not line.startswith('{"job_metrics"')
        and not line.startswith(spark_notices)
        and " WARN " not in line[:40]
    ]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        # A bucket the quarantine cannot be written to (as when the role may not write it): an AWS error.
        ({"quarantine_path": "s3://energylake-local-missing/quarantine/"}, "NoSuchBucket"),
        ({"input_path": "s3://no-such-bucket/x/"}, "does not exist"),
    ],
)
def test_a_failure_not_about_row_content_is_one_line_and_the_trace_is_logged(aws, s3, tmp_path, override, expected):
    runner.ensure_buckets()
    put_objects(s3, "energylake-local-raw", {"telemetry/windfarm/2024/07/15/10/bad.json": b"{broken\n"})
    log_file = str(tmp_path / "lakectl.log")
    args = ["run-job", "telemetry_to_transform"]
    for name, value in override.items():
        args += [f"--{name}", value]

    done = _lakectl(args, log_file)

    assert done.returncode != 0
    lines = _failure_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lakectl run-job: error: ") and expected in lines[0], lines[0]
    assert "Traceback" not in done.stderr
    with open(log_file, encoding="utf-8") as log:
        assert "Traceback" in log.read()
    record = json.loads(next(line for line in done.stderr.splitlines() if line.startswith('{"job_metrics"')))
    assert record["job_metrics"]["status"] == "failed" and "\n" not in record["job_metrics"]["error"]


def test_one_line_names_the_aws_error_code_and_operation():
    error = ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject")
    assert one_line(error) == "ClientError: PutObject: AccessDenied: Access Denied"
    assert one_line(ValueError("first\nsecond")) == "ValueError: first"
