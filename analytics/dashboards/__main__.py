"""``python -m analytics.dashboards --out DIR``: run the Flink fixture job and the forecast, render the panels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics.dashboards import render_panels
from analytics.dashboards.local_data import business_frames, operations_frames


def main(argv: list[str] | None = None) -> int:
    """Render every panel that has local data; reuses build/streaming/out and build/forecast when present."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="build/dashboards")
    parser.add_argument("--build", default="build")
    args = parser.parse_args(argv)
    build = Path(args.build)
    streaming_out = build / "streaming" / "out"
    if not (streaming_out / "site_aggregates.jsonl").exists():
        from analytics.streaming import run_bounded
        from analytics.streaming.fixtures import write_telemetry

        run_bounded(write_telemetry(build / "streaming" / "telemetry.jsonl"), streaming_out)
    predictions = build / "forecast" / "holdout_predictions.parquet"
    if not predictions.exists():
        from analytics.forecast import train

        train(output_dir=build / "forecast")
    frames = operations_frames(streaming_out) | business_frames(predictions)
    for path in render_panels(frames, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
