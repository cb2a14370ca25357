output "plan_role_arn" {
  description = "Repository variable AWS_PLAN_ROLE_ARN (pull-request and main-branch plans)."
  value       = module.deploy_identity.plan_role_arn
}

output "apply_role_arn" {
  description = "Repository variable AWS_APPLY_ROLE_ARN (apply job of the protected environment)."
  value       = module.deploy_identity.apply_role_arn
}

output "oidc_provider_arn" {
  description = "The account's GitHub OIDC provider."
  value       = module.deploy_identity.oidc_provider_arn
}
