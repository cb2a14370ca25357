output "endpoint_name" {
  description = "SageMaker endpoint serving the forecast (null when disabled)."
  value       = var.enabled ? aws_sagemaker_endpoint.forecast[0].name : null
}

output "execution_role_arn" {
  description = "Role for training jobs and the model (null when disabled)."
  value       = var.enabled ? module.sagemaker_role[0].arn : null
}

output "sklearn_image" {
  description = "scikit-learn container image used for training and serving (null when disabled)."
  value       = var.enabled ? data.aws_sagemaker_prebuilt_ecr_image.sklearn[0].registry_path : null
}
