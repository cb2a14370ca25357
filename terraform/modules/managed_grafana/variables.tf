variable "enabled" {
  description = "Feature flag: create the Amazon Managed Grafana workspace (off by default; needs IAM Identity Center)."
  type        = bool
  default     = false
}

variable "name_prefix" {
  description = "Resource name prefix, e.g. energylake-dev."
  type        = string
}

variable "athena_workgroup" {
  description = "Athena workgroup the business dashboard queries run in."
  type        = string
}

variable "athena_results_bucket_arn" {
  description = "Bucket for Athena results (artifacts bucket, prefix athena-results/)."
  type        = string
}

variable "glue_database" {
  description = "Glue database of the curated tables."
  type        = string
  default     = "energy_curated"
}

variable "timestream_table_arns" {
  description = "Timestream tables of the operations dashboard (managed_flink output)."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key encrypting the curated data and Athena results."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
