# Security invariants of the CI deploy identity (mock provider: no AWS account needed).
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333", arn = "arn:aws:iam::111122223333:role/admin" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  # The policies are asserted through the documents' statements; the rendered JSON only has to be valid.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
}

variables {
  github_repository = "example-org/energy-lake"
  state_bucket      = "example-terraform-state"
}

run "trust_is_exact_repository_branch_and_environment" {
  command = apply
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "one GitHub OIDC provider with the STS audience"
  }
  assert {
    condition = alltrue([for d in values(data.aws_iam_policy_document.trust) : alltrue([for s in d.statement :
      contains([for c in s.condition : c.variable if c.test == "StringEquals"], "token.actions.githubusercontent.com:aud")
      && contains([for c in s.condition : c.variable if c.test == "StringEquals"], "token.actions.githubusercontent.com:sub")
      && length([for c in s.condition : c if c.test != "StringEquals"]) == 0
    ])])
    error_message = "both trust policies pin audience and subject with StringEquals (no StringLike wildcards)"
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.trust["plan"].statement : [for c in s.condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"]])) == toset([
      "repo:example-org/energy-lake:pull_request",
      "repo:example-org/energy-lake:ref:refs/heads/main",
    ])
    error_message = "the plan role is for this repository's pull requests and main branch only"
  }
  assert {
    condition     = flatten([for s in data.aws_iam_policy_document.trust["apply"].statement : [for c in s.condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"]]) == ["repo:example-org/energy-lake:environment:dev"]
    error_message = "the apply role is for jobs in this repository's protected dev environment only"
  }
}

run "plan_is_read_only" {
  command = apply
  assert {
    condition     = aws_iam_role_policy_attachment.plan_read_only.policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    error_message = "the plan role reads through the AWS managed ReadOnlyAccess policy"
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.plan.statement : s.effect == "Deny" || alltrue([
      for a in s.actions : contains(["s3:ListBucket", "s3:GetObject", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], a) || (contains(["s3:PutObject", "s3:DeleteObject"], a) && toset(s.resources) == toset(["arn:aws:s3:::example-terraform-state/energylake/*.tflock"]))
    ])])
    error_message = "the plan role's only writes are the state lock file"
  }
  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.plan.statement : s.resources if s.sid == "NoLakeObjects" && s.effect == "Deny"])) == toset([for z in ["landing", "raw", "transform", "curated"] : "arn:aws:s3:::energylake-dev-${z}/*"])
    error_message = "the plan role may not read the objects of the lake's data buckets"
  }
}

run "apply_is_scoped_to_the_lake" {
  command = apply
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.apply.statement : s.effect == "Deny" || alltrue([
      for a in s.actions : !startswith(a, "iam:") || a == "iam:CreateServiceLinkedRole" || alltrue([for r in s.resources : can(regex("^arn:aws:iam::111122223333:(role|role/service-role|policy|instance-profile)/(energylake-dev-|dev-)", r))])
    ])])
    error_message = "IAM changes are limited to the lake's role and policy names"
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.apply.statement : s.effect == "Deny" || !contains(coalesce(s.resources, []), "*") || anytrue([
      for c in s.condition : c.variable == "aws:RequestedRegion" && toset(c.values) == toset(["us-east-1"])
    ])])
    error_message = "every service-wide statement is limited to the lake's region"
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.apply.statement : s.effect == "Deny" || !anytrue([
      for a in s.actions : contains(["*", "iam:*", "sts:*", "organizations:*", "s3:*"], a) && contains(coalesce(s.resources, []), "*")
    ])])
    error_message = "no allow of *, iam:*, sts:*, organizations:* or s3:* on every resource"
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.apply.statement : s.resources if s.sid == "NotTheDeployIdentity" && s.effect == "Deny" && toset(s.actions) == toset(["iam:*"])])) == toset([
      "arn:aws:iam::111122223333:role/energylake-ci-plan",
      "arn:aws:iam::111122223333:role/energylake-ci-apply",
      "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
    ])
    error_message = "the apply role cannot change the deploy identity itself"
  }
}

run "existing_provider_is_referenced" {
  command = apply
  variables {
    create_oidc_provider = false
  }
  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && output.oidc_provider_arn == "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    error_message = "an account's existing GitHub provider is trusted by ARN, not created twice"
  }
}

run "wildcard_subjects_are_rejected" {
  command = plan
  variables {
    github_repository = "example-org/*"
  }
  expect_failures = [var.github_repository]
}

run "bare_wildcard_role_pattern_is_rejected" {
  command = plan
  variables {
    lake_role_name_patterns = ["*"]
  }
  expect_failures = [var.lake_role_name_patterns]
}

run "iam_is_never_service_wide" {
  command = plan
  variables {
    lake_services = ["glue", "iam"]
  }
  expect_failures = [var.lake_services]
}
