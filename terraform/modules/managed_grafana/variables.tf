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
  description = "Timestream for LiveAnalytics tables the dashboards may read (streaming_ingestion's readings, existing accounts only)."
  type        = list(string)
  default     = []
}

variable "influxdb" {
  description = "Timestream for InfluxDB hot path (timestream_influxdb outputs): the workspace joins the VPC to reach it (subnet_ids: at least two) and its security group may call the instance's port. The InfluxDB data source itself is added on import (README). null: no VPC connection."
  type = object({
    url               = string
    vpc_id            = string
    subnet_ids        = list(string)
    security_group_id = string
    port              = number
  })
  default = null
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
