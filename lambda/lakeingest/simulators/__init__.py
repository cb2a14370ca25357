"""Telemetry simulators (seed wind-farm producer, IoT devices) and their Kinesis/MQTT publishing; not packaged."""
