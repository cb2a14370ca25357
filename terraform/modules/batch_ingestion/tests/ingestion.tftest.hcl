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
  bucket_names       = { landing = "l", raw = "r", transform = "t", curated = "c", artifacts = "a" }
  kms_key_arn        = "arn:aws:kms:us-east-1:111122223333:key/test"
  functions_manifest = "./tests/fixtures/functions.json"
  lambda_zip_dir     = "./tests/fixtures"
  sites_csv_path     = "../../../glue/lib/energylake/reference/sites.csv"
  sftp_users         = { partner = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyForTerraformTestOnly partner" }
}

run "functions_schedules_and_documents" {
  command = apply
  assert {
    condition     = aws_cloudwatch_event_rule.schedule["ercot_ingest"].schedule_expression == "rate(15 minutes)" && !contains(keys(aws_cloudwatch_event_rule.schedule), "document_ocr")
    error_message = "schedules come from the manifest's schedule triggers only"
  }
  assert {
    condition     = aws_lambda_function.fn["ercot_ingest"].environment[0].variables["LANDING_BUCKET"] == "l"
    error_message = "declared environment variables are filled from the lake's names"
  }
  assert {
    condition     = one(aws_s3_bucket_notification.landing[0].lambda_function).filter_prefix == "documents/" && one(aws_s3_bucket_notification.landing[0].lambda_function).filter_suffix == ".pdf"
    error_message = "PDFs under landing/documents/ trigger the OCR function"
  }
  assert {
    condition     = alltrue([for f in aws_lambda_function.fn : f.kms_key_arn == var.kms_key_arn && f.tracing_config[0].mode == "Active"])
    error_message = "functions encrypt their environment and trace"
  }
  assert {
    condition = alltrue([for p in flatten([for r in concat(values(module.fn_role), module.sftp_user_role, module.sftp_logging_role) : values(r.inline_policies)]) : alltrue([for s in jsondecode(p).Statement :
    !(contains(flatten([s.Action]), "*") && contains(flatten([s.Resource]), "*"))])])
    error_message = "no IAM statement may allow * on *"
  }
}

run "missing_packages_fail_the_plan" {
  command = plan
  variables {
    lambda_zip_dir = "./tests/no-such-dir"
  }
  expect_failures = [terraform_data.zips_present]
}
