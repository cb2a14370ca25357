# The lake on real AWS, one root module for every real environment: envs/prod links these files and differs
# only in its tfvars and backend. Services whose prerequisites Terraform cannot create (Grafana, the forecast
# endpoint) start off; only envs/local turns others off, for the emulator.

locals {
  repo = abspath("${path.root}/../../..")
  # The compiled lake (`make compile`): tables, jobs, grants and DMS mappings, validated in Python.
  lake_spec_file = "${local.repo}/terraform/generated/lake.json"
  tags           = { project = "renewable-energy-lake", env = var.env, managed_by = "terraform" }
  partner_dir    = "${local.repo}/lambda/lakeingest/partner"
  ingestion_sources = [
    "${local.repo}/lambda/functions.json",
    "${local.partner_dir}/meter_reading.schema.json",
    "${local.partner_dir}/kinesis_put_record.vtl",
  ]
  # Analytics packages from `make flink-package FLINK_CONNECTOR_JAR=...`.
  flink_application_zip = coalesce(var.flink_application_zip, "${local.repo}/build/flink/telemetry-analytics.zip")
  flink_consumers_zip   = coalesce(var.flink_consumers_zip, "${local.repo}/build/flink/stream-consumers.zip")
  analytics_packages    = [local.flink_application_zip, local.flink_consumers_zip]
  forecast_model_uri    = coalesce(var.forecast_model_data_s3_uri, "s3://${module.storage.bucket_names["artifacts"]}/analytics/forecast/model.tar.gz")
}

# Dev deploys every component: missing ingestion sources are an error at plan time, not a silent skip.
resource "terraform_data" "ingestion_sources" {
  input = local.ingestion_sources
  lifecycle {
    precondition {
      condition     = alltrue([for f in local.ingestion_sources : fileexists(f)])
      error_message = "Missing ingestion sources (lambda/): ${join(", ", [for f in local.ingestion_sources : f if !fileexists(f)])}"
    }
  }
}

resource "terraform_data" "analytics_packages" {
  input = local.analytics_packages
  lifecycle {
    precondition {
      condition     = alltrue([for f in local.analytics_packages : fileexists(f)])
      error_message = "Missing analytics packages (run `make flink-package FLINK_CONNECTOR_JAR=...`): ${join(", ", [for f in local.analytics_packages : f if !fileexists(f)])}"
    }
  }
}

# Services whose prerequisites Terraform cannot create: the plan stops with what to do instead of an apply failing.
resource "terraform_data" "service_prerequisites" {
  input = { forecast_endpoint = var.enable_forecast_endpoint, grafana = var.enable_grafana }
  lifecycle {
    precondition {
      # AWS contract: "Authenticate users in Amazon Managed Grafana workspaces",
      # https://docs.aws.amazon.com/grafana/latest/userguide/authentication-in-AMG.html
      condition     = !var.enable_grafana || var.identity_center_enabled
      error_message = "enable_grafana = true needs IAM Identity Center (the workspace signs users in with AWS_SSO): enable Identity Center for the account, then set identity_center_enabled = true; or keep enable_grafana = false."
    }
    precondition {
      # The model comes from a training run on the lake's data, so it cannot exist before the first apply.
      condition     = !var.enable_forecast_endpoint || var.forecast_model_data_s3_uri != null
      error_message = "enable_forecast_endpoint = true needs the trained model: apply with the endpoint off, run `make train` (analytics/README.md), upload model.tar.gz, and set forecast_model_data_s3_uri to its s3:// URI."
    }
  }
}

module "storage" {
  source = "../../modules/data_lake_storage"
  prefix = var.prefix
  env    = var.env
  tags   = local.tags
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
  library_wheel_path         = var.library_wheel_path
  library_jar_path           = var.library_jar_path
  workflow_schedule          = var.workflow_schedule
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
  admin_arns                 = var.lake_admin_arns
  persona_trusted_principals = var.persona_trusted_principals
  role_name_prefix           = "${var.env}-"
  # Lake Formation only (no IAMAllowedPrincipals): the Glue role and the dashboards get explicit grants.
  access_mode         = "lake_formation"
  etl_role_arns       = { glue = module.glue.glue_role_arn }
  dashboard_role_arns = var.enable_grafana ? { grafana = module.dashboards.role_arn } : {}
  lake_kms_key_arns   = { lake = module.storage.kms_key_arn }
  query_access = {
    workgroup_arn      = module.athena.workgroup_arn
    results_bucket_arn = module.storage.bucket_arns["artifacts"]
    results_prefix     = module.athena.results_prefix
    kms_key_arn        = module.storage.kms_key_arn
  }
  tags = local.tags
}

module "batch_ingestion" {
  source             = "../../modules/batch_ingestion"
  prefix             = var.prefix
  env                = var.env
  bucket_names       = module.storage.bucket_names
  kms_key_arn        = module.storage.kms_key_arn
  functions_manifest = local.ingestion_sources[0]
  lambda_zip_dir     = coalesce(var.lambda_zip_dir, "${local.repo}/build/lambda")
  sites_csv_path     = "${local.repo}/glue/lib/energylake/reference/sites.csv"
  sftp_users         = var.sftp_users
  # ERCOT's Public API (null keeps the MIS listing): a secret created outside Terraform, so no credential is in state.
  ercot_api_secret_arn = var.ercot_api_secret_arn
  tags                 = local.tags
}

module "streaming" {
  source                    = "../../modules/streaming_ingestion"
  prefix                    = var.prefix
  env                       = var.env
  raw_bucket                = module.storage.bucket_names["raw"]
  kms_key_arn               = module.storage.kms_key_arn
  transform_lambda_arn      = module.batch_ingestion.function_arns["telemetry_transform"]
  partner_writer_lambda_arn = module.batch_ingestion.function_arns["partner_writer"]
  enable_partner_writer     = true
  partner_model_schema      = try(file(local.ingestion_sources[1]), null) # presence enforced above
  partner_request_template  = try(file(local.ingestion_sources[2]), null)
  enable_timestream         = var.enable_timestream_live_analytics
  tags                      = local.tags
}

# The telemetry hot path new accounts can use (Timestream for LiveAnalytics stays an opt-in above).
module "timeseries" {
  source                = "../../modules/timestream_influxdb"
  enabled               = var.enable_timestream_influxdb
  name_prefix           = "${var.prefix}-${var.env}"
  vpc_id                = var.vpc_id
  subnet_ids            = var.private_subnet_ids
  telemetry_stream_arns = { for k in ["devices", "windfarm"] : k => module.streaming.stream_arns[k] }
  kms_key_arn           = module.storage.kms_key_arn
  functions_manifest    = local.ingestion_sources[0]
  lambda_zip_dir        = coalesce(var.lambda_zip_dir, "${local.repo}/build/lambda")
  # The dashboards' VPC connection and the alerts consumer (a list of known length: the group ids are known
  # only after apply).
  client_security_group_ids = concat(
    var.enable_grafana ? [module.dashboards.security_group_id] : [],
    var.enable_timestream_influxdb ? [module.analytics_streaming.alerts_consumer_security_group_id] : [],
  )
  tags = local.tags
}

module "migration" {
  source             = "../../modules/migration"
  prefix             = var.prefix
  env                = var.env
  lake_spec_file     = local.lake_spec_file
  landing_bucket     = module.storage.bucket_names["landing"]
  kms_key_arn        = module.storage.kms_key_arn
  vpc_id             = var.vpc_id
  subnet_ids         = var.private_subnet_ids
  source_cidr_blocks = var.source_cidr_blocks
  source_db          = var.source_db
  tags               = local.tags
}

module "redshift" {
  source             = "../../modules/redshift"
  prefix             = var.prefix
  env                = var.env
  kms_key_arn        = module.storage.kms_key_arn
  vpc_id             = var.vpc_id
  subnet_ids         = var.private_subnet_ids
  client_cidr_blocks = var.redshift_client_cidr_blocks
  copy_bucket_arns   = [module.storage.bucket_arns["curated"], module.storage.bucket_arns["transform"]]
  tags               = local.tags
}

module "monitoring" {
  source                = "../../modules/monitoring"
  prefix                = var.prefix
  env                   = var.env
  kms_key_arn           = module.storage.kms_key_arn
  alert_emails          = var.alert_emails
  glue_job_names        = values(module.glue.job_names)
  lambda_function_names = concat(values(module.batch_ingestion.function_names), values(module.analytics_streaming.consumer_function_names), compact([module.timeseries.writer_function_name]))
  kinesis_stream_names  = concat(values(module.streaming.stream_names), values(module.analytics_streaming.output_stream_names))
  firehose_names        = concat(values(module.streaming.firehose_names), [module.analytics_streaming.firehose_name])
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
  source                    = "../../modules/managed_flink"
  name_prefix               = "${var.prefix}-${var.env}"
  input_stream_arns         = { for k in ["devices", "windfarm"] : k => module.streaming.stream_arns[k] } # both telemetry formats
  artifacts_bucket_id       = module.storage.bucket_names["artifacts"]
  artifacts_bucket_arn      = module.storage.bucket_arns["artifacts"]
  errors_bucket_arn         = module.storage.bucket_arns["raw"]
  kms_key_arn               = module.storage.kms_key_arn
  application_zip_path      = local.flink_application_zip
  consumers_zip_path        = local.flink_consumers_zip
  start_application         = var.start_flink_application
  alert_email_subscriptions = var.alert_emails
  # Alerts also become telemetry_alerts points in InfluxDB (the operations dashboard's alert panels).
  influxdb = var.enable_timestream_influxdb ? {
    url               = module.timeseries.endpoint_url
    secret_arn        = module.timeseries.auth_secret_arn
    vpc_id            = var.vpc_id
    subnet_ids        = var.private_subnet_ids
    security_group_id = module.timeseries.security_group_id
    port              = module.timeseries.port
  } : null
  tags       = local.tags
  depends_on = [terraform_data.analytics_packages]
}

module "forecast" {
  source               = "../../modules/sagemaker_forecast"
  enabled              = var.enable_forecast_endpoint
  name_prefix          = "${var.prefix}-${var.env}"
  model_data_s3_uri    = local.forecast_model_uri
  artifacts_bucket_arn = module.storage.bucket_arns["artifacts"]
  curated_bucket_arn   = module.storage.bucket_arns["curated"]
  kms_key_arn          = module.storage.kms_key_arn
  tags                 = local.tags
}

module "dashboards" {
  source                    = "../../modules/managed_grafana"
  enabled                   = var.enable_grafana
  name_prefix               = "${var.prefix}-${var.env}"
  athena_workgroup          = module.athena.workgroup
  athena_results_bucket_arn = module.storage.bucket_arns["artifacts"]
  timestream_table_arns     = var.enable_timestream_live_analytics ? [module.streaming.timestream.table_arn] : []
  influxdb = var.enable_timestream_influxdb ? {
    url               = module.timeseries.endpoint_url
    vpc_id            = var.vpc_id
    subnet_ids        = var.private_subnet_ids
    security_group_id = module.timeseries.security_group_id
    port              = module.timeseries.port
  } : null
  kms_key_arn = module.storage.kms_key_arn
  tags        = local.tags
}
