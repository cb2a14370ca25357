"""Next-day hourly site generation forecast: synthetic curated sample, features, SageMaker-style training.

``train(data=None, output_dir="build/forecast", seed=42)`` trains and returns the metrics dict.
"""

from __future__ import annotations

from analytics.forecast.training import train

__all__ = ["train"]
