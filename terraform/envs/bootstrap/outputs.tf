output "state_bucket" {
  description = "State bucket: the bucket of envs/<env>/backend.hcl."
  value       = aws_s3_bucket.state.bucket
}

output "state_kms_key_arn" {
  description = "KMS key of the state bucket (backend.hcl kms_key_id, optional: the bucket default already uses it)."
  value       = aws_kms_key.state.arn
}

output "backend_hcl" {
  description = "backend.hcl lines for an environment (replace <env>)."
  value       = "bucket = \"${aws_s3_bucket.state.bucket}\"\nkey = \"energylake/<env>/terraform.tfstate\"\nregion = \"${var.region}\"\nencrypt = true\nuse_lockfile = true\n"
}
