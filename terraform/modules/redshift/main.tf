# Redshift warehouse for the curated marts: private, encrypted with the lake key, TLS required, loaded
# with COPY through a role limited to the lake's curated/transform buckets.

data "aws_partition" "current" {}

locals {
  name = "${var.prefix}-${var.env}"
}

module "copy_role" {
  source             = "../service_role"
  name               = "${local.name}-redshift-copy"
  service_principals = ["redshift.amazonaws.com"]
  inline_policies = { copy-from-lake = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListLake"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = var.copy_bucket_arns
      },
      {
        Sid      = "ReadLake"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = [for a in var.copy_bucket_arns : "${a}/*"]
      },
      {
        Sid      = "LakeKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:DescribeKey"]
        Resource = [var.kms_key_arn]
      },
    ]
  }) }
  tags = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.copy
  to   = module.copy_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.copy
  to   = module.copy_role.aws_iam_role_policy.this["copy-from-lake"]
}

resource "aws_redshift_subnet_group" "this" {
  count       = var.enable_redshift ? 1 : 0
  name        = "${local.name}-warehouse"
  description = "Private subnets of the ${local.name} warehouse"
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

resource "aws_redshift_parameter_group" "this" {
  count  = var.enable_redshift ? 1 : 0
  name   = "${local.name}-warehouse"
  family = "redshift-1.0"
  parameter {
    name  = "require_ssl"
    value = "true"
  }
  parameter {
    name  = "enable_user_activity_logging"
    value = "true"
  }
  tags = var.tags
}

resource "aws_security_group" "redshift" {
  count       = var.enable_redshift ? 1 : 0
  name        = "${local.name}-warehouse"
  description = "Redshift: port 5439 from the listed client networks only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each          = var.enable_redshift ? toset(var.client_cidr_blocks) : []
  security_group_id = aws_security_group.redshift[0].id
  description       = "Redshift clients"
  cidr_ipv4         = each.value
  from_port         = 5439
  to_port           = 5439
  ip_protocol       = "tcp"
}

resource "aws_redshift_cluster" "this" {
  #checkov:skip=CKV_AWS_71:Audit logging is configured by aws_redshift_logging below (the cluster's logging block is deprecated).
  count                               = var.enable_redshift ? 1 : 0
  cluster_identifier                  = "${local.name}-warehouse"
  node_type                           = var.node_type
  cluster_type                        = var.number_of_nodes > 1 ? "multi-node" : "single-node"
  number_of_nodes                     = var.number_of_nodes
  database_name                       = var.database_name
  master_username                     = var.master_username
  manage_master_password              = var.manage_master_password ? true : null
  master_password                     = var.manage_master_password ? null : var.master_password
  encrypted                           = true
  kms_key_id                          = var.kms_key_arn
  publicly_accessible                 = false
  enhanced_vpc_routing                = true
  cluster_subnet_group_name           = aws_redshift_subnet_group.this[0].name
  cluster_parameter_group_name        = aws_redshift_parameter_group.this[0].name
  vpc_security_group_ids              = [aws_security_group.redshift[0].id]
  iam_roles                           = [module.copy_role.arn]
  automated_snapshot_retention_period = 7
  skip_final_snapshot                 = var.env == "local"
  final_snapshot_identifier           = var.env == "local" ? null : "${local.name}-warehouse-final"
  tags                                = var.tags
}

resource "aws_redshift_logging" "this" {
  count                = var.enable_redshift && var.enable_logging ? 1 : 0
  cluster_identifier   = aws_redshift_cluster.this[0].id
  log_destination_type = "cloudwatch"
  log_exports          = ["connectionlog", "userlog", "useractivitylog"]
}
