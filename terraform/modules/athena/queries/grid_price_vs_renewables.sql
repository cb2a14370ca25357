-- Hourly ERCOT load and hub price against wind and solar output and weather (dashboard: market).
SELECT
    hour_ts,
    total_load_mw,
    avg_hub_price_usd_mwh,
    max_hub_price_usd_mwh,
    wind_generation_mw,
    solar_generation_mw,
    (COALESCE(wind_generation_mw, 0) + COALESCE(solar_generation_mw, 0)) / NULLIF(total_load_mw, 0) AS renewable_share,
    avg_wind_speed_ms,
    avg_temperature_c
FROM energy_curated.grid_weather_hourly
ORDER BY hour_ts
