# Migration of the on-prem trading database: DMS full load + CDC into landing/dms/<schema>/<table>/ as
# CSV with a header row, the Op column on every row (also full load) and the commit timestamp column
# dms_commit_ts, exactly the layout the trading_cdc_apply Glue job reads.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.prefix}-${var.env}"
  partition  = data.aws_partition.current.partition
  bucket_arn = "arn:${local.partition}:s3:::${var.landing_bucket}"
  # Compiled from the dataset contracts' source hints by `make compile` (terraform/generated/lake.json, a test
  # fails when stale): the same documents the local exporter and the CDC readers follow (energylake.dms).
  dms                = jsondecode(file(var.lake_spec_file)).dms
  table_mappings     = local.dms.table_mappings
  s3_target_settings = local.dms.s3_target_settings
}

resource "aws_secretsmanager_secret" "source" {
  #checkov:skip=CKV2_AWS_57:Rotation of the on-prem database password is owned by its DBAs; DMS reads the current value.
  name                    = "${local.name}/dms/source-${var.schema}"
  description             = "Connection to the on-prem ${var.schema} PostgreSQL for DMS (username, password, host, port, dbname)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "source" {
  count     = var.source_password == null ? 0 : 1
  secret_id = aws_secretsmanager_secret.source.id
  secret_string = jsonencode({
    engine   = "postgres"
    host     = var.source_db.host
    port     = var.source_db.port
    dbname   = var.source_db.database
    username = var.source_db.username
    password = var.source_password
  })
}

# Every DMS role, the task's and the account-wide service roles, is assumed by the DMS service alone.
module "dms_role" {
  source             = "../service_role"
  name               = "${local.name}-dms"
  service_principals = ["dms.amazonaws.com"]
  inline_policies = { landing-and-secret = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteLandingDms"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging"]
        Resource = ["${local.bucket_arn}/dms/*"]
      },
      {
        Sid      = "ListLanding"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [local.bucket_arn]
      },
      {
        Sid      = "ReadSourceSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
        Resource = [aws_secretsmanager_secret.source.arn]
      },
      {
        Sid      = "LakeKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource = [var.kms_key_arn]
      },
    ]
  }) }
  tags = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.dms
  to   = module.dms_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.dms
  to   = module.dms_role.aws_iam_role_policy.this["landing-and-secret"]
}

resource "aws_security_group" "dms" {
  count       = var.enable_dms ? 1 : 0
  name        = "${local.name}-dms"
  description = "DMS replication instance: PostgreSQL source and HTTPS to AWS endpoints only"
  vpc_id      = var.vpc_id
  egress {
    description = "Source PostgreSQL"
    from_port   = var.source_db.port
    to_port     = var.source_db.port
    protocol    = "tcp"
    cidr_blocks = var.source_cidr_blocks
  }
  egress {
    description = "S3, Secrets Manager, KMS over HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = var.tags
}

# ---- DMS service roles ------------------------------------------------------------------------------
# DMS looks up two account-wide roles by fixed name: dms-vpc-role (AmazonDMSVPCManagementRole) before it can
# create a replication subnet group, and dms-cloudwatch-logs-role (AmazonDMSCloudWatchLogsRole) for task
# logging. The console creates them on first use; a fresh account driven by the API does not have them.
# AWS contract: "Creating the IAM roles to use with AWS DMS",
# https://docs.aws.amazon.com/dms/latest/userguide/security-iam.html#CHAP_Security.APIRole
locals {
  dms_service_roles = var.enable_dms ? {
    "dms-vpc-role"             = "AmazonDMSVPCManagementRole"
    "dms-cloudwatch-logs-role" = "AmazonDMSCloudWatchLogsRole"
  } : {}
}

module "dms_service_role" {
  source              = "../service_role"
  for_each            = var.create_dms_service_roles ? local.dms_service_roles : {}
  name                = each.key
  service_principals  = ["dms.amazonaws.com"]
  managed_policy_arns = { (each.value) = "arn:${local.partition}:iam::aws:policy/service-role/${each.value}" }
  tags                = var.tags
}

# The roles and their attachments were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.dms_service["dms-vpc-role"]
  to   = module.dms_service_role["dms-vpc-role"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy_attachment.dms_service["dms-vpc-role"]
  to   = module.dms_service_role["dms-vpc-role"].aws_iam_role_policy_attachment.this["AmazonDMSVPCManagementRole"]
}

moved {
  from = aws_iam_role.dms_service["dms-cloudwatch-logs-role"]
  to   = module.dms_service_role["dms-cloudwatch-logs-role"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy_attachment.dms_service["dms-cloudwatch-logs-role"]
  to   = module.dms_service_role["dms-cloudwatch-logs-role"].aws_iam_role_policy_attachment.this["AmazonDMSCloudWatchLogsRole"]
}

# When another stack owns the roles (create_dms_service_roles = false), the plan fails here, naming the
# missing role, instead of DMS failing later with "dms-vpc-role is not configured properly".
data "aws_iam_role" "dms_service" {
  for_each = var.create_dms_service_roles ? {} : local.dms_service_roles
  name     = each.key
}

resource "aws_dms_replication_subnet_group" "this" {
  count                                = var.enable_dms ? 1 : 0
  replication_subnet_group_id          = "${local.name}-dms"
  replication_subnet_group_description = "Subnets of the ${local.name} replication instance"
  subnet_ids                           = var.subnet_ids
  tags                                 = var.tags
  depends_on                           = [module.dms_service_role, data.aws_iam_role.dms_service]
}

resource "aws_dms_replication_instance" "this" {
  count                       = var.enable_dms ? 1 : 0
  replication_instance_id     = "${local.name}-trading"
  replication_instance_class  = var.instance_class
  allocated_storage           = 50
  engine_version              = var.engine_version
  kms_key_arn                 = var.kms_key_arn
  publicly_accessible         = false
  multi_az                    = false
  auto_minor_version_upgrade  = true
  replication_subnet_group_id = aws_dms_replication_subnet_group.this[0].id
  vpc_security_group_ids      = [aws_security_group.dms[0].id]
  tags                        = var.tags
}

resource "aws_dms_endpoint" "source" {
  count                           = var.enable_dms ? 1 : 0
  endpoint_id                     = "${local.name}-${var.schema}-source"
  endpoint_type                   = "source"
  engine_name                     = "postgres"
  database_name                   = var.source_db.database
  ssl_mode                        = "require"
  kms_key_arn                     = var.kms_key_arn
  secrets_manager_arn             = aws_secretsmanager_secret.source.arn
  secrets_manager_access_role_arn = module.dms_role.arn
  tags                            = var.tags
}

resource "aws_dms_s3_endpoint" "target" {
  count                   = var.enable_dms ? 1 : 0
  endpoint_id             = "${local.name}-${var.schema}-landing"
  endpoint_type           = "target"
  bucket_name             = var.landing_bucket
  service_access_role_arn = module.dms_role.arn
  # S3Settings (DMS API Reference) from the compiled lake (dms.s3_target_settings); energylake.dms documents each.
  bucket_folder                               = local.s3_target_settings.BucketFolder
  data_format                                 = local.s3_target_settings.DataFormat
  add_column_name                             = local.s3_target_settings.AddColumnName
  include_op_for_full_load                    = local.s3_target_settings.IncludeOpForFullLoad
  timestamp_column_name                       = local.s3_target_settings.TimestampColumnName
  use_task_start_time_for_full_load_timestamp = local.s3_target_settings.UseTaskStartTimeForFullLoadTimestamp
  csv_null_value                              = local.s3_target_settings.CsvNullValue
  cdc_inserts_only                            = local.s3_target_settings.CdcInsertsOnly
  cdc_inserts_and_updates                     = local.s3_target_settings.CdcInsertsAndUpdates # keep deletes: the CDC apply needs D rows
  csv_delimiter                               = local.s3_target_settings.CsvDelimiter
  csv_row_delimiter                           = local.s3_target_settings.CsvRowDelimiter
  compression_type                            = local.s3_target_settings.CompressionType
  date_partition_enabled                      = local.s3_target_settings.DatePartitionEnabled
  preserve_transactions                       = local.s3_target_settings.PreserveTransactions
  cdc_max_batch_interval                      = local.s3_target_settings.CdcMaxBatchInterval
  cdc_min_file_size                           = local.s3_target_settings.CdcMinFileSize
  encryption_mode                             = local.s3_target_settings.EncryptionMode
  kms_key_arn                                 = var.kms_key_arn
  server_side_encryption_kms_key_id           = var.kms_key_arn
  tags                                        = var.tags
}

resource "aws_dms_replication_task" "trading" {
  count                    = var.enable_dms ? 1 : 0
  replication_task_id      = "${local.name}-${var.schema}-full-load-cdc"
  migration_type           = "full-load-and-cdc"
  replication_instance_arn = aws_dms_replication_instance.this[0].replication_instance_arn
  source_endpoint_arn      = aws_dms_endpoint.source[0].endpoint_arn
  target_endpoint_arn      = aws_dms_s3_endpoint.target[0].endpoint_arn
  table_mappings           = jsonencode(local.table_mappings)
  start_replication_task   = false
  replication_task_settings = jsonencode({
    TargetMetadata   = { SupportLobs = true, LimitedSizeLobMode = true, LobMaxSize = 32 }
    FullLoadSettings = { TargetTablePrepMode = "DROP_AND_CREATE" }
    Logging          = { EnableLogging = true }
  })
  tags = var.tags
  # Task logging writes through dms-cloudwatch-logs-role.
  depends_on = [module.dms_service_role, data.aws_iam_role.dms_service]
  lifecycle {
    # DMS fills in defaults for every other setting; only the ones above are managed here.
    ignore_changes = [replication_task_settings]
  }
}
