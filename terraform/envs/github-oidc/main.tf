# The CI deploy identity of one account: apply once with admin credentials, then set the outputs as the
# repository variables AWS_PLAN_ROLE_ARN and AWS_APPLY_ROLE_ARN (see README.md).
module "deploy_identity" {
  source            = "../../modules/deploy_identity"
  github_repository = var.github_repository
  plan_branch       = "main"
  apply_environment = var.env
  name_prefix       = "${var.prefix}-github-${var.env}" # outside the lake's role patterns below
  lake_name_prefix  = "${var.prefix}-${var.env}"
  lake_role_name_patterns = [
    "${var.prefix}-${var.env}-*", # service roles of the modules (<prefix>-<env>-...)
    "${var.env}-*",               # persona roles (role_name_prefix "<env>-" in envs/dev)
  ]
  regions              = [var.region]
  state_bucket         = var.state_bucket
  state_key_prefix     = var.state_key_prefix
  state_kms_key_arn    = var.state_kms_key_arn
  create_oidc_provider = var.create_oidc_provider
}
