output "workspace_endpoint" {
  description = "Grafana URL (null when disabled)."
  value       = var.enabled ? aws_grafana_workspace.this[0].endpoint : null
}

output "workspace_id" {
  description = "Workspace id (null when disabled)."
  value       = var.enabled ? aws_grafana_workspace.this[0].id : null
}

output "dashboard_files" {
  description = "Dashboard JSON models to import (paths relative to the repository root)."
  value       = ["analytics/dashboards/operations.json", "analytics/dashboards/business.json"]
}

output "role_arn" {
  description = "Role of the workspace (grant it the curated zone through Lake Formation); null when disabled."
  value       = var.enabled ? module.grafana_role[0].arn : null
}

output "security_group_id" {
  description = "Security group of the workspace's VPC connection (give it to timestream_influxdb's client_security_group_ids); null without influxdb."
  value       = local.influx_vpc ? module.grafana_client[0].security_group_id : null
}

output "influxdb_url" {
  description = "URL for the InfluxDB data source added on import (null without influxdb)."
  value       = var.influxdb == null ? null : var.influxdb.url
}
