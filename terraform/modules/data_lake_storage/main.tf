# The lake's storage: one bucket per zone, a customer-managed KMS key shared by the zones and the services
# writing to them, and an access-log bucket. Every bucket is private, KMS-encrypted, TLS-only.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  bucket_names  = { for z in var.zones : z => "${var.prefix}-${var.env}-${z}" }
  log_bucket    = "${var.prefix}-${var.env}-access-logs"
  all_buckets   = merge(local.bucket_names, { access-logs = local.log_bucket })
  lifecycle_for = { for z in var.zones : z => lookup(var.lifecycle_rules, z, { ia_days = 0, glacier_days = 0, expire_days = 0 }) }
}

locals {
  kms_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # Key administration stays with the account; IAM policies decide who may use the key.
        Sid       = "AccountAdministersKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*" # in a key policy "*" means this key only
      },
      {
        # AWS services that write into the lake (logs, Firehose, SNS, EventBridge) encrypt with this key.
        Sid    = "LakeServicesUseKey"
        Effect = "Allow"
        Principal = { Service = [
          "logs.${data.aws_region.current.name}.amazonaws.com", "firehose.amazonaws.com", "sns.amazonaws.com",
          "events.amazonaws.com", "cloudwatch.amazonaws.com", "delivery.logs.amazonaws.com",
        ] }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  }
}

resource "aws_kms_key" "lake" {
  description             = "${var.prefix}-${var.env} data lake encryption key"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = jsonencode(local.kms_policy)
  tags                    = var.tags
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${var.prefix}-${var.env}-lake"
  target_key_id = aws_kms_key.lake.key_id
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a per-deployment DR choice, not a lake default.
  #checkov:skip=CKV2_AWS_62:Event notifications are attached by the ingestion modules that consume them.
  #checkov:skip=CKV_AWS_21:Versioning is on for var.versioned_zones (landing, raw, artifacts); transform and curated are rebuilt from raw.
  for_each      = local.bucket_names
  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { zone = each.key })
}

# The access-log bucket is its own resource: it is the one bucket that cannot use the lake key or log itself.
resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_145:S3 delivers server access logs only to buckets whose default encryption is SSE-S3 (AWS: "Enabling Amazon S3 server access logging", https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
  #checkov:skip=CKV_AWS_21:Access logs expire after access_log_retention_days; versioning would keep deleted copies past that retention.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a per-deployment DR choice, not a lake default.
  #checkov:skip=CKV2_AWS_62:Nothing consumes access-log delivery events.
  bucket        = local.log_bucket
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { zone = "access-logs" })
}

moved {
  from = aws_s3_bucket.this["access-logs"]
  to   = aws_s3_bucket.access_logs
}

locals {
  # Every bucket by zone, access-log bucket included (sub-resources below are keyed the same way).
  buckets = merge(aws_s3_bucket.this, { access-logs = aws_s3_bucket.access_logs })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.all_buckets
  bucket   = each.key == "access-logs" ? aws_s3_bucket.access_logs.bucket : aws_s3_bucket.this[each.key].bucket
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.all_buckets
  bucket                  = each.key == "access-logs" ? aws_s3_bucket.access_logs.bucket : aws_s3_bucket.this[each.key].bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = aws_s3_bucket.this[each.key].bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.lake.arn
    }
    bucket_key_enabled = true
  }
}

# S3 delivers server access logs only to SSE-S3 buckets (see the skip on aws_s3_bucket.access_logs).
resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = false
  }
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this["access-logs"]
  to   = aws_s3_bucket_server_side_encryption_configuration.access_logs
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = { for z, b in local.bucket_names : z => b if contains(var.versioned_zones, z) }
  bucket   = aws_s3_bucket.this[each.key].bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each      = var.enable_access_logging ? local.bucket_names : {}
  bucket        = aws_s3_bucket.this[each.key].bucket
  target_bucket = aws_s3_bucket.access_logs.bucket
  target_prefix = "${each.value}/"
  # S3 checks that the log bucket's policy lets the logging service write before accepting the target.
  depends_on = [aws_s3_bucket_policy.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.all_buckets
  bucket   = each.key == "access-logs" ? aws_s3_bucket.access_logs.bucket : aws_s3_bucket.this[each.key].bucket

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {
      prefix = "" # explicit: S3 returns the empty filter as Prefix "", and the provider waits for an exact match
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = each.key == "access-logs" ? [] : [local.lifecycle_for[each.key]]
    content {
      id     = "tiering"
      status = "Enabled"
      filter {
        prefix = ""
      }
      dynamic "transition" {
        for_each = rule.value.ia_days > 0 ? [rule.value.ia_days] : []
        content {
          days          = transition.value
          storage_class = "STANDARD_IA"
        }
      }
      dynamic "transition" {
        for_each = rule.value.glacier_days > 0 ? [rule.value.glacier_days] : []
        content {
          days          = transition.value
          storage_class = "GLACIER_IR"
        }
      }
      dynamic "expiration" {
        for_each = rule.value.expire_days > 0 ? [rule.value.expire_days] : []
        content {
          days = expiration.value
        }
      }
      dynamic "noncurrent_version_expiration" {
        for_each = contains(var.versioned_zones, each.key) ? [var.noncurrent_version_expiry_days] : []
        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "access-logs" ? [var.access_log_retention_days] : []
    content {
      id     = "expire-access-logs"
      status = "Enabled"
      filter {
        prefix = ""
      }
      expiration {
        days = rule.value
      }
    }
  }
}

locals {
  # Policies are built with jsonencode (not aws_iam_policy_document) so `terraform test` with a mocked
  # provider can inspect them. {"AWS": "*"} is used instead of "*": same meaning, and moto parses it.
  deny_insecure = { for k, b in local.buckets : k => {
    Sid       = "DenyInsecureTransport"
    Effect    = "Deny"
    Principal = { AWS = "*" }
    Action    = "s3:*"
    Resource  = [b.arn, "${b.arn}/*"]
    Condition = { Bool = { "aws:SecureTransport" = "false" } }
  } }
  # Both branches are JSON strings: the two statement lists have different shapes.
  bucket_policies = { for k, b in local.buckets : k => k == "access-logs" ? jsonencode({
    Version = "2012-10-17"
    Statement = concat(var.enable_deny_policies ? [local.deny_insecure[k]] : [], var.enable_deny_policies ? [{
      # Log delivery writes with the bucket default (SSE-S3); a put asking for anything else is refused.
      Sid       = "DenyNonAes256Encryption"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "s3:PutObject"
      Resource  = "${b.arn}/*"
      Condition = {
        StringNotEquals = { "s3:x-amz-server-side-encryption" = "AES256" }
        Null            = { "s3:x-amz-server-side-encryption" = "false" }
      }
      }] : [], [
      {
        Sid       = "AllowS3AccessLogDelivery"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${b.arn}/*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]) }) : jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.deny_insecure[k],
      {
        # Uploads may omit the header (default encryption applies the lake key) but never ask for another algorithm.
        Sid       = "DenyNonKmsEncryption"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "s3:PutObject"
        Resource  = "${b.arn}/*"
        Condition = {
          StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
          Null            = { "s3:x-amz-server-side-encryption" = "false" }
        }
      },
      {
        Sid       = "DenyOtherKmsKeys"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "s3:PutObject"
        Resource  = "${b.arn}/*"
        Condition = {
          StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = aws_kms_key.lake.arn }
          Null            = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "false" }
        }
      },
    ]
  }) }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = { for k, b in local.all_buckets : k => b if var.enable_deny_policies || k == "access-logs" }
  bucket   = each.key == "access-logs" ? aws_s3_bucket.access_logs.bucket : aws_s3_bucket.this[each.key].bucket
  policy   = local.bucket_policies[each.key]
  # A policy put before the public access block could be judged public; order them.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
