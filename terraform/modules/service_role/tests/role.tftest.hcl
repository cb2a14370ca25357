mock_provider "aws" {}

override_resource {
  target = aws_iam_role.this
  values = { arn = "arn:aws:iam::111122223333:role/lake-test-firehose", name = "lake-test-firehose", id = "lake-test-firehose" }
}

variables {
  name               = "lake-test-firehose"
  service_principals = ["firehose.amazonaws.com"]
  trust_conditions   = [{ test = "StringEquals", variable = "sts:ExternalId", values = ["111122223333"] }]
  inline_policies = {
    telemetry-delivery = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"kinesis:GetRecords\"],\"Resource\":[\"arn:aws:kinesis:us-east-1:111122223333:stream/lake-test-telemetry\"]}]}"
  }
  tags = { project = "energylake" }
}

run "only_the_service_may_assume_it_under_its_conditions" {
  command = apply
  assert {
    # Exactly the text the callers' literal trust policies had (jsonencode sorts the keys).
    condition     = aws_iam_role.this.assume_role_policy == "{\"Statement\":[{\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":\"111122223333\"}},\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"firehose.amazonaws.com\"}}],\"Version\":\"2012-10-17\"}"
    error_message = "one Allow of sts:AssumeRole to the service principal, under the caller's condition, nothing else"
  }
  assert {
    condition     = aws_iam_role.this.name == var.name && aws_iam_role.this.tags == var.tags
    error_message = "the role takes the caller's name and tags"
  }
  assert {
    condition = (keys(aws_iam_role_policy.this) == ["telemetry-delivery"]
      && aws_iam_role_policy.this["telemetry-delivery"].name == "telemetry-delivery"
      && aws_iam_role_policy.this["telemetry-delivery"].role == "lake-test-firehose"
    && aws_iam_role_policy.this["telemetry-delivery"].policy == var.inline_policies["telemetry-delivery"])
    error_message = "each inline policy is attached to the role under its name, with the caller's text unchanged"
  }
  assert {
    condition     = length(aws_iam_role_policy_attachment.this) == 0 && output.managed_policy_arns == {}
    error_message = "no managed policy unless the caller names one"
  }
  assert {
    condition     = output.trust_policy == aws_iam_role.this.assume_role_policy && output.arn == "arn:aws:iam::111122223333:role/lake-test-firehose" && output.name == var.name && output.inline_policies["telemetry-delivery"] == var.inline_policies["telemetry-delivery"] && length(output.inline_policies) == 1
    error_message = "the role's trust policy, ARN, name and inline policies are outputs"
  }
}

run "no_condition_and_several_values" {
  command = plan
  variables {
    service_principals = ["lambda.amazonaws.com"]
    trust_conditions   = []
    inline_policies    = {}
  }
  assert {
    condition     = aws_iam_role.this.assume_role_policy == "{\"Statement\":[{\"Action\":\"sts:AssumeRole\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"}}],\"Version\":\"2012-10-17\"}"
    error_message = "without conditions the statement has no Condition key at all (not an empty or null one)"
  }
  assert {
    condition     = length(aws_iam_role_policy.this) == 0
    error_message = "no inline policy unless the caller gives one"
  }
}

run "several_principals_and_condition_values_render_as_lists" {
  command = plan
  variables {
    service_principals = ["glue.amazonaws.com", "lakeformation.amazonaws.com"]
    trust_conditions = [
      { test = "StringEquals", variable = "aws:SourceAccount", values = ["111122223333", "444455556666"] },
      { test = "StringEquals", variable = "aws:SourceOrgID", values = ["o-example"] },
      { test = "ArnLike", variable = "aws:SourceArn", values = ["arn:aws:glue:us-east-1:111122223333:*"] },
    ]
  }
  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = ["glue.amazonaws.com", "lakeformation.amazonaws.com"] }
      Condition = {
        StringEquals = { "aws:SourceAccount" = ["111122223333", "444455556666"], "aws:SourceOrgID" = "o-example" }
        ArnLike      = { "aws:SourceArn" = "arn:aws:glue:us-east-1:111122223333:*" }
      }
    }]
    error_message = "conditions group by operator; several principals or values are lists, one is a string"
  }
}

run "managed_policies_are_attached_by_label" {
  command = apply
  variables {
    managed_policy_arns = { AWSLambdaVPCAccessExecutionRole = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole" }
  }
  assert {
    condition = (aws_iam_role_policy_attachment.this["AWSLambdaVPCAccessExecutionRole"].role == "lake-test-firehose"
      && aws_iam_role_policy_attachment.this["AWSLambdaVPCAccessExecutionRole"].policy_arn == "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
    && output.managed_policy_arns["AWSLambdaVPCAccessExecutionRole"] == var.managed_policy_arns["AWSLambdaVPCAccessExecutionRole"])
    error_message = "each managed policy is attached to the role under its label"
  }
}

run "principals_must_be_aws_services" {
  command = plan
  variables {
    service_principals = ["arn:aws:iam::111122223333:root"]
  }
  expect_failures = [var.service_principals]
}

run "at_least_one_principal" {
  command = plan
  variables {
    service_principals = []
  }
  expect_failures = [var.service_principals]
}

run "conditions_need_values" {
  command = plan
  variables {
    trust_conditions = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [] }]
  }
  expect_failures = [var.trust_conditions]
}
