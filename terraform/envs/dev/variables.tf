variable "region" {
  description = "AWS region of the lake."
  type        = string
  default     = "us-east-1"
}

variable "allowed_account_ids" {
  description = "Accounts this environment may be applied to (guards against the wrong profile)."
  type        = list(string)
  default     = null
}

variable "prefix" {
  description = "Name prefix (buckets are <prefix>-<env>-<zone>; bucket names are global, so make it unique)."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name."
  type        = string
  default     = "dev"
}

variable "vpc_id" {
  description = "VPC for DMS and Redshift."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in two AZs for DMS and Redshift."
  type        = list(string)
}

variable "lake_admin_arns" {
  description = "Lake Formation administrators this deployment needs (the deployment role at least); the account's existing admins are read and kept beside them, never replaced."
  type        = list(string)
  validation {
    condition     = length(var.lake_admin_arns) > 0
    error_message = "lake_admin_arns: name at least the deployment role (it creates the Lake Formation grants)."
  }
}

variable "persona_trusted_principals" {
  description = "Roles allowed to assume the persona roles (e.g. the IAM Identity Center permission-set roles of the data teams)."
  type        = list(string)
  validation {
    # Trusting the account root lets every IAM principal with sts:AssumeRole become any persona (checkov CKV_AWS_61).
    condition     = alltrue([for p in var.persona_trusted_principals : !endswith(p, ":root")])
    error_message = "persona_trusted_principals: name the roles that may assume the personas (e.g. SSO permission-set roles), not an account root."
  }
}

variable "alert_emails" {
  description = "Recipients of lake alerts."
  type        = list(string)
  default     = []
}

variable "source_db" {
  description = "On-prem trading PostgreSQL (password set in the Secrets Manager secret out of band)."
  type = object({
    host     = string
    port     = number
    database = string
    username = string
  })
}

variable "source_cidr_blocks" {
  description = "Networks of the on-prem database (reached over VPN/Direct Connect)."
  type        = list(string)
}

variable "redshift_client_cidr_blocks" {
  description = "Networks allowed to connect to Redshift."
  type        = list(string)
  default     = []
}

variable "sftp_users" {
  description = "SFTP users (name => SSH public key) delivering documents."
  type        = map(string)
  default     = {}
}

variable "lambda_zip_dir" {
  description = "Directory of <function>.zip built by `make package` (default build/lambda)."
  type        = string
  default     = null
}

variable "library_wheel_path" {
  description = "energylake wheel uploaded for --extra-py-files (null to manage it outside Terraform)."
  type        = string
  default     = null
}

variable "library_jar_path" {
  description = "energylake JVM functions jar uploaded for --extra-jars (build/jvm/energylake-functions.jar, built by make setup; null to manage it outside Terraform)."
  type        = string
  default     = null
}

variable "workflow_schedule" {
  description = "Cron of the Glue workflow (null = on demand)."
  type        = string
  default     = "cron(30 * * * ? *)"
}

variable "flink_application_zip" {
  description = "Managed Flink application zip (default build/flink/telemetry-analytics.zip from `make flink-package FLINK_CONNECTOR_JAR=...`)."
  type        = string
  default     = null
}

variable "flink_consumers_zip" {
  description = "Lambda zip of the analytics stream consumers (default build/flink/stream-consumers.zip from `make flink-package`)."
  type        = string
  default     = null
}

variable "start_flink_application" {
  description = "Start the Managed Flink application after deployment (off: start it once the connector JAR is verified)."
  type        = bool
  default     = false
}

variable "enable_forecast_endpoint" {
  description = "Serve the generation forecast from a SageMaker serverless endpoint. Needs the trained model.tar.gz (`make train`) named by forecast_model_data_s3_uri, which cannot exist before the first apply."
  type        = bool
  default     = false
}

variable "forecast_model_data_s3_uri" {
  description = "s3:// URI of the trained forecast model.tar.gz (required by enable_forecast_endpoint)."
  type        = string
  default     = null
}

variable "enable_timestream_live_analytics" {
  description = "Timestream for LiveAnalytics sink of the IoT rules (typed readings at their event time). Closed to new customers since 2025-06-20 (\"Amazon Timestream for LiveAnalytics availability change\", https://docs.aws.amazon.com/timestream/latest/developerguide/AmazonTimestreamForLiveAnalytics-availability-change.html): turn on only in accounts that already use it."
  type        = bool
  default     = false
}

variable "enable_timestream_influxdb" {
  description = "Timestream for InfluxDB as the telemetry hot path (instance in private_subnet_ids, Kinesis writer Lambda): what AWS offers accounts without LiveAnalytics. The subnets need NAT or interface endpoints for Secrets Manager and SQS."
  type        = bool
  default     = true
}

variable "enable_grafana" {
  description = "Amazon Managed Grafana workspace for the dashboards (needs IAM Identity Center: see identity_center_enabled)."
  type        = bool
  default     = false
}

variable "identity_center_enabled" {
  description = "IAM Identity Center is enabled for this account (Managed Grafana signs users in through it); required by enable_grafana."
  type        = bool
  default     = false
}

variable "ercot_api_secret_arn" {
  description = "Secrets Manager secret (JSON: username, password, subscription_key of an ERCOT API Explorer account) for the ERCOT Public API; null ingests from the MIS listing."
  type        = string
  default     = null
}
