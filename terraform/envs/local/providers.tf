# The local environment talks to the embedded AWS emulator (moto server) or LocalStack. The endpoint comes
# from the standard AWS_ENDPOINT_URL environment variable (set by `make plan/apply`), never from this file.
# The skip_* settings only exist here: the emulator has no instance metadata and accepts any credentials.
provider "aws" {
  region                      = var.region
  s3_use_path_style           = true # buckets as path segments: 127.0.0.1 has no wildcard DNS
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 3 # an API the emulator lacks answers 500: fail fast instead of retrying for minutes
  # Safety net: refuse to run unless the endpoint answers as an emulator account (moto, LocalStack),
  # so a missing AWS_ENDPOINT_URL can never apply the local settings to a real account.
  allowed_account_ids = var.emulator_account_ids
  # No default_tags here: moto drops tags on some create calls (Kinesis), so tags are passed per module
  # and left off where the emulator loses them. envs/dev uses default_tags.
}
