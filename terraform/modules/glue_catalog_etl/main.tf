# Glue Data Catalog and ETL, generated from data: tables from the dataset contracts, jobs/triggers/workflow
# from glue/jobs/jobs.yaml, data-quality rulesets (DQDL) from the contracts' quality rules.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  name       = "${var.prefix}-${var.env}"

  # ---- Dataset contracts -------------------------------------------------------------------------
  contract_files = fileset(var.contracts_dir, "*.yaml")
  contracts      = { for f in local.contract_files : trimsuffix(f, ".yaml") => yamldecode(file("${var.contracts_dir}/${f}")) }

  zones     = ["raw", "transform", "curated", "quarantine"]
  databases = { for z in local.zones : z => "${var.database_prefix}_${z}" }
  # Quarantine records live in the transform bucket under quarantine/ (shared convention).
  table_locations = { for n, c in local.contracts : n => (
    c.zone == "quarantine" ? "s3://${var.bucket_names["transform"]}/quarantine/" : "s3://${var.bucket_names[c.zone]}/${n}/"
  ) }

  tables = { for n, c in local.contracts : n => {
    zone       = c.zone
    database   = local.databases[c.zone]
    location   = local.table_locations[n]
    partitions = try(c.partition_by, [])
    columns    = c.columns
    quality    = try(c.quality, [])
  } }

  # No partition projection: the jobs publish every partition as an immutable version directory
  # (<col>=<v>/v=<run_id>/) and switch the catalog partition's location to it (the atomic publish). With
  # projection on, Athena would ignore the registered partitions and read the partition prefix, i.e. every
  # version, including a superseded one or the partial files of a run that died mid-write.
  # What the jobs write to a table (energylake.catalog.table_input) and what is declared here must agree,
  # or every job run would show up as drift in the next plan (tests/terraform checks both ways).
  table_parameters = { for n, t in local.tables : n => {
    EXTERNAL              = "TRUE"
    classification        = "parquet"
    "parquet.compression" = "SNAPPY"
    contract_zone         = t.zone
  } }

  # ---- Data quality: DQDL derived from the contracts' quality rules ------------------------------
  dq_rules = { for n, t in local.tables : n => flatten([for r in t.quality : (
    r.rule == "not_null" ? [for col in coalescelist(try(r.columns, []), compact([try(r.column, null)])) : "IsComplete \"${col}\""] :
    r.rule == "unique" ? (length(coalescelist(try(r.columns, []), compact([try(r.column, null)]))) == 1
      ? ["IsUnique \"${one(coalescelist(try(r.columns, []), compact([try(r.column, null)])))}\""]
    : ["IsPrimaryKey ${join(" ", [for col in r.columns : "\"${col}\""])}"]) :
    r.rule == "allowed_values" ? ["ColumnValues \"${r.column}\" in [${join(", ", [for v in r.values : "\"${v}\""])}]"] :
    r.rule == "regex" ? ["ColumnValues \"${r.column}\" matches \"${r.pattern}\""] :
    r.rule == "not_future" ? ["ColumnValues \"${r.column}\" <= now()"] :
    r.rule == "min_timestamp" ? ["ColumnValues \"${r.column}\" >= \"${substr(r.value, 0, 10)}\""] :
    r.rule == "range" ? [for bound in compact([
      try(r.min, null) == null ? "" : "ColumnValues \"${r.column}\" >= ${r.min}",
      try(r.max, null) == null ? "" : "ColumnValues \"${r.column}\" <= ${r.max}",
    ]) : try(r.when_column, null) == null ? bound : "${bound} where \"${r.when_column} = '${r.when_value}'\""] :
    []
  )]) }
  dq_rulesets = { for n, rules in local.dq_rules : n => "Rules = [\n  ${join(",\n  ", rules)}\n]" if length(rules) > 0 }

  # ---- Jobs from glue/jobs/jobs.yaml --------------------------------------------------------------
  manifest     = yamldecode(file(var.jobs_manifest))
  job_defaults = local.manifest.defaults
  placeholders = {
    "{landing}"      = var.bucket_names["landing"]
    "{raw}"          = var.bucket_names["raw"]
    "{transform}"    = var.bucket_names["transform"]
    "{curated}"      = var.bucket_names["curated"]
    "{artifacts}"    = var.bucket_names["artifacts"]
    "{db_raw}"       = local.databases["raw"]
    "{db_transform}" = local.databases["transform"]
    "{db_curated}"   = local.databases["curated"]
  }
  jobs = { for name, j in local.manifest.jobs : name => {
    glue_name   = "${local.name}-${name}"
    description = try(j.description, name)
    glue_ver    = try(j.glue_version, local.job_defaults.glue_version)
    worker_type = try(j.worker_type, local.job_defaults.worker_type)
    workers     = try(j.number_of_workers, local.job_defaults.number_of_workers)
    timeout     = try(j.timeout_minutes, local.job_defaults.timeout_minutes)
    retries     = try(j.max_retries, local.job_defaults.max_retries)
    bookmarks   = try(j.bookmarks, local.job_defaults.bookmarks)
    after       = try(j.after, [])
    arguments = { for k, v in merge(try(local.job_defaults.common_arguments, {}), try(j.arguments, {})) : k => (
      replace(replace(replace(replace(replace(replace(replace(replace(v,
        "{landing}", local.placeholders["{landing}"]), "{raw}", local.placeholders["{raw}"]),
        "{transform}", local.placeholders["{transform}"]), "{curated}", local.placeholders["{curated}"]),
        "{artifacts}", local.placeholders["{artifacts}"]), "{db_raw}", local.placeholders["{db_raw}"]),
      "{db_transform}", local.placeholders["{db_transform}"]), "{db_curated}", local.placeholders["{db_curated}"])
    ) }
  } }
  start_jobs       = sort([for n, j in local.jobs : n if length(j.after) == 0])
  conditional_jobs = { for n, j in local.jobs : n => j if length(j.after) > 0 }
  scripts          = { for n, j in local.jobs : n => "${var.job_scripts_dir}/${n}.py" if fileexists("${var.job_scripts_dir}/${n}.py") }
  artifacts_bucket = var.bucket_names["artifacts"]
  security_config  = var.enable_security_configuration ? aws_glue_security_configuration.this[0].name : null
}

# Every `after` must name a job of the manifest; a typo would otherwise silently break the workflow.
resource "terraform_data" "manifest_check" {
  input = keys(local.jobs)
  lifecycle {
    precondition {
      condition     = alltrue(flatten([for n, j in local.jobs : [for a in j.after : contains(keys(local.jobs), a)]]))
      error_message = "glue/jobs/jobs.yaml: field jobs.<name>.after names unknown jobs: ${join(", ", distinct(flatten([for n, j in local.jobs : [for a in j.after : "${n}.after=${a}" if !contains(keys(local.jobs), a)]])))}"
    }
  }
}

# ---- Catalog --------------------------------------------------------------------------------------

# Lake Formation copies its default permissions onto a database when it is created, so the databases wait for
# the data lake settings (lake_formation module output) instead of racing them.
resource "terraform_data" "lake_formation_settings" {
  input = var.lake_formation_settings_id
}

resource "aws_glue_catalog_database" "zone" {
  for_each    = local.databases
  name        = each.value
  description = "${title(each.key)} zone of the ${var.prefix} lake (${var.env})"
  location_uri = each.key == "quarantine" ? "s3://${var.bucket_names["transform"]}/quarantine/" : (
  "s3://${var.bucket_names[each.key]}/")
  tags       = var.tags
  depends_on = [terraform_data.lake_formation_settings]
}

resource "aws_glue_catalog_table" "dataset" {
  for_each      = local.tables
  name          = each.key
  database_name = aws_glue_catalog_database.zone[each.value.zone].name
  description   = local.contracts[each.key].description
  table_type    = "EXTERNAL_TABLE"
  parameters    = local.table_parameters[each.key]

  storage_descriptor {
    location      = each.value.location
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    ser_de_info {
      name                  = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters            = { "serialization.format" = "1" }
    }
    dynamic "columns" {
      for_each = [for c in each.value.columns : c if !contains(each.value.partitions, c.name)]
      content {
        name       = columns.value.name
        type       = columns.value.type
        comment    = try(columns.value.description, null)
        parameters = { classification = try(columns.value.classification, "internal") }
      }
    }
  }

  dynamic "partition_keys" {
    for_each = [for p in each.value.partitions : one([for c in each.value.columns : c if c.name == p])]
    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = try(partition_keys.value.description, null)
    }
  }

  lifecycle {
    # Unpartitioned tables: each job run points the table at its new version directory (the publish);
    # Terraform resetting it to the root would expose every version.
    ignore_changes = [storage_descriptor[0].location]
  }
}

resource "aws_glue_data_quality_ruleset" "dataset" {
  for_each    = var.enable_data_quality ? local.dq_rulesets : {}
  name        = "${local.name}-${each.key}"
  description = "Quality rules of the ${each.key} contract"
  ruleset     = each.value
  target_table {
    database_name = aws_glue_catalog_table.dataset[each.key].database_name
    table_name    = aws_glue_catalog_table.dataset[each.key].name
  }
  tags = var.tags
}

# ---- Security configuration -------------------------------------------------------------------------

resource "aws_glue_security_configuration" "this" {
  count = var.enable_security_configuration ? 1 : 0
  name  = "${local.name}-lake"
  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

# ---- IAM: one role for jobs and crawlers, scoped to the lake's buckets, key and catalog ----------

locals {
  bucket_arns = [for b in values(var.bucket_names) : "arn:${local.partition}:s3:::${b}"]
  glue_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "LakeBucketsList"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = local.bucket_arns
      },
      {
        Sid      = "LakeObjectsReadWrite"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = [for a in local.bucket_arns : "${a}/*"]
      },
      {
        Sid      = "LakeKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource = [var.kms_key_arn]
      },
      {
        Sid    = "LakeCatalog"
        Effect = "Allow"
        Action = [
          "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:CreateTable",
          "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
          "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition",
          "glue:DeletePartition", "glue:BatchDeletePartition",
          "glue:GetDataQualityRuleset", "glue:PublishDataQuality",
        ]
        Resource = concat(
          ["arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"],
          [for d in values(local.databases) : "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${d}"],
          [for d in values(local.databases) : "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${d}/*"],
          ["arn:${local.partition}:glue:${local.region}:${local.account_id}:dataQualityRuleset/${local.name}-*"],
        )
      },
      {
        Sid      = "GlueLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
        Resource = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/*"]
      },
      {
        # PutMetricData has no resource-level permissions; the namespace condition scopes it.
        Sid       = "GlueMetrics"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = ["*"]
        Condition = { StringEquals = { "cloudwatch:namespace" = "Glue" } }
      },
      {
        # Lake Formation vends credentials for registered locations to the job's role.
        Sid      = "LakeFormationData"
        Effect   = "Allow"
        Action   = ["lakeformation:GetDataAccess"]
        Resource = ["*"]
      },
    ]
  }
}

resource "aws_iam_role" "glue" {
  name = "${local.name}-glue"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "glue" {
  name   = "lake-access"
  role   = aws_iam_role.glue.id
  policy = jsonencode(local.glue_policy)
}

# ---- Crawlers for the schema-on-read zones (landing, raw) ------------------------------------------

resource "aws_glue_crawler" "zone" {
  for_each = {
    landing = ["ercot/", "openmeteo/", "dms/trading/"]
    raw     = ["telemetry/", "partner/", "documents/"]
  }
  name                   = "${local.name}-${each.key}"
  role                   = aws_iam_role.glue.arn
  database_name          = aws_glue_catalog_database.zone["raw"].name
  table_prefix           = "${each.key}_"
  schedule               = var.crawler_schedule
  security_configuration = local.security_config
  dynamic "s3_target" {
    for_each = each.value
    content {
      path = "s3://${var.bucket_names[each.key]}/${s3_target.value}"
    }
  }
  recrawl_policy {
    recrawl_behavior = "CRAWL_NEW_FOLDERS_ONLY"
  }
  schema_change_policy {
    # Required by CRAWL_NEW_FOLDERS_ONLY: the crawler never rewrites or drops what it already catalogued.
    update_behavior = "LOG"
    delete_behavior = "LOG"
  }
  tags = var.tags
}

# ---- Job scripts and library upload ---------------------------------------------------------------

resource "aws_s3_object" "script" {
  for_each    = local.scripts
  bucket      = local.artifacts_bucket
  key         = "scripts/glue/${each.key}.py"
  source      = each.value
  source_hash = filemd5(each.value)
  kms_key_id  = var.kms_key_arn
}

# What every job loads besides its script: the energylake wheel (--extra-py-files), its jar (--extra-jars) and
# the wheel's dependencies Glue 5.0 does not provide (--additional-python-modules, pinned by `make lock`).
# "Using job parameters in AWS Glue jobs" (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html)
# and "Using Python libraries with AWS Glue" (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html):
# --extra-py-files puts the .whl on the Python path as a zip (never installed, so its dependencies are not
# either), --additional-python-modules is a comma-separated list of pip requirement specifiers that Glue
# installs with pip3 before the script starts, --extra-jars adds jars to the driver's and executors' classpath.
locals {
  python_modules = jsondecode(file(var.python_modules_lock)).modules
  libraries = {
    for name, library in {
      wheel = { path = var.library_wheel_path, key = var.library_wheel_key }
      jar   = { path = var.library_jar_path, key = var.library_jar_key }
    } : name => library if library.path != null
  }
}

resource "aws_s3_object" "library" {
  for_each    = local.libraries
  bucket      = local.artifacts_bucket
  key         = each.value.key
  source      = each.value.path
  source_hash = filemd5(each.value.path)
  kms_key_id  = var.kms_key_arn
}

moved {
  from = aws_s3_object.wheel[0]
  to   = aws_s3_object.library["wheel"]
}

resource "aws_cloudwatch_log_group" "jobs" {
  name              = "/aws-glue/jobs/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_glue_job" "this" {
  for_each               = local.jobs
  name                   = each.value.glue_name
  description            = each.value.description
  role_arn               = aws_iam_role.glue.arn
  glue_version           = each.value.glue_ver
  worker_type            = each.value.worker_type
  number_of_workers      = each.value.workers
  timeout                = each.value.timeout
  max_retries            = each.value.retries
  execution_class        = "STANDARD"
  security_configuration = local.security_config

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${local.artifacts_bucket}/scripts/glue/${each.key}.py"
  }

  default_arguments = merge(each.value.arguments, {
    "--job-language"                     = "python"
    "--job-bookmark-option"              = each.value.bookmarks ? "job-bookmark-enable" : "job-bookmark-disable"
    "--extra-py-files"                   = "s3://${local.artifacts_bucket}/${var.library_wheel_key}"
    "--extra-jars"                       = "s3://${local.artifacts_bucket}/${var.library_jar_key}"
    "--additional-python-modules"        = join(",", local.python_modules)
    "--TempDir"                          = "s3://${local.artifacts_bucket}/tmp/glue/"
    "--enable-metrics"                   = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--continuous-log-logGroup"          = aws_cloudwatch_log_group.jobs.name
    "--enable-glue-datacatalog"          = "true"
  })

  execution_property {
    max_concurrent_runs = 1 # bookmarks and partition overwrites assume one run at a time
  }
  tags = var.tags
}

# ---- One workflow: start trigger for jobs without `after`, one conditional trigger per other job ---

resource "aws_glue_workflow" "lake" {
  name        = "${local.name}-lake"
  description = "Landing/raw to transform to curated, in the order of glue/jobs/jobs.yaml"
  tags        = var.tags
}

resource "aws_glue_trigger" "start" {
  name          = "${local.name}-start"
  workflow_name = aws_glue_workflow.lake.name
  type          = var.workflow_schedule == null ? "ON_DEMAND" : "SCHEDULED"
  schedule      = var.workflow_schedule
  # ON_DEMAND triggers stay in state CREATED (never "activated"); declaring that avoids a perpetual diff.
  enabled = var.workflow_schedule != null
  dynamic "actions" {
    for_each = local.start_jobs
    content {
      job_name = aws_glue_job.this[actions.value].name
    }
  }
  tags = var.tags
}

resource "aws_glue_trigger" "after" {
  for_each      = local.conditional_jobs
  name          = "${local.name}-before-${each.key}"
  workflow_name = aws_glue_workflow.lake.name
  type          = "CONDITIONAL"
  actions {
    job_name = aws_glue_job.this[each.key].name
  }
  predicate {
    logical = "AND"
    dynamic "conditions" {
      for_each = each.value.after
      content {
        job_name = aws_glue_job.this[conditions.value].name
        state    = "SUCCEEDED"
      }
    }
  }
  tags = var.tags
}
