"""Review summary of a change: what a diff does to the lake's contracts, access, quality rules and resources.

``make review BASE=origin/main [PLAN_JSON=plan.json]`` compares the repository at BASE with the working tree
(what ``git diff BASE`` compares) and prints a short Markdown report a reviewer reads first:

- datasets added, removed or changed, with a schema-compatibility verdict per contract change: a removed or
  narrowed column, a new required column, a changed partition or key is *breaking*, and the report names the
  jobs (``glue/jobs/jobs.yaml``), catalog tables, grants (``lakeformation/*.yaml``) and warehouse tables it reaches;
- the effective-access diff per persona, evaluated by ``lakectl.governance`` on the grant files and contracts of
  both sides: who gains or loses which datasets, columns and rows, PII called out;
- Terraform resources added, changed, replaced and destroyed per module, from an optional plan JSON
  (``terraform show -json``), with destroys and replacements of stateful resources flagged;
- the data-quality rules that changed.

Every finding that needs a second look is also listed under "Needs attention" at the top. A change that touches
none of these says so in one line.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

from energylake.contracts import ContractError, DatasetContract, QualityRule, parse_contract
from lakectl import governance
from lakectl.governance import AccessSpec, Governance, GovernanceError

CONTRACTS_PATH = "glue/lib/energylake/datasets"
LIBRARY_PATH = "glue/lib/energylake"
JOBS_PATH = "glue/jobs"
GRANTS_PATH = "lakeformation"
# What the review reads at BASE; everything else in the diff is counted but not interpreted.
REVIEWED_PATHS = (CONTRACTS_PATH, LIBRARY_PATH, JOBS_PATH, GRANTS_PATH)

# Type changes Athena reads old files with: its table of compatible types ("Change a column data type",
# https://docs.aws.amazon.com/athena/latest/ug/updates-changing-column-type.html). The same page says a Parquet
# column's type cannot change at all when the table is not partitioned, and lists no decimal change.
WIDENING = {
    ("tinyint", "smallint"),
    ("tinyint", "int"),
    ("tinyint", "bigint"),
    ("smallint", "int"),
    ("smallint", "bigint"),
    ("int", "bigint"),
    ("float", "double"),
}

# Terraform resource types whose destruction loses data or keys (or a cluster's data): a destroy or a
# replacement of one is flagged for a second reviewer.
STATEFUL_TYPES = frozenset(
    {
        "aws_s3_bucket",
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
        "aws_kms_key",
        "aws_redshift_cluster",
        "aws_redshiftserverless_namespace",
        "aws_redshiftserverless_workgroup",
        "aws_rds_cluster",
        "aws_db_instance",
        "aws_dynamodb_table",
        "aws_kinesis_stream",
        "aws_kinesisanalyticsv2_application",
        "aws_dms_replication_instance",
        "aws_secretsmanager_secret",
        "aws_cloudwatch_log_group",
        "aws_sagemaker_model_package_group",
        "aws_grafana_workspace",
        "aws_lakeformation_resource",
    }
)


class ReviewError(RuntimeError):
    """The review could not read one side of the diff (bad BASE, unreadable plan JSON)."""


# ---------------------------------------------------------------------------------------------------------------
# Reading both sides
# ---------------------------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> bytes:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout
    except FileNotFoundError as exc:
        raise ReviewError("git not found on PATH") from exc
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip().splitlines()
        raise ReviewError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}") from exc


def changed_files(repo: Path, base: str) -> list[str]:
    """Paths that differ between BASE and the working tree (``git diff --name-only BASE``), new files included."""
    tracked = _git(repo, "diff", "--name-only", base, "--").decode().splitlines()
    # git diff leaves out untracked files, yet the review reads them (a new contract not yet added counts too).
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard").decode().splitlines()
    return sorted({p for p in tracked + untracked if p})


def export_base(repo: Path, base: str, target: Path) -> Path:
    """Write the reviewed paths of BASE under ``target`` (``git archive``; paths absent at BASE are skipped)."""
    present = [p for p in REVIEWED_PATHS if _git(repo, "ls-tree", "--name-only", base, p).strip()]
    if present:
        data = _git(repo, "archive", "--format=tar", base, *present)
        with tarfile.open(fileobj=BytesIO(data)) as archive:
            archive.extractall(target, filter="data")
    return target


@dataclass
class Side:
    """One side of the diff: its contracts, validated grants (or the error) and job reach."""

    root: Path
    contracts: dict[str, DatasetContract]
    governance: Governance | None
    governance_error: str | None
    contract_errors: dict[str, str]

    @classmethod
    def load(cls, root: Path) -> Side:
        contracts: dict[str, DatasetContract] = {}
        errors: dict[str, str] = {}
        for path in sorted((root / CONTRACTS_PATH).glob("*.yaml")):
            try:
                contracts[path.stem] = parse_contract(path)
            except ContractError as exc:
                errors[path.stem] = str(exc)
        gov, gov_error = None, None
        if (root / GRANTS_PATH).is_dir():
            try:
                gov = governance.validate(root / GRANTS_PATH, contracts)
            except GovernanceError as exc:
                gov_error = str(exc)
        return cls(root, contracts, gov, gov_error, errors)


# ---------------------------------------------------------------------------------------------------------------
# Contracts: compatibility verdicts and what a change reaches
# ---------------------------------------------------------------------------------------------------------------


def _type_change(old: str, new: str, partitioned: bool) -> tuple[bool, str]:
    """(compatible, description) of a column type change, by Athena's rules for Parquet tables."""
    if (old, new) not in WIDENING:
        return False, f"changed (narrowing or not in Athena's compatible types): {old} -> {new}"
    if not partitioned:
        return False, f"widened {old} -> {new}, but Athena reads no changed type in an unpartitioned Parquet table"
    return True, f"widened: {old} -> {new}"


@dataclass
class ContractChange:
    """What changed in one dataset's contract and whether readers and writers of the old schema break."""

    dataset: str
    status: str  # added | removed | changed
    breaking: list[str] = field(default_factory=list)
    compatible: list[str] = field(default_factory=list)
    quality: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.status == "added":
            return "new dataset"
        return "BREAKING" if self.breaking else "compatible"


def _rule_text(rule: QualityRule) -> str:
    fields = rule.model_dump(exclude_defaults=True)
    kind = fields.pop("rule")
    details = ", ".join(
        f"{k}=[{', '.join(map(str, v))}]" if isinstance(v, list | tuple) else f"{k}={v}" for k, v in fields.items()
    )
    return f"`{kind}({details})`"


def compare_contract(name: str, old: DatasetContract | None, new: DatasetContract | None) -> ContractChange | None:
    """The change of one contract between BASE and HEAD (None when nothing a reader sees changed)."""
    if old is None and new is not None:
        change = ContractChange(name, "added")
        change.compatible.append(f"{len(new.columns)} columns, zone {new.zone}")
        change.quality = [f"added {_rule_text(r)}" for r in new.quality]
        return change
    if new is None and old is not None:
        return ContractChange(name, "removed", breaking=["dataset removed: its table and files lose their contract"])
    assert old is not None and new is not None
    change = ContractChange(name, "changed")
    old_cols = {c.name: c for c in old.columns}
    new_cols = {c.name: c for c in new.columns}
    for col in old.columns:
        if col.name not in new_cols:
            change.breaking.append(f"column `{col.name}` removed")
            continue
        after = new_cols[col.name]
        if after.type != col.type:
            compatible, text = _type_change(col.type, after.type, bool(old.partition_by and new.partition_by))
            (change.compatible if compatible else change.breaking).append(f"column `{col.name}` type {text}")
        if col.nullable and not after.nullable:
            change.breaking.append(f"column `{col.name}` narrowed: nullable -> NOT NULL")
        elif not col.nullable and after.nullable:
            change.compatible.append(f"column `{col.name}` now nullable")
        if after.classification != col.classification:
            change.compatible.append(
                f"column `{col.name}` classification {col.classification} -> {after.classification} (see access)"
            )
    for col in new.columns:
        if col.name not in old_cols:
            if col.nullable:
                change.compatible.append(f"column `{col.name}` added ({col.type}, nullable)")
            else:
                change.breaking.append(f"column `{col.name}` added as NOT NULL: existing rows have no value")
    if [c.name for c in old.columns if c.name in new_cols] != [c.name for c in new.columns if c.name in old_cols]:
        change.compatible.append("column order changed (Parquet reads by name)")
    for key, label in (("partition_by", "partitioning"), ("primary_key", "primary key")):
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            change.breaking.append(f"{label} changed: [{', '.join(before)}] -> [{', '.join(after)}]")
    if old.zone != new.zone:
        change.breaking.append(f"zone changed: {old.zone} -> {new.zone} (table moves database)")
    if old.domain != new.domain:
        change.compatible.append(f"domain changed: {old.domain} -> {new.domain} (LF-tag; see access)")
    if old.event_time != new.event_time:
        change.compatible.append(f"event_time changed: {old.event_time} -> {new.event_time}")
    if old.warehouse != new.warehouse:
        change.breaking.append("warehouse table design changed (Redshift table is recreated)")
    before_rules = [_rule_text(r) for r in old.quality]
    after_rules = [_rule_text(r) for r in new.quality]
    change.quality = [f"removed {r}" for r in before_rules if r not in after_rules] + [
        f"added {r}" for r in after_rules if r not in before_rules
    ]
    if not (change.breaking or change.compatible or change.quality):
        return None
    return change


_IMPORT = re.compile(r"^\s*(?:from\s+energylake(?:\.(\w+))?\s+import\s+([\w, ()]+)|import\s+energylake\.(\w+))", re.M)


def _imported_modules(source: str, library: Path) -> set[str]:
    """The energylake modules a job script imports (``from energylake import x`` and ``from energylake.x import``)."""
    modules: set[str] = set()
    for sub, names, plain in _IMPORT.findall(source):
        if sub or plain:
            modules.add(sub or plain)
        else:
            modules.update(n.strip() for n in names.strip("() ").split(",") if (library / f"{n.strip()}.py").is_file())
    return modules


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def job_reach(root: Path) -> dict[str, set[str]]:
    """Dataset -> jobs of ``jobs.yaml`` that read or write it (by name in the script, its own library modules, args).

    Jobs that run ``after`` a reaching job are reached too: they consume what it writes.
    """
    manifest = root / JOBS_PATH / "jobs.yaml"
    if not manifest.is_file():
        return {}
    jobs: dict[str, Any] = (yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}).get("jobs", {})
    library = root / LIBRARY_PATH
    datasets = [p.stem for p in (root / CONTRACTS_PATH).glob("*.yaml")]
    sources = {job: _read(root / JOBS_PATH / f"{job}.py") for job in jobs}
    imports = {job: _imported_modules(source, library) for job, source in sources.items()}
    text_of_job: dict[str, str] = {}
    for job, spec in jobs.items():
        # A library module only one job imports is that job's code; a shared one (curated helpers naming every
        # curated dataset) would make every importer look like a reader of every dataset it names.
        own = [m for m in imports[job] if sum(m in other for other in imports.values()) == 1]
        texts = [sources[job], json.dumps(spec), *(_read(library / f"{m}.py") for m in own)]
        text_of_job[job] = "\n".join(t for t in texts if t)
    reach: dict[str, set[str]] = {}
    for dataset in datasets:
        word = re.compile(rf"\b{re.escape(dataset)}\b")
        direct = {job for job, text in text_of_job.items() if word.search(text)}
        downstream = set(direct)
        grew = True
        while grew:
            grew = False
            for job, spec in jobs.items():
                if job not in downstream and set(spec.get("after") or []) & downstream:
                    downstream.add(job)
                    grew = True
        reach[dataset] = downstream
    return reach


def grants_reaching(gov: Governance | None, dataset: str) -> list[str]:
    """The grants and data filters that cover ``dataset`` (by LF-tag expression or by name)."""
    if gov is None or dataset not in gov.contracts:
        return []
    contract = gov.contracts[dataset]
    out = []
    for i, grant in enumerate(gov.grants):
        tags = governance.column_tags(contract)
        if any(all(t.get(k) in v for k, v in grant.lf_tag_expression.items()) for t in tags.values()):
            out.append(f"{grant.persona} (grants[{i}])")
    out += [f"data filter {f.name} ({f.persona})" for f in gov.data_filters if f.dataset == dataset]
    return out


def reach_of(dataset: str, base: Side, head: Side, jobs: Mapping[str, set[str]]) -> list[str]:
    """What a breaking change of ``dataset`` reaches: jobs, catalog table, grants, warehouse table."""
    from warehouse.ddl import warehouse_table  # the warehouse naming rule, written once there

    contract = head.contracts.get(dataset) or base.contracts.get(dataset)
    if contract is None:
        return []
    parts = []
    if jobs.get(dataset):
        parts.append("jobs " + ", ".join(f"`{j}`" for j in sorted(jobs[dataset])))
    parts.append(f"table `{contract.glue_database()}.{dataset}`")
    grants = grants_reaching(base.governance, dataset)
    if grants:
        parts.append("grants " + ", ".join(grants))
    old = base.contracts.get(dataset)
    if contract.warehouse is not None or (old is not None and old.warehouse is not None):
        parts.append(f"warehouse table `{warehouse_table(old if old is not None and old.warehouse else contract)}`")
    return parts


# ---------------------------------------------------------------------------------------------------------------
# Effective access per persona
# ---------------------------------------------------------------------------------------------------------------


def _access(gov: Governance | None) -> dict[str, dict[str, AccessSpec]]:
    if gov is None:
        return {}
    return {p: governance.effective_access(p, gov) for p in gov.personas}


def _is_pii(dataset: str, column: str, *sides: Side) -> bool:
    for side in sides:
        contract = side.contracts.get(dataset)
        if contract is not None and any(c.name == column and c.is_pii for c in contract.columns):
            return True
    return False


def _shown(columns: Iterable[str], dataset: str, *sides: Side) -> str:
    return ", ".join(f"`{c}`" + (" (PII)" if _is_pii(dataset, c, *sides) else "") for c in columns)


@dataclass
class AccessChange:
    """One persona's change of access to one dataset."""

    persona: str
    dataset: str
    lines: list[str]
    pii_gained: list[str]

    @property
    def gains(self) -> bool:
        return any(line.startswith("gains") for line in self.lines)


def access_diff(base: Side, head: Side) -> list[AccessChange]:
    """Who gains or loses which datasets, columns and rows between BASE and HEAD (PII columns named)."""
    before, after = _access(base.governance), _access(head.governance)
    changes: list[AccessChange] = []
    for persona in sorted(set(before) | set(after)):
        old_specs, new_specs = before.get(persona, {}), after.get(persona, {})
        for dataset in sorted(set(old_specs) | set(new_specs)):
            old, new = old_specs.get(dataset), new_specs.get(dataset)
            old_cols = set(old.columns) if old and old.can_select else set()
            new_cols = set(new.columns) if new and new.can_select else set()
            gained = [c for c in (new.columns if new else ()) if c in new_cols - old_cols]
            lost = [c for c in (old.columns if old else ()) if c in old_cols - new_cols]
            lines: list[str] = []
            pii = [c for c in gained if _is_pii(dataset, c, base, head)]

            if not old_cols and new_cols:
                lines.append(f"gains SELECT on the dataset: {_shown(gained, dataset, base, head)}")
            elif gained:
                lines.append(f"gains columns {_shown(gained, dataset, base, head)}")
            if old_cols and not new_cols:
                lines.append("loses SELECT on the dataset")
            elif lost:
                lines.append(f"loses columns {_shown(lost, dataset, base, head)}")
            old_rows = old.row_filter if old and old_cols else None
            new_rows = new.row_filter if new and new_cols else None
            if old_cols and new_cols and old_rows != new_rows:
                if new_rows is None:
                    lines.append(f"gains all rows (was only `{old_rows}`)")
                elif old_rows is None:
                    lines.append(f"loses rows: now only `{new_rows}`")
                else:
                    lines.append(f"rows change: `{old_rows}` -> `{new_rows}`")
            if lines:
                changes.append(AccessChange(persona, dataset, lines, pii))
    return changes


# ---------------------------------------------------------------------------------------------------------------
# Terraform plan JSON
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class ResourceChange:
    """One resource instance's planned action, read from ``resource_changes`` of the plan JSON."""

    address: str
    module: str
    type: str
    action: str  # create | update | delete | replace

    @property
    def stateful_loss(self) -> bool:
        return self.action in {"delete", "replace"} and self.type in STATEFUL_TYPES


def plan_changes(plan: Mapping[str, Any]) -> list[ResourceChange]:
    """Managed-resource changes of a plan JSON (``terraform show -json``), no-ops and reads left out.

    Format: https://developer.hashicorp.com/terraform/internals/json-format ("Change Representation": actions
    ["delete", "create"] or ["create", "delete"] is a replacement).
    """
    version = str(plan.get("format_version", ""))
    if not version.startswith("1."):
        raise ReviewError(f"plan JSON: unsupported format_version {version!r} (expected 1.x from terraform show -json)")
    out = []
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode", "managed") != "managed":
            continue
        actions = list(rc.get("change", {}).get("actions") or [])
        if sorted(actions) == ["create", "delete"]:
            action = "replace"
        elif actions in (["create"], ["update"], ["delete"]):
            action = actions[0]
        else:  # no-op, read, forget
            continue
        out.append(ResourceChange(rc["address"], rc.get("module_address") or "(root)", rc["type"], action))
    return out


def read_plan(path: Path) -> list[ResourceChange]:
    """The resource changes of a plan JSON file, with a clear error when it is not one."""
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReviewError(f"plan JSON {path}: {exc} (write it with `terraform show -json PLANFILE`)") from exc
    if not isinstance(plan, dict):
        raise ReviewError(f"plan JSON {path}: expected an object")
    return plan_changes(plan)


# ---------------------------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------------------------


def build_report(repo: Path, base: str, plan_json: Path | None = None) -> str:
    """The Markdown review summary of the working tree of ``repo`` against ``base``."""
    repo = Path(_git(repo, "rev-parse", "--show-toplevel").decode().strip())
    files = changed_files(repo, base)
    short = _git(repo, "rev-parse", "--short", base).decode().strip()
    resources = read_plan(plan_json) if plan_json else []
    with tempfile.TemporaryDirectory(prefix="lake-review-") as tmp:
        base_side = Side.load(export_base(repo, base, Path(tmp)))
        head_side = Side.load(repo)
        jobs = job_reach(repo)
        contract_changes = [
            change
            for name in sorted(set(base_side.contracts) | set(head_side.contracts))
            if (change := compare_contract(name, base_side.contracts.get(name), head_side.contracts.get(name)))
        ]
        reaches = {c.dataset: reach_of(c.dataset, base_side, head_side, jobs) for c in contract_changes}
        # One side's grants not validating would read as every persona losing (or gaining) everything.
        access = [] if base_side.governance_error or head_side.governance_error else access_diff(base_side, head_side)
    return render(base, short, files, head_side, contract_changes, reaches, access, resources, base_side)


def render(
    base: str,
    short: str,
    files: list[str],
    head: Side,
    contract_changes: list[ContractChange],
    reaches: Mapping[str, list[str]],
    access: list[AccessChange],
    resources: list[ResourceChange],
    base_side: Side | None = None,
) -> str:
    """Markdown of the findings; one line when none of them changed."""
    errors = [f"contract `{n}` does not load: {e}" for n, e in sorted(head.contract_errors.items())]
    if head.governance_error:
        errors.append(f"grant files do not validate (no access diff): {head.governance_error}")
    if base_side is not None and base_side.governance_error and not head.governance_error:
        errors.append(f"grant files at `{base}` do not validate (no access diff): {base_side.governance_error}")
    quality = [(c.dataset, q) for c in contract_changes for q in c.quality]
    if not (errors or contract_changes or access or resources):
        return (
            f"**Lake review** against `{base}` ({short}): no-op: no contract, access, data-quality or Terraform "
            f"resource change ({len(files)} other file(s) changed).\n"
        )

    attention: list[str] = list(errors)
    for c in contract_changes:
        if c.breaking:
            attention.append(f"breaking contract change in `{c.dataset}`: {'; '.join(c.breaking)}")
    for a in access:
        if a.pii_gained:
            cols = ", ".join(f"`{c}`" for c in a.pii_gained)
            attention.append(f"PII made visible: persona `{a.persona}` gains {cols} of `{a.dataset}`")
    for r in resources:
        if r.stateful_loss:
            verb = "replaced (destroyed and re-created)" if r.action == "replace" else "destroyed"
            attention.append(f"stateful resource {verb}: `{r.address}` ({r.type})")

    out = [f"## Lake review against `{base}` ({short})", "", f"{len(files)} file(s) changed.", ""]
    out += ["### Needs attention", ""]
    out += [f"- :warning: {line}" for line in attention] or ["- nothing: no breaking, PII or stateful-loss change"]
    out.append("")

    out += ["### Datasets", ""]
    if contract_changes:
        out += ["| dataset | change | verdict |", "|---|---|---|"]
        for c in contract_changes:
            details = "; ".join(c.breaking + c.compatible) or "data-quality rules only"
            out.append(f"| `{c.dataset}` | {c.status}: {details} | {c.verdict} |")
        for c in contract_changes:
            if c.breaking and reaches.get(c.dataset):
                out.append(f"\n`{c.dataset}` reaches: {'; '.join(reaches[c.dataset])}.")
    else:
        out.append("No contract changed.")
    out.append("")

    out += ["### Effective access", ""]
    if access:
        for a in access:
            flag = " :warning: PII" if a.pii_gained else ""
            out.append(f"- `{a.persona}` on `{a.dataset}`: {'; '.join(a.lines)}{flag}")
    else:
        out.append("No persona gains or loses access.")
    out.append("")

    out += ["### Terraform resources", ""]
    if resources:
        out += ["| module | create | update | replace | destroy |", "|---|---|---|---|---|"]
        modules = sorted({r.module for r in resources})
        for module in modules:
            counts = [sum(1 for r in resources if r.module == module and r.action == a) for a in _ACTIONS]
            out.append(f"| `{module}` | " + " | ".join(str(n) for n in counts) + " |")
        flagged = [r for r in resources if r.stateful_loss]
        out += [f"- :warning: {r.action} `{r.address}`" for r in flagged]
    else:
        out.append("No plan JSON given (PLAN_JSON=...) or no resource changes in it.")
    out.append("")

    out += ["### Data-quality rules", ""]
    out += [f"- `{dataset}`: {line}" for dataset, line in quality] or ["No data-quality rule changed."]
    return "\n".join(out) + "\n"


_ACTIONS = ("create", "update", "replace", "delete")


def _review_cmd(args: argparse.Namespace) -> int:
    report = build_report(Path(args.repo), args.base, Path(args.plan) if args.plan else None)
    if args.output:
        Path(args.output).write_text(report, encoding="utf-8")
    sys.stdout.write(report)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``review`` to the lakectl CLI."""
    p = sub.add_parser("review", help="Markdown review summary of the working tree against a base ref")
    p.add_argument("--base", default="origin/main", help="git ref to compare with (default origin/main)")
    p.add_argument("--plan", default=None, help="plan JSON from `terraform show -json PLANFILE` (optional)")
    p.add_argument("--repo", default=".", help="repository to review (default: the current directory)")
    p.add_argument("--output", default=None, help="also write the report to this file")
    p.set_defaults(func=_review_cmd)
