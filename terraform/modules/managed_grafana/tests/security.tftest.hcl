mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333", arn = "arn:aws:iam::111122223333:role/deployer" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  # The policy is asserted through the document's statements; the rendered JSON only has to be valid.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
}

override_resource {
  target = module.grafana_client[0].aws_security_group.this
  values = { id = "sg-0grafana" }
}

variables {
  name_prefix               = "lake-test"
  athena_workgroup          = "lake-test-analytics"
  athena_results_bucket_arn = "arn:aws:s3:::lake-test-artifacts"
  kms_key_arn               = "arn:aws:kms:us-east-1:111122223333:key/test"
  timestream_table_arns     = ["arn:aws:timestream:us-east-1:111122223333:database/lake_test_telemetry/table/device_aggregates"]
}

run "disabled_by_default" {
  command = plan
  assert {
    condition     = length(aws_grafana_workspace.this) == 0 && length(module.grafana_role) == 0 && output.workspace_endpoint == null
    error_message = "the flag defaults to off and then nothing is created"
  }
}

run "enabled_workspace_is_sso_only_and_read_only" {
  command = apply
  variables {
    enabled = true
  }
  assert {
    condition     = aws_grafana_workspace.this[0].authentication_providers == tolist(["AWS_SSO"]) && aws_grafana_workspace.this[0].account_access_type == "CURRENT_ACCOUNT"
    error_message = "users sign in through IAM Identity Center only, for this account only"
  }
  assert {
    condition     = !jsondecode(aws_grafana_workspace.this[0].configuration).plugins.pluginAdminEnabled
    error_message = "users cannot install plugins"
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.grafana.statement : !(contains(s.actions, "*") && contains(s.resources, "*"))])
    error_message = "no IAM statement may allow * on *"
  }
  assert {
    # Statements on every resource may only read the catalog or discover Timestream endpoints.
    condition = alltrue([for s in data.aws_iam_policy_document.grafana.statement : !contains(s.resources, "*") || alltrue([
      for a in s.actions : startswith(a, "glue:Get") || a == "lakeformation:GetDataAccess" || contains(["timestream:DescribeEndpoints", "timestream:ListDatabases", "timestream:SelectValues"], a)
    ])])
    error_message = "wildcard resources only for read-only catalog and endpoint discovery actions"
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.grafana.statement : alltrue([for r in s.resources : r == "*" || startswith(r, "arn:aws:athena:") || startswith(r, "arn:aws:glue:") || startswith(r, "arn:aws:timestream:") || startswith(r, var.athena_results_bucket_arn) || r == var.kms_key_arn])])
    error_message = "the dashboards role reaches only the curated catalog, Athena results, its workgroup, Timestream tables and the key (curated data comes through Lake Formation)"
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.grafana.statement : alltrue([for a in s.actions : !startswith(a, "s3:Delete")])])
    error_message = "the dashboards role never deletes objects"
  }
}

run "influxdb_hot_path_through_the_vpc" {
  command = apply
  variables {
    enabled               = true
    timestream_table_arns = []
    influxdb = {
      url               = "https://abc123.us-east-1.timestream-influxdb.amazonaws.com:8086"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-aaaa", "subnet-bbbb"]
      security_group_id = "sg-0influxdb"
      port              = 8086
    }
  }
  assert {
    condition     = length(aws_grafana_workspace.this[0].vpc_configuration) == 1 && toset(aws_grafana_workspace.this[0].vpc_configuration[0].subnet_ids) == toset(["subnet-aaaa", "subnet-bbbb"])
    error_message = "the workspace joins the lake's VPC to reach the private InfluxDB instance"
  }
  assert {
    condition     = aws_grafana_workspace.this[0].vpc_configuration[0].security_group_ids == toset(["sg-0grafana"]) && output.security_group_id == "sg-0grafana"
    error_message = "the workspace's only group is its influxdb_client_sg (the instance's port and HTTPS, tested there), an output for the instance's ingress"
  }
  assert {
    condition     = aws_grafana_workspace.this[0].data_sources == tolist(["ATHENA"]) && length([for s in data.aws_iam_policy_document.grafana.statement : s if startswith(coalesce(s.sid, "-"), "Timestream")]) == 0
    error_message = "without LiveAnalytics tables the workspace neither lists nor may call Timestream"
  }
  assert {
    condition     = output.influxdb_url == "https://abc123.us-east-1.timestream-influxdb.amazonaws.com:8086"
    error_message = "the URL for the InfluxDB data source is an output"
  }
}
