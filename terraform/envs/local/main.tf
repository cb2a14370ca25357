# Local environment: the whole lake against the embedded AWS emulator. Resources whose APIs moto lacks
# are switched off with the modules' enable_* flags (listed in terraform/README.md); everything else is
# the same code that envs/dev deploys to AWS.

locals {
  repo = abspath("${path.root}/../../..")
  # The compiled lake (`make compile`): tables, jobs, grants and DMS mappings, validated in Python.
  lake_spec_file = "${local.repo}/terraform/generated/lake.json"
  tags           = { project = "renewable-energy-lake", env = var.env, managed_by = "terraform" }

  lambda_src_dir     = coalesce(var.lambda_src_dir, "${local.repo}/lambda")
  functions_manifest = "${local.lambda_src_dir}/functions.json"
  lambda_zip_dir     = coalesce(var.lambda_zip_dir, "${local.repo}/build/lambda")
  has_lambdas        = fileexists(local.functions_manifest)
  partner_dir        = "${local.lambda_src_dir}/lakeingest/partner"
  # Analytics stream consumers (`make flink-package`, or the Makefile's build of the same zip).
  flink_consumers_zip = coalesce(var.flink_consumers_zip, "${local.repo}/build/flink/stream-consumers.zip")
  has_analytics       = fileexists(local.flink_consumers_zip)
}

data "aws_caller_identity" "current" {}

# ---- Network (emulated): private subnets for DMS and Redshift -------------------------------------

resource "aws_vpc" "lake" {
  #checkov:skip=CKV2_AWS_11:Emulated network of the local environment; flow logs are meaningless in moto.
  cidr_block           = "10.42.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = local.tags
}

resource "aws_default_security_group" "lake" {
  vpc_id = aws_vpc.lake.id # no rules: the default group allows nothing
}

resource "aws_subnet" "private" {
  for_each          = { a = "10.42.1.0/24", b = "10.42.2.0/24" }
  vpc_id            = aws_vpc.lake.id
  cidr_block        = each.value
  availability_zone = "${var.region}${each.key}"
}

# ---- The lake --------------------------------------------------------------------------------------

module "storage" {
  source        = "../../modules/data_lake_storage"
  prefix        = var.prefix
  env           = var.env
  force_destroy = true
  # moto evaluates bucket-policy Deny statements without their conditions, so TLS-only/KMS-only denies
  # would refuse every object request; envs/dev keeps them.
  enable_deny_policies = false
  tags                 = local.tags
}

module "glue" {
  source                     = "../../modules/glue_catalog_etl"
  prefix                     = var.prefix
  env                        = var.env
  lake_spec_file             = local.lake_spec_file
  bucket_names               = module.storage.bucket_names
  kms_key_arn                = module.storage.kms_key_arn
  job_scripts_dir            = "${local.repo}/glue/jobs"
  lake_formation_settings_id = module.lake_formation.data_lake_settings_id
  python_modules_lock        = "${local.repo}/requirements/glue-additional-python-modules.json"
  tags                       = local.tags
}

module "lake_formation" {
  source                     = "../../modules/lake_formation"
  prefix                     = var.prefix
  env                        = var.env
  lake_spec_file             = local.lake_spec_file
  database_names             = module.glue.database_names
  table_names                = module.glue.tables
  bucket_arns                = module.storage.bucket_arns
  admin_arns                 = [data.aws_caller_identity.current.arn]
  persona_trusted_principals = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
  # moto: no data cells filter API; tag-policy grants are stored but cannot be listed back.
  enable_data_cells_filters = false
  enable_tag_grants         = false
  tags                      = local.tags
}

module "batch_ingestion" {
  count              = local.has_lambdas ? 1 : 0
  source             = "../../modules/batch_ingestion"
  prefix             = var.prefix
  env                = var.env
  bucket_names       = module.storage.bucket_names
  kms_key_arn        = module.storage.kms_key_arn
  functions_manifest = local.functions_manifest
  lambda_zip_dir     = local.lambda_zip_dir
  sites_csv_path     = "${local.repo}/glue/lib/energylake/reference/sites.csv"
  schedules_enabled  = false # ingestion runs on demand locally (`make ingest`)
  # moto's Transfer Family lacks tagging (the provider reads tags back).
  enable_sftp = false
  # moto does not return DeadLetterConfig on GetFunction.
  enable_dead_letter_config = false
  tags                      = local.tags
}

module "streaming" {
  source                    = "../../modules/streaming_ingestion"
  prefix                    = var.prefix
  env                       = var.env
  raw_bucket                = module.storage.bucket_names["raw"]
  kms_key_arn               = module.storage.kms_key_arn
  transform_lambda_arn      = try(module.batch_ingestion[0].function_arns["telemetry_transform"], null)
  partner_writer_lambda_arn = try(module.batch_ingestion[0].function_arns["partner_writer"], null)
  enable_partner_writer     = local.has_lambdas
  partner_model_schema      = fileexists("${local.partner_dir}/meter_reading.schema.json") ? file("${local.partner_dir}/meter_reading.schema.json") : null
  partner_request_template  = fileexists("${local.partner_dir}/kinesis_put_record.vtl") ? file("${local.partner_dir}/kinesis_put_record.vtl") : null
  # The provider reaches Timestream through endpoint discovery, which bypasses AWS_ENDPOINT_URL.
  enable_timestream = false
  # moto's IoT has no ListTagsForResource, which the provider calls for every topic rule.
  enable_iot_rules = false
  # moto's CreateStream ignores Tags.
  enable_stream_tags = false
  tags               = local.tags
}

module "migration" {
  source             = "../../modules/migration"
  prefix             = var.prefix
  env                = var.env
  lake_spec_file     = local.lake_spec_file
  landing_bucket     = module.storage.bucket_names["landing"]
  kms_key_arn        = module.storage.kms_key_arn
  vpc_id             = aws_vpc.lake.id
  subnet_ids         = [for s in aws_subnet.private : s.id]
  source_cidr_blocks = ["10.0.0.0/8"]
  source_db          = { host = "127.0.0.1", port = 5432, database = "trading", username = "dms_reader" }
  # moto lacks ModifyEndpoint (used for S3 target settings); locally the DMS-compatible export runs for
  # real against PostgreSQL (migration/), writing the same landing layout.
  enable_dms = false
  tags       = local.tags
}

module "redshift" {
  source           = "../../modules/redshift"
  prefix           = var.prefix
  env              = var.env
  kms_key_arn      = module.storage.kms_key_arn
  vpc_id           = aws_vpc.lake.id
  subnet_ids       = [for s in aws_subnet.private : s.id]
  copy_bucket_arns = [module.storage.bucket_arns["curated"], module.storage.bucket_arns["transform"]]
  # moto lacks ModifyClusterParameterGroup (require_ssl) and managed admin passwords; the warehouse itself
  # runs locally on PostgreSQL (warehouse/), so the emulated cluster is left out.
  enable_redshift        = false
  manage_master_password = false
  enable_logging         = false
  tags                   = local.tags
}

module "monitoring" {
  source                = "../../modules/monitoring"
  prefix                = var.prefix
  env                   = var.env
  kms_key_arn           = module.storage.kms_key_arn
  glue_job_names        = values(module.glue.job_names)
  lambda_function_names = concat(local.has_lambdas ? values(module.batch_ingestion[0].function_names) : [], try(values(module.analytics_streaming[0].consumer_function_names), []))
  kinesis_stream_names  = concat(values(module.streaming.stream_names), try(values(module.analytics_streaming[0].output_stream_names), []))
  firehose_names        = concat(values(module.streaming.firehose_names), try([module.analytics_streaming[0].firehose_name], []))
  dms_task_arns         = compact([module.migration.replication_task_arn])
  tags                  = local.tags
}

module "athena" {
  source         = "../../modules/athena"
  prefix         = var.prefix
  env            = var.env
  results_bucket = module.storage.bucket_names["artifacts"]
  kms_key_arn    = module.storage.kms_key_arn
  tags           = local.tags
}

# ---- Analytics: streaming job, generation forecast, dashboards ---------------------------------------

module "analytics_streaming" {
  count                = local.has_analytics ? 1 : 0
  source               = "../../modules/managed_flink"
  name_prefix          = "${var.prefix}-${var.env}"
  input_stream_arns    = { for k in ["devices", "windfarm"] : k => module.streaming.stream_arns[k] } # both telemetry formats
  artifacts_bucket_id  = module.storage.bucket_names["artifacts"]
  artifacts_bucket_arn = module.storage.bucket_arns["artifacts"]
  errors_bucket_arn    = module.storage.bucket_arns["raw"]
  kms_key_arn          = module.storage.kms_key_arn
  consumers_zip_path   = local.flink_consumers_zip
  # moto stores Managed Flink applications but has no UpdateApplication/DeleteApplication and never runs
  # Flink; locally the same SQL runs on real PyFlink (`make flink-run`). Output streams, consumers, alerts
  # topic and the errors Firehose are created.
  enable_application = false
  # moto's CreateStream ignores Tags.
  enable_stream_tags = false
  tags               = local.tags
}

module "forecast" {
  source = "../../modules/sagemaker_forecast"
  # SageMaker endpoints serve a model trained by a SageMaker training job, which moto never runs; locally
  # `make train` trains and scores the same model for real.
  enabled              = false
  name_prefix          = "${var.prefix}-${var.env}"
  artifacts_bucket_arn = module.storage.bucket_arns["artifacts"]
  curated_bucket_arn   = module.storage.bucket_arns["curated"]
  kms_key_arn          = module.storage.kms_key_arn
  tags                 = local.tags
}

module "dashboards" {
  source = "../../modules/managed_grafana"
  # moto has no Managed Grafana API; locally `make dashboards` renders the same panels to PNG.
  enabled                   = false
  name_prefix               = "${var.prefix}-${var.env}"
  athena_workgroup          = module.athena.workgroup
  athena_results_bucket_arn = module.storage.bucket_arns["artifacts"]
  kms_key_arn               = module.storage.kms_key_arn
  tags                      = local.tags
}
