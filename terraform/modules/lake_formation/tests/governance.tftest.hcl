# Lake Formation from the grant files: PII stays hidden from the analyst persona; bad files fail the plan.
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
  # An admin set outside Terraform (console, another stack) before this module's first apply.
  mock_data "aws_lakeformation_data_lake_settings" {
    defaults = { admins = ["arn:aws:iam::111122223333:role/break-glass"] }
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
  env                        = "test"
  lake_spec_file             = "../../generated/lake.json"
  database_names             = { raw = "energy_raw", transform = "energy_transform", curated = "energy_curated", quarantine = "energy_quarantine" }
  bucket_arns                = { raw = "arn:aws:s3:::r", transform = "arn:aws:s3:::t", curated = "arn:aws:s3:::c" }
  admin_arns                 = ["arn:aws:iam::111122223333:role/admin"]
  persona_trusted_principals = ["arn:aws:iam::111122223333:root"]
  table_names = {
    client_analytics         = { database = "energy_curated", name = "client_analytics", location = "s3://c/client_analytics/" }
    daily_energy_consumption = { database = "energy_curated", name = "daily_energy_consumption", location = "s3://c/daily_energy_consumption/" }
    trading_customers        = { database = "energy_transform", name = "trading_customers", location = "s3://t/trading_customers/" }
    site_hourly_generation   = { database = "energy_curated", name = "site_hourly_generation", location = "s3://c/site_hourly_generation/" }
  }
}

run "analyst_never_sees_pii" {
  command = apply

  assert {
    condition     = contains(aws_lakeformation_resource_lf_tags.columns["client_analytics/pii"].table_with_columns[0].column_names, "customer_name") && contains(aws_lakeformation_resource_lf_tags.columns["trading_customers/pii"].table_with_columns[0].column_names, "email")
    error_message = "PII columns from the contracts carry classification=pii"
  }
  assert {
    condition     = alltrue([for k, v in aws_lakeformation_resource_lf_tags.columns : one([for t in v.lf_tag : t.value]) == split("/", k)[1]])
    error_message = "each column group is tagged with its contract classification"
  }
  assert {
    # Every analyst table grant must constrain classification, and never to a value including pii.
    condition = alltrue([for k, g in aws_lakeformation_permissions.table : (
      contains([for e in g.lf_tag_policy[0].expression : e.key], "classification") &&
      !contains(flatten([for e in g.lf_tag_policy[0].expression : e.values if e.key == "classification"]), "pii")
    ) if local.grant_map[k].persona == "analyst"])
    error_message = "the analyst persona must not be granted PII-classified columns"
  }
  assert {
    condition     = length([for k, g in aws_lakeformation_permissions.table : g if local.grant_map[k].persona == "analyst" && g.principal == aws_iam_role.persona["analyst"].arn]) > 0
    error_message = "the analyst persona has at least one grant (the check above is not vacuous)"
  }
  assert {
    condition = alltrue([for n, f in aws_lakeformation_data_cells_filter.this :
      length(setsubtract(local.pii_columns[local.filter_map[n].dataset], f.table_data[0].column_wildcard[0].excluded_column_names)) == 0
    if !contains(local.persona_classifications[local.filter_map[n].persona], "pii")])
    error_message = "data cells filters for personas without PII clearance exclude every PII column"
  }
  assert {
    condition = alltrue([for p in aws_iam_role_policy.persona : alltrue([for s in jsondecode(p.policy).Statement :
    !(contains(flatten([s.Action]), "*") && contains(flatten([s.Resource]), "*"))])])
    error_message = "no IAM statement may allow * on *"
  }
}

# Malformed grant files never reach Terraform: energylake.compiler rejects them, naming the file and field
# (tests/governance/test_compiler.py), before terraform/generated/lake.json is written.

run "existing_admins_are_kept_beside_the_configured_ones" {
  command = plan
  assert {
    condition     = toset(aws_lakeformation_data_lake_settings.this.admins) == toset(concat(["arn:aws:iam::111122223333:role/break-glass"], var.admin_arns))
    error_message = "PutDataLakeSettings replaces the admin list: the account's current admins must be kept"
  }
}

run "merge_can_be_turned_off" {
  command = plan
  variables {
    merge_existing_admins = false
  }
  assert {
    condition     = toset(aws_lakeformation_data_lake_settings.this.admins) == toset(var.admin_arns)
    error_message = "with merge_existing_admins = false, admin_arns is the whole list"
  }
}
