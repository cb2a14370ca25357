variable "name" {
  description = "Name of the role (replacing it replaces the role), e.g. <name_prefix>-grafana."
  type        = string
}

variable "service_principals" {
  description = "The AWS service principals that may assume the role, e.g. [\"lambda.amazonaws.com\"]: usually one."
  type        = list(string)
  validation {
    condition     = length(var.service_principals) > 0 && alltrue([for p in var.service_principals : endswith(p, ".amazonaws.com")])
    error_message = "service_principals names at least one AWS service principal (<service>.amazonaws.com); other principals are not a service role."
  }
}

variable "trust_conditions" {
  description = "Conditions on the service's sts:AssumeRole, as in an aws_iam_policy_document condition block, e.g. { test = \"StringEquals\", variable = \"aws:SourceAccount\", values = [account_id] }. Empty: no Condition key, any use of the role by the service."
  type = list(object({
    test     = string
    variable = string
    values   = list(string)
  }))
  default = []
  validation {
    condition     = alltrue([for c in var.trust_conditions : length(c.values) > 0])
    error_message = "every trust condition needs at least one value."
  }
}

variable "inline_policies" {
  description = "Inline policies of the role: policy name => policy JSON (jsonencode or aws_iam_policy_document's json). The names are the keys of aws_iam_role_policy.this."
  type        = map(string)
  default     = {}
}

variable "managed_policy_arns" {
  description = "Managed policies attached to the role: a label (the policy's name, e.g. AWSLambdaVPCAccessExecutionRole) => its ARN. The labels are the keys of aws_iam_role_policy_attachment.this, so they must be known at plan."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags of the role."
  type        = map(string)
  default     = {}
}
