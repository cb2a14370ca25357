terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Remote state in S3 (partial configuration): terraform init -backend-config=backend.hcl
  # (same bucket as envs/dev, its own key; see backend.hcl.example).
  backend "s3" {}
}
