-- Daily energy sold per ERCOT weather zone and customer segment (dashboard: trading).
SELECT
    consumption_date,
    region,
    segment,
    SUM(energy_mwh) AS energy_mwh,
    SUM(transaction_count) AS transaction_count,
    COUNT(DISTINCT customer_id) AS customers
FROM energy_curated.daily_energy_consumption
GROUP BY consumption_date, region, segment
ORDER BY consumption_date, region, segment
