"""Local Spark session matching the Glue 5.0 runtime (Spark 3.5, Java 17), tuned for laptops and CI."""

from __future__ import annotations

import os
import shutil
import subprocess

from pyspark.sql import SparkSession


class JavaMissingError(RuntimeError):
    """No Java 17 runtime was found; the message says how to install one."""


def java_tool(name: str) -> str | None:
    """Path of a JDK tool (java, javac): $JAVA_HOME/bin first, then PATH; None when neither has it."""
    java_home_bin = os.path.join(os.environ["JAVA_HOME"], "bin") if "JAVA_HOME" in os.environ else None
    return (java_home_bin and shutil.which(name, path=java_home_bin)) or shutil.which(name)


def check_java() -> str:
    """Return the Java version line, or raise JavaMissingError with an install hint."""
    java = java_tool("java")
    if not java:
        raise JavaMissingError("Java 17 is required for Spark: install openjdk-17-jdk-headless (Debian/Ubuntu)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    return out.splitlines()[0] if out else "unknown java"


# The local session's heap: small enough for a laptop; `make bench` sets LAKE_SPARK_DRIVER_MEMORY higher.
DEFAULT_DRIVER_MEMORY = "2g"

# JVM options of the local session (driver and executor share one JVM): the lake's clock is UTC. Nothing else:
# the JIT keeps HotSpot's defaults, as on Glue, so local and benchmark runs measure the JVM Glue runs.
JAVA_OPTIONS = "-Duser.timezone=UTC"


def local_spark(app_name: str = "energylake-local", shuffle_partitions: int = 4) -> SparkSession:
    """A local SparkSession with Glue-like settings (UTC, dynamic partition overwrite, snappy Parquet)."""
    check_java()
    from lakectl.jvm import build_jar

    functions_jar = build_jar()  # the energylake JVM functions (glue/jvm), as Glue gets them with --extra-jars
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON", "python3"))
    return (
        SparkSession.builder.master(os.environ.get("LAKE_SPARK_MASTER", "local[2]"))
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.parquet.compression.codec", "snappy")
        .config("spark.sql.adaptive.enabled", "true")
        # Listing a job's input objects on one driver thread: above this many paths Spark otherwise launches a
        # distributed listing job per read (dozens of tasks, seconds of overhead on a small local executor).
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "10000")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("LAKE_SPARK_DRIVER_MEMORY", DEFAULT_DRIVER_MEMORY))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.jars", str(functions_jar))
        .config("spark.driver.extraJavaOptions", JAVA_OPTIONS)
        .config("spark.executor.extraJavaOptions", JAVA_OPTIONS)
        .getOrCreate()
    )
