output "bucket_names" {
  description = "Bucket name per zone (landing, raw, transform, curated, artifacts)."
  # Read from the buckets (not the name local) so every object, notification and policy naming one waits for it.
  value = { for z in var.zones : z => aws_s3_bucket.this[z].bucket }
}

output "bucket_arns" {
  description = "Bucket ARN per zone."
  value       = { for z in var.zones : z => aws_s3_bucket.this[z].arn }
}

output "access_log_bucket" {
  description = "Name of the S3 server access log bucket."
  value       = aws_s3_bucket.access_logs.id
}

output "kms_key_arn" {
  description = "ARN of the lake KMS key (rotation enabled)."
  value       = aws_kms_key.lake.arn
}

output "kms_key_id" {
  description = "Key id of the lake KMS key."
  value       = aws_kms_key.lake.key_id
}

output "kms_alias" {
  description = "Alias of the lake KMS key."
  value       = aws_kms_alias.lake.name
}
