"""Code shared by every ingestion function: configuration, HTTP with retries, idempotent S3 writes, key layouts."""
