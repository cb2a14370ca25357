-- name: site_daily_generation
-- database: energy_curated
-- description: Daily generation and capacity factor per site (dashboard: generation vs weather)
SELECT site_id,
       event_date,
       round(sum(generation_mwh), 3) AS generation_mwh,
       round(avg(capacity_factor), 4) AS avg_capacity_factor,
       approx_percentile(avg_wind_speed_ms, 0.5) AS median_wind_speed_ms
FROM energy_curated.site_hourly_generation
WHERE event_date BETWEEN DATE '2024-07-01' AND DATE '2024-07-02'
GROUP BY site_id, event_date
ORDER BY site_id, event_date;
