-- Daily generation and capacity factor per site (dashboard: site performance).
SELECT
    site_id,
    site_type,
    event_date,
    SUM(generation_mwh) AS generation_mwh,
    SUM(generation_mwh) / (MAX(capacity_mw) * 24) AS capacity_factor,
    AVG(avg_wind_speed_ms) AS avg_wind_speed_ms,
    AVG(avg_irradiance_wm2) AS avg_irradiance_wm2
FROM energy_curated.site_hourly_generation
GROUP BY site_id, site_type, event_date
ORDER BY event_date, site_id
