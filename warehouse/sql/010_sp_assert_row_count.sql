-- Fails the surrounding transaction when a staged table does not hold the rows its manifest promised.
CREATE OR REPLACE PROCEDURE trading.sp_assert_row_count(p_table VARCHAR(256), p_expected BIGINT)
AS $$
DECLARE
  v_count BIGINT;
BEGIN
  EXECUTE 'SELECT COUNT(*) FROM ' || p_table INTO v_count;
  IF v_count <> p_expected THEN
    RAISE EXCEPTION 'row count check failed for %: loaded % rows, manifest lists %', p_table, v_count, p_expected;
  END IF;
END;
$$ LANGUAGE plpgsql
