"""Near-real-time analytics, generation forecasting and dashboards for the energy lake.

Sub-packages: ``streaming`` (the Managed Flink SQL application), ``forecast`` (SageMaker-compatible training)
and ``dashboards`` (Grafana dashboards as code and a matplotlib renderer for the local report).
"""
