output "endpoint_url" {
  description = "https URL of the InfluxDB v2 API (null when disabled): the writer's INFLUXDB_URL and Grafana's InfluxDB data source."
  value       = var.enabled ? local.url : null
}

output "auth_secret_arn" {
  description = "The instance's Secrets Manager secret (organization, bucket, username, password); null when disabled."
  value       = var.enabled ? aws_timestreaminfluxdb_db_instance.this[0].influx_auth_parameters_secret_arn : null
}

output "security_group_id" {
  description = "Security group of the instance (null when disabled)."
  value       = var.enabled ? aws_security_group.influxdb[0].id : null
}

output "port" {
  description = "Port of the InfluxDB API: the clients' security groups (influxdb_client_sg's influxdb_port) may call it."
  value       = local.port
}

output "writer_function_name" {
  description = "The writer Lambda (error alarms); null when disabled."
  value       = var.enabled ? aws_lambda_function.writer[0].function_name : null
}

output "failure_queue_arn" {
  description = "Queue of malformed records (with their reason) and of batches failing after retries; null when disabled."
  value       = var.enabled ? aws_sqs_queue.failures[0].arn : null
}

output "organization" {
  description = "InfluxDB organization."
  value       = var.organization
}

output "bucket" {
  description = "InfluxDB bucket of the telemetry points."
  value       = var.bucket
}
