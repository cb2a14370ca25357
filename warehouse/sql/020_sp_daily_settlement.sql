-- Settlement of one trading day per client: energy, billed amount, settled and pending amounts, average price.
-- Cancelled transactions do not settle. Re-running a day replaces that day's rows (idempotent).
CREATE OR REPLACE PROCEDURE trading.sp_daily_settlement(p_date DATE)
AS $$
BEGIN
  DELETE FROM trading.daily_client_settlement WHERE settlement_date = p_date;
  INSERT INTO trading.daily_client_settlement (
    settlement_date, customer_id, region, segment, transaction_count, energy_mwh, amount,
    settled_amount, pending_amount, avg_price_per_mwh
  )
  SELECT
    p_date,
    t.customer_id,
    c.region,
    c.segment,
    COUNT(*),
    SUM(t.energy_mwh),
    SUM(t.amount),
    SUM(CASE WHEN t.status = 'settled' THEN t.amount ELSE 0 END),
    SUM(CASE WHEN t.status = 'pending' THEN t.amount ELSE 0 END),
    ROUND(SUM(t.amount) / NULLIF(SUM(t.energy_mwh), 0), 4)
  FROM trading.transactions AS t
  JOIN trading.customers AS c ON c.customer_id = t.customer_id
  WHERE t.transaction_date = p_date AND t.status <> 'cancelled'
  GROUP BY t.customer_id, c.region, c.segment;
END;
$$ LANGUAGE plpgsql
