"""The Lambda and Flink-consumer packages `make plan` builds, for tests that plan or apply an environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lakectl.settings import REPO_ROOT


def lambda_var_file(out_dir: Path, repo: Path = REPO_ROOT) -> Path:
    """Build the packages of ``repo`` into ``out_dir`` (terraform/scripts/lambda_zips.py); path of its tfvars."""
    script = REPO_ROOT / "terraform" / "scripts" / "lambda_zips.py"
    proc = subprocess.run([sys.executable, str(script), str(repo), str(out_dir)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip())
