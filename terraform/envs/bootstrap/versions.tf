terraform {
  # S3-native state locking (use_lockfile in the envs' backend.hcl) needs Terraform 1.10.
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # The bootstrap's own state stays local: it creates the bucket every other state lives in.
  backend "local" {}
}
