output "stream_names" {
  description = "Kinesis stream name per source (windfarm, devices, partner)."
  value       = { for k, s in aws_kinesis_stream.this : k => s.name }
}

output "stream_arns" {
  description = "Kinesis stream ARN per source."
  value       = { for k, s in aws_kinesis_stream.this : k => s.arn }
}

output "firehose_names" {
  description = "Firehose delivery stream per telemetry source (empty when enable_firehose is false)."
  value       = { for k, f in aws_kinesis_firehose_delivery_stream.telemetry : k => f.name }
}

output "firehose_prefixes" {
  description = "Raw-zone key prefix per telemetry source (what Firehose writes under)."
  value       = { for k in keys(local.telemetry) : k => "telemetry/${k}/" }
}

output "timestream" {
  description = "Timestream database, table and table ARN (null when disabled)."
  value       = var.enable_timestream ? { database = aws_timestreamwrite_database.this[0].database_name, table = aws_timestreamwrite_table.readings[0].table_name, table_arn = aws_timestreamwrite_table.readings[0].arn } : null
}

output "iot_topics" {
  description = "MQTT topic filter per telemetry source."
  value       = { for k in keys(local.telemetry) : k => "${var.iot_topic_root}/${k}/+" }
}

output "partner_api_url" {
  description = "Invoke URL of POST /readings (null when the API is disabled)."
  value       = local.partner_api ? "${aws_api_gateway_stage.v1[0].invoke_url}/readings" : null
}

output "partner_api_key_id" {
  description = "Id of the default partner API key (the value stays in API Gateway)."
  value       = local.partner_api ? aws_api_gateway_api_key.partner[0].id : null
}
