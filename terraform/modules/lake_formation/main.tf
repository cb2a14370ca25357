# Lake Formation from the compiled lake (terraform/generated/lake.json, `make compile`): LF-tags
# (lakeformation/tags.yaml), persona roles (personas.yaml), LF-TBAC grants and data cells filters (grants.yaml),
# column classification tags from the contracts. energylake.compiler validates the grant files (energylake.grants,
# the same validation `lakectl validate-grants` runs, errors naming file and field); this module only iterates.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name = "${var.prefix}-${var.env}"
  lf   = jsondecode(file(var.lake_spec_file)).lake_formation

  lf_tags    = local.lf.lf_tags
  personas   = local.lf.personas
  grant_map  = local.lf.grants
  filter_map = local.lf.data_filters

  # Tags of the tables this environment created (var.table_names: the catalog module's tables).
  table_tags     = { for n, t in local.lf.table_tags : n => t if contains(keys(var.table_names), n) }
  column_classes = { for k, c in local.lf.column_classes : k => c if contains(keys(var.table_names), c.dataset) }
  # Column names with PII per dataset, and what each persona's grants reach (used by tests and docs).
  pii_columns             = local.lf.pii_columns
  persona_classifications = local.lf.persona_classifications
}

# ---- Settings, locations, LF-tags --------------------------------------------------------------------

# The access mode is chosen here, before any database exists: the default permissions of the settings are
# copied onto each database and table when it is created, so settings applied after the catalog leave
# IAMAllowedPrincipals on it (grants silently unenforced) or not, depending on timing. "lake_formation" sends
# empty defaults (Lake Formation permissions only: the ETL, crawler and dashboard roles get explicit grants
# below); "iam" grants ALL to IAM_ALLOWED_PRINCIPALS ("Use only IAM access control", backward compatible).
# AWS contract: "Changing the default settings for your data lake",
# https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html, and the DataLakeSettings API
# ("the only permitted values are an empty array or ... ALL to IAM_ALLOWED_PRINCIPALS"),
# https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_DataLakeSettings.html
#
# Admins are merged, not replaced: PutDataLakeSettings replaces the whole list ("PutDataLakeSettings",
# https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html), so the
# account's current admins are read and kept beside admin_arns. Removing an admin is then a deliberate step
# outside this module (console/CLI), or set merge_existing_admins = false to make admin_arns the whole list.
data "aws_lakeformation_data_lake_settings" "current" {
  count = var.merge_existing_admins ? 1 : 0
}

locals {
  existing_admins = var.merge_existing_admins ? tolist(data.aws_lakeformation_data_lake_settings.current[0].admins) : []
  admins          = distinct(concat(local.existing_admins, var.admin_arns))
}

resource "aws_lakeformation_data_lake_settings" "this" {
  admins = local.admins

  dynamic "create_database_default_permissions" {
    for_each = var.access_mode == "iam" ? [1] : []
    content {
      principal   = "IAM_ALLOWED_PRINCIPALS"
      permissions = ["ALL"]
    }
  }

  dynamic "create_table_default_permissions" {
    for_each = var.access_mode == "iam" ? [1] : []
    content {
      principal   = "IAM_ALLOWED_PRINCIPALS"
      permissions = ["ALL"]
    }
  }
}

resource "aws_lakeformation_resource" "zone" {
  for_each                = toset(var.registered_zones)
  arn                     = var.bucket_arns[each.key]
  use_service_linked_role = true
  depends_on              = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_lf_tag" "this" {
  for_each   = local.lf_tags
  key        = each.key
  values     = each.value
  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_resource_lf_tags" "database" {
  for_each = var.database_names
  database {
    name = each.value
  }
  lf_tag {
    key   = aws_lakeformation_lf_tag.this["zone"].key
    value = each.key
  }
}

resource "aws_lakeformation_resource_lf_tags" "table" {
  for_each = local.table_tags
  table {
    database_name = var.table_names[each.key].database
    name          = var.table_names[each.key].name
  }
  lf_tag {
    key   = aws_lakeformation_lf_tag.this["zone"].key
    value = each.value.zone
  }
  lf_tag {
    key   = aws_lakeformation_lf_tag.this["domain"].key
    value = each.value.domain
  }
}

resource "aws_lakeformation_resource_lf_tags" "columns" {
  for_each = local.column_classes
  table_with_columns {
    database_name = var.table_names[each.value.dataset].database
    name          = var.table_names[each.value.dataset].name
    column_names  = each.value.columns
  }
  lf_tag {
    key   = aws_lakeformation_lf_tag.this["classification"].key
    value = each.value.classification
  }
  depends_on = [aws_lakeformation_resource_lf_tags.table]
}

# ---- Persona roles -------------------------------------------------------------------------------------

resource "aws_iam_role" "persona" {
  for_each    = local.personas
  name        = "${var.role_name_prefix}${each.value.role_name}"
  description = substr(each.value.description, 0, 1000)
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.persona_trusted_principals }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = merge(var.tags, { persona = each.key })
}

# Personas query through Athena; Lake Formation decides what they see.
resource "aws_iam_role_policy" "persona" {
  for_each = local.personas
  name     = "lake-query"
  role     = aws_iam_role.persona[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid    = "CatalogRead"
        Effect = "Allow"
        Action = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"]
        Resource = concat(
          ["arn:${data.aws_partition.current.partition}:glue:*:${data.aws_caller_identity.current.account_id}:catalog"],
          [for d in values(var.database_names) : "arn:${data.aws_partition.current.partition}:glue:*:${data.aws_caller_identity.current.account_id}:database/${d}"],
          [for d in values(var.database_names) : "arn:${data.aws_partition.current.partition}:glue:*:${data.aws_caller_identity.current.account_id}:table/${d}/*"],
        )
      },
      {
        # Data access is vended by Lake Formation per grant; GetDataAccess has no resource-level scoping.
        Sid      = "LakeFormationVending"
        Effect   = "Allow"
        Action   = ["lakeformation:GetDataAccess"]
        Resource = ["*"]
      },
      ], var.query_access == null ? [] : [
      {
        # Queries run in the lake's workgroup, which enforces its KMS-encrypted result location.
        Sid      = "AthenaWorkgroup"
        Effect   = "Allow"
        Action   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup"]
        Resource = [var.query_access.workgroup_arn]
      },
      {
        Sid      = "AthenaResults"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucket", "s3:GetBucketLocation"]
        Resource = [var.query_access.results_bucket_arn, "${var.query_access.results_bucket_arn}/${var.query_access.results_prefix}*"]
      },
      {
        # Results are written and read with the lake key; vended data credentials do not cover them.
        Sid      = "LakeKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [var.query_access.kms_key_arn]
      },
    ])
  })
}

# ---- LF-TBAC grants from grants.yaml --------------------------------------------------------------

resource "aws_lakeformation_permissions" "database" {
  for_each    = { for k, g in local.grant_map : k => g if var.enable_tag_grants }
  principal   = aws_iam_role.persona[each.value.persona].arn
  permissions = ["DESCRIBE"]
  lf_tag_policy {
    resource_type = "DATABASE"
    expression {
      key    = "zone"
      values = each.value.lf_tag_expression.zone
    }
  }
  depends_on = [aws_lakeformation_resource_lf_tags.database]
}

resource "aws_lakeformation_permissions" "table" {
  for_each    = { for k, g in local.grant_map : k => g if var.enable_tag_grants }
  principal   = aws_iam_role.persona[each.value.persona].arn
  permissions = each.value.permissions
  lf_tag_policy {
    resource_type = "TABLE"
    dynamic "expression" {
      for_each = each.value.lf_tag_expression
      content {
        key    = expression.key
        values = expression.value
      }
    }
  }
  depends_on = [aws_lakeformation_resource_lf_tags.columns]
}

# ---- Data cells filters (row + column security) ------------------------------------------------

resource "aws_lakeformation_data_cells_filter" "this" {
  for_each = { for k, f in local.filter_map : k => f if var.enable_data_cells_filters }
  table_data {
    database_name    = var.table_names[each.value.dataset].database
    table_name       = var.table_names[each.value.dataset].name
    table_catalog_id = data.aws_caller_identity.current.account_id
    name             = each.key
    row_filter {
      filter_expression = each.value.row_filter
    }
    column_wildcard {
      excluded_column_names = each.value.excluded_columns
    }
  }
  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_permissions" "filter" {
  for_each    = { for k, f in local.filter_map : k => f if var.enable_data_cells_filters }
  principal   = aws_iam_role.persona[each.value.persona].arn
  permissions = ["SELECT"]
  data_cells_filter {
    database_name    = var.table_names[each.value.dataset].database
    table_name       = var.table_names[each.value.dataset].name
    table_catalog_id = data.aws_caller_identity.current.account_id
    name             = aws_lakeformation_data_cells_filter.this[each.key].table_data[0].name
  }
}

# ---- Service roles: what the ETL and the dashboards need, granted through Lake Formation ----------
# With access_mode = lake_formation no IAM policy reaches the catalog or the registered locations' data:
# each service role gets exactly these grants. AWS contract: "Lake Formation permissions reference",
# https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html

locals {
  etl_database_grants = { for pair in setproduct(keys(var.etl_role_arns), keys(var.database_names)) : "${pair[0]}/${pair[1]}" => {
    principal = var.etl_role_arns[pair[0]]
    database  = var.database_names[pair[1]]
  } }
  etl_location_grants = { for pair in setproduct(keys(var.etl_role_arns), var.registered_zones) : "${pair[0]}/${pair[1]}" => {
    principal = var.etl_role_arns[pair[0]]
    zone      = pair[1]
  } }
}

# Jobs write their tables' data and crawlers catalogue landing/raw: both need the registered locations.
resource "aws_lakeformation_permissions" "etl_location" {
  for_each    = local.etl_location_grants
  principal   = each.value.principal
  permissions = ["DATA_LOCATION_ACCESS"]
  data_location {
    arn = aws_lakeformation_resource.zone[each.value.zone].arn
  }
}

# Jobs create, alter and publish partitions of the contract tables; crawlers create the raw_/landing_ tables.
resource "aws_lakeformation_permissions" "etl_database" {
  for_each    = local.etl_database_grants
  principal   = each.value.principal
  permissions = ["ALTER", "CREATE_TABLE", "DESCRIBE"]
  database {
    name = each.value.database
  }
  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_permissions" "etl_tables" {
  for_each    = local.etl_database_grants
  principal   = each.value.principal
  permissions = ["ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT", "SELECT"]
  table {
    database_name = each.value.database
    wildcard      = true
  }
  depends_on = [aws_lakeformation_data_lake_settings.this]
}

# Dashboards read the curated zone through Athena, every column except those classified pii.
resource "aws_lakeformation_permissions" "dashboard_database" {
  for_each    = var.enable_tag_grants ? var.dashboard_role_arns : {}
  principal   = each.value
  permissions = ["DESCRIBE"]
  lf_tag_policy {
    resource_type = "DATABASE"
    expression {
      key    = "zone"
      values = ["curated"]
    }
  }
  depends_on = [aws_lakeformation_resource_lf_tags.database]
}

resource "aws_lakeformation_permissions" "dashboard_tables" {
  for_each    = var.enable_tag_grants ? var.dashboard_role_arns : {}
  principal   = each.value
  permissions = ["SELECT", "DESCRIBE"]
  lf_tag_policy {
    resource_type = "TABLE"
    expression {
      key    = "zone"
      values = ["curated"]
    }
    expression {
      key    = "classification"
      values = local.lf.non_pii_classifications
    }
  }
  depends_on = [aws_lakeformation_resource_lf_tags.columns]
}

# Lake Formation reads the registered locations with its service-linked role (use_service_linked_role above);
# the zones are encrypted with the lake key, so that role needs the key too. A grant (not the key policy) is
# used because the role exists only once the first location is registered, and KMS refuses policies naming
# principals that do not exist yet. AWS contract: "Registering an encrypted Amazon S3 location",
# https://docs.aws.amazon.com/lake-formation/latest/dg/register-encrypted.html; "Grants in AWS KMS",
# https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
resource "aws_kms_grant" "lake_formation_data_access" {
  for_each          = var.lake_kms_key_arns
  name              = "${local.name}-lake-formation-data-access-${each.key}"
  key_id            = each.value
  grantee_principal = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/aws-service-role/lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess"
  operations        = ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"]
  depends_on        = [aws_lakeformation_resource.zone] # registering the first location creates the role
}
