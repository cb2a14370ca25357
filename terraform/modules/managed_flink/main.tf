# Managed Service for Apache Flink running analytics/streaming (PyFlink SQL), its Kinesis outputs and the
# consumers: alerts → Lambda → SNS, late/rejected → Firehose → S3. The 1-minute aggregates stay on their
# Kinesis stream: this module creates no time-series database (the hot-path store is timestream_influxdb,
# or streaming_ingestion's LiveAnalytics readings in accounts that still have it).

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region  = data.aws_region.current.name
  outputs = toset(["aggregates", "alerts", "errors"])
  influx  = var.influxdb != null
}

resource "aws_kinesis_stream" "output" {
  for_each         = local.outputs
  name             = "${var.name_prefix}-telemetry-${each.key}"
  shard_count      = var.output_shard_count
  retention_period = 24
  encryption_type  = "KMS"
  kms_key_id       = var.kms_key_arn
  tags             = var.enable_stream_tags ? var.tags : {}
}

resource "aws_s3_object" "application" {
  count       = var.enable_application ? 1 : 0
  bucket      = var.artifacts_bucket_id
  key         = "analytics/flink/telemetry-analytics-${filemd5(var.application_zip_path)}.zip"
  source      = var.application_zip_path
  kms_key_id  = var.kms_key_arn
  source_hash = filemd5(var.application_zip_path)
  tags        = var.tags
  lifecycle {
    precondition {
      condition     = var.application_zip_path != null
      error_message = "application_zip_path is required when enable_application = true (`make flink-package FLINK_CONNECTOR_JAR=...`)."
    }
  }
}

resource "aws_cloudwatch_log_group" "flink" {
  name              = "/aws/kinesis-analytics/${var.name_prefix}-telemetry-analytics"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_stream" "flink" {
  name           = "application"
  log_group_name = aws_cloudwatch_log_group.flink.name
}

data "aws_iam_policy_document" "flink" {
  statement {
    sid     = "ReadTelemetry"
    actions = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards", "kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer", "kinesis:RegisterStreamConsumer"]
    # Exactly the telemetry streams the job reads (and their enhanced fan-out consumers), nothing else.
    resources = flatten([for arn in values(var.input_stream_arns) : [arn, "${arn}/*"]])
  }
  statement {
    sid       = "WriteOutputs"
    actions   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:PutRecord", "kinesis:PutRecords", "kinesis:ListShards"]
    resources = [for s in aws_kinesis_stream.output : s.arn]
  }
  statement {
    sid       = "ReadCode"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.artifacts_bucket_arn}/analytics/flink/*"]
  }
  statement {
    sid       = "Kms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_group.flink.arn, "${aws_cloudwatch_log_group.flink.arn}:*"]
  }
}

module "flink_role" {
  source             = "../service_role"
  name               = "${var.name_prefix}-flink-telemetry"
  service_principals = ["kinesisanalytics.amazonaws.com"]
  trust_conditions   = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [data.aws_caller_identity.current.account_id] }]
  inline_policies    = { telemetry-analytics = data.aws_iam_policy_document.flink.json }
  tags               = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.flink
  to   = module.flink_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.flink
  to   = module.flink_role.aws_iam_role_policy.this["telemetry-analytics"]
}

resource "aws_kinesisanalyticsv2_application" "telemetry" {
  count                  = var.enable_application ? 1 : 0
  name                   = "${var.name_prefix}-telemetry-analytics"
  runtime_environment    = "FLINK-1_20"
  service_execution_role = module.flink_role.arn
  start_application      = var.start_application
  tags                   = var.tags

  application_configuration {
    application_code_configuration {
      code_content_type = "ZIPFILE"
      code_content {
        s3_content_location {
          bucket_arn = var.artifacts_bucket_arn
          file_key   = aws_s3_object.application[0].key
        }
      }
    }

    environment_properties {
      # How Managed Flink starts a Python job: main.py at the zip root, connector JAR on the classpath.
      property_group {
        property_group_id = "kinesis.analytics.flink.run.options"
        property_map = {
          python  = "main.py"
          jarfile = "lib/${var.connector_jar_name}"
        }
      }
      # Read by analytics/streaming/app.py.
      property_group {
        property_group_id = "StreamingJob"
        # One input.<name>.stream.arn per telemetry stream (a source table each in the SQL).
        property_map = merge(
          { for name, arn in var.input_stream_arns : "input.${name}.stream.arn" => arn },
          {
            "aws.region"            = local.region
            "aggregates.stream.arn" = aws_kinesis_stream.output["aggregates"].arn
            "alerts.stream.arn"     = aws_kinesis_stream.output["alerts"].arn
            "errors.stream.arn"     = aws_kinesis_stream.output["errors"].arn
            "source.init.position"  = "LATEST"
          }
        )
      }
    }

    flink_application_configuration {
      checkpoint_configuration {
        configuration_type = "DEFAULT"
      }
      monitoring_configuration {
        configuration_type = "CUSTOM"
        log_level          = "INFO"
        metrics_level      = "APPLICATION"
      }
      parallelism_configuration {
        configuration_type   = "CUSTOM"
        parallelism          = var.parallelism
        parallelism_per_kpu  = 1
        auto_scaling_enabled = true
      }
    }

    application_snapshot_configuration {
      snapshots_enabled = true
    }
  }

  cloudwatch_logging_options {
    log_stream_arn = aws_cloudwatch_log_stream.flink.arn
  }
}

# ---- alerts: Kinesis → Lambda → SNS ---------------------------------------------------------------------

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-telemetry-alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alert_email_subscriptions)
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

module "consumer_role" {
  source             = "../service_role"
  for_each           = local.consumers
  name               = "${var.name_prefix}-telemetry-${each.key}-consumer"
  service_principals = ["lambda.amazonaws.com"]
  inline_policies    = { "consume-${each.key}" = data.aws_iam_policy_document.consumer[each.key].json }
  # The network interfaces of a function in a VPC: AWS's managed policy for exactly this ("Giving Lambda functions
  # access to resources in an Amazon VPC", https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
  managed_policy_arns = each.value.vpc ? { AWSLambdaVPCAccessExecutionRole = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole" } : {}
  tags                = var.tags
}

# The role, its policy and the VPC policy's attachment were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.consumer["alerts"]
  to   = module.consumer_role["alerts"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.consumer["alerts"]
  to   = module.consumer_role["alerts"].aws_iam_role_policy.this["consume-alerts"]
}

moved {
  from = aws_iam_role_policy_attachment.consumer_vpc["alerts"]
  to   = module.consumer_role["alerts"].aws_iam_role_policy_attachment.this["AWSLambdaVPCAccessExecutionRole"]
}

data "aws_iam_policy_document" "consumer" {
  for_each = local.consumers
  statement {
    actions   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards", "kinesis:ListStreams"]
    resources = [aws_kinesis_stream.output[each.key].arn]
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${local.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${var.name_prefix}-telemetry-${each.key}-consumer:*"]
  }
  statement {
    sid       = "OnFailureDestination"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.consumer_failures.arn]
  }
  dynamic "statement" {
    for_each = each.key == "alerts" ? [1] : []
    content {
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.alerts.arn]
    }
  }
  # The InfluxDB instance's own secret (organization, bucket, credentials), as the telemetry writer reads it.
  dynamic "statement" {
    for_each = each.key == "alerts" && local.influx ? [1] : []
    content {
      sid       = "InfluxDbSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.influxdb.secret_arn]
    }
  }
}

resource "aws_cloudwatch_log_group" "consumer" {
  for_each          = local.consumers
  name              = "/aws/lambda/${var.name_prefix}-telemetry-${each.key}-consumer"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

locals {
  # Alerts are written to InfluxDB (when configured) and published to SNS; the aggregates stream has no consumer
  # here (no time-series store of its own). The InfluxDB variables are the telemetry writer's
  # (lambda/functions.json: telemetry_influx_writer), read by analytics.streaming.consumers.
  consumers = {
    alerts = {
      handler = "analytics.streaming.consumers.alerts_handler"
      env = merge(
        { ALERTS_TOPIC_ARN = aws_sns_topic.alerts.arn },
        local.influx ? { INFLUXDB_URL = var.influxdb.url, INFLUXDB_SECRET_ARN = var.influxdb.secret_arn } : {},
      )
      vpc = local.influx
    }
  }
}

# ---- the alerts consumer in the VPC, when it writes to InfluxDB ---------------------------------------------

# The consumer's group: influxdb_client_sg, the group every InfluxDB client has (egress to the port and HTTPS only).
module "alerts_client" {
  source                     = "../influxdb_client_sg"
  count                      = local.influx ? 1 : 0
  name                       = "${var.name_prefix}-telemetry-alerts-consumer"
  description                = "Alerts consumer Lambda: InfluxDB and HTTPS to AWS APIs (Secrets Manager, SNS) only"
  vpc_id                     = var.influxdb.vpc_id
  influxdb_security_group_id = var.influxdb.security_group_id
  influxdb_port              = var.influxdb.port
  aws_apis_rule_description  = "HTTPS to Secrets Manager and SNS (through NAT or VPC interface endpoints)"
  tags                       = var.tags
}

# The group and its rules were this module's own resources: moved, not replaced.
moved {
  from = aws_security_group.alerts_consumer[0]
  to   = module.alerts_client[0].aws_security_group.this
}

moved {
  from = aws_vpc_security_group_egress_rule.alerts_to_influxdb[0]
  to   = module.alerts_client[0].aws_vpc_security_group_egress_rule.to_influxdb
}

moved {
  from = aws_vpc_security_group_egress_rule.alerts_to_aws_apis[0]
  to   = module.alerts_client[0].aws_vpc_security_group_egress_rule.to_aws_apis
}

resource "aws_lambda_function" "consumer" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by the Kinesis event source mapping, where a function DLQ never applies; failed batches go to the mapping's on-failure SQS queue below.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile per organisation; the zip is built reproducibly by `make flink-package`.
  for_each         = local.consumers
  function_name    = "${var.name_prefix}-telemetry-${each.key}-consumer"
  role             = module.consumer_role[each.key].arn
  runtime          = "python3.11"
  handler          = each.value.handler
  filename         = var.consumers_zip_path
  source_code_hash = filebase64sha256(var.consumers_zip_path)
  timeout          = 60
  kms_key_arn      = var.kms_key_arn
  # At most one concurrent batch per shard (parallelization factor 1); reserving caps cost per deployment.
  reserved_concurrent_executions = var.reserved_concurrency
  tags                           = var.tags
  environment {
    variables = each.value.env
  }
  dynamic "vpc_config" {
    for_each = each.value.vpc ? [1] : []
    content {
      subnet_ids         = var.influxdb.subnet_ids
      security_group_ids = [module.alerts_client[0].security_group_id]
    }
  }
  tracing_config {
    mode = "Active"
  }
  # Creating a function in a VPC needs the ENI permissions already attached to its role.
  depends_on = [aws_cloudwatch_log_group.consumer, module.consumer_role]
}

resource "aws_lambda_event_source_mapping" "consumer" {
  for_each                       = local.consumers
  function_name                  = aws_lambda_function.consumer[each.key].arn
  event_source_arn               = aws_kinesis_stream.output[each.key].arn
  starting_position              = "LATEST"
  batch_size                     = 100
  maximum_retry_attempts         = 3
  bisect_batch_on_function_error = true
  function_response_types        = ["ReportBatchItemFailures"]
  # Batches still failing after the retries are recorded (shard, sequence range) instead of being dropped.
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.consumer_failures.arn
    }
  }
}

resource "aws_sqs_queue" "consumer_failures" {
  name                              = "${var.name_prefix}-telemetry-consumer-failures"
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600 # 14 days to replay from the stream records' metadata
  tags                              = var.tags
}

# ---- late and rejected records: Kinesis → Firehose → S3 errors/streaming/ -----------------------------------

data "aws_iam_policy_document" "firehose" {
  statement {
    actions   = ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"]
    resources = [aws_kinesis_stream.output["errors"].arn]
  }
  statement {
    actions   = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"]
    resources = [var.errors_bucket_arn, "${var.errors_bucket_arn}/errors/streaming/*"]
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

module "firehose_role" {
  source             = "../service_role"
  name               = "${var.name_prefix}-telemetry-errors-firehose"
  service_principals = ["firehose.amazonaws.com"]
  inline_policies    = { deliver-streaming-errors = data.aws_iam_policy_document.firehose.json }
  tags               = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.firehose
  to   = module.firehose_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.firehose
  to   = module.firehose_role.aws_iam_role_policy.this["deliver-streaming-errors"]
}

resource "aws_kinesis_firehose_delivery_stream" "errors" {
  name        = "${var.name_prefix}-telemetry-streaming-errors"
  destination = "extended_s3"
  tags        = var.tags

  kinesis_source_configuration {
    kinesis_stream_arn = aws_kinesis_stream.output["errors"].arn
    role_arn           = module.firehose_role.arn
  }

  extended_s3_configuration {
    role_arn            = module.firehose_role.arn
    bucket_arn          = var.errors_bucket_arn
    kms_key_arn         = var.kms_key_arn
    prefix              = "errors/streaming/flink/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"
    error_output_prefix = "errors/streaming/firehose-!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"
    buffering_interval  = 300
    buffering_size      = 64
    compression_format  = "GZIP"
  }
}
