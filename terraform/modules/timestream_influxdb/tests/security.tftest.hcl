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
  mock_data "aws_secretsmanager_random_password" {
    defaults = { random_password = "GeneratedBySecretsManager0123456" }
  }
  mock_resource "aws_timestreaminfluxdb_db_instance" {
    defaults = {
      endpoint                          = "abc123.us-east-1.timestream-influxdb.amazonaws.com"
      influx_auth_parameters_secret_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:READONLY-InfluxDB-auth-parameters-abc"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:111122223333:mocked", url = "https://sqs.us-east-1.amazonaws.com/111122223333/mocked" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:111122223333:log-group:mocked" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:111122223333:function:mocked" }
  }
}

override_resource {
  target = aws_security_group.influxdb
  values = { id = "sg-0influxdb" }
}

override_resource {
  target = module.writer_client[0].aws_security_group.this
  values = { id = "sg-0writer" }
}

variables {
  name_prefix        = "lake-test"
  vpc_id             = "vpc-0123456789abcdef0"
  subnet_ids         = ["subnet-aaaa", "subnet-bbbb"]
  kms_key_arn        = "arn:aws:kms:us-east-1:111122223333:key/test"
  functions_manifest = "../../../lambda/functions.json"
  lambda_zip_dir     = "tests/fixtures"
  telemetry_stream_arns = {
    windfarm = "arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry-windfarm"
    devices  = "arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry-devices"
  }
}

run "disabled_by_default" {
  command = plan
  assert {
    condition     = length(aws_timestreaminfluxdb_db_instance.this) == 0 && length(aws_lambda_function.writer) == 0 && length(aws_lambda_event_source_mapping.telemetry) == 0 && output.endpoint_url == null
    error_message = "the flag defaults to off and then nothing is created"
  }
}

run "enabled_instance_is_private_and_reached_only_by_the_writer" {
  command = apply
  variables {
    enabled = true
  }
  assert {
    condition     = aws_timestreaminfluxdb_db_instance.this[0].publicly_accessible == false && toset(aws_timestreaminfluxdb_db_instance.this[0].vpc_subnet_ids) == toset(var.subnet_ids)
    error_message = "the instance has no public IP and lives in the lake's private subnets"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.from_writer) == 1 && aws_vpc_security_group_ingress_rule.from_writer[0].referenced_security_group_id == "sg-0writer" && length(aws_vpc_security_group_ingress_rule.from_clients) == 0
    error_message = "only the writer's security group reaches the instance (no CIDR ingress)"
  }
  assert {
    condition     = aws_lambda_function.writer[0].vpc_config[0].security_group_ids == toset(["sg-0writer"]) && module.writer_client[0].security_group_id == "sg-0writer"
    error_message = "the writer runs in its influxdb_client_sg group only (the instance's port and HTTPS, tested there)"
  }
  assert {
    condition     = output.endpoint_url == "https://abc123.us-east-1.timestream-influxdb.amazonaws.com:8086" && output.port == aws_timestreaminfluxdb_db_instance.this[0].port
    error_message = "the writer and Grafana reach InfluxDB over HTTPS on its port, which the clients' groups get from output port"
  }
}

run "writer_reports_partial_failures_and_keeps_what_fails" {
  command = apply
  variables {
    enabled = true
  }
  assert {
    condition     = length(aws_lambda_event_source_mapping.telemetry) == 2 && alltrue([for m in aws_lambda_event_source_mapping.telemetry : contains(m.function_response_types, "ReportBatchItemFailures") && m.destination_config[0].on_failure[0].destination_arn == aws_sqs_queue.failures[0].arn && m.maximum_retry_attempts >= 0])
    error_message = "each telemetry stream is consumed with partial batch failures and an on-failure queue"
  }
  assert {
    condition     = toset(keys(aws_lambda_function.writer[0].environment[0].variables)) == toset([for k, v in jsondecode(file(var.functions_manifest)).functions.telemetry_influx_writer.env : k if v.required])
    error_message = "the function gets exactly the required environment functions.json declares"
  }
  assert {
    condition     = aws_lambda_function.writer[0].handler == jsondecode(file(var.functions_manifest)).functions.telemetry_influx_writer.handler && length(aws_lambda_function.writer[0].vpc_config) == 1
    error_message = "handler from functions.json; the function runs in the VPC to reach the private instance"
  }
  assert {
    condition     = aws_sqs_queue.failures[0].kms_master_key_id == var.kms_key_arn && aws_lambda_function.writer[0].kms_key_arn == var.kms_key_arn
    error_message = "the failure queue and the environment are encrypted with the lake key"
  }
  assert {
    condition     = !strcontains(module.writer_role[0].inline_policies["write-telemetry-points"], "\"Action\":\"*\"") && strcontains(module.writer_role[0].inline_policies["write-telemetry-points"], "READONLY-InfluxDB-auth-parameters")
    error_message = "no wildcard action; the secret permission names the instance's own secret"
  }
  assert {
    condition     = values(module.writer_role[0].managed_policy_arns) == ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]
    error_message = "the writer's role may create its network interfaces in the VPC, and has no other managed policy"
  }
}
