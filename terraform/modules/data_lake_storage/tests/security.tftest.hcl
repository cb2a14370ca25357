# Security invariants of the lake storage, checked on a mocked provider (no AWS calls).
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
  env = "test"
}

run "buckets_are_private_encrypted_tls_only" {
  command = apply

  assert {
    condition     = length(aws_s3_bucket.this) == 5 && aws_s3_bucket.access_logs.bucket == "energylake-test-access-logs"
    error_message = "expected five zone buckets plus the access-log bucket"
  }
  assert {
    condition     = keys(aws_s3_bucket_server_side_encryption_configuration.this) == keys(aws_s3_bucket.this) && aws_s3_bucket_server_side_encryption_configuration.access_logs.bucket == aws_s3_bucket.access_logs.bucket
    error_message = "every bucket needs default encryption"
  }
  assert {
    condition = alltrue([for k, c in aws_s3_bucket_server_side_encryption_configuration.this :
      alltrue([for r in c.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"])
    ])
    error_message = "zone buckets must use SSE-KMS with the lake key"
  }
  assert {
    condition = length(local.buckets) == 6 && alltrue([for k, b in local.buckets : (
      aws_s3_bucket_public_access_block.this[k].block_public_acls && aws_s3_bucket_public_access_block.this[k].block_public_policy &&
      aws_s3_bucket_public_access_block.this[k].ignore_public_acls && aws_s3_bucket_public_access_block.this[k].restrict_public_buckets
    )])
    error_message = "public access must be blocked on every bucket"
  }
  assert {
    condition     = aws_kms_key.lake.enable_key_rotation
    error_message = "the lake key must rotate"
  }
  assert {
    condition = alltrue([for k, p in aws_s3_bucket_policy.this :
    contains([for s in jsondecode(p.policy).Statement : s.Sid], "DenyInsecureTransport")])
    error_message = "every bucket policy must deny non-TLS requests"
  }
  assert {
    condition = alltrue([for k, p in aws_s3_bucket_policy.this :
    k == "access-logs" || contains([for s in jsondecode(p.policy).Statement : s.Sid], "DenyNonKmsEncryption")])
    error_message = "zone bucket policies must refuse non-KMS uploads"
  }
  assert {
    condition     = aws_s3_bucket_versioning.this["raw"].versioning_configuration[0].status == "Enabled"
    error_message = "raw must be versioned"
  }
  assert {
    condition = aws_s3_bucket_versioning.this["landing"].versioning_configuration[0].status == "Enabled" && alltrue([
    for r in aws_s3_bucket_lifecycle_configuration.this["landing"].rule : length(r.expiration) == 0])
    error_message = "landing (system of record of the batch sources and DMS) must be versioned and never expire"
  }
  assert {
    condition     = alltrue([for k, b in aws_s3_bucket.this : try(aws_s3_bucket_logging.this[k].target_bucket, "") == aws_s3_bucket.access_logs.bucket])
    error_message = "every zone bucket logs its access to the access-log bucket"
  }
  assert {
    condition = alltrue([for z in ["landing", "raw", "transform", "curated"] : anytrue([
      for r in aws_s3_bucket_lifecycle_configuration.this[z].rule : r.id == "tiering" && length(r.transition) > 0 && alltrue([for t in r.transition : contains(["STANDARD_IA", "GLACIER_IR"], t.storage_class)])
    ])])
    error_message = "every data zone bucket moves data to cheaper tiers"
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.lake.policy).Statement : s.Action != "*"])
    error_message = "no key policy statement may allow every action"
  }
}

run "emulator_mode_keeps_log_delivery_policy_only" {
  command = plan
  variables {
    enable_deny_policies = false
  }
  assert {
    condition     = keys(aws_s3_bucket_policy.this) == ["access-logs"]
    error_message = "with deny policies off only the access-log bucket keeps its (delivery) policy"
  }
}
