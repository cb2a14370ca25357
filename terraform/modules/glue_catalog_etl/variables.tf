variable "prefix" {
  description = "Name prefix of the lake's resources."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name (local, dev, prod)."
  type        = string
}

variable "database_prefix" {
  description = "Glue databases are <database_prefix>_<zone> (contract.glue_database())."
  type        = string
  default     = "energy"
}

variable "bucket_names" {
  description = "Bucket name per zone: landing, raw, transform, curated, artifacts (data_lake_storage.bucket_names)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Lake KMS key used by the Glue security configuration, logs and job role."
  type        = string
}

variable "contracts_dir" {
  description = "Directory of the dataset contract YAML files (glue/lib/energylake/datasets)."
  type        = string
}

variable "jobs_manifest" {
  description = "Path of glue/jobs/jobs.yaml (the one list of Glue jobs)."
  type        = string
}

variable "job_scripts_dir" {
  description = "Directory holding glue/jobs/<name>.py; existing scripts are uploaded to the artifacts bucket."
  type        = string
}

variable "library_wheel_path" {
  description = "Local path of the energylake wheel (uploaded and passed with --extra-py-files); null to skip the upload."
  type        = string
  default     = null
}

variable "library_wheel_key" {
  description = "Key of the energylake wheel in the artifacts bucket."
  type        = string
  default     = "libs/energylake-py3-none-any.whl"
}

variable "library_jar_path" {
  description = "Local path of the energylake JVM functions jar (build/jvm, built by make setup; uploaded and passed with --extra-jars); null to skip the upload."
  type        = string
  default     = null
}

variable "library_jar_key" {
  description = "Key of the energylake JVM functions jar in the artifacts bucket."
  type        = string
  default     = "libs/energylake-functions.jar"
}

variable "workflow_schedule" {
  description = "Cron expression starting the workflow (null = on demand)."
  type        = string
  default     = null
}

variable "crawler_schedule" {
  description = "Cron expression for the landing/raw crawlers (null = on demand)."
  type        = string
  default     = null
}

variable "enable_data_quality" {
  description = "Create Glue Data Quality rulesets from the contracts' quality rules (moto lacks the API)."
  type        = bool
  default     = true
}

variable "enable_security_configuration" {
  description = "Create the Glue security configuration (KMS for S3, logs, bookmarks) and attach it to jobs and crawlers."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the Glue job log groups."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "lake_formation_settings_id" {
  description = "Id of the Lake Formation data lake settings (lake_formation module output data_lake_settings_id); the databases are created after them. Null when Lake Formation is not managed with the lake."
  type        = string
  default     = null
}
