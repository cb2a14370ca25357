# Real AWS: credentials and region from the standard chain, like envs/dev.
provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids
  default_tags {
    tags = { project = "renewable-energy-lake", managed_by = "terraform", purpose = "terraform-state" }
  }
}
