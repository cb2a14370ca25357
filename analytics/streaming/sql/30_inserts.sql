-- The job: one statement set, five outputs.
INSERT INTO device_aggregates
SELECT window_start, window_end, device_id, site_id, metric, reading_count, avg_value, min_value, max_value
FROM device_windows;

INSERT INTO site_aggregates
SELECT
  window_start,
  window_end,
  site_id,
  metric,
  COUNT(DISTINCT device_id) AS device_count,
  COUNT(*) AS reading_count,
  AVG(`value`) AS avg_value,
  MIN(`value`) AS min_value,
  MAX(`value`) AS max_value,
  SUM(`value`) AS sum_value
FROM TABLE(TUMBLE(TABLE telemetry_readings, DESCRIPTOR(event_ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, site_id, metric;

-- Alerts on the per-device windows: one SELECT per alert of the telemetry rules, each judging a window statistic
-- against the metric's healthy band (the band windfarm_daily_metrics counts out-of-band readings with).
INSERT INTO telemetry_alerts
${alert_selects};

-- Readings whose window had already fired when they arrived (later than the allowed lateness): the window
-- operator drops them, so they are reported here instead of being lost. The test is the window operator's
-- own: window_end - 1 ms <= current watermark.
INSERT INTO late_readings
SELECT device_id, site_id, metric, `value`, event_ts, CURRENT_WATERMARK(event_ts),
       'window closed: later than the allowed lateness'
FROM telemetry_readings
WHERE CURRENT_WATERMARK(event_ts) IS NOT NULL
  AND FLOOR(event_ts TO MINUTE) + INTERVAL '1' MINUTE <= CURRENT_WATERMARK(event_ts) + INTERVAL '0.001' SECOND;

INSERT INTO rejected_records
SELECT payload, reject_reason FROM telemetry_parsed WHERE reject_reason IS NOT NULL;
