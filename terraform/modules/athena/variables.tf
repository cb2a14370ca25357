variable "prefix" {
  description = "Name prefix of the lake's resources."
  type        = string
  default     = "energylake"
}

variable "env" {
  description = "Environment name (local, dev, prod)."
  type        = string
}

variable "results_bucket" {
  description = "Bucket receiving query results (the artifacts bucket, under athena-results/)."
  type        = string
}

variable "kms_key_arn" {
  description = "Lake KMS key encrypting query results."
  type        = string
}

variable "bytes_scanned_cutoff" {
  description = "Per-query scan limit in bytes (cost guard-rail; minimum 10 MB)."
  type        = number
  default     = 10737418240 # 10 GiB
}

variable "queries_dir" {
  description = "Directory of named-query SQL files (one query per file, name = file stem)."
  type        = string
  default     = null
}

variable "default_database" {
  description = "Database the named queries run in (queries qualify their tables anyway)."
  type        = string
  default     = "energy_curated"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
