-- Recompute settlement for every day in [p_from, p_to] that has transactions or settlement rows; NULL bounds
-- mean "no bound", so days whose transactions were all deleted at the source are emptied too. The loop walks the
-- days that exist instead of adding 1 to a DATE (date + integer is PostgreSQL's operator, not a documented
-- Redshift one: https://docs.aws.amazon.com/redshift/latest/dg/r_DATE-CONCATENATE_function.html).
CREATE OR REPLACE PROCEDURE trading.sp_refresh_settlement(p_from DATE, p_to DATE)
AS $$
DECLARE
  v_day RECORD;
BEGIN
  FOR v_day IN
    SELECT d FROM (
      SELECT transaction_date AS d FROM trading.transactions
      UNION SELECT settlement_date FROM trading.daily_client_settlement
    ) AS days
    WHERE (p_from IS NULL OR d >= p_from) AND (p_to IS NULL OR d <= p_to)
    ORDER BY d
  LOOP
    CALL trading.sp_daily_settlement(v_day.d);
  END LOOP;
END;
$$ LANGUAGE plpgsql
