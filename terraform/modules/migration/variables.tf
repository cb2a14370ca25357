variable "prefix" {
  description = "Name prefix of the lake's resources."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name (local, dev, prod)."
  type        = string
}

variable "landing_bucket" {
  description = "Landing bucket: DMS writes dms/<schema>/<table>/ there."
  type        = string
}

variable "kms_key_arn" {
  description = "Lake KMS key (replication storage, S3 target, secret)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the replication instance."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (two AZs) of the replication instance."
  type        = list(string)
}

variable "source_cidr_blocks" {
  description = "CIDR blocks of the source PostgreSQL (egress from the replication instance)."
  type        = list(string)
}

variable "source_db" {
  description = "Source PostgreSQL connection (the password lives only in Secrets Manager)."
  type = object({
    host     = string
    port     = number
    database = string
    username = string
  })
}

variable "source_password" {
  description = "Password stored in the source secret; null leaves the secret value to be set out of band (recommended)."
  type        = string
  default     = null
  sensitive   = true
}

variable "schema" {
  description = "Source schema replicated to the lake."
  type        = string
  default     = "trading"
}

variable "lake_spec_file" {
  description = "Path of the compiled lake document (terraform/generated/lake.json, written by `make compile`; its dms part holds the table mappings and S3 target settings)."
  type        = string
}

variable "instance_class" {
  description = "Replication instance class."
  type        = string
  default     = "dms.t3.medium"
}

variable "engine_version" {
  description = "DMS engine version (null = AWS default)."
  type        = string
  default     = null
}

variable "enable_dms" {
  description = "Create the DMS replication instance, endpoints and task."
  type        = bool
  default     = true
}

variable "create_dms_service_roles" {
  description = "Create the account-wide dms-vpc-role and dms-cloudwatch-logs-role (false when the account already has them, e.g. from another stack or the console: the plan then checks they exist)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
