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
  value       = var.enabled ? aws_iam_role.grafana[0].arn : null
}
