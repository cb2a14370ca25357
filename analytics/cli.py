"""``lakectl analytics ...`` sub-commands; ``register(sub)`` is called from lakectl.cli.build_parser."""

from __future__ import annotations

import argparse
import json


def _run(args: argparse.Namespace) -> int:
    if args.action == "train":
        from analytics.forecast import train

        metrics = train(args.data, f"{args.build}/forecast", seed=args.seed)
        print(json.dumps({k: metrics[k] for k in ("model", "persistence", "climatology")}))
    elif args.action == "flink-run":
        from analytics.streaming import run_bounded
        from analytics.streaming.fixtures import write_telemetry

        source = args.data or write_telemetry(f"{args.build}/streaming/telemetry.jsonl")
        for name, path in run_bounded(source, f"{args.build}/streaming/out").items():
            print(f"{name}: {path}")
    else:
        from analytics.dashboards.__main__ import main as render

        return render(["--out", f"{args.build}/dashboards", "--build", args.build])
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``analytics`` command (train | flink-run | dashboards)."""
    parser = sub.add_parser("analytics", help="forecast training, bounded Flink run, dashboard rendering")
    parser.add_argument("action", choices=["train", "flink-run", "dashboards"])
    parser.add_argument("--data", help="training Parquet (dir or s3://) / telemetry JSON-lines for flink-run")
    parser.add_argument("--build", default="build", help="output root (default build/)")
    parser.add_argument("--seed", type=int, default=42)
    parser.set_defaults(func=_run)
