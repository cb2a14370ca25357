# Applied once per account by an administrator (SSO session or profile); CI cannot create its own identity.
provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids
  default_tags {
    tags = { project = "renewable-energy-lake", component = "ci-deploy-identity", managed_by = "terraform" }
  }
}
