-- One source table per telemetry stream (rendered once per source, ${source_name}): the records as received on
-- the Kinesis stream (or, locally, a bounded file of the same records), one JSON document per record in either
-- the seed wind-farm format or the richer device format. The record is kept as text so that malformed input
-- reaches the rejects sink with a reason instead of failing the job.
CREATE TABLE telemetry_raw_${source_name} (
  payload STRING,
  -- Event time from `ts` (device format) or `date` (seed format); ISO-8601 in UTC ('Z', '+00:00' or none).
  parsed_ts AS ${parsed_ts},
  -- The watermark needs a non-null time: unparseable records get the epoch and are routed to the rejects.
  event_ts AS COALESCE(${parsed_ts}, TIMESTAMP '1970-01-01 00:00:00'),
  -- Bounded out-of-orderness: readings up to the allowed lateness behind the newest event still count.
  WATERMARK FOR event_ts AS event_ts - INTERVAL '${allowed_lateness_seconds}' SECOND
) WITH (
  ${source_options}
);
