variable "prefix" {
  description = "Name prefix of the lake's resources."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name (local, dev, prod)."
  type        = string
}

variable "lake_spec_file" {
  description = "Path of the compiled lake document (terraform/generated/lake.json, written by `make compile`; its lake_formation part holds the validated grant files)."
  type        = string
}

variable "database_names" {
  description = "Glue database per zone (glue_catalog_etl.database_names)."
  type        = map(string)
}

variable "table_names" {
  description = "Catalog table per dataset as {database, name} (glue_catalog_etl.tables); tags wait for the tables."
  type        = map(object({ database = string, name = string, location = string }))
}

variable "bucket_arns" {
  description = "Bucket ARN per zone (data_lake_storage.bucket_arns); raw, transform and curated are registered."
  type        = map(string)
}

variable "registered_zones" {
  description = "Zones whose buckets are registered with Lake Formation."
  type        = list(string)
  default     = ["raw", "transform", "curated"]
}

variable "access_mode" {
  description = "Lake Formation access mode of new databases and tables: lake_formation (LF permissions only, IAMAllowedPrincipals not granted) or iam (IAM_ALLOWED_PRINCIPALS gets ALL: IAM policies decide, LF grants are not enforced)."
  type        = string
  default     = "lake_formation"
  validation {
    condition     = contains(["lake_formation", "iam"], var.access_mode)
    error_message = "access_mode must be lake_formation or iam."
  }
}

variable "admin_arns" {
  description = "IAM principals that administer Lake Formation (data lake admins), added to the account's current admins (merge_existing_admins)."
  type        = list(string)
}

variable "merge_existing_admins" {
  description = "Keep the account's current Lake Formation admins (read with the aws_lakeformation_data_lake_settings data source) beside admin_arns; false makes admin_arns the whole list."
  type        = bool
  default     = true
}

variable "persona_trusted_principals" {
  description = "Principals allowed to assume the persona roles (e.g. an SSO permission-set role or the account root)."
  type        = list(string)
}

variable "role_name_prefix" {
  description = "Prefix added to the persona role names from personas.yaml (e.g. \"dev-\")."
  type        = string
  default     = ""
}

variable "enable_data_cells_filters" {
  description = "Create LF data cells filters (row/column filters) from grants.yaml data_filters (moto lacks the API)."
  type        = bool
  default     = true
}

variable "enable_tag_grants" {
  description = "Create LF-TBAC grants (moto stores them but cannot list tag-policy grants back)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every taggable resource."
  type        = map(string)
  default     = {}
}

variable "etl_role_arns" {
  description = "Roles of the Glue jobs and crawlers by name (e.g. { glue = <arn> }): DATA_LOCATION_ACCESS on the registered zones and table rights in every lake database, through Lake Formation."
  type        = map(string)
  default     = {}
}

variable "dashboard_role_arns" {
  description = "Roles of the dashboards by name (e.g. { grafana = <arn> }): SELECT/DESCRIBE on the curated zone's non-pii columns, through LF-tag grants (needs enable_tag_grants)."
  type        = map(string)
  default     = {}
}

variable "lake_kms_key_arns" {
  description = "KMS keys of the registered zones by name (e.g. { lake = <arn> }): granted to Lake Formation's service-linked role so vended credentials can decrypt."
  type        = map(string)
  default     = {}
}

variable "query_access" {
  description = "Athena workgroup ARN, results bucket ARN and key prefix, and the lake KMS key the personas query with (null = catalog and LF vending only)."
  type = object({
    workgroup_arn      = string
    results_bucket_arn = string
    results_prefix     = string
    kms_key_arn        = string
  })
  default = null
}
