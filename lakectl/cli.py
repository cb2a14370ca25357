"""lakectl command line: local operations on the lake (emulator, PostgreSQL, jobs, demo)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from lakectl import emulator


def _emulator(args: argparse.Namespace) -> int:
    if args.action == "start":
        print(f"AWS emulator ready at {emulator.start_daemon()}")
    elif args.action == "stop":
        print("AWS emulator stopped" if emulator.stop_daemon() else "AWS emulator was not running")
    else:
        endpoint = emulator.daemon_endpoint()
        up = emulator.is_emulator(endpoint)
        print(f"AWS emulator at {endpoint}: {'up' if up else 'down'}")
        return 0 if up else 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The lakectl argument parser; areas register their sub-commands here."""
    parser = argparse.ArgumentParser(prog="lakectl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="start, stop or check the embedded AWS emulator")
    emu.add_argument("action", choices=["start", "stop", "status"])
    emu.set_defaults(func=_emulator)
    # Area sub-commands: one register(sub) per module, one line each so branches merge cleanly.
    from analytics import cli as analytics_cli
    from lakectl import athena_local, demo, governance, ingest, jvm, policy_audit, review, runner
    from migration import cli as migration_cli

    governance.register(sub)
    athena_local.register(sub)
    policy_audit.register(sub)
    runner.register(sub)
    migration_cli.register(sub)
    ingest.register(sub)
    analytics_cli.register(sub)
    demo.register(sub)
    jvm.register(sub)
    review.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run lakectl; a failure prints one clear line (its stack trace goes to the log file) and exits non-zero."""
    args = build_parser().parse_args(argv)
    log_file = _log_to_file()
    try:
        return args.func(args)
    except Exception as exc:  # every failure: one line here, the stack trace in the log
        from energylake.failures import log_failure

        line = log_failure(logging.getLogger("lakectl"), f"lakectl {args.command}", exc)
        print(f"lakectl {args.command}: error: {line} (stack trace: {log_file})", file=sys.stderr)
        return 1


def _log_to_file() -> Path:
    """Send log records (warnings and errors, with stack traces) to .local/logs/lakectl.log (LAKE_LOG_FILE)."""
    default = Path(__file__).resolve().parents[1] / ".local" / "logs" / "lakectl.log"
    path = Path(os.environ.get("LAKE_LOG_FILE", default))
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)
    return path
