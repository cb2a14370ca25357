"""The three implementations of telemetry raw->transform compared by the benchmark."""
