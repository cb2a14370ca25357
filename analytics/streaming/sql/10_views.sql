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
-- A UNION ALL rather than CROSS JOIN UNNEST(ARRAY[ROW(...)]): Flink 1.20's planner mistypes nullable ROW fields
-- there ("Conversion to relational algebra failed to preserve datatypes").
CREATE TEMPORARY VIEW telemetry_readings AS
SELECT device_id, site_id, 'active_power' AS metric, active_power AS `value`, event_ts
FROM telemetry_parsed WHERE reject_reason IS NULL AND active_power IS NOT NULL
UNION ALL
SELECT device_id, site_id, 'wind_speed' AS metric, wind_speed AS `value`, event_ts
FROM telemetry_parsed WHERE reject_reason IS NULL AND wind_speed IS NOT NULL
UNION ALL
SELECT device_id, site_id, 'rotor_speed' AS metric, rotor_speed AS `value`, event_ts
FROM telemetry_parsed WHERE reject_reason IS NULL AND rotor_speed IS NOT NULL
UNION ALL
SELECT device_id, site_id, 'power_factor' AS metric, power_factor AS `value`, event_ts
FROM telemetry_parsed WHERE reject_reason IS NULL AND power_factor IS NOT NULL
UNION ALL
SELECT device_id, site_id, 'battery_temperature' AS metric, battery_temperature AS `value`, event_ts
FROM telemetry_parsed WHERE reject_reason IS NULL AND battery_temperature IS NOT NULL
UNION ALL
SELECT device_id, site_id, 'hydraulic_pressure' AS metric, hydraulic_pressure AS `value`, event_ts
FROM telemetry_parsed WHERE reject_reason IS NULL AND hydraulic_pressure IS NOT NULL
UNION ALL
SELECT device_id, site_id, 'irradiance' AS metric, irradiance AS `value`, event_ts
FROM telemetry_parsed WHERE reject_reason IS NULL AND irradiance IS NOT NULL;

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
