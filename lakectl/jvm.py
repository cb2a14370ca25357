"""The energylake JVM functions (glue/jvm): compiled into a jar for local Spark sessions and for Glue's --extra-jars.

The jar is built from the repository's Java sources with the JDK's compiler against PySpark's own jars, so it
matches the Spark it runs in (PySpark 3.5 = Glue 5.0); nothing is downloaded. It is rebuilt when a source is
newer than it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

from lakectl.spark import java_tool

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "glue" / "jvm"
JAR = REPO / "build" / "jvm" / "energylake-functions.jar"
# Glue 5.x runs Java 17: classes compiled for it load on any newer JVM as well.
JAVA_RELEASE = "17"


class JdkMissingError(RuntimeError):
    """No Java compiler was found to build the jar; the message says how to install one."""


def _javac() -> str:
    found = java_tool("javac")
    if not found:
        raise JdkMissingError(
            f"building {JAR.name} needs a Java 17 compiler (javac): install openjdk-17-jdk-headless (Debian/Ubuntu)"
        )
    return found


def _spark_jars() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def sources() -> list[Path]:
    """The Java sources of the jar."""
    return sorted(SOURCES.rglob("*.java"))


def build_jar(jar: Path = JAR) -> Path:
    """``jar`` built from the Java sources when it is missing or older than one of them; returns its path."""
    java_files = sources()
    if jar.exists() and all(src.stat().st_mtime <= jar.stat().st_mtime for src in java_files):
        return jar
    jar.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="energylake-jvm-") as tmp:
        classes = Path(tmp) / "classes"
        command = [_javac(), "--release", JAVA_RELEASE, "-Xlint:all,-path", "-Werror"]
        command += ["-cp", str(_spark_jars() / "*"), "-d", str(classes), *map(str, java_files)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"javac failed building {jar.name}:\n{done.stderr}")
        # A jar is a zip of the class files; written next to the target and renamed, so no reader (nor a test
        # worker building it at the same time) sees half a jar.
        partial = jar.with_name(f".{jar.name}.{os.getpid()}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nCreated-By: energylake lakectl.jvm\n\n")
            for path in sorted(classes.rglob("*.class")):
                archive.write(path, path.relative_to(classes).as_posix())
        partial.replace(jar)
    return jar


def _build(args: argparse.Namespace) -> int:
    print(build_jar(args.jar))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """The build-jar sub-command."""
    cmd = sub.add_parser("build-jar", help="build the energylake JVM functions jar (glue/jvm) when it is out of date")
    cmd.add_argument("--jar", type=Path, default=JAR, help=f"where to write it (default: {JAR.relative_to(REPO)})")
    cmd.set_defaults(func=_build)
