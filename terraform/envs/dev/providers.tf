# Real AWS: credentials and region come from the standard chain (AWS_PROFILE, SSO, environment, instance
# role). No endpoint or credential settings here.
provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids
  default_tags {
    tags = local.tags
  }
}
