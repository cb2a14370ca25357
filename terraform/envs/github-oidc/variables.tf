variable "region" {
  description = "AWS region of the lake (the apply role changes resources in this region only)."
  type        = string
  default     = "us-east-1"
}

variable "allowed_account_ids" {
  description = "Accounts this root may be applied to (guards against the wrong profile)."
  type        = list(string)
  default     = null
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows deploy the lake."
  type        = string
}

variable "prefix" {
  description = "Name prefix of the lake (as in envs/dev)."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Lake environment the apply role deploys (as in envs/dev); also the GitHub environment name."
  type        = string
  default     = "dev"
}

variable "state_bucket" {
  description = "S3 bucket of the lake's Terraform state (envs/dev backend.hcl bucket)."
  type        = string
}

variable "state_key_prefix" {
  description = "Key prefix of the lake's state objects (envs/dev backend.hcl key without the file name)."
  type        = string
  default     = "energylake/"
}

variable "state_kms_key_arn" {
  description = "KMS key of the state bucket (null for SSE-S3)."
  type        = string
  default     = null
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when another stack already created it)."
  type        = bool
  default     = true
}
