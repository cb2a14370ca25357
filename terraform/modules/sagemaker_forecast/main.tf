# The generation forecast served by SageMaker (scikit-learn container, serverless inference), behind a flag.
# Training runs analytics/forecast/train.py as a SageMaker training job (entry point + source dir); this module
# deploys the resulting model.tar.gz. Batch scoring (`make forecast`, analytics/forecast/scoring.py) writes the
# curated site_generation_forecast dataset with the same serving hooks.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

data "aws_sagemaker_prebuilt_ecr_image" "sklearn" {
  count           = var.enabled ? 1 : 0
  repository_name = "sagemaker-scikit-learn"
  image_tag       = var.sklearn_framework_version
}

data "aws_iam_policy_document" "sagemaker" {
  statement {
    sid       = "ReadModelAndTrainingData"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [var.artifacts_bucket_arn, "${var.artifacts_bucket_arn}/analytics/forecast/*", var.curated_bucket_arn, "${var.curated_bucket_arn}/site_hourly_generation/*", "${var.curated_bucket_arn}/site_forecast_features/*"]
  }
  statement {
    sid       = "WriteModelsAndForecasts"
    actions   = ["s3:PutObject"]
    resources = ["${var.artifacts_bucket_arn}/analytics/forecast/*", "${var.curated_bucket_arn}/site_generation_forecast/*"]
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "ContainerLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/sagemaker/*"]
  }
  statement {
    sid       = "ContainerMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource-level permissions; the namespace condition scopes it
    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*"]
    }
  }
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions
  }
  statement {
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = ["arn:aws:ecr:${data.aws_region.current.name}:*:repository/sagemaker-scikit-learn"]
  }
}

module "sagemaker_role" {
  source             = "../service_role"
  count              = var.enabled ? 1 : 0
  name               = "${var.name_prefix}-generation-forecast"
  service_principals = ["sagemaker.amazonaws.com"]
  inline_policies    = { generation-forecast = data.aws_iam_policy_document.sagemaker.json }
  tags               = var.tags
}

# The role and its policy were this module's own resources: moved, not replaced.
moved {
  from = aws_iam_role.sagemaker[0]
  to   = module.sagemaker_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.sagemaker[0]
  to   = module.sagemaker_role[0].aws_iam_role_policy.this["generation-forecast"]
}

resource "aws_sagemaker_model" "forecast" {
  #checkov:skip=CKV_AWS_370:Serverless Inference does not support network isolation (AWS feature exclusions); the container reaches nothing but its model artefact.
  count              = var.enabled ? 1 : 0
  name               = "${var.name_prefix}-generation-forecast"
  execution_role_arn = module.sagemaker_role[0].arn
  tags               = var.tags

  primary_container {
    image          = data.aws_sagemaker_prebuilt_ecr_image.sklearn[0].registry_path
    model_data_url = var.model_data_s3_uri
    environment = {
      SAGEMAKER_PROGRAM          = "inference.py" # analytics/forecast/inference.py: model_fn/input_fn/predict_fn/output_fn
      SAGEMAKER_SUBMIT_DIRECTORY = "/opt/ml/model/code"
    }
  }

  lifecycle {
    precondition {
      condition     = startswith(var.model_data_s3_uri, "s3://")
      error_message = "model_data_s3_uri must be the s3:// URI of the trained model.tar.gz when enabled = true."
    }
  }
}

resource "aws_sagemaker_endpoint_configuration" "forecast" {
  #checkov:skip=CKV_AWS_98:A serverless variant has no ML storage volume to encrypt with a customer key; the model artefact and forecasts are KMS-encrypted in S3.
  count = var.enabled ? 1 : 0
  name  = "${var.name_prefix}-generation-forecast"
  tags  = var.tags

  production_variants {
    variant_name = "primary"
    model_name   = aws_sagemaker_model.forecast[0].name
    serverless_config {
      memory_size_in_mb = var.serverless_memory_mb
      max_concurrency   = var.serverless_max_concurrency
    }
  }
}

resource "aws_sagemaker_endpoint" "forecast" {
  count                = var.enabled ? 1 : 0
  name                 = "${var.name_prefix}-generation-forecast"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.forecast[0].name
  tags                 = var.tags
}
