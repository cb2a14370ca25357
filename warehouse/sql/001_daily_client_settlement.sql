-- Daily settlement per client: a warehouse-only table filled by trading.sp_daily_settlement (not a lake dataset).
CREATE TABLE IF NOT EXISTS trading.daily_client_settlement (
  settlement_date DATE NOT NULL,
  customer_id BIGINT NOT NULL,
  region VARCHAR(16) NOT NULL,
  segment VARCHAR(16) NOT NULL,
  transaction_count BIGINT NOT NULL,
  energy_mwh DECIMAL(18, 4) NOT NULL,
  amount DECIMAL(20, 4) NOT NULL,
  settled_amount DECIMAL(20, 4) NOT NULL,
  pending_amount DECIMAL(20, 4) NOT NULL,
  avg_price_per_mwh DECIMAL(12, 4),
  PRIMARY KEY (settlement_date, customer_id)
) DISTSTYLE KEY DISTKEY(customer_id) SORTKEY(settlement_date)
