-- name: client_contacts
-- database: energy_curated
-- description: Customer contact list (PII; only personas granted pii columns may run it)
SELECT c.customer_id, c.customer_name, c.email, date_format(c.last_transaction_ts, '%Y-%m-%d') AS last_seen
FROM "AwsDataCatalog"."energy_curated"."client_analytics" AS c
ORDER BY c.customer_id;
