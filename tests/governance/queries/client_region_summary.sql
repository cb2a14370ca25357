-- name: client_region_summary
-- database: energy_curated
-- description: Customers and energy per region and segment (dashboard: client analytics)
WITH per_region AS (
  SELECT region, segment, count(*) AS customers, sum(total_energy_mwh) AS energy_mwh
  FROM client_analytics
  GROUP BY 1, 2
)
SELECT region, segment, customers, CAST(energy_mwh AS DOUBLE) AS energy_mwh
FROM per_region
ORDER BY region, segment;
