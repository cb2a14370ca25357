variable "prefix" {
  description = "Name prefix of the lake's resources."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name (local, dev, prod)."
  type        = string
}

variable "bucket_names" {
  description = "Bucket name per zone (data_lake_storage.bucket_names)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Lake KMS key (objects, logs, environment variables, DLQ)."
  type        = string
}

variable "functions_manifest" {
  description = "Path of lambda/functions.json (handler, runtime, memory, timeout, trigger and env of every function)."
  type        = string
}

variable "lambda_zip_dir" {
  description = "Directory holding <function>.zip for every deployed function (build/lambda from `make package`)."
  type        = string
}

variable "excluded_functions" {
  description = "Manifest functions not deployed here (partner_api is the optional proxy form of the API Gateway integration; telemetry_influx_writer runs in the VPC and is deployed by timestream_influxdb)."
  type        = list(string)
  default     = ["partner_api", "telemetry_influx_writer"]
}

variable "sites_csv_path" {
  description = "Reference sites.csv uploaded to the artifacts bucket for the Open-Meteo function (SITES_S3_URI)."
  type        = string
}

variable "schedules_enabled" {
  description = "Whether the EventBridge schedules are enabled (off locally: ingestion is run on demand)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the Lambda and SFTP log groups."
  type        = number
  default     = 365
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per function (-1 = unreserved); caps cost and protects sources from bursts."
  type        = number
  default     = -1
}

variable "enable_dead_letter_config" {
  description = "Attach the SQS dead-letter queue to the functions (moto does not return it, which would show as drift)."
  type        = bool
  default     = true
}

variable "enable_sftp" {
  description = "Transfer Family SFTP server for partner documents into landing/documents/."
  type        = bool
  default     = true
}

variable "sftp_users" {
  description = "SFTP users: name => SSH public key; each lands in landing/documents/."
  type        = map(string)
  default     = {}
}

variable "enable_document_notification" {
  description = "S3 ObjectCreated notification landing documents/*.pdf -> document_ocr."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "ercot_api_secret_arn" {
  description = "Secrets Manager secret (JSON: username, password, subscription_key) for ERCOT's Public API; null keeps ercot_ingest on the MIS listing."
  type        = string
  default     = null
}
