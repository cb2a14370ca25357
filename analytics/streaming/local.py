"""Command line for the bounded local run: ``python -m analytics.streaming.local INPUT OUT_DIR``."""

from __future__ import annotations

import argparse
import json
import sys

from analytics.streaming.job import run_bounded_job


def main(argv: list[str] | None = None) -> int:
    """Run the Flink SQL job on a bounded file and print the output paths and row counts as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input", help="newline-delimited JSON telemetry file or directory")
    parser.add_argument("out_dir", help="directory for <sink>.jsonl outputs")
    args = parser.parse_args(argv)
    outputs = run_bounded_job(args.input, args.out_dir)
    summary = {name: {"path": str(path), "rows": sum(1 for _ in path.open())} for name, path in outputs.items()}
    json.dump(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
