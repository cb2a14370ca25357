"""Telemetry: record validation/normalisation and the Firehose transformation Lambda."""
