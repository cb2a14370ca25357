variable "prefix" {
  description = "Name prefix of the lake's resources."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name (local, dev, prod)."
  type        = string
}

variable "raw_bucket" {
  description = "Name of the raw zone bucket (Firehose destination)."
  type        = string
}

variable "kms_key_arn" {
  description = "Lake KMS key (streams, Firehose output, logs, Timestream)."
  type        = string
}

variable "shard_count" {
  description = "Shards per telemetry stream (provisioned mode: predictable cost, moto-compatible)."
  type        = number
  default     = 1
}

variable "retention_hours" {
  description = "Kinesis retention; long enough to replay a day of Firehose or consumer outages."
  type        = number
  default     = 48
}

variable "buffer_size_mb" {
  description = "Firehose buffer size: large objects, few small files (dynamic partitioning needs >= 64)."
  type        = number
  default     = 128
}

variable "buffer_interval_s" {
  description = "Firehose buffer interval in seconds (max 900): with the size above, sized to avoid small files."
  type        = number
  default     = 900
}

variable "transform_lambda_arn" {
  description = "Firehose record-transformation Lambda (telemetry_transform); null to deliver records untransformed."
  type        = string
  default     = null
}

variable "partner_writer_lambda_arn" {
  description = "Lambda consuming the partner stream (partner_writer); null for no event source mapping."
  type        = string
  default     = null
}

variable "enable_partner_writer" {
  description = "Map the partner stream to partner_writer_lambda_arn (a flag, because the ARN is unknown until apply)."
  type        = bool
  default     = false
}

variable "partner_model_schema" {
  description = "JSON Schema (draft-04) of a partner reading: the API Gateway request model (lambda/lakeingest/partner/meter_reading.schema.json)."
  type        = string
  default     = null
}

variable "partner_request_template" {
  description = "VTL template of the Kinesis PutRecord integration; $${stream_name} is substituted (lambda/lakeingest/partner/kinesis_put_record.vtl)."
  type        = string
  default     = null
}

variable "iot_topic_root" {
  description = "MQTT topic root: devices publish to <root>/windfarm/<device> and <root>/devices/<device>."
  type        = string
  default     = "energylake/telemetry"
}

variable "api_throttle" {
  description = "Partner API usage plan limits."
  type = object({
    rate_limit  = number
    burst_limit = number
    quota_day   = number
  })
  default = { rate_limit = 50, burst_limit = 100, quota_day = 500000 }
}

variable "enable_firehose" {
  description = "Kinesis -> Firehose -> raw delivery streams."
  type        = bool
  default     = true
}

variable "enable_timestream" {
  description = "Timestream for LiveAnalytics database/table and the typed IoT rule writing to it (closed to new customers since 2025-06-20: existing accounts only; new ones use timestream_influxdb)."
  type        = bool
  default     = false
}

variable "enable_iot_rules" {
  description = "IoT Core topic rules routing device telemetry to Kinesis (and, with enable_timestream, typed measures to Timestream)."
  type        = bool
  default     = true
}

variable "enable_partner_api" {
  description = "API Gateway REST API (API key + request validation) putting partner readings into Kinesis."
  type        = bool
  default     = true
}

variable "enable_partner_waf" {
  description = "WAF web ACL on the partner API stage that refuses bodies above partner_max_body_bytes (API Gateway has no body-size setting)."
  type        = bool
  default     = true
}

variable "partner_max_body_bytes" {
  description = "Largest partner request body accepted (same default as the Lambda-proxy form's PARTNER_MAX_BODY_BYTES)."
  type        = number
  default     = 8192
  validation {
    condition     = var.partner_max_body_bytes > 0 && var.partner_max_body_bytes <= 8192
    error_message = "partner_max_body_bytes must be 1..8192: WAF inspects at most the first 8 KiB of an API Gateway body (larger bodies count as oversize and are refused)."
  }
}

variable "manage_apigw_account" {
  description = "Manage the regional API Gateway account setting (CloudWatch role for API logs)."
  type        = bool
  default     = true
}

variable "enable_stream_tags" {
  description = "Tag the Kinesis streams (moto's CreateStream drops tags, which would show as drift)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of Firehose and API Gateway log groups."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "telemetry_layout_file" {
  description = "Generated telemetry layout (python -m lakeingest.telemetry.layout): per source the event-time field, S3 prefixes and jq partition-key query. null: the file in this repository's lambda/lakeingest/telemetry."
  type        = string
  default     = null
}
