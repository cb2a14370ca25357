variable "prefix" {
  description = "Name prefix of the lake's resources."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name (local, dev, prod)."
  type        = string
}

variable "kms_key_arn" {
  description = "Lake KMS key encrypting the alert topic."
  type        = string
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alert topic (each must confirm)."
  type        = list(string)
  default     = []
}

variable "glue_job_names" {
  description = "Glue jobs whose FAILED/TIMEOUT/ERROR state changes alert."
  type        = list(string)
  default     = []
}

variable "lambda_function_names" {
  description = "Lambda functions alarmed on Errors."
  type        = list(string)
  default     = []
}

variable "kinesis_stream_names" {
  description = "Kinesis streams alarmed on iterator age."
  type        = list(string)
  default     = []
}

variable "firehose_names" {
  description = "Firehose delivery streams alarmed on S3 data freshness."
  type        = list(string)
  default     = []
}

variable "dms_task_arns" {
  description = "DMS replication tasks whose failure events alert (state-change events)."
  type        = list(string)
  default     = []
}

variable "iterator_age_threshold_ms" {
  description = "Max Kinesis iterator age before alarming (consumers falling behind)."
  type        = number
  default     = 300000
}

variable "freshness_threshold_s" {
  description = "Max age of the oldest record not yet in S3 (buffer interval + margin)."
  type        = number
  default     = 1800
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
