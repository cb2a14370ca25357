mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333", arn = "arn:aws:iam::111122223333:role/deployer" }
  }
  # The policies are asserted through the documents' statements; the rendered JSON only has to be valid.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
  mock_resource "aws_kinesis_stream" {
    defaults = { arn = "arn:aws:kinesis:us-east-1:111122223333:stream/mocked" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:111122223333:mocked" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:111122223333:mocked" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:111122223333:log-group:mocked" }
  }
  mock_resource "aws_cloudwatch_log_stream" {
    defaults = { arn = "arn:aws:logs:us-east-1:111122223333:log-group:mocked:log-stream:application" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:111122223333:function:mocked" }
  }
  mock_resource "aws_kinesisanalyticsv2_application" {
    defaults = { arn = "arn:aws:kinesisanalytics:us-east-1:111122223333:application/mocked" }
  }
}

override_resource {
  target = module.alerts_client[0].aws_security_group.this
  values = { id = "sg-0alerts" }
}

variables {
  name_prefix = "lake-test"
  input_stream_arns = {
    devices  = "arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry-devices"
    windfarm = "arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry-windfarm"
  }
  artifacts_bucket_id  = "lake-test-artifacts"
  artifacts_bucket_arn = "arn:aws:s3:::lake-test-artifacts"
  errors_bucket_arn    = "arn:aws:s3:::lake-test-raw"
  kms_key_arn          = "arn:aws:kms:us-east-1:111122223333:key/test"
  application_zip_path = "tests/fixtures/telemetry-analytics.zip"
  consumers_zip_path   = "tests/fixtures/stream-consumers.zip"
}

run "everything_encrypted_and_least_privilege" {
  command = apply
  assert {
    condition     = alltrue([for s in aws_kinesis_stream.output : s.encryption_type == "KMS" && s.kms_key_id == var.kms_key_arn])
    error_message = "every output stream is KMS-encrypted with the lake key"
  }
  assert {
    condition = (aws_sns_topic.alerts.kms_master_key_id == var.kms_key_arn
      && aws_sqs_queue.consumer_failures.kms_master_key_id == var.kms_key_arn
      && aws_kinesis_firehose_delivery_stream.errors.extended_s3_configuration[0].kms_key_arn == var.kms_key_arn
    && alltrue([for f in aws_lambda_function.consumer : f.kms_key_arn == var.kms_key_arn]))
    error_message = "topic, failure queue, Firehose output and Lambda environments use the lake key"
  }
  assert {
    condition     = alltrue([for g in concat([aws_cloudwatch_log_group.flink], values(aws_cloudwatch_log_group.consumer)) : g.kms_key_id == var.kms_key_arn && g.retention_in_days >= 365])
    error_message = "log groups are KMS-encrypted and kept at least a year"
  }
  assert {
    condition = alltrue([for d in concat([data.aws_iam_policy_document.flink, data.aws_iam_policy_document.firehose], values(data.aws_iam_policy_document.consumer)) : alltrue([
      for s in d.statement : !(contains(coalesce(s.actions, []), "*") && contains(coalesce(s.resources, []), "*"))
    ])])
    error_message = "no IAM statement may allow * on *"
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.flink.statement : !contains(coalesce(s.resources, []), "*")])
    error_message = "the Flink application's role is scoped to named resources only"
  }
  assert {
    condition     = alltrue([for m in aws_lambda_event_source_mapping.consumer : m.destination_config[0].on_failure[0].destination_arn == aws_sqs_queue.consumer_failures.arn])
    error_message = "failed consumer batches go to the on-failure queue"
  }
  assert {
    condition     = !aws_kinesisanalyticsv2_application.telemetry[0].start_application && aws_kinesisanalyticsv2_application.telemetry[0].application_configuration[0].application_snapshot_configuration[0].snapshots_enabled
    error_message = "the application is not started by Terraform and keeps snapshots"
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.flink.statement : s.resources if s.sid == "ReadTelemetry"])) == toset([
      "arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry-devices",
      "arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry-devices/*",
      "arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry-windfarm",
      "arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry-windfarm/*",
    ])
    error_message = "the application reads exactly the two telemetry streams (and their consumers)"
  }
  assert {
    condition = [for g in aws_kinesisanalyticsv2_application.telemetry[0].application_configuration[0].environment_properties[0].property_group : {
      for k, v in g.property_map : k => v if startswith(k, "input.")
      } if g.property_group_id == "StreamingJob"][0] == {
      "input.devices.stream.arn"  = var.input_stream_arns["devices"]
      "input.windfarm.stream.arn" = var.input_stream_arns["windfarm"]
    }
    error_message = "the application gets one input.<name>.stream.arn property per stream (read by app.py)"
  }
  assert {
    condition     = startswith(aws_kinesis_firehose_delivery_stream.errors.extended_s3_configuration[0].prefix, "errors/streaming/")
    error_message = "late and rejected records land under errors/streaming/"
  }
}

run "alerts_reach_influxdb_from_the_vpc" {
  command = apply
  variables {
    influxdb = {
      url               = "https://influx.example:8086"
      secret_arn        = "arn:aws:secretsmanager:us-east-1:111122223333:secret:influx-auth"
      vpc_id            = "vpc-0123"
      subnet_ids        = ["subnet-a", "subnet-b"]
      security_group_id = "sg-influxdb"
      port              = 8086
    }
  }
  assert {
    condition = (aws_lambda_function.consumer["alerts"].environment[0].variables["INFLUXDB_URL"] == "https://influx.example:8086"
    && aws_lambda_function.consumer["alerts"].environment[0].variables["INFLUXDB_SECRET_ARN"] == var.influxdb.secret_arn)
    error_message = "the alerts consumer gets the telemetry writer's InfluxDB settings (lambda/functions.json)"
  }
  assert {
    condition = (aws_lambda_function.consumer["alerts"].vpc_config[0].subnet_ids == toset(var.influxdb.subnet_ids)
    && aws_lambda_function.consumer["alerts"].vpc_config[0].security_group_ids == toset(["sg-0alerts"]))
    error_message = "the alerts consumer runs in the instance's subnets with its own security group"
  }
  assert {
    condition     = module.alerts_client[0].security_group_id == "sg-0alerts" && output.alerts_consumer_security_group_id == "sg-0alerts"
    error_message = "its group is an influxdb_client_sg (the instance's port and HTTPS, tested there), and an output for the instance's ingress"
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.consumer["alerts"].statement : s.resources if s.sid == "InfluxDbSecret"])) == toset([var.influxdb.secret_arn]) && (
    length([for s in data.aws_iam_policy_document.consumer["alerts"].statement : s if contains(coalesce(s.actions, []), "secretsmanager:GetSecretValue")]) == 1)
    error_message = "the alerts consumer may read exactly the instance's secret"
  }
  assert {
    condition     = endswith(module.consumer_role["alerts"].managed_policy_arns["AWSLambdaVPCAccessExecutionRole"], ":iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole") && length(module.consumer_role["alerts"].managed_policy_arns) == 1
    error_message = "the alerts consumer's role may create its network interfaces"
  }
}

run "influxdb_off_keeps_sns_only" {
  command = plan
  assert {
    condition = (length(module.alerts_client) == 0 && length(module.consumer_role["alerts"].managed_policy_arns) == 0
      && length(aws_lambda_function.consumer["alerts"].vpc_config) == 0
    && !contains(keys(aws_lambda_function.consumer["alerts"].environment[0].variables), "INFLUXDB_URL"))
    error_message = "without var.influxdb the alerts consumer stays outside the VPC and writes to SNS only"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.consumer["alerts"].statement : s if s.sid == "InfluxDbSecret"]) == 0
    error_message = "without var.influxdb the consumer may read no secret"
  }
}

run "application_flag_off" {
  command = plan
  variables {
    enable_application   = false
    application_zip_path = null
  }
  assert {
    condition     = length(aws_kinesisanalyticsv2_application.telemetry) == 0 && length(aws_s3_object.application) == 0 && output.application_name == null
    error_message = "enable_application = false creates neither the application nor its upload"
  }
  assert {
    condition     = length(aws_lambda_function.consumer) > 0 && length(aws_sqs_queue.consumer_failures.name) > 0
    error_message = "the consumers stay when only the application is off"
  }
}

run "input_streams_are_validated" {
  command = plan
  variables {
    input_stream_arns = { Devices = "not-an-arn" }
  }
  expect_failures = [var.input_stream_arns]
}

run "application_needs_its_zip" {
  command = plan
  variables {
    application_zip_path = null
  }
  expect_failures = [aws_s3_object.application]
}
