"""The committed locks (requirements/) are complete, hash-checked and what the environments really hold.

`make lock` resolves (it needs the package index); these tests need none: they check that the locks cover the
loose constraints, that every consumer reads them, and that the installed venvs are exactly the locked pins.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LOCKS = REPO / "requirements"
sys.path.insert(0, str(LOCKS))
import lock as lock_tool  # noqa: E402  (requirements/lock.py: standard library only, not a package)

FLINK_PYTHON = REPO / ".venv-flink" / "bin" / "python"


def locked(name: str) -> dict[str, str]:
    """{canonical name: version} of one lock file, for this interpreter's platform (markers evaluated)."""
    return {
        canonicalize_name(name): version
        for name, version, marker in lock_tool.pinned(LOCKS / name)
        if marker is None or Marker(marker).evaluate()
    }


def declared_requirements() -> list[Requirement]:
    """Every requirement of the lake's pyproject files that lake.in installs (extras dev and mqtt)."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lib = tomllib.loads((REPO / "glue" / "lib" / "pyproject.toml").read_text())["project"]
    texts = root["dependencies"] + root["optional-dependencies"]["dev"] + root["optional-dependencies"]["mqtt"]
    texts += lib["dependencies"]
    return [r for r in map(Requirement, texts) if canonicalize_name(r.name) not in lock_tool.LOCAL_PACKAGES]


def test_lake_lock_pins_every_declared_requirement_within_its_bounds():
    pinned = locked("lake.txt")
    for requirement in declared_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} (pyproject) is not in requirements/lake.txt: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/lake.txt pins {name}=={pinned[name]}, outside pyproject's {requirement}: run `make lock`"
        )


def test_lake_lock_holds_the_known_bad_upper_bounds():
    # moto's server routes with the botocore beside it; botocore 1.44's Athena protocol makes it answer 404.
    pinned = locked("lake.txt")
    for name in ("boto3", "botocore"):
        assert tuple(int(p) for p in pinned[name].split(".")[:2]) < (1, 44), f"{name}=={pinned[name]}"


LOCK_FILES = sorted(p.relative_to(LOCKS).as_posix() for p in LOCKS.rglob("*.txt") if p.name != "glue-provided.txt")


@pytest.mark.parametrize("lock_name", LOCK_FILES)
def test_every_pin_carries_hashes(lock_name):
    assert lock_tool.pinned(LOCKS / lock_name), f"{lock_name} pins nothing"
    # A pin and its hashes are one logical line, continued with backslashes.
    for requirement in (LOCKS / lock_name).read_text().replace("\\\n", " ").splitlines():
        if "==" in requirement and not requirement.lstrip().startswith("#"):
            assert "--hash=sha256:" in requirement, f"{lock_name}: no hash for {requirement.split()[0]}"


def test_installed_venv_holds_exactly_the_locked_versions():
    """What `make setup` installed is the lock, not a fresh resolution (checked in this very interpreter)."""
    pinned = locked("lake.txt")
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differing = {n: (v, installed.get(n)) for n, v in pinned.items() if installed.get(n) != v}
    assert not differing, f"installed versions differ from requirements/lake.txt (locked, installed): {differing}"


@pytest.mark.skipif(not FLINK_PYTHON.exists(), reason=".venv-flink not created (make setup creates it)")
def test_flink_venv_holds_exactly_the_locked_versions():
    listing = subprocess.run(
        [str(FLINK_PYTHON), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    )
    installed = {canonicalize_name(d["name"]): d["version"] for d in json.loads(listing.stdout)}
    differing = {n: (v, installed.get(n)) for n, v in locked("flink.txt").items() if installed.get(n) != v}
    assert not differing, f".venv-flink differs from requirements/flink.txt (locked, installed): {differing}"


def test_glue_installs_the_locked_versions_of_what_it_does_not_provide():
    """--additional-python-modules (the generated JSON Terraform reads) = glue.txt = the local venv's versions."""
    modules = json.loads((LOCKS / "glue-additional-python-modules.json").read_text())["modules"]
    glue_pins = {canonicalize_name(k): v for k, v in lock_tool.pins(LOCKS / "glue.txt").items()}
    assert modules == [f"{name}=={version}" for name, version in sorted(lock_tool.pins(LOCKS / "glue.txt").items())]
    lake = locked("lake.txt")
    assert {n: lake.get(n) for n in glue_pins} == glue_pins, "Glue would run other versions than the local venv"
    provided = {canonicalize_name(n) for n in lock_tool.provided_on_glue()}
    assert not provided & glue_pins.keys(), "a module Glue 5.0 provides is installed again"
    library = tomllib.loads((REPO / "glue" / "lib" / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in map(Requirement, library):
        name = canonicalize_name(requirement.name)
        assert name in glue_pins or name in provided, f"energylake needs {requirement}; Glue would not have it"


def test_each_lambda_lock_follows_the_function_manifest():
    wanted = lock_tool.lambda_requirements()
    assert sorted(p.stem for p in (LOCKS / "lambda").glob("*.txt")) == sorted(wanted), "run `make lock`"
    for function, requirements in wanted.items():
        spec = (LOCKS / "lambda" / f"{function}.in").read_text().splitlines()
        assert [line for line in spec if not line.startswith("#")] == requirements, f"{function}: run `make lock`"
        pinned = {canonicalize_name(k): v for k, v in lock_tool.pins(LOCKS / "lambda" / f"{function}.txt").items()}
        for requirement in map(Requirement, requirements):
            name = canonicalize_name(requirement.name)
            assert name in pinned and requirement.specifier.contains(pinned[name]), f"{function}: {requirement}"


def test_setup_installs_from_the_locks_only():
    """Every pip install in the make files is hash-checked from requirements/ (no fresh resolution)."""
    makefiles = [REPO / "Makefile", *REPO.glob("*/make.mk")]
    for path in makefiles:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "pip install" in line or "$(PIP_LOCKED)" in line:
                locked_install = "$(PIP_LOCKED) -r" in line or ("--require-hashes" in line and "-r " in line)
                editable = "--no-deps" in line and " -e " in line
                wheel = "pip wheel" in line
                assert locked_install or editable or wheel or "PIP_LOCKED :=" in line, f"{path.name}:{number}: {line}"


def test_compose_emulator_image_is_the_locked_moto():
    """Users with Docker get the same emulator version the tests run (docker-compose.yml's moto image)."""
    import yaml

    image = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["aws"]["image"]
    assert image == f"motoserver/moto:{locked('lake.txt')['moto']}"
