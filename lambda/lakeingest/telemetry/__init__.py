"""Telemetry: record validation/normalisation, the Firehose transformation Lambda, simulators and local delivery."""
