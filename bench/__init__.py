"""Benchmarks of the lake: data generator, engines (project job, naive Glue Studio baseline, DuckDB), report."""
