variable "region" {
  description = "Region of the state bucket (the envs' backend.hcl region)."
  type        = string
  default     = "us-east-1"
}

variable "allowed_account_ids" {
  description = "Accounts this bootstrap may be applied to (guards against the wrong profile)."
  type        = list(string)
  default     = null
}

variable "state_bucket_name" {
  description = "Name of the Terraform state bucket (globally unique; the envs' backend.hcl bucket)."
  type        = string
}

variable "noncurrent_version_expiry_days" {
  description = "Days a superseded state version is kept (the history to roll back to)."
  type        = number
  default     = 90
}
