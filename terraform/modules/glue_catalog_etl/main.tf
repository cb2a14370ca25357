# Glue Data Catalog and ETL from the compiled lake (terraform/generated/lake.json, `make compile`): tables from
# the dataset contracts, jobs/triggers/workflow from glue/jobs/jobs.yaml. Python (energylake.compiler) validates
# and resolves everything; this module only maps the document onto resources.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  name       = "${var.prefix}-${var.env}"

  lake      = jsondecode(file(var.lake_spec_file))
  databases = { for z, d in local.lake.databases : z => d.name }
  tables = { for n, t in local.lake.tables : n => merge(t, {
    location = "s3://${var.bucket_names[t.location.bucket]}/${t.location.prefix}"
  }) }

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

  # Job arguments arrive as format strings over bucket names (the only deploy-time names): one generic format().
  jobs = { for name, j in local.lake.jobs : name => merge(j, {
    glue_name = "${local.name}-${name}"
    arguments = { for k, a in j.arguments : k => format(a.format, [for b in a.buckets : var.bucket_names[b]]...) }
  }) }
  conditional_jobs = { for n, j in local.jobs : n => j if length(j.after) > 0 }
  scripts          = { for n, j in local.jobs : n => "${var.job_scripts_dir}/${n}.py" if fileexists("${var.job_scripts_dir}/${n}.py") }
  artifacts_bucket = var.bucket_names["artifacts"]
  security_config  = var.enable_security_configuration ? aws_glue_security_configuration.this[0].name : null
}

# ---- Catalog --------------------------------------------------------------------------------------

# Lake Formation copies its default permissions onto a database when it is created, so the databases wait for
# the data lake settings (lake_formation module output) instead of racing them.
resource "terraform_data" "lake_formation_settings" {
  input = var.lake_formation_settings_id
}

resource "aws_glue_catalog_database" "zone" {
  for_each     = local.databases
  name         = each.value
  description  = "${title(each.key)} zone of the ${var.prefix} lake (${var.env})"
  location_uri = "s3://${var.bucket_names[local.lake.databases[each.key].bucket]}/${local.lake.databases[each.key].prefix}"
  tags         = var.tags
  depends_on   = [terraform_data.lake_formation_settings]
}

resource "aws_glue_catalog_table" "dataset" {
  for_each      = local.tables
  name          = each.key
  database_name = aws_glue_catalog_database.zone[each.value.zone].name
  description   = each.value.description
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
      for_each = each.value.columns
      content {
        name       = columns.value.name
        type       = columns.value.type
        comment    = columns.value.comment
        parameters = { classification = columns.value.classification }
      }
    }
  }

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }

  lifecycle {
    # Unpartitioned tables: each job run points the table at its new version directory (the publish);
    # Terraform resetting it to the root would expose every version.
    ignore_changes = [storage_descriptor[0].location]
  }
}

# No Glue Data Quality rulesets: nothing in the workflow would evaluate them (a ruleset is only evaluated by a DQ
# run or a job's EvaluateDataQuality transform). The contracts' quality rules run in every job instead
# (energylake.quality, locally and on Glue, quarantining failing rows with the reason); their DQDL text is in
# terraform/generated/lake.json (tables.<name>.dqdl) for anyone adding Glue Data Quality evaluation.

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
        ]
        Resource = concat(
          ["arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"],
          [for d in values(local.databases) : "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${d}"],
          [for d in values(local.databases) : "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${d}/*"],
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

module "glue_role" {
  source             = "../service_role"
  name               = "${local.name}-glue"
  service_principals = ["glue.amazonaws.com"]
  trust_conditions   = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] }]
  inline_policies    = { lake-access = jsonencode(local.glue_policy) }
  tags               = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.glue
  to   = module.glue_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.glue
  to   = module.glue_role.aws_iam_role_policy.this["lake-access"]
}

# ---- Crawlers for the schema-on-read zones (landing, raw) ------------------------------------------

resource "aws_glue_crawler" "zone" {
  for_each = {
    landing = concat(["ercot/", "openmeteo/"], local.lake.dms.landing_prefixes)
    raw     = ["telemetry/", "partner/", "documents/"]
  }
  name                   = "${local.name}-${each.key}"
  role                   = module.glue_role.arn
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
  role_arn               = module.glue_role.arn
  glue_version           = each.value.glue_version
  worker_type            = each.value.worker_type
  number_of_workers      = each.value.number_of_workers
  timeout                = each.value.timeout_minutes
  max_retries            = each.value.max_retries
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
    for_each = local.lake.start_jobs
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
