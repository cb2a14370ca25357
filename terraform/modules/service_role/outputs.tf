output "arn" {
  description = "ARN of the role: what the service is given (a function's role, a stream's role_arn)."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "Name of the role."
  value       = aws_iam_role.this.name
}

output "inline_policies" {
  description = "The inline policies as attached: policy name => policy JSON (for the callers' tests and checks)."
  value       = { for name, p in aws_iam_role_policy.this : name => p.policy }
}

output "managed_policy_arns" {
  description = "The attached managed policies: label => ARN."
  value       = { for label, a in aws_iam_role_policy_attachment.this : label => a.policy_arn }
}

output "trust_policy" {
  description = "The role's trust policy (JSON): who may assume it, under which conditions (for the callers' tests)."
  value       = aws_iam_role.this.assume_role_policy
}
