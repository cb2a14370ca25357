# A service role: an IAM role that one AWS service (or a few) may assume, optionally only under trust
# conditions (aws:SourceAccount, sts:ExternalId), with the caller's inline policies and AWS managed policies.
# Written once for the lake's service roles; each caller keeps its own name, conditions and policy text.

locals {
  # One value renders as a string, several as a list: the form the callers' own documents had (jsonencode
  # literals and aws_iam_policy_document alike), so the trust policy AWS holds is the same text.
  principal = jsondecode(length(var.service_principals) == 1 ? jsonencode(var.service_principals[0]) : jsonencode(var.service_principals))
  condition = {
    for test in distinct([for c in var.trust_conditions : c.test]) : test => {
      for c in var.trust_conditions : c.variable => jsondecode(length(c.values) == 1 ? jsonencode(c.values[0]) : jsonencode(c.values)) if c.test == test
    }
  }
  trust_statement = merge(
    { Effect = "Allow", Principal = { Service = local.principal }, Action = "sts:AssumeRole" },
    length(var.trust_conditions) > 0 ? { Condition = local.condition } : {},
  )
}

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [local.trust_statement]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  for_each = var.inline_policies
  name     = each.key
  role     = aws_iam_role.this.id
  policy   = each.value
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each   = var.managed_policy_arns
  role       = aws_iam_role.this.name
  policy_arn = each.value
}
