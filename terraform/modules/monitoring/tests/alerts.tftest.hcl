mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333", arn = "arn:aws:iam::111122223333:role/deployer" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:111122223333:key/mocked" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:111122223333:mocked" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:111122223333:function:mocked" }
  }
  mock_resource "aws_kinesis_stream" {
    defaults = { arn = "arn:aws:kinesis:us-east-1:111122223333:stream/mocked" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:111122223333:log-group:mocked" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:111122223333:mocked" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:mocked" }
  }
  mock_resource "aws_dms_replication_instance" {
    defaults = { replication_instance_arn = "arn:aws:dms:us-east-1:111122223333:rep:mocked" }
  }
  mock_resource "aws_dms_endpoint" {
    defaults = { endpoint_arn = "arn:aws:dms:us-east-1:111122223333:endpoint:source" }
  }
  mock_resource "aws_dms_s3_endpoint" {
    defaults = { endpoint_arn = "arn:aws:dms:us-east-1:111122223333:endpoint:target" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:111122223333:rule/mocked" }
  }
  mock_resource "aws_transfer_server" {
    defaults = { id = "s-0123456789abcdef0", arn = "arn:aws:transfer:us-east-1:111122223333:server/s-0123456789abcdef0" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { id = "abc123", root_resource_id = "root123" }
  }
}

variables {
  env                   = "test"
  kms_key_arn           = "arn:aws:kms:us-east-1:111122223333:key/test"
  glue_job_names        = ["job-a"]
  lambda_function_names = ["fn-a", "fn-b"]
  kinesis_stream_names  = ["s"]
  firehose_names        = ["f"]
  dms_task_arns         = ["arn:aws:dms:us-east-1:111122223333:task:x"]
}

run "every_signal_alarms" {
  command = apply
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.lambda_errors) == 2 && length(aws_cloudwatch_metric_alarm.iterator_age) == 1 && length(aws_cloudwatch_metric_alarm.firehose_freshness) == 1
    error_message = "one alarm per function, stream and delivery stream"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.glue_failed.event_pattern).detail.state == ["FAILED", "TIMEOUT", "ERROR"]
    error_message = "Glue failures are routed"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.dms_failed.event_pattern).detail.eventType == ["REPLICATION_TASK_FAILED", "REPLICATION_TASK_STOPPED"] && jsonencode(jsondecode(aws_cloudwatch_event_rule.dms_failed.event_pattern).resources) == jsonencode(var.dms_task_arns) && aws_cloudwatch_event_target.dms_failed.arn == aws_sns_topic.alerts.arn
    error_message = "DMS task failures of the lake's tasks are routed to the alert topic"
  }
  assert {
    condition     = aws_cloudwatch_event_target.glue_failed.arn == aws_sns_topic.alerts.arn
    error_message = "Glue failures reach the alert topic"
  }
  assert {
    condition     = aws_sns_topic.alerts.kms_master_key_id == var.kms_key_arn
    error_message = "the alert topic is encrypted"
  }
}
