"""Build the Managed Flink application zip: main.py, the analytics.streaming package, its SQL and rules.

``python -m analytics.streaming.package build/flink/telemetry-analytics.zip --connector-jar <jar>``. The Kinesis
SQL connector (flink-sql-connector-aws-kinesis-streams 5.x for Flink 1.20) comes from Maven Central and is
not on PyPI, so it is passed in; without it the zip is only good for inspection and the build says so.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

import yaml

from analytics.streaming.config import PACKAGE_DIR
from lakeingest.packaging import function_sources

# The alerts consumer writes to InfluxDB with the telemetry writer's own code (line protocol, client): the zip
# carries that function's packages as functions.json lists them (standard library only, no dependencies).
INFLUX_WRITER_FUNCTION = "telemetry_influx_writer"
MAIN = "from analytics.streaming.app import main\n\nif __name__ == '__main__':\n    main()\n"
CONNECTOR_PREFIX = "flink-sql-connector-aws-kinesis-streams"


def build_zip(target: str | Path, connector_jars: list[Path]) -> Path:
    """Write the application zip (deterministic order and timestamps) and return its path."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {"main.py": MAIN.encode(), "analytics/__init__.py": b""}
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".sql", ".yaml", ".json"} and "__pycache__" not in path.parts:
            files[f"analytics/streaming/{path.relative_to(PACKAGE_DIR).as_posix()}"] = path.read_bytes()
    # PyYAML is pure Python; vendored because the Managed Flink Python runtime does not ship it.
    yaml_dir = Path(yaml.__file__).parent
    for path in sorted(yaml_dir.glob("*.py")):
        files[f"yaml/{path.name}"] = path.read_bytes()
    for jar in connector_jars:
        files[f"lib/{jar.name}"] = jar.read_bytes()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    return target


def build_consumers_zip(target: str | Path) -> Path:
    """The Lambda zip for the Kinesis consumers (handlers analytics.streaming.consumers.*; boto3 is in the runtime).

    Besides the consumers it holds the lakeingest packages of the InfluxDB telemetry writer, which the alerts
    consumer imports (deterministic order and timestamps).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {
        "analytics/__init__.py": b"",
        "analytics/streaming/__init__.py": (PACKAGE_DIR / "__init__.py").read_bytes(),
        "analytics/streaming/consumers.py": (PACKAGE_DIR / "consumers.py").read_bytes(),
    }
    for path, name in function_sources(INFLUX_WRITER_FUNCTION):
        files[name] = path.read_bytes()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), files[name], zipfile.ZIP_DEFLATED)
    return target


def main(argv: list[str] | None = None) -> int:
    """CLI: build the zip; refuse to pretend it is deployable when the connector JAR is missing."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target")
    parser.add_argument("--connector-jar", action="append", default=[], type=Path)
    parser.add_argument("--allow-missing-connector", action="store_true")
    parser.add_argument("--consumers-zip", type=Path, help="also write the Lambda consumers zip here")
    args = parser.parse_args(argv)
    missing = [str(j) for j in args.connector_jar if not j.is_file()]
    if missing:
        parser.error(f"connector JAR not found: {missing}")
    if not any(j.name.startswith(CONNECTOR_PREFIX) for j in args.connector_jar) and not args.allow_missing_connector:
        parser.error(
            f"no {CONNECTOR_PREFIX}-5.x-1.20.jar given (Maven Central: org.apache.flink:{CONNECTOR_PREFIX}); "
            "pass --allow-missing-connector to build an inspection-only zip"
        )
    path = build_zip(args.target, args.connector_jar)
    note = "" if args.connector_jar else " (WITHOUT the Kinesis connector: not deployable)"
    print(f"wrote {path}{note}")
    if args.consumers_zip:
        print(f"wrote {build_consumers_zip(args.consumers_zip)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
