# The arguments every Glue job is deployed with, as Terraform computes them (tests/glue/glue_shaped runs each
# job script with exactly these, read from `terraform test -verbose -json`; the bucket names are the ones that
# harness creates on the emulator).
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
}

variables {
  env = "glueshaped"
  bucket_names = {
    landing   = "energylake-glueshaped-landing"
    raw       = "energylake-glueshaped-raw"
    transform = "energylake-glueshaped-transform"
    curated   = "energylake-glueshaped-curated"
    artifacts = "energylake-glueshaped-artifacts"
  }
  kms_key_arn         = "arn:aws:kms:us-east-1:111122223333:key/test"
  job_scripts_dir     = "../../../glue/jobs"
  python_modules_lock = "../../../requirements/glue-additional-python-modules.json"
  lake_spec_file      = "../../generated/lake.json"
}

run "job_arguments" {
  command = plan

  assert {
    condition     = alltrue([for n, j in aws_glue_job.this : j.command[0].script_location == "s3://${aws_s3_object.script[n].bucket}/${aws_s3_object.script[n].key}"])
    error_message = "every job runs the script the module uploads for it"
  }
}
