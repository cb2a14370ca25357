output "source_secret_arn" {
  description = "Secrets Manager secret holding the source connection (set its value out of band)."
  value       = aws_secretsmanager_secret.source.arn
}

output "table_mappings" {
  description = "DMS table mappings JSON (compiled terraform/generated/lake.json: selections, lower-case names, the key's before image)."
  value       = jsonencode(local.table_mappings)
}

output "target_prefix" {
  description = "Landing key prefix written by DMS (dms/<schema>/<table>/)."
  value       = "dms/${var.schema}/"
}

output "replication_task_arn" {
  description = "ARN of the full-load-and-cdc task (null when enable_dms is false)."
  value       = var.enable_dms ? aws_dms_replication_task.trading[0].replication_task_arn : null
}

output "replication_task_id" {
  description = "Id of the full-load-and-cdc task (null when enable_dms is false)."
  value       = var.enable_dms ? aws_dms_replication_task.trading[0].replication_task_id : null
}
