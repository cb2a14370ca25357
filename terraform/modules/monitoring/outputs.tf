output "alert_topic_arn" {
  description = "SNS topic receiving every lake alert."
  value       = aws_sns_topic.alerts.arn
}

output "event_rules" {
  description = "EventBridge rules routing failures to the topic."
  value       = { glue = aws_cloudwatch_event_rule.glue_failed.name, dms = aws_cloudwatch_event_rule.dms_failed.name }
}

output "alarm_names" {
  description = "CloudWatch alarm names by kind."
  value = {
    lambda_errors      = [for a in aws_cloudwatch_metric_alarm.lambda_errors : a.alarm_name]
    iterator_age       = [for a in aws_cloudwatch_metric_alarm.iterator_age : a.alarm_name]
    firehose_freshness = [for a in aws_cloudwatch_metric_alarm.firehose_freshness : a.alarm_name]
  }
}
