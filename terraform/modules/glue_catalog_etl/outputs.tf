output "database_names" {
  description = "Glue database per zone (raw, transform, curated, quarantine)."
  value       = { for z, d in aws_glue_catalog_database.zone : z => d.name }
}

output "tables" {
  description = "Catalog table per dataset: database, name and S3 location."
  value = { for n, t in aws_glue_catalog_table.dataset : n => {
    database = t.database_name
    name     = t.name
    location = local.tables[n].location
  } }
}

output "job_names" {
  description = "Glue job name per manifest job."
  value       = { for n, j in aws_glue_job.this : n => j.name }
}

output "job_arguments" {
  description = "Resolved default arguments per manifest job (what the local runner should pass too)."
  value       = { for n, j in aws_glue_job.this : n => j.default_arguments }
}

output "workflow_name" {
  description = "The Glue workflow chaining every job."
  value       = aws_glue_workflow.lake.name
}

output "crawler_names" {
  description = "Crawler per schema-on-read zone (landing, raw)."
  value       = { for z, c in aws_glue_crawler.zone : z => c.name }
}

output "glue_role_arn" {
  description = "IAM role of the Glue jobs and crawlers."
  value       = module.glue_role.arn
}

output "security_configuration" {
  description = "Name of the Glue security configuration (null when disabled)."
  value       = local.security_config
}
