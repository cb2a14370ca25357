# Catalog and jobs generated from the contracts and jobs.yaml; IAM least privilege.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333", arn = "arn:aws:iam::111122223333:role/deployer" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:111122223333:key/mocked" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:111122223333:mocked" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:111122223333:function:mocked" }
  }
  mock_resource "aws_kinesis_stream" {
    defaults = { arn = "arn:aws:kinesis:us-east-1:111122223333:stream/mocked" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:111122223333:log-group:mocked" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:111122223333:mocked" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:mocked" }
  }
  mock_resource "aws_dms_replication_instance" {
    defaults = { replication_instance_arn = "arn:aws:dms:us-east-1:111122223333:rep:mocked" }
  }
  mock_resource "aws_dms_endpoint" {
    defaults = { endpoint_arn = "arn:aws:dms:us-east-1:111122223333:endpoint:source" }
  }
  mock_resource "aws_dms_s3_endpoint" {
    defaults = { endpoint_arn = "arn:aws:dms:us-east-1:111122223333:endpoint:target" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:111122223333:rule/mocked" }
  }
  mock_resource "aws_transfer_server" {
    defaults = { id = "s-0123456789abcdef0", arn = "arn:aws:transfer:us-east-1:111122223333:server/s-0123456789abcdef0" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { id = "abc123", root_resource_id = "root123" }
  }
}

variables {
  env                 = "test"
  bucket_names        = { landing = "l", raw = "r", transform = "t", curated = "c", artifacts = "a" }
  kms_key_arn         = "arn:aws:kms:us-east-1:111122223333:key/test"
  job_scripts_dir     = "../../../glue/jobs"
  python_modules_lock = "../../../requirements/glue-additional-python-modules.json"
  lake_spec_file      = "../../generated/lake.json"
}

run "generated_from_data" {
  command = apply

  assert {
    condition     = length(aws_glue_catalog_table.dataset) == length(fileset("../../../glue/lib/energylake/datasets", "*.yaml"))
    error_message = "one table per dataset contract"
  }
  assert {
    condition     = [for p in aws_glue_catalog_table.dataset["telemetry_readings"].partition_keys : p.name] == ["event_date", "metric"]
    error_message = "partition keys come from partition_by, in order"
  }
  assert {
    condition     = !anytrue([for t in aws_glue_catalog_table.dataset : anytrue([for k in keys(t.parameters) : startswith(k, "projection.")])])
    error_message = "no partition projection: Athena must read the partition versions the jobs publish in the catalog, not the partition prefix"
  }
  assert {
    condition     = aws_glue_catalog_table.dataset["telemetry_readings"].parameters == tomap({ EXTERNAL = "TRUE", classification = "parquet", "parquet.compression" = "SNAPPY", contract_zone = "transform" })
    error_message = "table parameters are those the jobs write (energylake.catalog.table_parameters), so a job run is no drift"
  }
  assert {
    condition     = one([for c in aws_glue_catalog_table.dataset["trading_customers"].storage_descriptor[0].columns : c.parameters.classification if c.name == "email"]) == "pii"
    error_message = "columns carry their contract classification, as the jobs write them"
  }
  assert {
    condition     = aws_glue_catalog_table.dataset["trading_customers"].storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    error_message = "tables use the Parquet SerDe"
  }
  assert {
    condition     = alltrue([for j in aws_glue_job.this : j.default_arguments["--job-bookmark-option"] == "job-bookmark-enable" && startswith(j.default_arguments["--extra-py-files"], "s3://a/") && j.default_arguments["--extra-jars"] == "s3://a/libs/energylake-functions.jar"])
    error_message = "jobs run with bookmarks, the library wheel and its JVM functions jar"
  }
  assert {
    condition = alltrue([for j in aws_glue_job.this : try(j.default_arguments["--additional-python-modules"], "") == join(",", jsondecode(file(var.python_modules_lock)).modules)]) && alltrue([
      for m in split(",", try(aws_glue_job.this["telemetry_to_transform"].default_arguments["--additional-python-modules"], "")) : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*==[^,=]+$", m))
    ]) && anytrue([for m in jsondecode(file(var.python_modules_lock)).modules : startswith(m, "pydantic==")])
    error_message = "every job installs the locked modules the wheel needs and Glue lacks (pydantic, PyYAML), each pinned with ==, through --additional-python-modules"
  }
  assert {
    condition     = alltrue([for t in concat(values(aws_glue_trigger.after), [aws_glue_trigger.start]) : t.workflow_name == aws_glue_workflow.lake.name]) && length(aws_glue_trigger.after) == length([for j in local.jobs : j if length(j.after) > 0])
    error_message = "one conditional trigger per job with `after`, all in the one workflow"
  }
  assert {
    condition = (aws_glue_job.this["telemetry_to_transform"].default_arguments["--input_path"] == "s3://r/telemetry/" &&
      aws_glue_job.this["telemetry_to_transform"].default_arguments["--quarantine_path"] == "s3://t/quarantine/" &&
    aws_glue_job.this["telemetry_to_transform"].default_arguments["--output_database"] == "energy_transform")
    error_message = "job arguments from the compiled lake get this environment's bucket names (DQDL is tested in Python: tests/glue/test_compiler.py)"
  }
  assert {
    condition = alltrue([for s in jsondecode(module.glue_role.inline_policies["lake-access"]).Statement :
    !(contains(flatten([s.Action]), "*") && contains(flatten([s.Resource]), "*"))])
    error_message = "no IAM statement may allow * on *"
  }
}

run "library_artifacts_uploaded_when_given" {
  command = plan

  variables {
    # Stand-ins: any local files; the module uploads what it is given under the keys the jobs load.
    library_wheel_path = "../../../glue/lib/pyproject.toml"
    library_jar_path   = "../../../glue/jvm/README.md"
  }

  assert {
    condition     = aws_s3_object.library["wheel"].key == var.library_wheel_key && aws_s3_object.library["jar"].key == "libs/energylake-functions.jar"
    error_message = "the wheel and the jar are uploaded under the keys passed with --extra-py-files and --extra-jars"
  }
  assert {
    condition     = alltrue([for o in aws_s3_object.library : o.bucket == "a" && o.kms_key_id == var.kms_key_arn])
    error_message = "library artifacts go to the artifacts bucket, KMS-encrypted"
  }
}
