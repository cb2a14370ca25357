"""Backfill a date range of ERCOT reports: ``python -m lakeingest.ercot.backfill --start YYYY-MM-DD --end YYYY-MM-DD``.

With ``--function-name`` the deployed ercot_ingest Lambda is invoked with the backfill event (synchronously,
its per-report outcomes printed); without it the handler runs here, configured by the same environment
variables the Lambda reads (LANDING_BUCKET, ERCOT_API_SECRET_ID, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from lakeingest.ercot import api


def main(argv: list[str] | None = None) -> int:
    """Run or invoke one backfill; exit 1 when any report failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", required=True, type=date.fromisoformat, help="first delivery day, YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=date.fromisoformat, help="last delivery day, YYYY-MM-DD")
    parser.add_argument("--function-name", help="invoke this deployed Lambda instead of running the handler here")
    args = parser.parse_args(argv)
    api.days(args.start, args.end)  # a reversed range fails here, before anything is called
    event = {"start_date": args.start.isoformat(), "end_date": args.end.isoformat()}
    if args.function_name:
        import boto3

        answer = boto3.client("lambda").invoke(FunctionName=args.function_name, Payload=json.dumps(event).encode())
        result = json.loads(answer["Payload"].read() or b"null")
        failed = "FunctionError" in answer
    else:
        from lakeingest.ercot.handler import handler

        result = handler(event)
        failed = False
    print(json.dumps(result, indent=2, default=str))
    reports = (result or {}).get("reports", {}) if isinstance(result, dict) else {}
    return 1 if failed or any(r.get("status") != "ok" for r in reports.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
