"""Command line for the bounded local run: ``python -m analytics.streaming.local INPUT [INPUT ...] OUT_DIR``.

An INPUT is a file (source ``telemetry``) or ``name=file`` (one source table per stream, e.g. ``devices=...``).
"""

from __future__ import annotations

import argparse
import json
import sys

from analytics.streaming.job import run_bounded_job


def parse_inputs(items: list[str]) -> str | dict[str, str]:
    """One plain path, or ``name=path`` items (one per source); mixing both forms is an error."""
    named = [i for i in items if "=" in i]
    if not named and len(items) == 1:
        return items[0]
    if len(named) != len(items):
        raise SystemExit("give one input file, or name=file for every input")
    pairs = [i.split("=", 1) for i in items]
    if len({n for n, _ in pairs}) != len(pairs):
        raise SystemExit("each source name may appear once")
    return dict(pairs)


def main(argv: list[str] | None = None) -> int:
    """Run the Flink SQL job on a bounded file and print the output paths and row counts as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input", nargs="+", help="newline-delimited JSON telemetry file, or name=file per stream")
    parser.add_argument("out_dir", help="directory for <sink>.jsonl outputs")
    args = parser.parse_args(argv)
    outputs = run_bounded_job(parse_inputs(args.input), args.out_dir)
    summary = {name: {"path": str(path), "rows": sum(1 for _ in path.open())} for name, path in outputs.items()}
    json.dump(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
