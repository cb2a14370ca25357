variable "region" {
  description = "Region the emulator pretends to be."
  type        = string
  default     = "us-east-1"
}

variable "prefix" {
  description = "Name prefix (buckets are <prefix>-<env>-<zone>)."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name."
  type        = string
  default     = "local"
}

variable "emulator_account_ids" {
  description = "Account ids of the emulators (moto 123456789012, LocalStack 000000000000)."
  type        = list(string)
  default     = ["123456789012", "000000000000"]
}

variable "lambda_zip_dir" {
  description = "Directory of <function>.zip (build/lambda from `make package`, or the Makefile's source-only zips)."
  type        = string
  default     = null
}

variable "lambda_src_dir" {
  description = "Ingestion sources (lambda/: functions.json, partner API model and template); Lambdas are skipped while functions.json is absent."
  type        = string
  default     = null
}

variable "flink_consumers_zip" {
  description = "Lambda zip of the analytics stream consumers (build/flink/stream-consumers.zip or the Makefile's build); analytics is skipped while absent."
  type        = string
  default     = null
}
