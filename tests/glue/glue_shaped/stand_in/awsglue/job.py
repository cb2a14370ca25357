"""``awsglue.job.Job`` stand-in: records ``init`` and ``commit`` (one JSON line each) for the harness to check."""

from __future__ import annotations

import json
import os
from typing import Any

# The harness names the file; every call is appended, so a job that inits twice or never commits shows.
RECORD_ENV = "GLUE_SHAPED_JOB_RECORD"


def _record(event: str, **fields: Any) -> None:
    with open(os.environ[RECORD_ENV], "a", encoding="utf-8") as out:
        out.write(json.dumps({"event": event, **fields}, default=str) + "\n")


class Job:
    def __init__(self, glue_context: Any) -> None:
        self._glue_context = glue_context
        self._name: str | None = None

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        if not isinstance(job_name, str) or not job_name:
            raise TypeError(f"Job.init needs the job name, got {job_name!r}")
        self._name = job_name
        _record("init", job=job_name, args=dict(args or {}))

    def isInitialized(self) -> bool:  # noqa: N802 (Glue's name)
        return self._name is not None

    def commit(self) -> None:
        if self._name is None:
            raise RuntimeError("Job.commit before Job.init")
        _record("commit", job=self._name)
