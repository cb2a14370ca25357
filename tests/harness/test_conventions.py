"""Conventions of CONTRIBUTING.md that a machine can check: commit subjects of at most 72 characters.

Checked on the commits made since CONTRIBUTING.md stated the rule (earlier history is left as it is). Without
git, or in a checkout without that history (a tarball, a shallow clone), the check skips.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUBJECT_LIMIT = 72


def _git(*args: str) -> str | None:
    """The output of a git command in the repository, or None when git or the history is not there."""
    if shutil.which("git") is None:
        return None
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def long_subjects(log: str, limit: int = SUBJECT_LIMIT) -> list[str]:
    """Lines of ``git log --format='%h %s'`` whose subject is longer than ``limit`` characters."""
    return [line for line in log.splitlines() if len(line.partition(" ")[2]) > limit]


def test_long_subjects_are_found():
    log = f"abc1234 {'x' * 72}\ndef5678 {'y' * 73}\n"
    assert long_subjects(log) == [f"def5678 {'y' * 73}"]


def test_commit_subjects_since_the_rule_fit_72_characters():
    added = _git("log", "--reverse", "--diff-filter=A", "--format=%H", "--", "CONTRIBUTING.md")
    if not added:
        pytest.skip("no git history here (no git, a tarball or a shallow clone): nothing to check")
    rule = added.split()[0]
    log = _git("log", "--format=%h %s", f"{rule}..HEAD")
    if log is None:
        pytest.skip(f"git log {rule}..HEAD failed: history incomplete")
    # Details belong in the commit body (CONTRIBUTING.md, "Commits and pull requests").
    assert long_subjects(log) == []
