"""Managed Service for Apache Flink telemetry analytics: 1-minute aggregates, threshold alerts, late/rejected records.

``run_bounded(input, out_dir)`` runs the job's SQL on a bounded file, in this interpreter when PyFlink is
installed, otherwise in the isolated ``.venv-flink`` (PyFlink 1.20 pins numpy<1.25 / pyarrow<12).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FLINK_VENV = Path(os.environ.get("LAKE_FLINK_VENV", REPO_ROOT / ".venv-flink"))


def flink_python() -> Path | None:
    """The interpreter that can run PyFlink: this one, or .venv-flink's; None when neither has it."""
    if importlib.util.find_spec("pyflink") is not None:
        return Path(sys.executable)
    candidate = FLINK_VENV / "bin" / "python"
    return candidate if candidate.exists() else None


def run_bounded(
    input_path: str | Path | Mapping[str, str | Path], out_dir: str | Path, timeout_s: int = 600
) -> dict[str, Path]:
    """Run the streaming SQL on bounded JSON-lines input(s) (one file, or ``{source: file}`` per stream);
    returns ``{sink name: <out_dir>/<sink>.jsonl}``."""
    python = flink_python()
    if python is None:
        raise RuntimeError(
            f"PyFlink not found: run `make setup` (creates {FLINK_VENV}) or pip install apache-flink~=1.20"
        )
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if isinstance(input_path, Mapping):
        inputs = [f"{name}={Path(p).resolve()}" for name, p in input_path.items()]
    else:
        inputs = [str(input_path)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [str(python), "-m", "analytics.streaming.local", *inputs, str(out_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout_s,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"Flink job failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return {name: Path(info["path"]) for name, info in summary.items()}
