# Batch ingestion: the ingestion Lambdas declared in lambda/functions.json (code from `make package`),
# EventBridge schedules read from the manifest's triggers, the document path (SFTP -> landing -> OCR Lambda
# on S3 events -> raw), one dead-letter queue, least-privilege roles per function.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name       = "${var.prefix}-${var.env}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  manifest   = jsondecode(file(var.functions_manifest))
  functions  = { for n, f in local.manifest.functions : n => f if !contains(var.excluded_functions, n) }
  s3_arn     = { for z, b in var.bucket_names : z => "arn:${local.partition}:s3:::${b}" }
  zips       = { for n, f in local.functions : n => "${var.lambda_zip_dir}/${n}.zip" }

  sites_key = "reference/sites.csv"
  # Values for the environment variables a function declares (only declared ones are set).
  env_values = merge({
    LANDING_BUCKET       = var.bucket_names["landing"]
    RAW_BUCKET           = var.bucket_names["raw"]
    ERROR_REASONS_BUCKET = var.bucket_names["raw"]
    SITES_S3_URI         = "s3://${var.bucket_names["artifacts"]}/${local.sites_key}"
    PARTNER_STREAM_NAME  = "${local.name}-partner-readings"
  }, var.ercot_api_secret_arn == null ? {} : { ERCOT_API_SECRET_ID = var.ercot_api_secret_arn })
  partner_stream_arn = "arn:${local.partition}:kinesis:${local.region}:${local.account_id}:stream/${local.name}-partner-readings"

  schedules = { for n, f in local.functions : n => trimspace(trimprefix(f.trigger, "schedule:")) if startswith(try(f.trigger, ""), "schedule:") }

  # What each function may touch beyond its logs, the key and the DLQ.
  function_statements = {
    ercot_ingest = concat([{
      Sid      = "LandingErcot", Effect = "Allow", Action = ["s3:PutObject", "s3:GetObject"]
      Resource = ["${local.s3_arn["landing"]}/ercot/*"]
      }, {
      Sid = "ListLanding", Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.s3_arn["landing"]]
      }], var.ercot_api_secret_arn == null ? [] : [{
      Sid = "ErcotApiSecret", Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = [var.ercot_api_secret_arn]
    }])
    openmeteo_ingest = [{
      Sid      = "LandingOpenMeteo", Effect = "Allow", Action = ["s3:PutObject", "s3:GetObject"]
      Resource = ["${local.s3_arn["landing"]}/openmeteo/*"]
      }, {
      Sid = "ListLanding", Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.s3_arn["landing"]]
      }, {
      Sid = "ReadSites", Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.s3_arn["artifacts"]}/${local.sites_key}"]
    }]
    telemetry_transform = [{
      Sid = "FailureReasons", Effect = "Allow", Action = ["s3:PutObject"], Resource = ["${local.s3_arn["raw"]}/errors/*"]
    }]
    partner_writer = [{
      Sid      = "RawPartner", Effect = "Allow", Action = ["s3:PutObject", "s3:GetObject"]
      Resource = ["${local.s3_arn["raw"]}/partner/*", "${local.s3_arn["raw"]}/errors/partner/*"]
      }, {
      Sid      = "ReadPartnerStream", Effect = "Allow"
      Action   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:ListStreams"]
      Resource = [local.partner_stream_arn]
    }]
    partner_api = [{
      Sid = "PutPartnerStream", Effect = "Allow", Action = ["kinesis:PutRecord"], Resource = [local.partner_stream_arn]
    }]
    document_ocr = [{
      Sid = "ReadDocuments", Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.s3_arn["landing"]}/documents/*"]
      }, {
      Sid      = "WriteExtraction", Effect = "Allow", Action = ["s3:PutObject"]
      Resource = ["${local.s3_arn["raw"]}/documents/*", "${local.s3_arn["raw"]}/errors/documents/*"]
      }, {
      # Textract actions have no resource-level permissions.
      Sid    = "Textract", Effect = "Allow", Resource = ["*"]
      Action = ["textract:AnalyzeDocument", "textract:DetectDocumentText", "textract:StartDocumentAnalysis", "textract:GetDocumentAnalysis"]
    }]
  }
}

resource "terraform_data" "zips_present" {
  input = keys(local.zips)
  lifecycle {
    precondition {
      condition     = alltrue([for z in values(local.zips) : fileexists(z)])
      error_message = "Missing Lambda packages (run `make package`): ${join(", ", [for z in values(local.zips) : z if !fileexists(z)])}"
    }
  }
}

resource "aws_s3_object" "sites" {
  bucket      = var.bucket_names["artifacts"]
  key         = local.sites_key
  source      = var.sites_csv_path
  source_hash = filemd5(var.sites_csv_path)
  kms_key_id  = var.kms_key_arn
}

resource "aws_sqs_queue" "dlq" {
  name                      = "${local.name}-ingestion-dlq"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600
  tags                      = var.tags
}

resource "aws_cloudwatch_log_group" "fn" {
  for_each          = local.functions
  name              = "/aws/lambda/${local.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# One role per function (service_role): Lambda assumes it; its policy is the function's own.
module "fn_role" {
  source             = "../service_role"
  for_each           = local.functions
  name               = "${local.name}-${each.key}"
  service_principals = ["lambda.amazonaws.com"]
  inline_policies = { function-access = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.fn[each.key].arn}:*"]
      },
      {
        Sid      = "LakeKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"]
        Resource = [var.kms_key_arn]
      },
      {
        Sid      = "DeadLetters"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [aws_sqs_queue.dlq.arn]
      },
      {
        # X-Ray segment upload has no resource-level permissions.
        Sid      = "Tracing"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ], lookup(local.function_statements, each.key, []))
  }) }
  tags = var.tags
}

# The roles and policies were this module's own resources: moved, not replaced. moved blocks take no for_each,
# so each function of lambda/functions.json at the time of the move is named (one not deployed here is a no-op).
moved {
  from = aws_iam_role.fn["ercot_ingest"]
  to   = module.fn_role["ercot_ingest"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.fn["ercot_ingest"]
  to   = module.fn_role["ercot_ingest"].aws_iam_role_policy.this["function-access"]
}

moved {
  from = aws_iam_role.fn["openmeteo_ingest"]
  to   = module.fn_role["openmeteo_ingest"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.fn["openmeteo_ingest"]
  to   = module.fn_role["openmeteo_ingest"].aws_iam_role_policy.this["function-access"]
}

moved {
  from = aws_iam_role.fn["telemetry_transform"]
  to   = module.fn_role["telemetry_transform"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.fn["telemetry_transform"]
  to   = module.fn_role["telemetry_transform"].aws_iam_role_policy.this["function-access"]
}

moved {
  from = aws_iam_role.fn["telemetry_influx_writer"]
  to   = module.fn_role["telemetry_influx_writer"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.fn["telemetry_influx_writer"]
  to   = module.fn_role["telemetry_influx_writer"].aws_iam_role_policy.this["function-access"]
}

moved {
  from = aws_iam_role.fn["partner_api"]
  to   = module.fn_role["partner_api"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.fn["partner_api"]
  to   = module.fn_role["partner_api"].aws_iam_role_policy.this["function-access"]
}

moved {
  from = aws_iam_role.fn["partner_writer"]
  to   = module.fn_role["partner_writer"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.fn["partner_writer"]
  to   = module.fn_role["partner_writer"].aws_iam_role_policy.this["function-access"]
}

moved {
  from = aws_iam_role.fn["document_ocr"]
  to   = module.fn_role["document_ocr"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.fn["document_ocr"]
  to   = module.fn_role["document_ocr"].aws_iam_role_policy.this["function-access"]
}

resource "aws_lambda_function" "fn" {
  #checkov:skip=CKV_AWS_117:The functions call public APIs (ERCOT, Open-Meteo) and AWS endpoints; a VPC adds NAT cost without isolating anything here.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile per organisation; packages are built reproducibly by `make package`.
  for_each                       = local.functions
  function_name                  = "${local.name}-${each.key}"
  description                    = substr(each.value.description, 0, 256)
  role                           = module.fn_role[each.key].arn
  handler                        = each.value.handler
  runtime                        = local.manifest.runtime
  architectures                  = [local.manifest.architecture]
  timeout                        = each.value.timeout
  memory_size                    = each.value.memory
  filename                       = local.zips[each.key]
  source_code_hash               = filebase64sha256(local.zips[each.key])
  kms_key_arn                    = var.kms_key_arn
  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = { for k in keys(each.value.env) : k => local.env_values[k] if contains(keys(local.env_values), k) }
  }
  dynamic "dead_letter_config" {
    for_each = var.enable_dead_letter_config ? [1] : []
    content {
      target_arn = aws_sqs_queue.dlq.arn
    }
  }
  tracing_config {
    mode = "Active"
  }
  tags = var.tags
  # The function logs to /aws/lambda/<name>, the group created above with retention and KMS.
  depends_on = [terraform_data.zips_present, module.fn_role, aws_cloudwatch_log_group.fn]
}

# ---- Schedules from the manifest ---------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each            = local.schedules
  name                = "${local.name}-${each.key}"
  description         = "Run ${each.key} (${each.value})"
  schedule_expression = each.value
  state               = var.schedules_enabled ? "ENABLED" : "DISABLED"
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  for_each = local.schedules
  rule     = aws_cloudwatch_event_rule.schedule[each.key].name
  arn      = aws_lambda_function.fn[each.key].arn
  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 3600
  }
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

# EventBridge delivers failed invocations to the DLQ only if the queue's resource policy lets it send, scoped to
# the rules of this module. AWS contract: "Using dead-letter queues to process undelivered events in
# EventBridge" (granting permissions to the dead-letter queue),
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
resource "aws_sqs_queue_policy" "dlq" {
  count     = length(local.schedules) > 0 ? 1 : 0
  queue_url = aws_sqs_queue.dlq.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.dlq.arn
      Condition = { ArnEquals = { "aws:SourceArn" = [for r in aws_cloudwatch_event_rule.schedule : r.arn] } }
    }]
  })
}

resource "aws_lambda_permission" "schedule" {
  for_each      = local.schedules
  statement_id  = "AllowEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[each.key].arn
}

# ---- Document path: S3 event on landing documents/*.pdf -> OCR Lambda --------------------------------

locals {
  ocr = var.enable_document_notification && contains(keys(local.functions), "document_ocr")
}

resource "aws_lambda_permission" "documents" {
  count          = local.ocr ? 1 : 0
  statement_id   = "AllowLandingDocuments"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.fn["document_ocr"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.s3_arn["landing"]
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "landing" {
  count  = local.ocr ? 1 : 0
  bucket = var.bucket_names["landing"]
  lambda_function {
    lambda_function_arn = aws_lambda_function.fn["document_ocr"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "documents/"
    filter_suffix       = ".pdf"
  }
  depends_on = [aws_lambda_permission.documents]
}

# ---- SFTP (Transfer Family) into landing/documents/ ----------------------------------------------------

module "sftp_logging_role" {
  source             = "../service_role"
  count              = var.enable_sftp ? 1 : 0
  name               = "${local.name}-sftp-logging"
  service_principals = ["transfer.amazonaws.com"]
  trust_conditions   = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] }]
  inline_policies = { transfer-logs = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "TransferLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      Resource = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/transfer/*"]
    }]
  }) }
  tags = var.tags
}

moved {
  from = aws_iam_role.sftp_logging[0]
  to   = module.sftp_logging_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.sftp_logging[0]
  to   = module.sftp_logging_role[0].aws_iam_role_policy.this["transfer-logs"]
}

resource "aws_transfer_server" "sftp" {
  #checkov:skip=CKV_AWS_164:Partners connect from the internet; restrict source IPs with a VPC endpoint per deployment when known.
  count                  = var.enable_sftp ? 1 : 0
  protocols              = ["SFTP"]
  identity_provider_type = "SERVICE_MANAGED"
  domain                 = "S3"
  endpoint_type          = "PUBLIC"
  security_policy_name   = "TransferSecurityPolicy-2025-03" # newest policy of AWS provider 5.100
  logging_role           = module.sftp_logging_role[0].arn
  tags                   = merge(var.tags, { Name = "${local.name}-documents" })
}

module "sftp_user_role" {
  source             = "../service_role"
  count              = var.enable_sftp && length(var.sftp_users) > 0 ? 1 : 0
  name               = "${local.name}-sftp-user"
  service_principals = ["transfer.amazonaws.com"]
  inline_policies = { landing-documents = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ListDocuments"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [local.s3_arn["landing"]]
        Condition = { StringLike = { "s3:prefix" = ["documents/*"] } }
      },
      {
        Sid      = "PutDocuments"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = ["${local.s3_arn["landing"]}/documents/*"]
      },
      {
        Sid      = "LakeKey"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource = [var.kms_key_arn]
      },
    ]
  }) }
  tags = var.tags
}

moved {
  from = aws_iam_role.sftp_user[0]
  to   = module.sftp_user_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.sftp_user[0]
  to   = module.sftp_user_role[0].aws_iam_role_policy.this["landing-documents"]
}

resource "aws_transfer_user" "partner" {
  for_each            = var.enable_sftp ? var.sftp_users : {}
  server_id           = aws_transfer_server.sftp[0].id
  user_name           = each.key
  role                = module.sftp_user_role[0].arn
  home_directory_type = "LOGICAL"
  home_directory_mappings {
    entry  = "/"
    target = "/${var.bucket_names["landing"]}/documents"
  }
  tags = var.tags
}

resource "aws_transfer_ssh_key" "partner" {
  for_each  = var.enable_sftp ? var.sftp_users : {}
  server_id = aws_transfer_server.sftp[0].id
  user_name = aws_transfer_user.partner[each.key].user_name
  body      = each.value
}
