"""Least-privilege checks on IAM policy documents and S3 bucket policies (used by ``make audit``).

Input: policy JSON documents, or whole ``terraform show -json`` outputs (plan or state) from which every
``aws_iam_policy``, ``aws_iam_role_policy``, ``aws_iam_user_policy``, ``aws_iam_group_policy``, inline role policy,
``aws_iam_policy_document`` data source and ``aws_s3_bucket_policy`` is extracted.

IAM checks (Allow statements): no ``*`` / ``*:*`` action; no ``NotAction`` / ``NotResource``; no write action
(``Put*``, ``Create*``, ``Delete*``, ``iam:PassRole``, ``service:*``, ...) on a wildcard resource, except the few
actions AWS only authorises on ``*`` (listed in ``STAR_ONLY_ACTIONS``).
S3 bucket-policy checks: a Deny for every principal when ``aws:SecureTransport`` is false; a Deny of
``s3:PutObject`` without (or with another than) server-side encryption; no Allow to an anonymous principal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Verbs whose actions change state. An action pattern is a write when its verb part starts with one of these or
# when its literal prefix before a '*' could still expand to one (``s3:*``, ``s3:P*``).
WRITE_VERBS = (
    "Abort",
    "Add",
    "Associate",
    "Attach",
    "BatchCreate",
    "BatchDelete",
    "BatchPut",
    "BatchUpdate",
    "BatchWrite",
    "Cancel",
    "Complete",
    "Copy",
    "Create",
    "Delete",
    "Deregister",
    "Detach",
    "Disable",
    "Disassociate",
    "Enable",
    "Execute",
    "Import",
    "Invoke",
    "Modify",
    "Pass",
    "Publish",
    "Put",
    "Reboot",
    "Register",
    "Remove",
    "Replace",
    "Reset",
    "Restore",
    "Revoke",
    "Grant",
    "Run",
    "Send",
    "Set",
    "Start",
    "Stop",
    "Tag",
    "Terminate",
    "Untag",
    "Update",
    "Upload",
    "Write",
)
# Actions that AWS does not authorise per resource: "*" is the only valid Resource for them.
STAR_ONLY_ACTIONS = frozenset(
    a.lower()
    for a in (
        "cloudwatch:PutMetricData",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "textract:StartDocumentTextDetection",
        "textract:StartDocumentAnalysis",
        "lakeformation:GetDataAccess",
    )
)


@dataclass(frozen=True)
class Finding:
    """One failed check: which document, which statement, and what is wrong."""

    source: str
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.check}: {self.message}"


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _list(doc.get("Statement")) if isinstance(s, dict)]


def _sid(stmt: dict[str, Any], i: int) -> str:
    return f"Statement[{i}]" + (f" ({stmt['Sid']})" if stmt.get("Sid") else "")


def is_write_action(action: str) -> bool:
    """True when an action pattern (``svc:Verb*``) can grant a state-changing API call."""
    if action in ("*", "*:*"):
        return True
    _, _, verb = action.partition(":")
    literal = verb.split("*", 1)[0]
    if "*" in verb and any(w.lower().startswith(literal.lower()) for w in WRITE_VERBS):
        return True
    return any(verb.lower().startswith(w.lower()) for w in WRITE_VERBS)


def is_wildcard_resource(resource: str) -> bool:
    """True for ``*`` and ARNs whose resource part is only a wildcard (``arn:aws:s3:::*``)."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    return len(parts) == 6 and parts[5] in ("*", "*/*")


def check_iam_policy(doc: dict[str, Any], source: str = "policy") -> list[Finding]:
    """Least-privilege findings for one IAM policy document (identity-based)."""
    out: list[Finding] = []
    for i, stmt in enumerate(_statements(doc)):
        if stmt.get("Effect") != "Allow":
            continue
        where = f"{source} {_sid(stmt, i)}"
        if "NotAction" in stmt:
            out.append(Finding(where, "iam-not-action", "Allow with NotAction grants every other action"))
        if "NotResource" in stmt:
            out.append(Finding(where, "iam-not-resource", "Allow with NotResource grants every other resource"))
        actions = [str(a) for a in _list(stmt.get("Action"))]
        resources = [str(r) for r in _list(stmt.get("Resource"))]
        full = [a for a in actions if a in ("*", "*:*")]
        if full:
            out.append(Finding(where, "iam-star-action", f"action {full[0]!r} allows every API call"))
            continue
        wild = [r for r in resources if is_wildcard_resource(r)]
        if not wild:
            continue
        writes = [a for a in actions if is_write_action(a) and a.lower() not in STAR_ONLY_ACTIONS]
        if writes:
            out.append(
                Finding(
                    where,
                    "iam-write-on-wildcard",
                    f"write actions {writes} on wildcard resource {wild[0]!r}; name the resources",
                )
            )
    return out


def _principal_is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(v == "*" or v == ["*"] for v in principal.values())
    return False


def _conditions(stmt: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Condition block with lower-cased keys and list values (operators keep their case)."""
    out: dict[str, dict[str, list[str]]] = {}
    for op, kv in (stmt.get("Condition") or {}).items():
        if isinstance(kv, dict):
            out[op] = {k.lower(): [str(v).lower() for v in _list(val)] for k, val in kv.items()}
    return out


def _covers(actions: list[str], wanted: str) -> bool:
    svc, _, verb = wanted.lower().partition(":")
    for a in (x.lower() for x in actions):
        if a in ("*", "*:*", f"{svc}:*", wanted.lower()):
            return True
        a_svc, _, a_verb = a.partition(":")
        if a_svc == svc and a_verb.endswith("*") and verb.startswith(a_verb[:-1]):
            return True
    return False


def check_bucket_policy(doc: dict[str, Any], source: str = "bucket policy") -> list[Finding]:
    """Findings for one S3 bucket policy: TLS-only, encrypted puts only, no anonymous Allow."""
    out: list[Finding] = []
    denies_http = denies_unencrypted = False
    for i, stmt in enumerate(_statements(doc)):
        actions = [str(a) for a in _list(stmt.get("Action"))]
        cond = _conditions(stmt)
        everyone = _principal_is_everyone(stmt.get("Principal"))
        if stmt.get("Effect") == "Allow" and everyone and not cond:
            out.append(Finding(f"{source} {_sid(stmt, i)}", "s3-public-allow", "Allow to every principal"))
        if stmt.get("Effect") != "Deny" or not everyone:
            continue
        if _covers(actions, "s3:GetObject") and _covers(actions, "s3:PutObject"):
            for op in ("Bool", "BoolIfExists"):
                if cond.get(op, {}).get("aws:securetransport") == ["false"]:
                    denies_http = True
        if _covers(actions, "s3:PutObject"):
            for op in ("StringNotEquals", "StringNotEqualsIfExists"):
                if "s3:x-amz-server-side-encryption" in cond.get(op, {}):
                    denies_unencrypted = True
            if cond.get("Null", {}).get("s3:x-amz-server-side-encryption") == ["true"]:
                denies_unencrypted = True
    if not denies_http:
        out.append(
            Finding(source, "s3-deny-insecure-transport", "no Deny for all principals when aws:SecureTransport=false")
        )
    if not denies_unencrypted:
        out.append(
            Finding(
                source,
                "s3-deny-unencrypted-put",
                "no Deny of s3:PutObject without server-side encryption (s3:x-amz-server-side-encryption)",
            )
        )
    return out


# -- extracting documents from Terraform JSON ---------------------------------------------------------------------

_IAM_ATTRS = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
    "aws_iam_policy_document": "json",
}


def _modules(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield module
    for child in module.get("child_modules", []) or []:
        yield from _modules(child)


def _doc(text: Any) -> dict[str, Any] | None:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text.strip():
        return None
    return json.loads(text)


@dataclass
class Extracted:
    """Policy documents found in a Terraform JSON file, plus what could not be checked (unknown at plan)."""

    iam: list[tuple[str, dict[str, Any]]]
    bucket: list[tuple[str, dict[str, Any]]]
    buckets_without_policy: list[str]
    unknown: list[str]


def extract_from_terraform(tf: dict[str, Any]) -> Extracted:
    """IAM and bucket policies from ``terraform show -json`` (plan: planned_values + prior_state; or state)."""
    roots = []
    for top in ("planned_values", "values"):
        if isinstance(tf.get(top), dict) and tf[top].get("root_module"):
            roots.append(tf[top]["root_module"])
    prior = (tf.get("prior_state") or {}).get("values", {}).get("root_module")
    if prior:
        roots.append(prior)  # data sources (aws_iam_policy_document) are read into prior_state during plan
    iam: dict[str, dict[str, Any]] = {}
    bucket: dict[str, dict[str, Any]] = {}
    bucket_names: dict[str, str] = {}
    policy_buckets: set[str] = set()
    unknown: list[str] = []
    for root in roots:
        for module in _modules(root):
            for res in module.get("resources", []) or []:
                rtype, addr, values = res.get("type"), res.get("address", "?"), res.get("values") or {}
                if rtype in _IAM_ATTRS:
                    doc = _doc(values.get(_IAM_ATTRS[rtype]))
                    if doc is None:
                        unknown.append(addr)
                    else:
                        iam[addr] = doc
                elif rtype == "aws_iam_role":
                    for inline in values.get("inline_policy") or []:
                        doc = _doc(inline.get("policy"))
                        if doc:
                            iam[f"{addr} inline {inline.get('name', '')}"] = doc
                elif rtype == "aws_s3_bucket_policy":
                    doc = _doc(values.get("policy"))
                    if doc is None:
                        unknown.append(addr)
                    else:
                        bucket[addr] = doc
                    if values.get("bucket"):
                        policy_buckets.add(values["bucket"])
                elif rtype == "aws_s3_bucket" and res.get("mode", "managed") == "managed" and values.get("bucket"):
                    bucket_names[addr] = values["bucket"]
    missing = [f"{addr} ({name})" for addr, name in sorted(bucket_names.items()) if name not in policy_buckets]
    return Extracted(sorted(iam.items()), sorted(bucket.items()), missing, sorted(set(unknown)))


def audit_file(path: str | Path) -> tuple[list[Finding], int, list[str]]:
    """Check one JSON file (Terraform show output, IAM policy, or bucket policy): findings, checked count, notes."""
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    name = path.name
    if "Statement" in data:  # a bare policy document: a bucket policy names principals, an IAM policy does not
        is_bucket = any("Principal" in s for s in _statements(data))
        return (check_bucket_policy(data, name) if is_bucket else check_iam_policy(data, name)), 1, []
    ex = extract_from_terraform(data)
    findings: list[Finding] = []
    for addr, doc in ex.iam:
        findings += check_iam_policy(doc, f"{name}: {addr}")
    for addr, doc in ex.bucket:
        findings += check_bucket_policy(doc, f"{name}: {addr}")
    findings += [
        Finding(f"{name}: {b}", "s3-bucket-policy-missing", "bucket has no bucket policy")
        for b in ex.buckets_without_policy
    ]
    notes = [f"{name}: {u}: policy unknown until apply, not checked" for u in ex.unknown]
    return findings, len(ex.iam) + len(ex.bucket), notes


def _audit_cmd(args: argparse.Namespace) -> int:
    total = 0
    findings: list[Finding] = []
    for file in args.files:
        found, checked, notes = audit_file(file)
        findings += found
        total += checked
        for note in notes:
            print(f"note: {note}")
    for finding in findings:
        print(f"FAIL {finding}", file=sys.stderr)
    print(f"audit-policies: {total} policy documents checked, {len(findings)} findings")
    return 1 if findings else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``audit-policies`` to the lakectl CLI."""
    p = sub.add_parser("audit-policies", help="least-privilege checks on IAM and S3 bucket policy JSON")
    p.add_argument("files", nargs="+", help="policy JSON documents or `terraform show -json` outputs")
    p.set_defaults(func=_audit_cmd)
