variable "prefix" {
  description = "Name prefix of every bucket (<prefix>-<env>-<zone>)."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name (local, dev, prod); part of every name."
  type        = string
}

variable "zones" {
  description = "Data zones that get one bucket each, plus the artifacts bucket (scripts, wheel, state, Athena results)."
  type        = list(string)
  default     = ["landing", "raw", "transform", "curated", "artifacts"]
}

variable "versioned_zones" {
  description = "Zones whose buckets keep object versions (landing is the system of record of ERCOT, Open-Meteo and DMS; raw of the streams)."
  type        = list(string)
  default     = ["landing", "raw", "artifacts"]
}

variable "lifecycle_rules" {
  description = "Per zone: days before moving to STANDARD_IA and GLACIER_IR (0 = never) and days before expiry (0 = keep)."
  type = map(object({
    ia_days      = number
    glacier_days = number
    expire_days  = number
  }))
  default = {
    landing   = { ia_days = 30, glacier_days = 90, expire_days = 0 } # system of record: tiered, never expired
    raw       = { ia_days = 30, glacier_days = 180, expire_days = 0 }
    transform = { ia_days = 60, glacier_days = 0, expire_days = 0 }
    curated   = { ia_days = 90, glacier_days = 0, expire_days = 0 }
    artifacts = { ia_days = 0, glacier_days = 0, expire_days = 0 }
  }
}

variable "noncurrent_version_expiry_days" {
  description = "Days a superseded object version is kept in versioned buckets."
  type        = number
  default     = 90
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 365
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (true only for throwaway environments)."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the lake KMS key is deleted."
  type        = number
  default     = 30
}

variable "enable_access_logging" {
  description = "Send S3 server access logs of every zone bucket to the access-log bucket."
  type        = bool
  default     = true
}

variable "enable_deny_policies" {
  description = "TLS-only and KMS-only Deny statements in the bucket policies. Off only on moto, which ignores policy conditions and would deny every object request."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
