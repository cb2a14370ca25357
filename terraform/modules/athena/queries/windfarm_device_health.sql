-- Devices with readings outside their operating band, worst first (dashboard: wind-farm health).
SELECT
    site_id,
    device_id,
    metric,
    metric_date,
    avg_value,
    max_value,
    p95_value,
    out_of_band_count,
    CAST(out_of_band_count AS DOUBLE) / NULLIF(reading_count, 0) AS out_of_band_ratio
FROM energy_curated.windfarm_daily_metrics
WHERE out_of_band_count > 0
ORDER BY out_of_band_ratio DESC, metric_date DESC, device_id
