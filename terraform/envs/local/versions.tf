terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # State of the emulated environment; `make plan` passes -backend-config=path=.local/terraform/local.tfstate.
  backend "local" {}
}
