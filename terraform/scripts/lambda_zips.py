"""Print the directory of the Lambda zips Terraform deploys, building source-only zips for the local env if needed.

Real packages come from `make package` (build/lambda/<function>.zip with dependencies). When they are not
built yet, the local environment still needs a zip per function to create the emulated functions: this
script zips the real sources under lambda/ (no third-party dependencies, nothing invented) into
.local/terraform/lambda-src/<function>.zip, deterministically so repeated plans show no change.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _deterministic_zip(sources: Path, target: Path) -> None:
    files = sorted(p for p in sources.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(sources.parent)), _EPOCH)
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    if target.exists() and target.read_bytes() == tmp.read_bytes():
        tmp.unlink()
    else:
        tmp.replace(target)


def main(repo: Path, state_dir: Path) -> str:
    """Zip directory for Terraform: build/lambda when complete, else source-only zips under state_dir."""
    manifest = repo / "lambda" / "functions.json"
    if not manifest.exists():
        return str(repo / "build" / "lambda")  # no functions yet: the local env skips the Lambdas
    functions = json.loads(manifest.read_text())["functions"]
    built = repo / "build" / "lambda"
    if all((built / f"{name}.zip").exists() for name in functions):
        return str(built)
    out = state_dir / "terraform" / "lambda-src"
    out.mkdir(parents=True, exist_ok=True)
    package_root = repo / "lambda" / "lakeingest"
    for name in functions:
        _deterministic_zip(package_root, out / f"{name}.zip")
    print(
        f"lambda_zips: build/lambda incomplete; using source-only zips in {out} (run `make package` for real ones)",
        file=sys.stderr,
    )
    return str(out)


if __name__ == "__main__":
    print(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
