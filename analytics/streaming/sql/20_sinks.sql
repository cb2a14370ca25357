-- Outputs. Deployed: Kinesis streams (aggregates → Lambda → Timestream, alerts → Lambda → SNS, late and
-- rejected records → Firehose → S3 errors/streaming/). Locally: JSON files. Only the WITH options differ.
CREATE TABLE device_aggregates (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  device_id STRING,
  site_id STRING,
  metric STRING,
  reading_count BIGINT,
  avg_value DOUBLE,
  min_value DOUBLE,
  max_value DOUBLE
) ${device_aggregates_partitioning} WITH (
  ${device_aggregates_options}
);

CREATE TABLE site_aggregates (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  site_id STRING,
  metric STRING,
  device_count BIGINT,
  reading_count BIGINT,
  avg_value DOUBLE,
  min_value DOUBLE,
  max_value DOUBLE,
  sum_value DOUBLE
) ${site_aggregates_partitioning} WITH (
  ${site_aggregates_options}
);

CREATE TABLE telemetry_alerts (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  device_id STRING,
  site_id STRING,
  alert_type STRING,
  severity STRING,
  metric STRING,
  observed_value DOUBLE,
  threshold DOUBLE,
  reading_count BIGINT
) ${telemetry_alerts_partitioning} WITH (
  ${telemetry_alerts_options}
);

CREATE TABLE late_readings (
  device_id STRING,
  site_id STRING,
  metric STRING,
  `value` DOUBLE,
  event_ts TIMESTAMP(3),
  watermark_ts TIMESTAMP(3),
  reason STRING
) ${late_readings_partitioning} WITH (
  ${late_readings_options}
);

CREATE TABLE rejected_records (
  payload STRING,
  reason STRING
) ${rejected_records_partitioning} WITH (
  ${rejected_records_options}
);
