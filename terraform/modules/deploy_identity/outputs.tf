output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the roles trust."
  value       = local.oidc_arn
}

output "plan_role_arn" {
  description = "Read-only role for `make plan` in pull requests and on the plan branch (GitHub variable AWS_PLAN_ROLE_ARN)."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "Role for `make apply` of the saved plan, only in the protected environment (GitHub variable AWS_APPLY_ROLE_ARN)."
  value       = aws_iam_role.apply.arn
}

output "plan_subjects" {
  description = "OIDC subjects (sub claims) allowed to assume the plan role."
  value       = local.plan_subjects
}

output "apply_subjects" {
  description = "OIDC subjects (sub claims) allowed to assume the apply role."
  value       = local.apply_subjects
}
