terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Remote state in S3 (partial configuration): terraform init -backend-config=backend.hcl
  # with bucket, key, region, dynamodb_table/use_lockfile and encrypt = true (see backend.hcl.example).
  backend "s3" {}
}
