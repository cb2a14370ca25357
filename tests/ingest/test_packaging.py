"""Reproducible Lambda packaging: same inputs → identical zips holding only the function's code."""

from __future__ import annotations

import hashlib
import importlib
import zipfile

import pytest

from lakeingest import packaging

MANIFEST = packaging.load_manifest()


@pytest.mark.parametrize("name", sorted(MANIFEST["functions"]))
def test_zip_is_deterministic_and_holds_only_its_packages(name, tmp_path):
    a = packaging.build_function(name, tmp_path / "a", with_deps=False)
    b = packaging.build_function(name, tmp_path / "b", with_deps=False)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    spec = MANIFEST["functions"][name]
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    allowed = {p.replace(".", "/") for p in spec["packages"]}
    assert all(n == "lakeingest/__init__.py" or any(n.startswith(p + "/") for p in allowed) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    module, func = spec["handler"].rsplit(".", 1)
    assert f"{module.replace('.', '/')}.py" in names
    assert callable(getattr(importlib.import_module(module), func))


def test_every_required_env_var_is_read_by_its_handler():
    from pathlib import Path

    for spec in MANIFEST["functions"].values():
        source = "".join(
            p.read_text() for pkg in spec["packages"] for p in Path(packaging.LAMBDA_DIR, *pkg.split(".")).glob("*.py")
        )
        for var in spec["env"]:
            assert f'"{var}"' in source, f"{var} declared for {spec['handler']} but never read"
