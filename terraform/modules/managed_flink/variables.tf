variable "name_prefix" {
  description = "Resource name prefix, e.g. energylake-dev."
  type        = string
}

variable "input_stream_arns" {
  description = "Telemetry Kinesis streams the Flink job reads, source name => stream ARN (e.g. devices and windfarm from the streaming_ingestion module); one source table each, UNION ALL in the SQL. The role may read exactly these."
  type        = map(string)
  validation {
    condition     = length(var.input_stream_arns) > 0 && alltrue([for k, v in var.input_stream_arns : can(regex("^[a-z][a-z0-9_]*$", k)) && can(regex("^arn:aws[a-z-]*:kinesis:", v))])
    error_message = "input_stream_arns needs at least one entry; keys are lower-case SQL identifiers (table telemetry_raw_<key>), values Kinesis stream ARNs."
  }
}

variable "artifacts_bucket_id" {
  description = "Artifacts bucket name; the application and Lambda zips are uploaded under analytics/."
  type        = string
}

variable "artifacts_bucket_arn" {
  description = "Artifacts bucket ARN."
  type        = string
}

variable "errors_bucket_arn" {
  description = "Bucket receiving late and rejected records under errors/streaming/ (the raw bucket)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for streams, topic, queue, logs and Firehose."
  type        = string
}

variable "application_zip_path" {
  description = "Local path of the Managed Flink zip (`make flink-package FLINK_CONNECTOR_JAR=...`); required when enable_application is true."
  type        = string
  default     = null
}

variable "enable_application" {
  description = "Create the Managed Flink application and upload its zip (moto has no Update/DeleteApplication)."
  type        = bool
  default     = true
}

variable "enable_stream_tags" {
  description = "Tag the output Kinesis streams (moto's CreateStream drops tags, which would show as drift)."
  type        = bool
  default     = true
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per consumer Lambda (-1 = unreserved); Kinesis already bounds it to one batch per shard."
  type        = number
  default     = -1
}

variable "consumers_zip_path" {
  description = "Local path of the Lambda consumers zip (`make flink-package`)."
  type        = string
}

variable "influxdb" {
  description = "Timestream for InfluxDB hot path (timestream_influxdb outputs): the alerts consumer writes each alert as a telemetry_alerts point. It runs in subnet_ids (private, with a route to Secrets Manager and SNS: NAT or interface endpoints) with a security group of its own that may call the instance's port (give that group to timestream_influxdb's client_security_group_ids), and may read the instance's secret. null: alerts go to SNS only."
  type = object({
    url               = string
    secret_arn        = string
    vpc_id            = string
    subnet_ids        = list(string)
    security_group_id = string
    port              = number
  })
  default = null
}

variable "connector_jar_name" {
  description = "File name of the Kinesis SQL connector JAR inside the zip's lib/ directory."
  type        = string
  default     = "flink-sql-connector-aws-kinesis-streams-5.0.0-1.20.jar"
}

variable "parallelism" {
  description = "Flink parallelism (KPUs scale with it)."
  type        = number
  default     = 1
}

variable "start_application" {
  description = "Start the Flink application after deployment."
  type        = bool
  default     = false
}

variable "alert_email_subscriptions" {
  description = "E-mail addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}

variable "output_shard_count" {
  description = "Shards of each output stream."
  type        = number
  default     = 1
}

variable "log_retention_days" {
  description = "CloudWatch log retention in days (one year: audit trail of the job and its consumers)."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
