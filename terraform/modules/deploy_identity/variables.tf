variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the roles."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name (no wildcards)."
  }
}

variable "plan_branch" {
  description = "Branch whose pushes (besides pull requests) may assume the plan role."
  type        = string
  default     = "main"
  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.plan_branch)) && !strcontains(var.plan_branch, "*")
    error_message = "plan_branch is one branch name, no wildcards."
  }
}

variable "apply_environment" {
  description = "GitHub environment (with required reviewers and a deployment-branch rule for plan_branch) whose jobs may assume the apply role."
  type        = string
  default     = "dev"
  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.apply_environment))
    error_message = "apply_environment is one environment name, no wildcards."
  }
}

variable "name_prefix" {
  description = "Prefix of the two role names (<name_prefix>-ci-plan, <name_prefix>-ci-apply)."
  type        = string
  default     = "energylake"
}

variable "lake_name_prefix" {
  description = "Name prefix of the lake environment's resources (<prefix>-<env>, as in envs/dev): buckets, roles, functions."
  type        = string
  default     = "energylake-dev"
}

variable "lake_role_name_patterns" {
  description = "IAM role and policy name patterns the apply role may manage and pass (the lake's service and persona roles)."
  type        = list(string)
  default     = ["energylake-dev-*", "dev-*"]
  validation {
    condition     = length(var.lake_role_name_patterns) > 0 && alltrue([for p in var.lake_role_name_patterns : p != "*" && length(trimsuffix(p, "*")) >= 3])
    error_message = "each pattern needs a fixed prefix of at least 3 characters (never a bare *)."
  }
}

variable "lake_services" {
  description = "IAM service prefixes of the resources the lake's Terraform manages (apply role, in var.regions only)."
  type        = list(string)
  default = [
    "apigateway", "athena", "cloudwatch", "dms", "events", "firehose", "glue", "grafana", "iot",
    "kinesis", "kinesisanalytics", "kms", "lakeformation", "lambda", "logs", "redshift", "redshift-serverless",
    "sagemaker", "scheduler", "secretsmanager", "sns", "sqs", "states", "timestream", "timestream-influxdb",
    "transfer", "wafv2",
  ]
  validation {
    condition     = length(setintersection(var.lake_services, ["iam", "sts", "organizations", "account", "s3"])) == 0
    error_message = "iam, sts, organizations, account and s3 are granted by narrower statements, never service-wide."
  }
}

variable "data_bucket_zones" {
  description = "Lake buckets holding data (<lake_name_prefix>-<zone>) whose objects the plan role may not read."
  type        = list(string)
  default     = ["landing", "raw", "transform", "curated"]
}

variable "regions" {
  description = "Regions the apply role may change resources in."
  type        = list(string)
  default     = ["us-east-1"]
}

variable "state_bucket" {
  description = "S3 bucket holding the Terraform state (backend.hcl bucket)."
  type        = string
}

variable "state_key_prefix" {
  description = "Key prefix of the lake's state objects in state_bucket (backend.hcl key without the file name)."
  type        = string
  default     = "energylake/"
}

variable "state_kms_key_arn" {
  description = "KMS key encrypting the state bucket (null when it uses SSE-S3)."
  type        = string
  default     = null
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when the account already has one)."
  type        = bool
  default     = true
}

variable "max_session_duration" {
  description = "Maximum session length of the roles in seconds (a plan or apply job is shorter)."
  type        = number
  default     = 3600
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
