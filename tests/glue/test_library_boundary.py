"""The shipped library (glue/lib, the wheel Glue gets) never imports the repository's local tooling."""

from __future__ import annotations

import ast
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[2] / "glue" / "lib"
LOCAL_TOOLING = "lakectl"


def imported_modules(source: str) -> set[str]:
    """Every module an ``import``/``from ... import`` statement names, anywhere in the file (also inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_ast_walk_finds_imports_inside_functions():
    source = (
        "def f():\n    try:\n        from lakectl.spark import local_spark\n    except ImportError:\n        pass\n"
    )
    assert imported_modules(source) == {"lakectl.spark"}
    assert imported_modules("import lakectl, os") == {"lakectl", "os"}


def test_no_library_module_imports_lakectl():
    files = sorted(LIBRARY.rglob("*.py"))
    assert len(files) > 10, f"no library sources under {LIBRARY}"
    offenders = {
        str(path.relative_to(LIBRARY)): sorted(
            m for m in imported_modules(path.read_text(encoding="utf-8")) if m.split(".")[0] == LOCAL_TOOLING
        )
        for path in files
    }
    # Local-only wiring (the local Spark session) is injected by lakectl.runner: energylake.session.session_factory.
    assert {path: mods for path, mods in offenders.items() if mods} == {}
