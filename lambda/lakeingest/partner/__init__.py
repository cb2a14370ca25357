"""Partner meter readings: API Gateway (schema, size, API key) → Kinesis → one raw object per reading."""
