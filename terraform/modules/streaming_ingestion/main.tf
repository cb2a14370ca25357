# Streaming ingestion: IoT topic rules -> Kinesis Data Streams (+ Timestream for live dashboards),
# Kinesis -> Firehose -> raw zone (dynamic partitioning by event hour, large buffers, error prefix,
# transformation Lambda), and a partner REST API (API key + request validation) -> Kinesis.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name       = "${var.prefix}-${var.env}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  raw_arn    = "arn:${local.partition}:s3:::${var.raw_bucket}"

  # Stream names follow the ingestion convention (<prefix>-<env>-telemetry-<source>, -partner-readings).
  streams = {
    windfarm = "${local.name}-telemetry-windfarm"
    devices  = "${local.name}-telemetry-devices"
    partner  = "${local.name}-partner-readings"
  }
  # Event-time field, S3 prefixes and partition-key query of each telemetry format, generated from
  # lambda/lakeingest/telemetry/layout.py (the same function local delivery uses): partitions follow
  # when the reading happened, not arrival.
  telemetry        = jsondecode(file(coalesce(var.telemetry_layout_file, "${path.module}/../../../lambda/lakeingest/telemetry/telemetry_layout.json"))).sources
  firehose_sources = var.enable_firehose ? local.telemetry : {}
  partner_api      = var.enable_partner_api && var.partner_model_schema != null && var.partner_request_template != null
}

# ---- Kinesis Data Streams --------------------------------------------------------------------------

resource "aws_kinesis_stream" "this" {
  for_each         = local.streams
  name             = each.value
  shard_count      = var.shard_count
  retention_period = var.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = var.kms_key_arn
  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
  shard_level_metrics = ["IncomingRecords", "IteratorAgeMilliseconds"]
  tags                = var.enable_stream_tags ? var.tags : {}
}

resource "aws_lambda_event_source_mapping" "partner" {
  count                          = var.enable_partner_writer ? 1 : 0
  event_source_arn               = aws_kinesis_stream.this["partner"].arn
  function_name                  = var.partner_writer_lambda_arn
  starting_position              = "TRIM_HORIZON"
  batch_size                     = 100
  maximum_retry_attempts         = 5
  bisect_batch_on_function_error = true
}

# ---- Firehose: Kinesis -> raw, partitioned by event hour --------------------------------------------

resource "aws_cloudwatch_log_group" "firehose" {
  for_each          = local.firehose_sources
  name              = "/aws/kinesisfirehose/${local.streams[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

module "firehose_role" {
  source             = "../service_role"
  count              = var.enable_firehose ? 1 : 0
  name               = "${local.name}-firehose"
  service_principals = ["firehose.amazonaws.com"]
  trust_conditions   = [{ test = "StringEquals", variable = "sts:ExternalId", values = [local.account_id] }]
  inline_policies    = { telemetry-delivery = jsonencode(local.firehose_policy) }
  tags               = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.firehose[0]
  to   = module.firehose_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.firehose[0]
  to   = module.firehose_role[0].aws_iam_role_policy.this["telemetry-delivery"]
}

locals {
  firehose_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "ReadTelemetryStreams"
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"]
        Resource = [for k in keys(local.telemetry) : aws_kinesis_stream.this[k].arn]
      },
      {
        Sid      = "WriteRaw"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"]
        Resource = [local.raw_arn, "${local.raw_arn}/telemetry/*", "${local.raw_arn}/errors/*"]
      },
      {
        Sid      = "LakeKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource = [var.kms_key_arn]
      },
      {
        Sid      = "DeliveryLogs"
        Effect   = "Allow"
        Action   = ["logs:PutLogEvents", "logs:CreateLogStream"]
        Resource = [for g in aws_cloudwatch_log_group.firehose : "${g.arn}:*"]
      },
      ], var.transform_lambda_arn == null ? [] : [{
        Sid      = "InvokeTransform"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"]
        Resource = [var.transform_lambda_arn, "${var.transform_lambda_arn}:*"]
    }])
  }
}

resource "aws_kinesis_firehose_delivery_stream" "telemetry" {
  for_each    = local.firehose_sources
  name        = local.streams[each.key] # the transform Lambda derives windfarm/devices from the name suffix
  destination = "extended_s3"

  kinesis_source_configuration {
    kinesis_stream_arn = aws_kinesis_stream.this[each.key].arn
    role_arn           = module.firehose_role[0].arn
  }

  extended_s3_configuration {
    role_arn            = module.firehose_role[0].arn
    bucket_arn          = local.raw_arn
    kms_key_arn         = var.kms_key_arn
    buffering_size      = var.buffer_size_mb
    buffering_interval  = var.buffer_interval_s
    compression_format  = "UNCOMPRESSED" # newline-delimited JSON, read by the telemetry job
    prefix              = local.telemetry[each.key].prefix
    error_output_prefix = local.telemetry[each.key].error_output_prefix

    dynamic_partitioning_configuration {
      enabled        = true
      retry_duration = 300
    }

    processing_configuration {
      enabled = true
      dynamic "processors" {
        for_each = var.transform_lambda_arn == null ? [] : [var.transform_lambda_arn]
        content {
          type = "Lambda"
          parameters {
            parameter_name  = "LambdaArn"
            parameter_value = "${processors.value}:$LATEST"
          }
          # Lambda buffering stays at the defaults (1 MB / 60 s); the provider does not store default-valued parameters.
        }
      }
      processors {
        type = "MetadataExtraction"
        parameters {
          parameter_name  = "JsonParsingEngine"
          parameter_value = "JQ-1.6"
        }
        parameters {
          parameter_name  = "MetadataExtractionQuery"
          parameter_value = local.telemetry[each.key].metadata_extraction_query
        }
      }
      processors {
        type = "AppendDelimiterToRecord"
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose[each.key].name
      log_stream_name = "S3Delivery"
    }
  }

  tags = var.tags
}

# ---- Timestream + IoT rules ---------------------------------------------------------------------------

resource "aws_timestreamwrite_database" "this" {
  count         = var.enable_timestream ? 1 : 0
  database_name = replace("${local.name}-telemetry", "-", "_")
  kms_key_id    = var.kms_key_arn
  tags          = var.tags
}

resource "aws_timestreamwrite_table" "readings" {
  count         = var.enable_timestream ? 1 : 0
  database_name = aws_timestreamwrite_database.this[0].database_name
  table_name    = "readings"
  retention_properties {
    memory_store_retention_period_in_hours  = 24
    magnetic_store_retention_period_in_days = 365
  }
  tags = var.tags
}

module "iot_role" {
  source             = "../service_role"
  count              = var.enable_iot_rules ? 1 : 0
  name               = "${local.name}-iot-rules"
  service_principals = ["iot.amazonaws.com"]
  trust_conditions   = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] }]
  inline_policies = { telemetry-routing = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "PutTelemetry"
        Effect   = "Allow"
        Action   = ["kinesis:PutRecord", "kinesis:PutRecords"]
        Resource = [for k in keys(local.telemetry) : aws_kinesis_stream.this[k].arn]
      },
      {
        Sid      = "StreamKey"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource = [var.kms_key_arn]
      },
      ], var.enable_timestream ? [
      {
        Sid      = "WriteTimestream"
        Effect   = "Allow"
        Action   = ["timestream:WriteRecords"]
        Resource = [aws_timestreamwrite_table.readings[0].arn]
      },
      {
        # Timestream endpoint discovery has no resource-level permission.
        Sid      = "TimestreamEndpoints"
        Effect   = "Allow"
        Action   = ["timestream:DescribeEndpoints"]
        Resource = ["*"]
      },
    ] : [])
  }) }
  tags = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.iot[0]
  to   = module.iot_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.iot[0]
  to   = module.iot_role[0].aws_iam_role_policy.this["telemetry-routing"]
}

resource "aws_iot_topic_rule" "telemetry" {
  for_each    = var.enable_iot_rules ? local.telemetry : {}
  name        = replace("${local.name}_${each.key}_telemetry", "-", "_")
  description = "Route ${each.key} telemetry to Kinesis"
  enabled     = true
  # Generated (lakeingest.telemetry.iot_rules): the message as sent, for the raw zone.
  sql         = replace(local.telemetry[each.key].raw_route_sql, "{topic_root}", var.iot_topic_root)
  sql_version = local.telemetry[each.key].raw_route_sql_version

  kinesis {
    role_arn      = module.iot_role[0].arn
    stream_name   = aws_kinesis_stream.this[each.key].name
    partition_key = "$${${local.telemetry[each.key].device_field}}"
  }
  tags = var.tags
}

# Timestream for LiveAnalytics (existing accounts only): a rule of its own, because every attribute of its
# result becomes a measure. Generated (lakeingest.telemetry.iot_rules, from lakeingest.telemetry.series):
# explicit typed measures in SQL V1 (V2 turns whole-number decimals into integers even after cast(): "AWS IoT
# Core, Timestream rule action", https://docs.aws.amazon.com/iot/latest/developerguide/timestream-rule-action.html),
# the tags as dimensions and the reading's own time as the record time.
resource "aws_iot_topic_rule" "timestream" {
  for_each    = var.enable_iot_rules && var.enable_timestream ? local.telemetry : {}
  name        = replace("${local.name}_${each.key}_timestream", "-", "_")
  description = "Typed ${each.key} telemetry measures to Timestream at the readings' event time"
  enabled     = true
  sql         = replace(local.telemetry[each.key].timestream_sql, "{topic_root}", var.iot_topic_root)
  sql_version = local.telemetry[each.key].timestream_sql_version

  timestream {
    role_arn      = module.iot_role[0].arn
    database_name = aws_timestreamwrite_database.this[0].database_name
    table_name    = aws_timestreamwrite_table.readings[0].table_name
    dynamic "dimension" {
      for_each = local.telemetry[each.key].timestream_dimensions
      content {
        name  = dimension.key
        value = dimension.value
      }
    }
    timestamp {
      unit  = "MILLISECONDS"
      value = local.telemetry[each.key].timestream_timestamp
    }
  }
  tags = var.tags
}

# ---- Partner API: API Gateway -> Kinesis (API key, request validation) -----------------------------

module "apigw_role" {
  source             = "../service_role"
  count              = local.partner_api ? 1 : 0
  name               = "${local.name}-partner-api"
  service_principals = ["apigateway.amazonaws.com"]
  inline_policies = { put-partner-readings = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PutPartnerReadings"
        Effect   = "Allow"
        Action   = ["kinesis:PutRecord"]
        Resource = [aws_kinesis_stream.this["partner"].arn]
      },
      {
        Sid      = "StreamKey"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey*"]
        Resource = [var.kms_key_arn]
      },
    ]
  }) }
  tags = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.apigw[0]
  to   = module.apigw_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.apigw[0]
  to   = module.apigw_role[0].aws_iam_role_policy.this["put-partner-readings"]
}

resource "aws_api_gateway_rest_api" "partner" {
  count       = local.partner_api ? 1 : 0
  name        = "${local.name}-partner-readings"
  description = "Partner meter readings into the lake (API key, validated body, Kinesis PutRecord)"
  endpoint_configuration {
    types = ["REGIONAL"]
  }
  lifecycle {
    create_before_destroy = true
  }
  tags = var.tags
}

resource "aws_api_gateway_resource" "readings" {
  count       = local.partner_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.partner[0].id
  parent_id   = aws_api_gateway_rest_api.partner[0].root_resource_id
  path_part   = "readings"
}

resource "aws_api_gateway_model" "reading" {
  count        = local.partner_api ? 1 : 0
  rest_api_id  = aws_api_gateway_rest_api.partner[0].id
  name         = "PartnerMeterReading"
  content_type = "application/json"
  schema       = var.partner_model_schema
}

resource "aws_api_gateway_request_validator" "body" {
  count                       = local.partner_api ? 1 : 0
  rest_api_id                 = aws_api_gateway_rest_api.partner[0].id
  name                        = "body-and-params"
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_method" "post" {
  count                = local.partner_api ? 1 : 0
  rest_api_id          = aws_api_gateway_rest_api.partner[0].id
  resource_id          = aws_api_gateway_resource.readings[0].id
  http_method          = "POST"
  authorization        = "NONE" # partners authenticate with API keys bound to a usage plan
  api_key_required     = true
  request_validator_id = aws_api_gateway_request_validator.body[0].id
  request_models       = { "application/json" = aws_api_gateway_model.reading[0].name }
}

resource "aws_api_gateway_integration" "kinesis" {
  count                   = local.partner_api ? 1 : 0
  rest_api_id             = aws_api_gateway_rest_api.partner[0].id
  resource_id             = aws_api_gateway_resource.readings[0].id
  http_method             = aws_api_gateway_method.post[0].http_method
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "arn:${local.partition}:apigateway:${local.region}:kinesis:action/PutRecord"
  credentials             = module.apigw_role[0].arn
  passthrough_behavior    = "NEVER"
  request_templates = {
    "application/json" = replace(var.partner_request_template, "$${stream_name}", aws_kinesis_stream.this["partner"].name)
  }
}

resource "aws_api_gateway_method_response" "ok" {
  count       = local.partner_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.partner[0].id
  resource_id = aws_api_gateway_resource.readings[0].id
  http_method = aws_api_gateway_method.post[0].http_method
  status_code = "200"
}

# Only a 2xx from Kinesis is acknowledged. The catch-all (no selection pattern) is the failure response:
# without it API Gateway answers 200 to a throttled or refused PutRecord and the partner never resends.
resource "aws_api_gateway_integration_response" "ok" {
  count             = local.partner_api ? 1 : 0
  rest_api_id       = aws_api_gateway_rest_api.partner[0].id
  resource_id       = aws_api_gateway_resource.readings[0].id
  http_method       = aws_api_gateway_method.post[0].http_method
  status_code       = aws_api_gateway_method_response.ok[0].status_code
  selection_pattern = "2\\d{2}"
  depends_on        = [aws_api_gateway_integration.kinesis]
}

resource "aws_api_gateway_method_response" "unavailable" {
  count       = local.partner_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.partner[0].id
  resource_id = aws_api_gateway_resource.readings[0].id
  http_method = aws_api_gateway_method.post[0].http_method
  status_code = "503"
}

resource "aws_api_gateway_integration_response" "failed" {
  count       = local.partner_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.partner[0].id
  resource_id = aws_api_gateway_resource.readings[0].id
  http_method = aws_api_gateway_method.post[0].http_method
  status_code = aws_api_gateway_method_response.unavailable[0].status_code
  response_templates = {
    "application/json" = jsonencode({ message = "reading not stored, retry later", requestId = "$context.requestId" })
  }
  depends_on = [aws_api_gateway_integration.kinesis]
}

resource "aws_api_gateway_deployment" "partner" {
  count       = local.partner_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.partner[0].id
  triggers = {
    redeploy = sha1(jsonencode([
      aws_api_gateway_method.post[0].id, aws_api_gateway_integration.kinesis[0].id,
      var.partner_model_schema, var.partner_request_template,
      aws_api_gateway_integration_response.ok[0].selection_pattern, aws_api_gateway_integration_response.failed[0].status_code,
    ]))
  }
  lifecycle {
    create_before_destroy = true
  }
  depends_on = [aws_api_gateway_integration_response.ok, aws_api_gateway_integration_response.failed]
}

resource "aws_cloudwatch_log_group" "api" {
  count             = local.partner_api ? 1 : 0
  name              = "/aws/apigateway/${local.name}-partner-readings"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_api_gateway_stage" "v1" {
  #checkov:skip=CKV2_AWS_51:Partners authenticate with API keys; mutual TLS needs a custom domain chosen per deployment.
  #checkov:skip=CKV2_AWS_77:The attached ACL enforces the body size only; no Java behind this API (a Kinesis service integration), so no Log4j lookup to block.
  #checkov:skip=CKV_AWS_120:Responses are write acknowledgements; caching them would be wrong.
  count                = local.partner_api ? 1 : 0
  rest_api_id          = aws_api_gateway_rest_api.partner[0].id
  deployment_id        = aws_api_gateway_deployment.partner[0].id
  stage_name           = "v1"
  xray_tracing_enabled = true
  depends_on           = [aws_api_gateway_account.this]
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api[0].arn
    format          = jsonencode({ requestId = "$context.requestId", apiKeyId = "$context.identity.apiKeyId", status = "$context.status", error = "$context.error.message", validationError = "$context.error.validationErrorString" })
  }
  tags = var.tags
}

# Body-size limit: API Gateway REST APIs have no setting for it, WAF does. Bodies over the limit, and bodies
# larger than WAF's 8 KiB inspection window (oversize_handling = MATCH), are refused with 413 before they reach
# the API; the Lambda-proxy form (lakeingest.partner.api) applies the same limit.
resource "aws_wafv2_web_acl" "partner" {
  #checkov:skip=CKV_AWS_192:No Java behind this API (a Kinesis service integration), so no Log4j lookup to block; the ACL only enforces the body size.
  #checkov:skip=CKV2_AWS_31:Blocked requests are counted by the rule's CloudWatch metric; full WAF logs need an aws-waf-logs- destination chosen per deployment.
  count       = local.partner_api && var.enable_partner_waf ? 1 : 0
  name        = "${local.name}-partner-readings"
  description = "Partner readings API: refuse request bodies above ${var.partner_max_body_bytes} bytes"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "body-size-limit"
    priority = 0
    action {
      block {
        custom_response {
          response_code = 413
        }
      }
    }
    statement {
      size_constraint_statement {
        comparison_operator = "GT"
        size                = var.partner_max_body_bytes
        field_to_match {
          body {
            oversize_handling = "MATCH"
          }
        }
        text_transformation {
          priority = 0
          type     = "NONE"
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name}-partner-body-size"
      sampled_requests_enabled   = false
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.name}-partner-readings"
    sampled_requests_enabled   = false
  }
  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "partner" {
  count        = local.partner_api && var.enable_partner_waf ? 1 : 0
  resource_arn = aws_api_gateway_stage.v1[0].arn
  web_acl_arn  = aws_wafv2_web_acl.partner[0].arn
}

# Execution logging of errors (request validation failures, integration errors) and metrics per method.
resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:POST /readings writes data; caching its responses would acknowledge writes that never happened.
  count       = local.partner_api ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.partner[0].id
  stage_name  = aws_api_gateway_stage.v1[0].stage_name
  method_path = "*/*"
  settings {
    metrics_enabled    = true
    logging_level      = "ERROR"
    data_trace_enabled = false # bodies may carry partner data
  }
  depends_on = [aws_api_gateway_account.this]
}

# API Gateway writes access/execution logs through one account-level role (a regional singleton: set
# manage_apigw_account = false if another stack already owns it).
module "apigw_logs_role" {
  source             = "../service_role"
  count              = local.partner_api && var.manage_apigw_account ? 1 : 0
  name               = "${local.name}-apigw-cloudwatch"
  service_principals = ["apigateway.amazonaws.com"]
  inline_policies = { write-api-logs = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ApiGatewayLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"]
      Resource = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }]
  }) }
  tags = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.apigw_logs[0]
  to   = module.apigw_logs_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.apigw_logs[0]
  to   = module.apigw_logs_role[0].aws_iam_role_policy.this["write-api-logs"]
}

resource "aws_api_gateway_account" "this" {
  count               = local.partner_api && var.manage_apigw_account ? 1 : 0
  cloudwatch_role_arn = module.apigw_logs_role[0].arn
  depends_on          = [module.apigw_logs_role]
}

resource "aws_api_gateway_usage_plan" "partner" {
  count = local.partner_api ? 1 : 0
  name  = "${local.name}-partners"
  api_stages {
    api_id = aws_api_gateway_rest_api.partner[0].id
    stage  = aws_api_gateway_stage.v1[0].stage_name
  }
  throttle_settings {
    rate_limit  = var.api_throttle.rate_limit
    burst_limit = var.api_throttle.burst_limit
  }
  quota_settings {
    limit  = var.api_throttle.quota_day
    period = "DAY"
  }
  tags = var.tags
}

resource "aws_api_gateway_api_key" "partner" {
  count = local.partner_api ? 1 : 0
  name  = "${local.name}-partner-default"
  tags  = var.tags
}

resource "aws_api_gateway_usage_plan_key" "partner" {
  count         = local.partner_api ? 1 : 0
  key_id        = aws_api_gateway_api_key.partner[0].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.partner[0].id
}
