output "workgroup" {
  description = "Athena workgroup name."
  value       = aws_athena_workgroup.lake.name
}

output "results_location" {
  description = "S3 location of query results."
  value       = "s3://${var.results_bucket}/${local.results_prefix}"
}

output "named_queries" {
  description = "Named query id per dashboard query (file stem)."
  value       = { for k, q in aws_athena_named_query.dashboard : k => q.id }
}

output "query_files" {
  description = "Dashboard SQL file per query name (for running the same SQL on a local engine)."
  value       = { for k in keys(local.queries) : k => abspath("${local.queries_dir}/${k}.sql") }
}

output "workgroup_arn" {
  description = "Athena workgroup ARN (for the query permissions of the personas)."
  value       = aws_athena_workgroup.lake.arn
}

output "results_prefix" {
  description = "Key prefix of query results in the results bucket."
  value       = local.results_prefix
}
