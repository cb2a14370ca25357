"""Least-privilege checks: every check passes a good document and fails its bad counterpart."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lakectl.policy_audit import (
    audit_file,
    check_bucket_policy,
    check_iam_policy,
    extract_from_terraform,
    is_write_action,
)

POLICIES = Path(__file__).parent / "policies"
GOOD_IAM = json.loads((POLICIES / "good_glue_job_role.json").read_text())
GOOD_BUCKET = json.loads((POLICIES / "good_bucket_policy.json").read_text())


def _with(doc: dict, statement: dict) -> dict:
    out = copy.deepcopy(doc)
    out["Statement"].append(statement)
    return out


def test_good_documents_pass():
    assert check_iam_policy(GOOD_IAM) == []
    assert check_bucket_policy(GOOD_BUCKET) == []


@pytest.mark.parametrize(
    ("statement", "check"),
    [
        ({"Effect": "Allow", "Action": "*:*", "Resource": "arn:aws:s3:::b/*"}, "iam-star-action"),
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "iam-star-action"),
        ({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}, "iam-write-on-wildcard"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}, "iam-write-on-wildcard"),
        ({"Effect": "Allow", "Action": ["logs:Put*"], "Resource": ["*"]}, "iam-write-on-wildcard"),
        ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}, "iam-write-on-wildcard"),
        ({"Effect": "Allow", "Action": "dynamodb:BatchWriteItem", "Resource": "*"}, "iam-write-on-wildcard"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}, "iam-not-action"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/*"}, "iam-not-resource"),
    ],
)
def test_each_iam_check_fails_on_a_bad_statement(statement, check):
    findings = check_iam_policy(_with(GOOD_IAM, statement), "role")
    assert [f.check for f in findings] == [check]
    assert findings[0].source == f"role Statement[{len(GOOD_IAM['Statement'])}]"


def test_reads_on_wildcard_and_star_only_actions_are_allowed():
    reads = {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "glue:Get*", "athena:List*"], "Resource": "*"}
    assert check_iam_policy(_with(GOOD_IAM, reads)) == []
    assert (
        check_iam_policy(_with(GOOD_IAM, {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"})) == []
    )
    assert is_write_action("s3:*") and is_write_action("s3:P*") and not is_write_action("s3:Get*")
    assert is_write_action("glue:StartJobRun") and not is_write_action("glue:GetJobRun")


def _without(doc: dict, sid: str) -> dict:
    out = copy.deepcopy(doc)
    out["Statement"] = [s for s in out["Statement"] if s.get("Sid") != sid]
    return out


def test_bucket_policy_without_tls_deny_fails():
    assert [f.check for f in check_bucket_policy(_without(GOOD_BUCKET, "DenyInsecureTransport"))] == [
        "s3-deny-insecure-transport"
    ]
    wrong = copy.deepcopy(GOOD_BUCKET)
    wrong["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"] = "true"  # denies HTTPS instead
    assert [f.check for f in check_bucket_policy(wrong)] == ["s3-deny-insecure-transport"]
    narrow = copy.deepcopy(GOOD_BUCKET)
    narrow["Statement"][0]["Action"] = "s3:GetObject"  # plain-HTTP writes still allowed
    assert [f.check for f in check_bucket_policy(narrow)] == ["s3-deny-insecure-transport"]


def test_bucket_policy_without_encryption_deny_fails():
    assert [f.check for f in check_bucket_policy(_without(GOOD_BUCKET, "DenyNonKmsPuts"))] == [
        "s3-deny-unencrypted-put"
    ]
    null_form = _with(
        _without(GOOD_BUCKET, "DenyNonKmsPuts"),
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
        },
    )
    assert check_bucket_policy(null_form) == []


def test_bucket_policy_allowing_everyone_fails():
    public = _with(
        GOOD_BUCKET, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    )
    assert [f.check for f in check_bucket_policy(public)] == ["s3-public-allow"]


def test_terraform_plan_json_is_audited_resource_by_resource():
    plan = json.loads((POLICIES / "terraform_plan.json").read_text())
    extracted = extract_from_terraform(plan)
    assert [a for a, _ in extracted.iam] == [
        "module.glue.aws_iam_role_policy.job",
        "module.lambda.data.aws_iam_policy_document.ingest",
    ]
    assert extracted.unknown == ["module.glue.aws_iam_policy.crawler"]
    findings, checked, notes = audit_file(POLICIES / "terraform_plan.json")
    assert checked == 3
    got = sorted((f.source.split(": ", 1)[1].split(" Statement")[0], f.check) for f in findings)
    assert got == [
        ('module.data_lake_storage.aws_s3_bucket.zone["curated"] (energylake-dev-curated)', "s3-bucket-policy-missing"),
        ('module.data_lake_storage.aws_s3_bucket_policy.zone["raw"]', "s3-deny-unencrypted-put"),
        ("module.glue.aws_iam_role_policy.job", "iam-write-on-wildcard"),
        ("module.lambda.data.aws_iam_policy_document.ingest", "iam-star-action"),
    ]
    assert notes == ["terraform_plan.json: module.glue.aws_iam_policy.crawler: policy unknown until apply, not checked"]


def test_cli_exit_code_follows_findings(tmp_path):
    cmd = [sys.executable, "-m", "lakectl", "audit-policies"]
    ok = subprocess.run([*cmd, str(POLICIES / "good_glue_job_role.json"), str(POLICIES / "good_bucket_policy.json")],
                        capture_output=True, text=True, check=False)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "2 policy documents checked, 0 findings" in ok.stdout
    bad = subprocess.run([*cmd, str(POLICIES / "terraform_plan.json")], capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert bad.stderr.count("FAIL ") == 4
