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
  description = "Lake KMS key encrypting the cluster."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the cluster subnet group."
  type        = list(string)
}

variable "client_cidr_blocks" {
  description = "CIDR blocks allowed to connect on the Redshift port (BI tools, bastion)."
  type        = list(string)
  default     = []
}

variable "copy_bucket_arns" {
  description = "Bucket ARNs the COPY/UNLOAD role may read (curated, transform)."
  type        = list(string)
}

variable "node_type" {
  description = "Node type of the provisioned cluster."
  type        = string
  default     = "ra3.xlplus"
}

variable "number_of_nodes" {
  description = "Number of nodes (1 = single-node)."
  type        = number
  default     = 1
}

variable "database_name" {
  description = "Initial database."
  type        = string
  default     = "energy"
}

variable "master_username" {
  description = "Admin user; its password is generated and kept in Secrets Manager by Redshift."
  type        = string
  default     = "lake_admin"
}

variable "enable_redshift" {
  description = "Create the cluster with its subnet group, parameter group (require_ssl) and security group; the COPY role is always created."
  type        = bool
  default     = true
}

variable "manage_master_password" {
  description = "Let Redshift generate and rotate the admin password in Secrets Manager (moto lacks it)."
  type        = bool
  default     = true
}

variable "master_password" {
  description = "Admin password when manage_master_password is false (throwaway environments only)."
  type        = string
  default     = null
  sensitive   = true
}

variable "enable_logging" {
  description = "Audit logging to CloudWatch Logs."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
