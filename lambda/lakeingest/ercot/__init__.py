"""ERCOT public-report ingestion (EventBridge schedule → ERCOT MIS → landing bucket)."""
