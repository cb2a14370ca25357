output "cluster_identifier" {
  description = "Redshift cluster identifier (null when disabled)."
  value       = var.enable_redshift ? aws_redshift_cluster.this[0].cluster_identifier : null
}

output "endpoint" {
  description = "Cluster endpoint host:port (null when disabled)."
  value       = var.enable_redshift ? aws_redshift_cluster.this[0].endpoint : null
}

output "copy_role_arn" {
  description = "IAM role to name in COPY ... IAM_ROLE."
  value       = module.copy_role.arn
}

output "database_name" {
  description = "Initial database of the warehouse."
  value       = var.database_name
}

output "parameter_group" {
  description = "Parameter group (require_ssl = true)."
  value       = var.enable_redshift ? aws_redshift_parameter_group.this[0].name : null
}
