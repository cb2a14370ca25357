-- Recompute settlement for every day in [p_from, p_to]; NULL bounds mean "every day with transactions or
-- settlement rows", so days whose transactions were all deleted at the source are emptied too.
CREATE OR REPLACE PROCEDURE trading.sp_refresh_settlement(p_from DATE, p_to DATE)
AS $$
DECLARE
  v_from DATE;
  v_to DATE;
  v_day DATE;
BEGIN
  v_from := p_from;
  v_to := p_to;
  IF v_from IS NULL THEN
    SELECT MIN(d) INTO v_from FROM (
      SELECT MIN(transaction_date) AS d FROM trading.transactions
      UNION ALL SELECT MIN(settlement_date) FROM trading.daily_client_settlement
    ) AS bounds;
  END IF;
  IF v_to IS NULL THEN
    SELECT MAX(d) INTO v_to FROM (
      SELECT MAX(transaction_date) AS d FROM trading.transactions
      UNION ALL SELECT MAX(settlement_date) FROM trading.daily_client_settlement
    ) AS bounds;
  END IF;
  v_day := v_from;
  WHILE v_day <= v_to LOOP
    CALL trading.sp_daily_settlement(v_day);
    v_day := v_day + 1;
  END LOOP;
END;
$$ LANGUAGE plpgsql
