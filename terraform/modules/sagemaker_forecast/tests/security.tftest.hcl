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
  mock_data "aws_sagemaker_prebuilt_ecr_image" {
    defaults = { registry_path = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
}

variables {
  name_prefix          = "lake-test"
  artifacts_bucket_arn = "arn:aws:s3:::lake-test-artifacts"
  curated_bucket_arn   = "arn:aws:s3:::lake-test-curated"
  kms_key_arn          = "arn:aws:kms:us-east-1:111122223333:key/test"
}

run "disabled_by_default" {
  command = plan
  assert {
    condition     = length(aws_sagemaker_endpoint.forecast) == 0 && length(module.sagemaker_role) == 0 && output.endpoint_name == null
    error_message = "the flag defaults to off and then nothing is created"
  }
}

run "enabled_endpoint_is_serverless_and_least_privilege" {
  command = apply
  variables {
    enabled           = true
    model_data_s3_uri = "s3://lake-test-artifacts/analytics/forecast/model.tar.gz"
  }
  assert {
    condition     = aws_sagemaker_endpoint_configuration.forecast[0].production_variants[0].serverless_config[0].max_concurrency <= 10
    error_message = "the forecast is served by a serverless variant with bounded concurrency"
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.sagemaker.statement : !(contains(s.actions, "*") || anytrue([for a in s.actions : endswith(a, ":*")]))])
    error_message = "no wildcard actions in the SageMaker role"
  }
  assert {
    # Statements on every resource may only hold bootstrap actions without resource scoping, never data access.
    condition = alltrue([for s in data.aws_iam_policy_document.sagemaker.statement : !contains(s.resources, "*") || alltrue([
      for a in s.actions : contains(["cloudwatch:PutMetricData", "ecr:GetAuthorizationToken"], a)
    ])])
    error_message = "S3, KMS and ECR image access is scoped to named resources"
  }
  assert {
    condition     = [for s in jsondecode(module.sagemaker_role[0].trust_policy).Statement : s.Principal] == [{ Service = "sagemaker.amazonaws.com" }]
    error_message = "only SageMaker may assume the role"
  }
}

run "enabled_without_a_model_fails_the_plan" {
  command = plan
  variables {
    enabled = true
  }
  expect_failures = [aws_sagemaker_model.forecast]
}
