output "security_group_id" {
  description = "The client's security group: attach it to the client, and have the instance's group admit it (timestream_influxdb's client_security_group_ids)."
  value       = aws_security_group.this.id
}
