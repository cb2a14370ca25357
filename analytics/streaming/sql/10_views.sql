-- Numbers are read as TRY_CAST(JSON_VALUE(..) AS DOUBLE): JSON_VALUE .. RETURNING DOUBLE passes a JSON string
-- like "n/a" through and fails the task with a ClassCastException (Flink 1.20).
-- One row per raw record: identity, every metric's value in its canonical unit, and why it is rejected (if it is).
-- The metrics, the keys and seed types naming them, the unit conversions and the reasons' words come from the
-- telemetry rules (telemetry_rules.json, generated from the lake's rules file; telemetry_sql.py renders them): the
-- innermost SELECT reads a record's fields, the middle one converts them, and the reject reasons are the Glue
-- quarantine's (malformed_json, missing_required:<field>, invalid_type:<field>, unknown_metric_type:<type>, ...).
-- A device key the rules do not know is ignored here (the lake quarantines it as unknown_metric).
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT
  payload,
  event_ts,
  device_id,
  site_id,
  ${metric_columns},
  CASE
    WHEN payload IS NULL OR NOT (payload IS JSON OBJECT) THEN ${reason_malformed_json}
    WHEN device_id IS NULL THEN ${reason_missing_device_id}
    WHEN ts_text IS NULL THEN ${reason_missing_event_ts}
    WHEN parsed_ts IS NULL THEN ${reason_invalid_event_ts}
    WHEN site_id IS NULL THEN ${reason_missing_site}
    WHEN ${no_metric}
      THEN ${no_metric_reason}
  END AS reject_reason
FROM (
  SELECT
    payload,
    event_ts,
    parsed_ts,
    ts_text,
    device_id,
    COALESCE(given_site_id, REGEXP_EXTRACT(device_id, '^(.+)-T[0-9]+$', 1)) AS site_id,
    seed_type,
    seed_data,
    seed_value,
    seed_unit,
    is_device,
    ${metric_values}
  FROM (
    SELECT
      payload,
      event_ts,
      parsed_ts,
      COALESCE(JSON_VALUE(payload, '$.ts'), JSON_VALUE(payload, '$.date')) AS ts_text,
      COALESCE(JSON_VALUE(payload, '$.device_id'), JSON_VALUE(payload, '$.id')) AS device_id,
      JSON_VALUE(payload, '$.site_id') AS given_site_id,
      JSON_VALUE(payload, '$.device_id') IS NOT NULL AS is_device,
      ${record_fields}
    FROM telemetry_raw
  )
);

-- Accepted records, one row per metric reading (names and units as in the telemetry_readings contract).
-- One operator on purpose: a UNION ALL of per-metric selects would feed the window operator through several
-- edges, whose watermarks interleave with records nondeterministically; and CROSS JOIN UNNEST(ARRAY[ROW(..)])
-- is mistyped by Flink 1.20's planner for nullable fields. A MAP has neither problem.
CREATE TEMPORARY VIEW telemetry_readings AS
SELECT p.device_id, p.site_id, r.metric, r.metric_value AS `value`, p.event_ts
FROM telemetry_parsed AS p
CROSS JOIN UNNEST(MAP[
  ${metric_map}
]) AS r (metric, metric_value)
WHERE p.reject_reason IS NULL AND r.metric_value IS NOT NULL;

-- 1-minute tumbling event-time windows per device and metric; alerts are derived from these windows.
CREATE TEMPORARY VIEW device_windows AS
SELECT
  window_start,
  window_end,
  device_id,
  site_id,
  metric,
  COUNT(*) AS reading_count,
  AVG(`value`) AS avg_value,
  MIN(`value`) AS min_value,
  MAX(`value`) AS max_value
FROM TABLE(TUMBLE(TABLE telemetry_readings, DESCRIPTOR(event_ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, device_id, site_id, metric;
