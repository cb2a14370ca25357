# GitHub Actions deploy identity of the lake: the account's GitHub OIDC provider and two roles CI assumes with
# it (no long-lived keys). Plan: read-only, for pull requests and the plan branch. Apply: changes the lake's
# resources only, assumable only by a job running in the protected GitHub environment.
#
# AWS contract: "Create an OpenID Connect (OIDC) identity provider in IAM" and "Create a role for OpenID Connect
# federation" (IAM User Guide): provider URL https://token.actions.githubusercontent.com, audience
# sts.amazonaws.com, and a trust policy that evaluates token.actions.githubusercontent.com:sub. The sub formats
# (repo:OWNER/REPO:pull_request, repo:OWNER/REPO:ref:refs/heads/BRANCH, repo:OWNER/REPO:environment:NAME) are
# GitHub's "OpenID Connect reference: Example subject claims".

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  oidc_host = "token.actions.githubusercontent.com"
  audience  = "sts.amazonaws.com"
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  oidc_arn  = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${local.partition}:iam::${local.account}:oidc-provider/${local.oidc_host}"

  # Exact subjects (StringEquals, no wildcards): which workflow runs may assume each role.
  plan_subjects = [
    "repo:${var.github_repository}:pull_request",
    "repo:${var.github_repository}:ref:refs/heads/${var.plan_branch}",
  ]
  apply_subjects = ["repo:${var.github_repository}:environment:${var.apply_environment}"]

  plan_role_name  = "${var.name_prefix}-ci-plan"
  apply_role_name = "${var.name_prefix}-ci-apply"
  identity_arns = [
    "arn:${local.partition}:iam::${local.account}:role/${local.plan_role_name}",
    "arn:${local.partition}:iam::${local.account}:role/${local.apply_role_name}",
    local.oidc_arn,
  ]

  state_bucket_arn  = "arn:${local.partition}:s3:::${var.state_bucket}"
  state_objects_arn = "${local.state_bucket_arn}/${var.state_key_prefix}*"
  lake_bucket_arns  = ["arn:${local.partition}:s3:::${var.lake_name_prefix}-*", "arn:${local.partition}:s3:::${var.lake_name_prefix}-*/*"]
  data_object_arns  = [for z in var.data_bucket_zones : "arn:${local.partition}:s3:::${var.lake_name_prefix}-${z}/*"]
  lake_iam_arns = flatten([for p in var.lake_role_name_patterns : [
    "arn:${local.partition}:iam::${local.account}:role/${p}",
    "arn:${local.partition}:iam::${local.account}:role/service-role/${p}",
    "arn:${local.partition}:iam::${local.account}:policy/${p}",
    "arn:${local.partition}:iam::${local.account}:instance-profile/${p}",
  ]])
  read_only_policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

# AWS no longer uses the thumbprint for GitHub's provider (it trusts the certificate through its own CA
# library), but provider versions before 5.81 require the argument: GitHub's two published thumbprints.
resource "aws_iam_openid_connect_provider" "github" {
  count           = var.create_oidc_provider ? 1 : 0
  url             = "https://${local.oidc_host}"
  client_id_list  = [local.audience]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
  tags            = var.tags
}

data "aws_iam_policy_document" "trust" {
  for_each = { plan = local.plan_subjects, apply = local.apply_subjects }
  statement {
    sid     = "GitHubActionsOidc"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = [local.audience]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = each.value
    }
  }
}

# --- plan: read-only -------------------------------------------------------------------------------------------

resource "aws_iam_role" "plan" {
  name                 = local.plan_role_name
  description          = "GitHub Actions (${var.github_repository}): terraform plan of the lake, read-only."
  assume_role_policy   = data.aws_iam_policy_document.trust["plan"].json
  max_session_duration = var.max_session_duration
  tags                 = var.tags
  depends_on           = [aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.plan.name
  policy_arn = local.read_only_policy_arn
}

data "aws_iam_policy_document" "plan" {
  statement {
    sid       = "ReadState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }
  statement {
    sid       = "ReadStateObjects"
    actions   = ["s3:GetObject"]
    resources = [local.state_objects_arn]
  }
  # `terraform plan` takes the S3-native state lock (use_lockfile): it writes and deletes <key>.tflock.
  statement {
    sid       = "StateLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_objects_arn}.tflock"]
  }
  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]
    content {
      sid       = "StateKey"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
  # ReadOnlyAccess includes reading data: a plan never needs the lake's records, secrets or query results.
  # (Objects of the artifacts bucket stay readable: refreshing aws_s3_object needs HeadObject, i.e. s3:GetObject.)
  statement {
    sid    = "NoDataReads"
    effect = "Deny"
    actions = [
      "secretsmanager:GetSecretValue", "kinesis:GetRecords", "sqs:ReceiveMessage", "athena:GetQueryResults",
      "redshift-data:GetStatementResult", "redshift:GetClusterCredentials", "redshift-serverless:GetCredentials",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "NoLakeObjects"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = local.data_object_arns
  }
}

resource "aws_iam_role_policy" "plan" {
  name   = "terraform-state-and-no-data"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan.json
}

# --- apply: the lake's resources only ---------------------------------------------------------------------------

resource "aws_iam_role" "apply" {
  name                 = local.apply_role_name
  description          = "GitHub Actions (${var.github_repository}, environment ${var.apply_environment}): terraform apply of the lake."
  assume_role_policy   = data.aws_iam_policy_document.trust["apply"].json
  max_session_duration = var.max_session_duration
  tags                 = var.tags
  depends_on           = [aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy_attachment" "apply_read_only" {
  role       = aws_iam_role.apply.name
  policy_arn = local.read_only_policy_arn
}

data "aws_iam_policy_document" "apply" {
  statement {
    sid       = "State"
    actions   = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.state_bucket_arn, local.state_objects_arn]
  }
  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]
    content {
      sid       = "StateKey"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
  statement {
    sid       = "LakeBuckets"
    actions   = ["s3:*"]
    resources = local.lake_bucket_arns
  }
  statement {
    sid = "LakeRolesAndPolicies"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
      "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
      "iam:DetachRolePolicy", "iam:PassRole", "iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion",
      "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy", "iam:CreateInstanceProfile",
      "iam:DeleteInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
    ]
    resources = local.lake_iam_arns
  }
  # DMS, Redshift, Lake Formation and others create their service-linked roles on first use.
  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/aws-service-role/*"]
  }
  # The lake's services name their resources in ways one ARN pattern cannot cover: this statement is limited to
  # the listed services (never iam, sts, s3, organizations or account) in the lake's regions instead.
  statement {
    sid       = "LakeServices"
    actions   = [for s in var.lake_services : "${s}:*"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = var.regions
    }
  }
  statement {
    sid = "NetworkForDmsAndRedshift"
    actions = [
      "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
      "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
      "ec2:CreateTags", "ec2:DeleteTags", "ec2:CreateVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = var.regions
    }
  }
  # The deploy identity cannot widen itself, mint long-lived credentials or change the organisation (its reads,
  # from ReadOnlyAccess, stay allowed).
  statement {
    sid       = "NotTheDeployIdentity"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = local.identity_arns
  }
  statement {
    sid    = "NoLongLivedCredentials"
    effect = "Deny"
    actions = [
      "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
      "iam:CreateOpenIDConnectProvider", "iam:CreateSAMLProvider", "account:*", "organizations:Create*",
      "organizations:Delete*", "organizations:Leave*", "organizations:Attach*", "organizations:Detach*",
      "organizations:Update*", "organizations:Invite*", "organizations:Enable*", "organizations:Disable*",
      "organizations:Move*", "organizations:Remove*", "organizations:Register*", "organizations:Put*",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "apply" {
  name   = "lake-resources"
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply.json
}
