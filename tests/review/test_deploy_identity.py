"""The CI apply role can create what the lake's modules declare: each resource type's service is granted.

A module that starts using a new AWS service fails here, naming the resource type, rather than in the first
`make apply` on AWS with AccessDenied.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = REPO_ROOT / "terraform" / "modules"
IDENTITY = MODULES / "deploy_identity"

# Terraform resource-type prefix -> IAM service prefix (Service Authorization Reference, "Actions, resources, and
# condition keys for AWS services"). The longest matching prefix wins.
SERVICE_OF_RESOURCE = {
    "aws_api_gateway_": "apigateway",
    "aws_athena_": "athena",
    "aws_cloudwatch_event_": "events",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_dms_": "dms",
    "aws_glue_": "glue",
    "aws_grafana_": "grafana",
    "aws_iam_": "iam",
    "aws_iot_": "iot",
    "aws_kinesis_firehose_": "firehose",
    "aws_kinesis_stream": "kinesis",
    "aws_kinesisanalyticsv2_": "kinesisanalytics",
    "aws_kms_": "kms",
    "aws_lakeformation_": "lakeformation",
    "aws_lambda_": "lambda",
    "aws_redshift_": "redshift",
    "aws_s3_": "s3",
    "aws_sagemaker_": "sagemaker",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_vpc_security_group_": "ec2",
    "aws_sns_": "sns",
    "aws_sqs_": "sqs",
    "aws_timestreaminfluxdb_": "timestream-influxdb",
    "aws_timestreamwrite_": "timestream",
    "aws_transfer_": "transfer",
    "aws_wafv2_": "wafv2",
}
# Granted by narrower statements of the apply role, not service-wide: the lake's buckets, its role and policy
# names, and security groups (the deploy identity's own provider is applied by an administrator).
NARROW = {"s3", "iam", "ec2"}


def _lake_services_default() -> set[str]:
    text = (IDENTITY / "variables.tf").read_text(encoding="utf-8")
    block = re.search(r'variable "lake_services" \{.*?default\s*=\s*\[(.*?)\]', text, re.S)
    assert block, "variables.tf declares lake_services with a default list"
    return set(re.findall(r'"([a-z0-9-]+)"', block.group(1)))


def _resource_types() -> dict[str, str]:
    found: dict[str, str] = {}
    for tf in sorted(MODULES.glob("*/*.tf")):
        if tf.parent == IDENTITY:
            continue
        for rtype in re.findall(r'^resource\s+"(aws_[a-z0-9_]+)"', tf.read_text(encoding="utf-8"), re.M):
            found.setdefault(rtype, tf.parent.name)
    return found


def test_every_service_the_modules_use_is_granted_to_the_apply_role() -> None:
    granted = _lake_services_default() | NARROW
    types = _resource_types()
    assert len(types) > 50
    for rtype, module in sorted(types.items()):
        prefixes = [p for p in SERVICE_OF_RESOURCE if rtype.startswith(p)]
        assert prefixes, f"{rtype} (module {module}): add its IAM service to SERVICE_OF_RESOURCE"
        service = SERVICE_OF_RESOURCE[max(prefixes, key=len)]
        assert service in granted, f"{rtype} (module {module}) needs {service!r} in deploy_identity's lake_services"


def test_service_wide_grants_exclude_identity_and_storage_services() -> None:
    assert not _lake_services_default() & {"iam", "sts", "s3", "organizations", "account", "sso"}
