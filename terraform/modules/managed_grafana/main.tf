# Amazon Managed Grafana with the Athena data source, the InfluxDB hot path through a VPC connection, and
# Timestream where LiveAnalytics tables are given; dashboards are analytics/dashboards/*.json
# (imported through the Grafana HTTP API, see analytics/README.md). Behind a flag: it needs IAM Identity Center.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  account    = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  timestream = length(var.timestream_table_arns) > 0
  influx_vpc = var.enabled && var.influxdb != null
}

data "aws_iam_policy_document" "grafana" {
  statement {
    sid       = "AthenaQueries"
    actions   = ["athena:GetWorkGroup", "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:ListDataCatalogs", "athena:ListDatabases", "athena:ListTableMetadata", "athena:GetTableMetadata"]
    resources = ["arn:aws:athena:${local.region}:${local.account}:workgroup/${var.athena_workgroup}", "arn:aws:athena:${local.region}:${local.account}:datacatalog/AwsDataCatalog"]
  }
  statement {
    sid     = "CuratedCatalog"
    actions = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"]
    resources = [
      "arn:aws:glue:${local.region}:${local.account}:catalog",
      "arn:aws:glue:${local.region}:${local.account}:database/${var.glue_database}",
      "arn:aws:glue:${local.region}:${local.account}:table/${var.glue_database}/*",
    ]
  }
  statement {
    sid     = "LakeFormationVending"
    actions = ["lakeformation:GetDataAccess"]
    # No resource-level permissions. The curated zone is registered with Lake Formation: Athena reads it with
    # credentials vended per the role's LF grants (lake_formation module, dashboard_role_arns), never directly.
    resources = ["*"]
  }
  statement {
    sid       = "AthenaResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:AbortMultipartUpload"]
    resources = [var.athena_results_bucket_arn, "${var.athena_results_bucket_arn}/athena-results/*"]
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  dynamic "statement" {
    for_each = length(var.timestream_table_arns) > 0 ? [1] : []
    content {
      sid       = "TimestreamRead"
      actions   = ["timestream:Select", "timestream:DescribeTable", "timestream:ListMeasures"]
      resources = var.timestream_table_arns
    }
  }
  dynamic "statement" {
    for_each = local.timestream ? [1] : []
    content {
      sid       = "TimestreamEndpoints"
      actions   = ["timestream:DescribeEndpoints", "timestream:ListDatabases", "timestream:SelectValues"]
      resources = ["*"] # no resource-level permissions for these actions
    }
  }
}

# The InfluxDB hot path is private: the workspace connects to the lake's VPC ("Amazon Managed Grafana API,
# VpcConfiguration": at least two subnets, one to five security groups,
# https://docs.aws.amazon.com/grafana/latest/APIReference/API_VpcConfiguration.html). Once connected, the
# workspace's outbound traffic leaves through the VPC, so Athena is reached on 443 (NAT or endpoints).
# Its group is influxdb_client_sg, the group every InfluxDB client has (egress to the port and HTTPS only).
module "grafana_client" {
  source                     = "../influxdb_client_sg"
  count                      = local.influx_vpc ? 1 : 0
  name                       = "${var.name_prefix}-grafana"
  description                = "Managed Grafana workspace: InfluxDB hot path and HTTPS to AWS APIs only"
  vpc_id                     = var.influxdb.vpc_id
  influxdb_security_group_id = var.influxdb.security_group_id
  influxdb_port              = var.influxdb.port
  aws_apis_rule_description  = "HTTPS to AWS APIs (Athena, Glue, STS) through NAT or VPC endpoints"
  tags                       = var.tags
}

# The group and its rules were this module's own resources: moved, not replaced.
moved {
  from = aws_security_group.grafana[0]
  to   = module.grafana_client[0].aws_security_group.this
}

moved {
  from = aws_vpc_security_group_egress_rule.grafana_to_influxdb[0]
  to   = module.grafana_client[0].aws_vpc_security_group_egress_rule.to_influxdb
}

moved {
  from = aws_vpc_security_group_egress_rule.grafana_to_aws_apis[0]
  to   = module.grafana_client[0].aws_vpc_security_group_egress_rule.to_aws_apis
}

module "grafana_role" {
  source             = "../service_role"
  count              = var.enabled ? 1 : 0
  name               = "${var.name_prefix}-grafana"
  service_principals = ["grafana.amazonaws.com"]
  trust_conditions   = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [data.aws_caller_identity.current.account_id] }]
  inline_policies    = { dashboards-read = data.aws_iam_policy_document.grafana.json }
  tags               = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.grafana[0]
  to   = module.grafana_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.grafana[0]
  to   = module.grafana_role[0].aws_iam_role_policy.this["dashboards-read"]
}

resource "aws_grafana_workspace" "this" {
  count                    = var.enabled ? 1 : 0
  name                     = "${var.name_prefix}-dashboards"
  account_access_type      = "CURRENT_ACCOUNT"
  authentication_providers = ["AWS_SSO"]
  permission_type          = "CUSTOMER_MANAGED"
  role_arn                 = module.grafana_role[0].arn
  data_sources             = local.timestream ? ["ATHENA", "TIMESTREAM"] : ["ATHENA"] # InfluxDB is a core Grafana data source, not an AWS one
  grafana_version          = "10.4"
  tags                     = var.tags

  dynamic "vpc_configuration" {
    for_each = local.influx_vpc ? [1] : []
    content {
      subnet_ids         = var.influxdb.subnet_ids
      security_group_ids = [module.grafana_client[0].security_group_id]
    }
  }

  configuration = jsonencode({
    plugins         = { pluginAdminEnabled = false }
    unifiedAlerting = { enabled = true }
  })
}
