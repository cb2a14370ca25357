# Amazon Managed Grafana with the Athena and Timestream data sources; dashboards are analytics/dashboards/*.json
# (imported through the Grafana HTTP API, see analytics/README.md). Behind a flag: it needs IAM Identity Center.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["grafana.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
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
  statement {
    sid       = "TimestreamEndpoints"
    actions   = ["timestream:DescribeEndpoints", "timestream:ListDatabases", "timestream:SelectValues"]
    resources = ["*"] # no resource-level permissions for these actions
  }
}

resource "aws_iam_role" "grafana" {
  count              = var.enabled ? 1 : 0
  name               = "${var.name_prefix}-grafana"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "grafana" {
  count  = var.enabled ? 1 : 0
  name   = "dashboards-read"
  role   = aws_iam_role.grafana[0].id
  policy = data.aws_iam_policy_document.grafana.json
}

resource "aws_grafana_workspace" "this" {
  count                    = var.enabled ? 1 : 0
  name                     = "${var.name_prefix}-dashboards"
  account_access_type      = "CURRENT_ACCOUNT"
  authentication_providers = ["AWS_SSO"]
  permission_type          = "CUSTOMER_MANAGED"
  role_arn                 = aws_iam_role.grafana[0].arn
  data_sources             = ["ATHENA", "TIMESTREAM"]
  grafana_version          = "10.4"
  tags                     = var.tags

  configuration = jsonencode({
    plugins         = { pluginAdminEnabled = false }
    unifiedAlerting = { enabled = true }
  })
}
