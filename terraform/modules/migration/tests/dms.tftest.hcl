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
  env                = "test"
  lake_spec_file     = "../../generated/lake.json"
  landing_bucket     = "landing"
  kms_key_arn        = "arn:aws:kms:us-east-1:111122223333:key/test"
  vpc_id             = "vpc-1"
  subnet_ids         = ["subnet-1", "subnet-2"]
  source_cidr_blocks = ["10.0.0.0/8"]
  source_db          = { host = "db", port = 5432, database = "trading", username = "dms" }
}

run "s3_target_matches_the_landing_contract" {
  command = apply
  assert {
    condition     = aws_dms_s3_endpoint.target[0].add_column_name && aws_dms_s3_endpoint.target[0].include_op_for_full_load && aws_dms_s3_endpoint.target[0].timestamp_column_name == "dms_commit_ts" && aws_dms_s3_endpoint.target[0].data_format == "csv"
    error_message = "DMS writes CSV with header, Op on full load and dms_commit_ts"
  }
  assert {
    condition     = aws_dms_replication_task.trading[0].migration_type == "full-load-and-cdc" && length([for r in jsondecode(aws_dms_replication_task.trading[0].table_mappings).rules : r if r["rule-type"] == "selection"]) == 4
    error_message = "one full-load-and-cdc task selecting the four trading tables"
  }
  assert {
    condition     = length([for r in jsondecode(aws_dms_replication_task.trading[0].table_mappings).rules : r if try(r["before-image-def"]["column-filter"], "") == "pk-only"]) == 1
    error_message = "every row carries the primary key's before image (a key UPDATE names the key it removed)"
  }
  assert {
    condition     = aws_dms_s3_endpoint.target[0].csv_null_value == "" && aws_dms_s3_endpoint.target[0].use_task_start_time_for_full_load_timestamp == false
    error_message = "NULL is written as an empty field (CsvNullValue defaults to the text NULL); full-load timestamps are transfer times"
  }
  assert {
    condition     = aws_dms_replication_instance.this[0].publicly_accessible == false
    error_message = "the replication instance is private"
  }
  assert {
    condition = alltrue([for s in jsondecode(module.dms_role.inline_policies["landing-and-secret"]).Statement :
    !(contains(flatten([s.Action]), "*") && contains(flatten([s.Resource]), "*"))])
    error_message = "no IAM statement may allow * on *"
  }
}
