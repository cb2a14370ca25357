output "bucket_names" {
  description = "Bucket per zone (landing, raw, transform, curated, artifacts)."
  value       = module.storage.bucket_names
}

output "kms_key_arn" {
  description = "Lake KMS key."
  value       = module.storage.kms_key_arn
}

output "glue_databases" {
  description = "Glue database per zone."
  value       = module.glue.database_names
}

output "glue_job_names" {
  description = "Glue job name per manifest job."
  value       = module.glue.job_names
}

output "glue_workflow" {
  description = "Glue workflow chaining the jobs."
  value       = module.glue.workflow_name
}

output "glue_crawlers" {
  description = "Crawler per schema-on-read zone."
  value       = module.glue.crawler_names
}

output "stream_names" {
  description = "Kinesis stream per source (windfarm, devices, partner)."
  value       = module.streaming.stream_names
}

output "firehose_names" {
  description = "Firehose delivery stream per telemetry source."
  value       = module.streaming.firehose_names
}

output "partner_api_url" {
  description = "Partner readings endpoint (POST)."
  value       = module.streaming.partner_api_url
}

output "lambda_function_names" {
  description = "Ingestion Lambda per manifest function."
  value       = module.batch_ingestion.function_names
}

output "persona_role_arns" {
  description = "IAM role per Lake Formation persona."
  value       = module.lake_formation.persona_role_arns
}

output "dms_task_id" {
  description = "DMS full-load-and-cdc task."
  value       = module.migration.replication_task_id
}

output "dms_table_mappings" {
  description = "DMS table mappings JSON."
  value       = module.migration.table_mappings
}

output "redshift_copy_role_arn" {
  description = "Role for Redshift COPY."
  value       = module.redshift.copy_role_arn
}

output "athena_workgroup" {
  description = "Athena workgroup."
  value       = module.athena.workgroup
}

output "athena_query_files" {
  description = "Dashboard SQL files by query name."
  value       = module.athena.query_files
}

output "alert_topic_arn" {
  description = "SNS topic of lake alerts."
  value       = module.monitoring.alert_topic_arn
}

output "redshift_endpoint" {
  description = "Redshift cluster endpoint."
  value       = module.redshift.endpoint
}

output "sftp_endpoint" {
  description = "SFTP server endpoint for partner documents."
  value       = module.batch_ingestion.sftp_endpoint
}

output "analytics" {
  description = "Streaming analytics (Flink application, output streams, alerts topic), forecast endpoint, Grafana URL."
  value = {
    flink_application = module.analytics_streaming.application_name
    output_streams    = module.analytics_streaming.output_stream_names
    alerts_topic_arn  = module.analytics_streaming.alerts_topic_arn
    timestream        = try(module.streaming.timestream.database, null)
    forecast_endpoint = module.forecast.endpoint_name
    grafana_endpoint  = module.dashboards.workspace_endpoint
  }
}

output "influxdb" {
  description = "Timestream for InfluxDB hot path: API URL, organization, bucket and the instance's credentials secret (null URL when disabled)."
  value = {
    url             = module.timeseries.endpoint_url
    organization    = module.timeseries.organization
    bucket          = module.timeseries.bucket
    auth_secret_arn = module.timeseries.auth_secret_arn
  }
}
