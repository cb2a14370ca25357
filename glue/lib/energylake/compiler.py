"""The contract compiler: the lake's rules, validated once in Python, written as one JSON document for Terraform.

Reads the dataset contracts (``glue/lib/energylake/datasets/*.yaml``), ``glue/jobs/jobs.yaml`` and the grant files
(``lakeformation/{tags,personas,grants}.yaml``), validates them (every error names the file and the field) and
writes ``terraform/generated/lake.json``: catalog tables, DQDL rulesets, Glue jobs with their arguments resolved
except the bucket names (known at deploy time), validated grants and LF-tag assignments, the trading tables and
the DMS task definitions. Terraform reads it with ``jsondecode(file(...))`` and keeps no rule of its own.

    python -m energylake.compiler            # regenerate terraform/generated/lake.json
    python -m energylake.compiler --check    # fail with a diff when the committed file is stale

Development-time only (it needs the repository's files): Glue jobs never import it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from energylake import dms, dqdl, grants
from energylake.contracts import ContractError, DatasetContract, glue_database, parse_contract

CONTRACTS_DIR = Path("glue/lib/energylake/datasets")
JOBS_FILE = Path("glue/jobs/jobs.yaml")
GRANTS_DIR = Path("lakeformation")
OUTPUT = Path("terraform/generated/lake.json")
COMMAND = "python -m energylake.compiler"

# Catalog zones: one Glue database each. Quarantine records live in the transform bucket under quarantine/.
ZONES = ("raw", "transform", "curated", "quarantine")
QUARANTINE_BUCKET, QUARANTINE_PREFIX = "transform", "quarantine/"
# Placeholders jobs.yaml may use: bucket names stay placeholders (Terraform knows them), databases are resolved.
BUCKETS = ("landing", "raw", "transform", "curated", "artifacts")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
JOB_KEYS = {
    "description",
    "glue_version",
    "worker_type",
    "number_of_workers",
    "timeout_minutes",
    "max_retries",
    "bookmarks",
    "arguments",
    "after",
}
DEFAULT_KEYS = (JOB_KEYS - {"description", "arguments", "after"}) | {"common_arguments"}


class CompileError(ValueError):
    """An input file is invalid; the message names the file and the field."""


def default_root() -> Path:
    """The repository this module is checked out in (glue/lib/energylake/compiler.py -> the repository root)."""
    return Path(__file__).resolve().parents[3]


# ---- Inputs ----------------------------------------------------------------------------------------------------


def _contracts(root: Path) -> dict[str, DatasetContract]:
    # Parsed afresh (not load_contracts, which caches per directory): the compiler reads the files as they are now.
    files = sorted((root / CONTRACTS_DIR).glob("*.yaml"))
    if not files:
        raise CompileError(f"{CONTRACTS_DIR}: no dataset contracts (*.yaml)")
    try:
        return {f.name.removesuffix(".yaml"): parse_contract(f) for f in files}
    except ContractError as exc:
        raise CompileError(f"{CONTRACTS_DIR}/{exc}") from exc


def _databases() -> dict[str, str]:
    return {zone: glue_database(zone) for zone in ZONES}


def _template(value: Any, where: str, databases: Mapping[str, str]) -> dict[str, Any]:
    """An argument value as a format string over bucket names: Terraform fills them with one generic format()."""
    if not isinstance(value, str):
        raise CompileError(f"{JOBS_FILE}: {where}: must be a string, not {type(value).__name__}")
    names: list[str] = []
    parts: list[str] = []
    pos = 0
    for match in PLACEHOLDER.finditer(value):
        parts.append(value[pos : match.start()].replace("%", "%%"))
        key = match.group(1)
        if key in BUCKETS:
            parts.append("%s")
            names.append(key)
        elif key.startswith("db_") and key[3:] in databases:
            parts.append(databases[key[3:]].replace("%", "%%"))
        else:
            known = ", ".join([*(f"{{{b}}}" for b in BUCKETS), *(f"{{db_{z}}}" for z in databases)])
            raise CompileError(f"{JOBS_FILE}: {where}: unknown placeholder {{{key}}} (known: {known})")
        pos = match.end()
    parts.append(value[pos:].replace("%", "%%"))
    return {"format": "".join(parts), "buckets": names}


def _jobs(root: Path, databases: Mapping[str, str]) -> dict[str, Any]:
    path = root / JOBS_FILE
    try:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CompileError(f"{JOBS_FILE}: cannot read: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("jobs"), dict) or not manifest["jobs"]:
        raise CompileError(f"{JOBS_FILE}: jobs: a mapping of job name -> definition is required")
    defaults = manifest.get("defaults") or {}
    for key in defaults:
        if key not in DEFAULT_KEYS:
            raise CompileError(f"{JOBS_FILE}: defaults.{key}: unknown field (known: {', '.join(sorted(DEFAULT_KEYS))})")
    jobs: dict[str, Any] = {}
    for name, job in manifest["jobs"].items():
        job = job or {}
        for key in job:
            if key not in JOB_KEYS:
                raise CompileError(
                    f"{JOBS_FILE}: jobs.{name}.{key}: unknown field (known: {', '.join(sorted(JOB_KEYS))})"
                )
        for key in ("glue_version", "worker_type", "number_of_workers", "timeout_minutes", "max_retries", "bookmarks"):
            if key not in job and key not in defaults:
                raise CompileError(f"{JOBS_FILE}: jobs.{name}.{key}: missing (and no defaults.{key})")
        after = job.get("after") or []
        for i, other in enumerate(after):
            if other not in manifest["jobs"]:
                raise CompileError(f"{JOBS_FILE}: jobs.{name}.after[{i}]: unknown job {other!r}")
        arguments = {**(defaults.get("common_arguments") or {}), **(job.get("arguments") or {})}
        jobs[name] = {
            "description": job.get("description", name),
            "glue_version": str(job.get("glue_version", defaults.get("glue_version"))),
            "worker_type": job.get("worker_type", defaults.get("worker_type")),
            "number_of_workers": job.get("number_of_workers", defaults.get("number_of_workers")),
            "timeout_minutes": job.get("timeout_minutes", defaults.get("timeout_minutes")),
            "max_retries": job.get("max_retries", defaults.get("max_retries")),
            "bookmarks": bool(job.get("bookmarks", defaults.get("bookmarks"))),
            "after": list(after),
            "arguments": {k: _template(v, f"jobs.{name}.arguments.{k}", databases) for k, v in arguments.items()},
        }
    _check_acyclic(jobs)
    return jobs


def _check_acyclic(jobs: Mapping[str, Any]) -> None:
    """A cycle in ``after`` would leave its jobs without a trigger that can ever fire."""
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            raise CompileError(f"{JOBS_FILE}: jobs.{name}.after: cycle {' -> '.join((*trail, name))}")
        if name not in done:
            for other in jobs[name]["after"]:
                visit(other, (*trail, name))
            done.add(name)

    for name in jobs:
        visit(name, ())


def _governance(root: Path, contracts: Mapping[str, DatasetContract]) -> grants.Governance:
    try:
        return grants.validate(root / GRANTS_DIR, contracts)
    except grants.GovernanceError as exc:
        raise CompileError(f"{GRANTS_DIR}/{exc}") from exc


# ---- Output ----------------------------------------------------------------------------------------------------


def _location(contract: DatasetContract) -> dict[str, str]:
    if contract.zone == "quarantine":
        return {"bucket": QUARANTINE_BUCKET, "prefix": QUARANTINE_PREFIX}
    return {"bucket": contract.zone, "prefix": f"{contract.name}/"}


def _table(contract: DatasetContract, databases: Mapping[str, str]) -> dict[str, Any]:
    def column(c: Any) -> dict[str, Any]:
        return {"name": c.name, "type": c.type, "comment": c.description or None, "classification": c.classification}

    return {
        "zone": contract.zone,
        "domain": contract.domain,
        "database": databases[contract.zone],
        "description": contract.description,
        "location": _location(contract),
        "columns": [column(c) for c in contract.data_columns],
        "partition_keys": [column(c) for c in contract.partition_columns],
        "dqdl": dqdl.ruleset(contract),
    }


def _lake_formation(gov: grants.Governance) -> dict[str, Any]:
    contracts = gov.contracts
    column_classes: dict[str, Any] = {}
    for name, contract in sorted(contracts.items()):
        for cls in dict.fromkeys(c.classification for c in contract.columns):
            column_classes[f"{name}/{cls}"] = {
                "dataset": name,
                "classification": cls,
                "columns": [c.name for c in contract.columns if c.classification == cls],
            }
    all_classes = list(gov.tags["classification"])
    filters = {}
    for flt in gov.data_filters:
        visible = set(grants._filter_columns(flt, contracts[flt.dataset]))
        filters[flt.name] = {
            "persona": flt.persona,
            "dataset": flt.dataset,
            "row_filter": flt.row_filter,
            # Lake Formation's column wildcard with exclusions covers included_columns too.
            "excluded_columns": [c.name for c in contracts[flt.dataset].columns if c.name not in visible],
        }
    return {
        "lf_tags": {k: list(v) for k, v in gov.tags.items()},
        "personas": {n: {"role_name": p.role_name, "description": p.description} for n, p in gov.personas.items()},
        "grants": {
            f"{g.persona}-{i}": {
                "persona": g.persona,
                "permissions": list(g.permissions),
                "lf_tag_expression": {k: list(v) for k, v in g.lf_tag_expression.items()},
            }
            for i, g in enumerate(gov.grants)
        },
        "data_filters": filters,
        "table_tags": {n: grants.table_tags(c) for n, c in sorted(contracts.items())},
        "column_classes": column_classes,
        "pii_columns": {n: list(c.pii_columns) for n, c in sorted(contracts.items())},
        "persona_classifications": {
            p: sorted(
                {
                    v
                    for g in gov.grants
                    if g.persona == p
                    for v in g.lf_tag_expression.get("classification", all_classes)
                }
            )
            for p in gov.personas
        },
        "non_pii_classifications": [c for c in all_classes if c != "pii"],
    }


def compile_lake(root: Path | None = None) -> dict[str, Any]:
    """The generated document for the repository at ``root`` (CompileError names the bad file and field)."""
    root = Path(root) if root else default_root()
    contracts = _contracts(root)
    databases = _databases()
    jobs = _jobs(root, databases)
    gov = _governance(root, contracts)
    sources = dms.source_tables(contracts)
    return {
        "_generated": f"Generated by `{COMMAND}` from {CONTRACTS_DIR}/*.yaml, {JOBS_FILE} and {GRANTS_DIR}/*.yaml; "
        "do not edit (`make compile`).",
        "databases": {
            zone: {
                "name": name,
                "bucket": QUARANTINE_BUCKET if zone == "quarantine" else zone,
                "prefix": QUARANTINE_PREFIX if zone == "quarantine" else "",
            }
            for zone, name in databases.items()
        },
        "tables": {n: _table(c, databases) for n, c in sorted(contracts.items())},
        "jobs": jobs,
        "start_jobs": sorted(n for n, j in jobs.items() if not j["after"]),
        "lake_formation": _lake_formation(gov),
        "trading": {
            "schema": dms.TRADING_SCHEMA,
            "datasets": list(dms.trading_datasets(contracts)),
            "tables": [table for schema, table, _ in sources if schema == dms.TRADING_SCHEMA],
        },
        "dms": {
            "landing_prefixes": sorted({f"{dms.BUCKET_FOLDER}/{schema}/" for schema, _, _ in sources}),
            "table_mappings": dms.table_mappings(contracts),
            "s3_target_settings": dms.s3_target_settings(),
        },
    }


def render(doc: Mapping[str, Any]) -> str:
    """Stable JSON text of the generated document."""
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def check(root: Path | None = None) -> str:
    """The unified diff between the committed output and a fresh compile ('' when up to date)."""
    root = Path(root) if root else default_root()
    path = root / OUTPUT
    committed = path.read_text(encoding="utf-8") if path.is_file() else ""
    fresh = render(compile_lake(root))
    return "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            f"{OUTPUT} (committed)",
            f"{OUTPUT} (compiled)",
        )
    )


def write(root: Path | None = None) -> Path:
    """Regenerate the output file; returns its path."""
    root = Path(root) if root else default_root()
    path = root / OUTPUT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(compile_lake(root)), encoding="utf-8")
    return path


def load(root: Path | None = None) -> dict[str, Any]:
    """The committed generated document (what Terraform deploys)."""
    root = Path(root) if root else default_root()
    return json.loads((root / OUTPUT).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail with a diff when the committed output is stale")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            diff = check(args.root)
            if diff:
                sys.stderr.write(diff)
                print(f"compile: {OUTPUT} is stale: run `make compile` (or `{COMMAND}`) and commit it", file=sys.stderr)
                return 1
            print(f"compile: {OUTPUT} is up to date")
            return 0
        print(f"compile: wrote {write(args.root)}")
        return 0
    except CompileError as exc:
        print(f"compile: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
