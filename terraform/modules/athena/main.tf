# Athena workgroup for analysts and dashboards: enforced settings, KMS-encrypted results, a scan limit,
# and the dashboards' named queries loaded from queries/*.sql (the same files run on a local engine).

locals {
  name           = "${var.prefix}-${var.env}"
  queries_dir    = coalesce(var.queries_dir, "${path.module}/queries")
  queries        = { for f in fileset(local.queries_dir, "*.sql") : trimsuffix(f, ".sql") => file("${local.queries_dir}/${f}") }
  results_prefix = "athena-results/"
}

resource "aws_athena_workgroup" "lake" {
  name          = "${local.name}-analytics"
  description   = "Lake analytics: encrypted results, ${var.bytes_scanned_cutoff} bytes scanned per query at most"
  force_destroy = var.env == "local"
  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff
    engine_version {
      selected_engine_version = "Athena engine version 3"
    }
    result_configuration {
      output_location = "s3://${var.results_bucket}/${local.results_prefix}"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
  tags = var.tags
}

resource "aws_athena_named_query" "dashboard" {
  for_each    = local.queries
  name        = each.key
  description = trimprefix(split("\n", each.value)[0], "-- ")
  workgroup   = aws_athena_workgroup.lake.id
  database    = var.default_database
  query       = each.value
}
