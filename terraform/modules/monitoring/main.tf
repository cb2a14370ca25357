# Alerts for the lake: one encrypted SNS topic fed by EventBridge rules (Glue job failures, DMS task
# failures) and CloudWatch alarms (Lambda errors, Kinesis iterator age, Firehose freshness).

data "aws_caller_identity" "current" {}

locals {
  name = "${var.prefix}-${var.env}"
}

resource "aws_sns_topic" "alerts" {
  name              = "${local.name}-alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EventBridgeAndAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "cloudwatch.amazonaws.com"] }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alert_emails)
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

# ---- EventBridge: Glue job failures ------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "glue_failed" {
  name        = "${local.name}-glue-job-failed"
  description = "A lake Glue job failed, timed out or errored"
  # Listed jobs, or every job named after this environment when none are given.
  event_pattern = length(var.glue_job_names) > 0 ? jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail        = { jobName = var.glue_job_names, state = ["FAILED", "TIMEOUT", "ERROR"] }
    }) : jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail        = { jobName = [{ prefix = local.name }], state = ["FAILED", "TIMEOUT", "ERROR"] }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "glue_failed" {
  rule = aws_cloudwatch_event_rule.glue_failed.name
  arn  = aws_sns_topic.alerts.arn
}

# ---- EventBridge: DMS task failures -----------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "dms_failed" {
  name        = "${local.name}-dms-task-failed"
  description = "A lake DMS replication task failed or stopped on error"
  event_pattern = jsonencode(merge({
    source        = ["aws.dms"]
    "detail-type" = ["DMS Replication Task State Change"]
    detail        = { eventType = ["REPLICATION_TASK_FAILED", "REPLICATION_TASK_STOPPED"] }
  }, length(var.dms_task_arns) > 0 ? { resources = var.dms_task_arns } : {}))
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "dms_failed" {
  rule = aws_cloudwatch_event_rule.dms_failed.name
  arn  = aws_sns_topic.alerts.arn
}

# ---- Alarms --------------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each            = toset(var.lambda_function_names)
  alarm_name          = "${each.value}-errors"
  alarm_description   = "Lambda ${each.value} reported errors (retries exhausted go to the DLQ)"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "iterator_age" {
  for_each            = toset(var.kinesis_stream_names)
  alarm_name          = "${each.value}-iterator-age"
  alarm_description   = "Consumers of ${each.value} are falling behind"
  namespace           = "AWS/Kinesis"
  metric_name         = "GetRecords.IteratorAgeMilliseconds"
  dimensions          = { StreamName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.iterator_age_threshold_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "firehose_freshness" {
  for_each            = toset(var.firehose_names)
  alarm_name          = "${each.value}-freshness"
  alarm_description   = "Records wait too long in ${each.value} before reaching S3"
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.DataFreshness"
  dimensions          = { DeliveryStreamName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.freshness_threshold_s
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  tags                = var.tags
}
