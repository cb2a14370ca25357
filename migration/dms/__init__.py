"""DMS for the local lake: task definitions for AWS and a DMS-compatible exporter for local runs."""
