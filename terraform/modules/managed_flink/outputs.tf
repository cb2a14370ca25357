output "application_name" {
  description = "Managed Flink application name (null when enable_application is false)."
  value       = var.enable_application ? aws_kinesisanalyticsv2_application.telemetry[0].name : null
}

output "application_arn" {
  description = "Managed Flink application ARN (null when enable_application is false)."
  value       = var.enable_application ? aws_kinesisanalyticsv2_application.telemetry[0].arn : null
}

output "output_stream_arns" {
  description = "ARNs of the aggregates, alerts and errors Kinesis streams."
  value       = { for k, s in aws_kinesis_stream.output : k => s.arn }
}

output "alerts_topic_arn" {
  description = "SNS topic receiving telemetry alerts."
  value       = aws_sns_topic.alerts.arn
}

output "output_stream_names" {
  description = "Names of the aggregates, alerts and errors Kinesis streams (iterator-age alarms)."
  value       = { for k, s in aws_kinesis_stream.output : k => s.name }
}

output "consumer_function_names" {
  description = "Consumer Lambda function names (error alarms)."
  value       = { for k, f in aws_lambda_function.consumer : k => f.function_name }
}

output "firehose_name" {
  description = "Firehose delivering late and rejected records to errors/streaming/ (freshness alarm)."
  value       = aws_kinesis_firehose_delivery_stream.errors.name
}

output "consumer_failures_queue_arn" {
  description = "SQS queue receiving consumer batches that failed after retries."
  value       = aws_sqs_queue.consumer_failures.arn
}

output "alerts_consumer_security_group_id" {
  description = "Security group of the alerts consumer when it writes to InfluxDB (give it to timestream_influxdb's client_security_group_ids); null without var.influxdb."
  value       = local.influx ? module.alerts_client[0].security_group_id : null
}
