output "persona_role_arns" {
  description = "IAM role ARN per persona."
  value       = { for p, r in aws_iam_role.persona : p => r.arn }
}

output "lf_tags" {
  description = "LF-tag keys and values."
  value       = { for k, t in aws_lakeformation_lf_tag.this : k => t.values }
}

output "column_classification" {
  description = "Columns per dataset and classification tag value, as assigned."
  value       = { for k, v in local.column_classes : k => v.columns }
}

output "pii_columns" {
  description = "PII-classified columns per dataset."
  value       = local.pii_columns
}

output "persona_classifications" {
  description = "Classification tag values each persona is granted (PII only where listed)."
  value       = local.persona_classifications
}

output "data_filters" {
  description = "Data cells filters from grants.yaml (created only when enable_data_cells_filters)."
  value       = { for n, f in local.filter_map : n => { persona = f.persona, dataset = f.dataset, row_filter = f.row_filter, excluded_columns = try(f.excluded_columns, []) } }
}

output "registered_locations" {
  description = "S3 locations registered with Lake Formation."
  value       = [for r in aws_lakeformation_resource.zone : r.arn]
}

output "data_lake_settings_id" {
  description = "Id of the data lake settings (access mode): pass to glue_catalog_etl so the catalog is created after them."
  value       = aws_lakeformation_data_lake_settings.this.id
}
