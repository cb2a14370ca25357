variable "enabled" {
  description = "Feature flag: create the SageMaker model, endpoint configuration and endpoint (off by default)."
  type        = bool
  default     = false
}

variable "name_prefix" {
  description = "Resource name prefix, e.g. energylake-dev."
  type        = string
}

variable "model_data_s3_uri" {
  description = "s3:// URI of model.tar.gz from the SageMaker training job (model.joblib + code)."
  type        = string
  default     = ""
}

variable "artifacts_bucket_arn" {
  description = "Artifacts bucket holding the model archive."
  type        = string
}

variable "curated_bucket_arn" {
  description = "Curated bucket (site_hourly_generation training data, forecast output)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the endpoint storage and the buckets' objects."
  type        = string
}

variable "sklearn_framework_version" {
  description = "SageMaker scikit-learn container tag."
  type        = string
  default     = "1.2-1-cpu-py3"
}

variable "serverless_memory_mb" {
  description = "Serverless inference memory."
  type        = number
  default     = 2048
}

variable "serverless_max_concurrency" {
  description = "Serverless inference maximum concurrency."
  type        = number
  default     = 2
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
