"""Reproducible Lambda zips: ``build/lambda/<function>.zip`` = the function's packages + declared deps.

Same sources and same dependency versions → byte-identical zips: files are added in sorted order
with a fixed timestamp (1980-01-01), fixed permissions and fixed compression; byte-code caches and
installer-specific files are left out. Dependencies are installed with pip for the Lambda platform
(manylinux wheels, Python 3.11) into a scratch directory, so the zip never depends on the build host, and
only at the versions and hashes of the function's lock, ``requirements/lambda/<function>.txt`` (``make lock``
writes it from the function's ``requirements`` in functions.json).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LAMBDA_DIR = Path(__file__).resolve().parents[1]
LOCK_DIR = LAMBDA_DIR.parent / "requirements" / "lambda"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIP_PARTS = {"__pycache__", ".pytest_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}
SKIP_NAMES = {"direct_url.json", "INSTALLER", "REQUESTED"}


def load_manifest(path: Path | None = None) -> dict:
    """The function registry (lambda/functions.json)."""
    return json.loads((path or LAMBDA_DIR / "functions.json").read_text())


# Lambda's architectures as (wheel policy, machine): pip spells the platform ``manylinux2014_x86_64`` here, and
# requirements/lock.py hands uv ``x86_64-manylinux2014`` for the same thing, so both read it from this table.
LAMBDA_WHEEL_PLATFORMS = {"x86_64": ("manylinux2014", "x86_64"), "arm64": ("manylinux2014", "aarch64")}


def wheel_platform(manifest: dict) -> tuple[str, str]:
    """(wheel policy, machine) of the manifest's Lambda architecture."""
    return LAMBDA_WHEEL_PLATFORMS[manifest.get("architecture", "x86_64")]


def _files_for(packages: list[str]) -> list[tuple[Path, str]]:
    """(source path, archive name) for lakeingest/__init__.py and every file of the listed packages."""
    root = LAMBDA_DIR
    out = [(root / "lakeingest" / "__init__.py", "lakeingest/__init__.py")]
    for package in packages:
        pkg_dir = root.joinpath(*package.split("."))
        for path in pkg_dir.rglob("*"):
            if path.is_file() and not (set(path.parts) & SKIP_PARTS) and path.suffix not in SKIP_SUFFIXES:
                out.append((path, path.relative_to(root).as_posix()))
    return out


def function_sources(name: str, manifest: dict | None = None) -> list[tuple[Path, str]]:
    """(source path, archive name) of function ``name``'s own code (its packages, without dependencies)."""
    return _files_for((manifest or load_manifest())["functions"][name]["packages"])


class MissingLockError(RuntimeError):
    """A function declares requirements but has no lock (run ``make lock``)."""


def lock_file(name: str) -> Path:
    """The lock of function ``name``'s dependencies; a clear error when ``make lock`` has not written it."""
    path = LOCK_DIR / f"{name}.txt"
    if not path.is_file():
        raise MissingLockError(f"{name} declares requirements but {path} does not exist: run `make lock`")
    return path


def _install_deps(lock: Path, target: Path, platform: str, python_version: str) -> None:
    """pip-install a lock's exact pins for the Lambda platform (binary wheels only, hashes checked) into ``target``."""
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target),
        "--platform", platform, "--python-version", python_version, "--implementation", "cp",
        "--only-binary=:all:", "--require-hashes", "--no-deps", "-r", str(lock),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)


def _dep_files(target: Path) -> list[tuple[Path, str]]:
    out = []
    for path in target.rglob("*"):
        rel = path.relative_to(target)
        if path.is_file() and not (set(rel.parts) & SKIP_PARTS) and path.suffix not in SKIP_SUFFIXES:
            if path.name in SKIP_NAMES or (path.name == "RECORD" and rel.parts[0].endswith(".dist-info")):
                continue
            out.append((path, rel.as_posix()))
    return out


def write_zip(entries: list[tuple[Path, str]], dest: Path) -> None:
    """Write a deterministic zip of (path, archive name) entries, sorted by archive name."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    with zipfile.ZipFile(dest, "w") as zf:
        for path, name in sorted(entries, key=lambda e: e[1]):
            if name in seen:
                continue
            seen.add(name)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the build host
            zf.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def build_function(name: str, out_dir: Path, *, with_deps: bool = True, manifest: dict | None = None) -> Path:
    """Build ``<out_dir>/<name>.zip``; return its path."""
    manifest = manifest or load_manifest()
    spec = manifest["functions"][name]
    entries = _files_for(spec["packages"])
    with tempfile.TemporaryDirectory(prefix=f"lambda-{name}-") as tmp:
        if with_deps and spec.get("requirements"):
            policy, machine = wheel_platform(manifest)
            platform = f"{policy}_{machine}"
            _install_deps(lock_file(name), Path(tmp), platform, manifest["runtime"].removeprefix("python"))
            entries += _dep_files(Path(tmp))
        dest = out_dir / f"{name}.zip"
        write_zip(entries, dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m lakeingest.packaging [--out build/lambda] [--no-deps] [function ...]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("functions", nargs="*", help="function names (default: all)")
    parser.add_argument("--out", type=Path, default=LAMBDA_DIR.parent / "build" / "lambda")
    parser.add_argument("--no-deps", action="store_true", help="leave declared dependencies out (offline builds)")
    args = parser.parse_args(argv)
    manifest = load_manifest()
    names = args.functions or sorted(manifest["functions"])
    for name in names:
        dest = build_function(name, args.out, with_deps=not args.no_deps, manifest=manifest)
        print(f"{dest}  {dest.stat().st_size:>9} bytes")
    shutil.rmtree(args.out / "tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
