-- Numbers are read as TRY_CAST(JSON_VALUE(..) AS DOUBLE): JSON_VALUE .. RETURNING DOUBLE passes a JSON string
-- like "n/a" through and fails the task with a ClassCastException (Flink 1.20).
-- One row per raw record: identity, the metric values of both formats, and why it is rejected (if it is).
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT
  payload,
  event_ts,
  device_id,
  COALESCE(given_site_id, REGEXP_EXTRACT(device_id, '^(.+)-T[0-9]+$', 1)) AS site_id,
  active_power, wind_speed, rotor_speed, power_factor, battery_temperature, hydraulic_pressure, irradiance,
  CASE
    WHEN payload IS NULL OR NOT (payload IS JSON OBJECT) THEN 'invalid JSON'
    WHEN device_id IS NULL THEN 'missing device id'
    WHEN parsed_ts IS NULL THEN 'missing, unparseable or non-UTC timestamp'
    WHEN COALESCE(given_site_id, REGEXP_EXTRACT(device_id, '^(.+)-T[0-9]+$', 1)) IS NULL
      THEN 'unknown site (device id is not <site_id>-T<nn>)'
    WHEN active_power IS NULL AND wind_speed IS NULL AND rotor_speed IS NULL AND power_factor IS NULL
      AND battery_temperature IS NULL AND hydraulic_pressure IS NULL AND irradiance IS NULL
      THEN 'no recognised numeric metric'
  END AS reject_reason
FROM (
  SELECT
    payload,
    event_ts,
    parsed_ts,
    COALESCE(JSON_VALUE(payload, '$.device_id'), JSON_VALUE(payload, '$.id')) AS device_id,
    JSON_VALUE(payload, '$.site_id') AS given_site_id,
    TRY_CAST(JSON_VALUE(payload, '$.metrics.active_power_mw') AS DOUBLE) AS active_power,
    TRY_CAST(JSON_VALUE(payload, '$.metrics.wind_speed_ms') AS DOUBLE) AS wind_speed,
    TRY_CAST(JSON_VALUE(payload, '$.metrics.rotor_speed_rpm') AS DOUBLE) AS rotor_speed,
    COALESCE(
      TRY_CAST(JSON_VALUE(payload, '$.metrics.power_factor') AS DOUBLE),
      CASE WHEN JSON_VALUE(payload, '$.type') = 'powerFactor' THEN TRY_CAST(JSON_VALUE(payload, '$.data') AS DOUBLE) END
    ) AS power_factor,
    COALESCE(
      TRY_CAST(JSON_VALUE(payload, '$.metrics.battery_temperature_c') AS DOUBLE),
      CASE WHEN JSON_VALUE(payload, '$.type') = 'temperature' THEN TRY_CAST(JSON_VALUE(payload, '$.data') AS DOUBLE) END
    ) AS battery_temperature,
    COALESCE(
      TRY_CAST(JSON_VALUE(payload, '$.metrics.hydraulic_pressure_bar') AS DOUBLE),
      CASE WHEN JSON_VALUE(payload, '$.type') = 'hydraulicPressure' THEN TRY_CAST(JSON_VALUE(payload, '$.data') AS DOUBLE) END
    ) AS hydraulic_pressure,
    TRY_CAST(JSON_VALUE(payload, '$.metrics.irradiance_wm2') AS DOUBLE) AS irradiance
  FROM telemetry_raw
);

-- Accepted records, one row per metric reading (names and units as in the telemetry_readings contract).
-- One operator on purpose: a UNION ALL of per-metric selects would feed the window operator through several
-- edges, whose watermarks interleave with records nondeterministically; and CROSS JOIN UNNEST(ARRAY[ROW(..)])
-- is mistyped by Flink 1.20's planner for nullable fields. A MAP has neither problem.
CREATE TEMPORARY VIEW telemetry_readings AS
SELECT p.device_id, p.site_id, r.metric, r.metric_value AS `value`, p.event_ts
FROM telemetry_parsed AS p
CROSS JOIN UNNEST(MAP[
  'active_power', p.active_power,
  'wind_speed', p.wind_speed,
  'rotor_speed', p.rotor_speed,
  'power_factor', p.power_factor,
  'battery_temperature', p.battery_temperature,
  'hydraulic_pressure', p.hydraulic_pressure,
  'irradiance', p.irradiance
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
