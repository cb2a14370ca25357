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
  env                    = "test"
  kms_key_arn            = "arn:aws:kms:us-east-1:111122223333:key/test"
  vpc_id                 = "vpc-1"
  subnet_ids             = ["subnet-1", "subnet-2"]
  copy_bucket_arns       = ["arn:aws:s3:::c"]
  manage_master_password = true
}

run "private_encrypted_tls" {
  command = apply
  assert {
    condition     = aws_redshift_cluster.this[0].publicly_accessible == false
    error_message = "Redshift must not be publicly accessible"
  }
  assert {
    condition     = aws_redshift_cluster.this[0].encrypted && aws_redshift_cluster.this[0].kms_key_id == var.kms_key_arn
    error_message = "Redshift must be encrypted with the lake key"
  }
  assert {
    condition     = one([for p in aws_redshift_parameter_group.this[0].parameter : p.value if p.name == "require_ssl"]) == "true"
    error_message = "require_ssl must be on"
  }
  assert {
    condition = alltrue([for s in jsondecode(module.copy_role.inline_policies["copy-from-lake"]).Statement :
    !(contains(flatten([s.Action]), "*") && contains(flatten([s.Resource]), "*"))])
    error_message = "no IAM statement may allow * on *"
  }
}
