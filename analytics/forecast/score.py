"""Batch scoring entry point: ``python -m analytics.forecast.score --features ... --output ...`` (``make forecast``)."""

from __future__ import annotations

import sys

from analytics.forecast.scoring import main

if __name__ == "__main__":
    sys.exit(main())
