output "application_name" {
  description = "Managed Flink application name."
  value       = aws_kinesisanalyticsv2_application.telemetry.name
}

output "application_arn" {
  description = "Managed Flink application ARN."
  value       = aws_kinesisanalyticsv2_application.telemetry.arn
}

output "output_stream_arns" {
  description = "ARNs of the aggregates, alerts and errors Kinesis streams."
  value       = { for k, s in aws_kinesis_stream.output : k => s.arn }
}

output "alerts_topic_arn" {
  description = "SNS topic receiving telemetry alerts."
  value       = aws_sns_topic.alerts.arn
}

output "timestream_database" {
  description = "Timestream database of the aggregates (null when disabled)."
  value       = var.enable_timestream ? aws_timestreamwrite_database.telemetry[0].database_name : null
}

output "timestream_table_arns" {
  description = "Timestream table ARNs (for the Grafana workspace role)."
  value       = [for t in aws_timestreamwrite_table.aggregates : t.arn]
}
