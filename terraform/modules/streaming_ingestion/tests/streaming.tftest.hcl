mock_provider "aws" {
  mock_resource "aws_api_gateway_stage" {
    defaults = { arn = "arn:aws:apigateway:us-east-1::/restapis/abc123/stages/v1" }
  }
  mock_resource "aws_wafv2_web_acl" {
    defaults = { arn = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/partner/0f0f0f0f-0000-4000-8000-000000000000" }
  }
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
  env                      = "test"
  raw_bucket               = "raw"
  kms_key_arn              = "arn:aws:kms:us-east-1:111122223333:key/test"
  transform_lambda_arn     = "arn:aws:lambda:us-east-1:111122223333:function:transform"
  partner_model_schema     = "{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"type\": \"object\", \"required\": [\"meter_id\"]}"
  partner_request_template = "{\"StreamName\": \"$${stream_name}\", \"Data\": \"$util.base64Encode($input.body)\"}"
}

run "firehose_partitions_by_event_hour_without_small_files" {
  command = apply
  assert {
    condition     = alltrue([for f in aws_kinesis_firehose_delivery_stream.telemetry : f.extended_s3_configuration[0].buffering_size >= 64 && f.extended_s3_configuration[0].dynamic_partitioning_configuration[0].enabled])
    error_message = "dynamic partitioning with buffers of at least 64 MB"
  }
  assert {
    condition     = alltrue([for k, f in aws_kinesis_firehose_delivery_stream.telemetry : strcontains(f.extended_s3_configuration[0].prefix, "telemetry/${k}/!{partitionKeyFromQuery:year}") && startswith(f.extended_s3_configuration[0].error_output_prefix, "errors/${k}/")])
    error_message = "raw layout telemetry/<source>/YYYY/MM/DD/HH and errors/<source>/"
  }
  assert {
    condition     = alltrue([for s in aws_kinesis_stream.this : s.encryption_type == "KMS"])
    error_message = "streams are KMS-encrypted"
  }
  assert {
    condition     = aws_api_gateway_method.post[0].api_key_required && aws_api_gateway_request_validator.body[0].validate_request_body
    error_message = "the partner API requires a key and validates bodies"
  }
  assert {
    condition     = strcontains(aws_api_gateway_integration.kinesis[0].request_templates["application/json"], aws_kinesis_stream.this["partner"].name)
    error_message = "the integration puts into the partner stream"
  }
  assert {
    condition = (
      aws_wafv2_web_acl_association.partner[0].resource_arn == aws_api_gateway_stage.v1[0].arn &&
      one([for r in aws_wafv2_web_acl.partner[0].rule : r if r.name == "body-size-limit"]).statement[0].size_constraint_statement[0].size == 8192 &&
      one([for r in aws_wafv2_web_acl.partner[0].rule : r if r.name == "body-size-limit"]).statement[0].size_constraint_statement[0].comparison_operator == "GT" &&
      one([for r in aws_wafv2_web_acl.partner[0].rule : r if r.name == "body-size-limit"]).statement[0].size_constraint_statement[0].field_to_match[0].body[0].oversize_handling == "MATCH" &&
      length(one([for r in aws_wafv2_web_acl.partner[0].rule : r if r.name == "body-size-limit"]).action[0].block) == 1
    )
    error_message = "the partner API stage refuses bodies above 8 KiB (WAF size constraint, oversize bodies match)"
  }
  assert {
    condition     = aws_api_gateway_integration_response.ok[0].selection_pattern == "2\\d{2}" && aws_api_gateway_integration_response.failed[0].selection_pattern == null && aws_api_gateway_integration_response.failed[0].status_code == "503"
    error_message = "only a 2xx PutRecord is acknowledged: a refused or throttled put answers 503 (the catch-all), never 200"
  }
  assert {
    condition     = aws_api_gateway_method_settings.all[0].settings[0].logging_level == "ERROR" && !aws_api_gateway_method_settings.all[0].settings[0].data_trace_enabled
    error_message = "API errors are logged without request bodies"
  }
  assert {
    condition = alltrue([for p in flatten([for r in concat(module.firehose_role, module.iot_role, module.apigw_role, module.apigw_logs_role) : values(r.inline_policies)]) : alltrue([for s in jsondecode(p).Statement :
    !(contains(flatten([s.Action]), "*") && contains(flatten([s.Resource]), "*"))])])
    error_message = "no IAM statement may allow * on *"
  }
}

run "live_analytics_is_opt_in_and_its_rule_is_typed" {
  command = plan
  variables {
    enable_timestream = true
  }
  assert {
    condition     = alltrue([for r in aws_iot_topic_rule.timestream : !strcontains(r.sql, "SELECT *") && strcontains(r.sql, "AS Decimal") && r.sql_version == "2015-10-08"])
    error_message = "the LiveAnalytics rule selects explicit typed measures in SQL V1 (V2 turns whole-number decimals into integers)"
  }
  assert {
    condition     = length(aws_iot_topic_rule.timestream) == 2 && alltrue([for r in aws_iot_topic_rule.timestream : one([for t in r.timestream : t.timestamp[0].unit == "MILLISECONDS" && strcontains(t.timestamp[0].value, "time_to_epoch(")])])
    error_message = "records carry the reading's own time (event time), not the processing time"
  }
  assert {
    condition     = alltrue([for r in aws_iot_topic_rule.telemetry : length(r.timestream) == 0])
    error_message = "the raw route (SELECT *) never feeds Timestream"
  }
}

run "live_analytics_is_off_by_default" {
  command = plan
  assert {
    condition     = length(aws_timestreamwrite_database.this) == 0 && length(aws_iot_topic_rule.timestream) == 0
    error_message = "Timestream for LiveAnalytics is closed to new customers: off unless asked for"
  }
}
