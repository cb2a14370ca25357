"""Open-Meteo hourly forecast and archive ingestion (EventBridge schedule → Open-Meteo → landing bucket)."""
