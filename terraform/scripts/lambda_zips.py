"""Write the tfvars (JSON) naming the Lambda packages the local environment deploys; print its path.

The packages are the ones the owning areas build, never a second list or a second zip recipe:
- ingestion functions: every function of lambda/functions.json, zipped by `lakeingest.packaging`
  (`make package` -> build/lambda/<function>.zip with dependencies). While build/lambda is incomplete,
  the same packaging code builds source-only zips (its --no-deps mode, for offline machines) into
  <state_dir>/terraform/lambda-src/ so the emulated functions exist;
- analytics stream consumers: build/flink/stream-consumers.zip from `make flink-package`, else the same
  `analytics.streaming.package.build_consumers_zip` into <state_dir>/terraform/flink/.
Both builders are deterministic, so repeated plans show no change. Run with the lake's venv Python.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def ingestion_zip_dir(repo: Path, state_dir: Path) -> Path:
    """build/lambda when every manifest function is built there, else source-only zips under state_dir."""
    from lakeingest.packaging import build_function, load_manifest

    manifest_path = repo / "lambda" / "functions.json"
    built = repo / "build" / "lambda"
    if not manifest_path.exists():
        return built  # no functions yet: the local env skips the Lambdas
    manifest = load_manifest(manifest_path)
    if all((built / f"{name}.zip").exists() for name in manifest["functions"]):
        return built
    out = state_dir / "terraform" / "lambda-src"
    for name in sorted(manifest["functions"]):
        build_function(name, out, with_deps=False, manifest=manifest)
    note = f"lambda_zips: build/lambda incomplete; source-only zips in {out} (`make package` builds real ones)"
    print(note, file=sys.stderr)
    return out


def consumers_zip(repo: Path, state_dir: Path) -> Path:
    """build/flink/stream-consumers.zip when built, else the same builder's output under state_dir."""
    from analytics.streaming.package import build_consumers_zip

    built = repo / "build" / "flink" / "stream-consumers.zip"
    if built.exists():
        return built
    return build_consumers_zip(state_dir / "terraform" / "flink" / "stream-consumers.zip")


def main(repo: Path, state_dir: Path) -> Path:
    """Write <state_dir>/terraform/artifacts.tfvars.json (lambda_zip_dir, flink_consumers_zip) and return it."""
    target = state_dir / "terraform" / "artifacts.tfvars.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    values = {
        "lambda_zip_dir": str(ingestion_zip_dir(repo, state_dir)),
        "flink_consumers_zip": str(consumers_zip(repo, state_dir)),
    }
    target.write_text(json.dumps(values, indent=2) + "\n")
    return target


if __name__ == "__main__":
    print(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
