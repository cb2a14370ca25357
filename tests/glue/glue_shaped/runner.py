"""Main of the Glue-shaped subprocess (tests/glue/glue_shaped/harness.py): runs every job script as Glue would.

Runs with ``python -S -P`` and ``PYTHONPATH`` = the wheel zip, Glue's site directory and the awsglue stand-in;
imports nothing from the checkout. Writes one JSON report: what the library loaded and each job's outcome.
"""

from __future__ import annotations

import json
import runpy
import sys
import time
import traceback
from importlib import resources


def outcome(action) -> dict:
    """``{"ok": True, "value": ...}`` or the error's type, first line and traceback."""
    started = time.monotonic()
    try:
        result = {"ok": True, "value": action()}
    except BaseException as error:  # a job's SystemExit or KeyboardInterrupt is a failed run too
        result = {"ok": False, "error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
    # Reported for whoever tunes the harness; no test asserts on it.
    return {**result, "seconds": round(time.monotonic() - started, 1)}


def library_data() -> dict:
    """Every contract and reference file, loaded through the library as a job loads them."""
    from energylake.contracts import load_contracts

    reference = {
        f.name: len(f.read_text(encoding="utf-8").splitlines())
        for f in resources.files("energylake.reference").iterdir()
        if f.name.endswith(".csv")
    }
    return {"contracts": sorted(load_contracts()), "reference_lines": reference}


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    report: dict = {"sys_path": list(sys.path)}
    try:
        report["imports"] = outcome(lambda: {m: __import__(m).__file__ for m in ("energylake", "pyspark", "awsglue")})
        report["library_data"] = outcome(library_data)
        from pyspark.sql import SparkSession

        # Glue starts Spark before the script, with the --extra-jars on the classpath; the jobs' getOrCreate joins it.
        started = time.monotonic()
        spark = (
            SparkSession.builder.master("local[1]")
            .appName("glue-shaped")
            .config("spark.jars", spec["extra_jars"])
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .getOrCreate()
        )
        report["spark_start_seconds"] = round(time.monotonic() - started, 1)

        def jvm_and_sites() -> int:
            from energylake.curated import load_sites
            from energylake.jvm import _register

            _register(spark)
            return load_sites(spark).count()

        report["jar_and_sites"] = outcome(jvm_and_sites)
        report["jobs"] = {}
        for name, argv in spec["jobs"].items():
            sys.argv = list(argv)
            report["jobs"][name] = outcome(lambda argv=argv: runpy.run_path(argv[0], run_name="__main__") and None)
        spark.stop()
    finally:
        with open(spec["report"], "w", encoding="utf-8") as out:
            json.dump(report, out, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
