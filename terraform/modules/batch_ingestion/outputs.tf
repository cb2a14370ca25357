output "function_names" {
  description = "Deployed Lambda function name per manifest function."
  value       = { for n, f in aws_lambda_function.fn : n => f.function_name }
}

output "function_arns" {
  description = "Deployed Lambda function ARN per manifest function."
  value       = { for n, f in aws_lambda_function.fn : n => f.arn }
}

output "schedules" {
  description = "EventBridge schedule expression per scheduled function."
  value       = local.schedules
}

output "dlq_arn" {
  description = "Dead-letter queue of the ingestion functions and schedules."
  value       = aws_sqs_queue.dlq.arn
}

output "sftp_endpoint" {
  description = "SFTP server endpoint (null when disabled)."
  value       = var.enable_sftp ? aws_transfer_server.sftp[0].endpoint : null
}
