"""Measurement helpers: peak RSS of a process tree, output file statistics, medians, machine description."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import threading
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path
from typing import Any

import psutil

MIB = 1024 * 1024
SMALL_FILE = 32 * MIB
BIG_PARTITION = 128 * MIB


def _tree(pid: int | None = None, exclude: Collection[int] = ()) -> list[psutil.Process]:
    """A process and its live descendants (the Spark JVM and Python workers included) but ``exclude``; [] once gone."""
    try:
        root = psutil.Process(pid or os.getpid())
        return [p for p in [root, *root.children(recursive=True)] if p.pid not in exclude]
    except psutil.NoSuchProcess:
        return []


def tree_rss(pid: int | None = None, exclude: Collection[int] = ()) -> int:
    """Resident bytes of a process and its descendants (the Spark JVM and Python workers included) but ``exclude``."""
    total = 0
    for proc in _tree(pid, exclude):
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def tree_cpu(pid: int | None = None, exclude: Collection[int] = ()) -> float:
    """CPU seconds (user + system) used so far by a process tree but ``exclude``, reaped descendants included."""
    total = 0.0
    for proc in _tree(pid, exclude):
        try:
            t = proc.cpu_times()
            # children_* keep the CPU of reaped children (Spark's short-lived Python workers): without them
            # the tree's total drops when a worker exits and a measured interval can come out negative.
            total += t.user + t.system + t.children_user + t.children_system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def process_cpu(pid: int | None) -> float:
    """CPU seconds used so far by one process (0 when there is none)."""
    if pid is None:
        return 0.0
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return t.user + t.system


class CpuTime:
    """CPU seconds of the process tree (but ``exclude``) spent inside the block (robust to other load)."""

    def __init__(self, pid: int | None = None, exclude: Collection[int] = ()) -> None:
        self.pid = pid
        self.exclude = exclude
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> CpuTime:
        self._start = tree_cpu(self.pid, self.exclude)
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = tree_cpu(self.pid, self.exclude) - self._start


class PeakRss:
    """Samples tree_rss() on a thread every `interval` seconds; `peak` is the maximum seen while running."""

    def __init__(self, pid: int | None = None, interval: float = 0.1, exclude: Collection[int] = ()) -> None:
        self.pid = pid
        self.exclude = exclude
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid, self.exclude))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self.peak = tree_rss(self.pid, self.exclude)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.pid, self.exclude))


def output_stats(root: Path | str, suffix: str = ".parquet") -> dict[str, Any]:
    """File count, bytes, size spread and the small-file check of a partitioned Parquet tree."""
    root = Path(root)
    files = [p for p in root.rglob(f"*{suffix}") if p.is_file()] if root.exists() else []
    sizes = sorted(p.stat().st_size for p in files)
    by_partition: dict[str, list[int]] = defaultdict(list)
    for p in files:
        by_partition[p.parent.relative_to(root).as_posix()].append(p.stat().st_size)
    big = {k: v for k, v in by_partition.items() if sum(v) >= BIG_PARTITION}
    small_in_big = sum(1 for v in big.values() for s in v if s < SMALL_FILE)
    return {
        "files": len(files),
        "bytes": sum(sizes),
        "partitions": len(by_partition),
        "min_file_bytes": sizes[0] if sizes else 0,
        "median_file_bytes": int(statistics.median(sizes)) if sizes else 0,
        "max_file_bytes": sizes[-1] if sizes else 0,
        "max_partition_bytes": max((sum(v) for v in by_partition.values()), default=0),
        "partitions_ge_128mib": len(big),
        "small_files_in_big_partitions": small_in_big,
    }


def input_bytes(files: list[str]) -> int:
    """Total size of the input files."""
    return sum(os.path.getsize(f) for f in files)


def fixed_and_per_unit(small: tuple[float, float], large: tuple[float, float]) -> tuple[float, float]:
    """The line through two (size, cost) measurements: the cost at size 0 (fixed) and the cost per unit of size."""
    (x0, y0), (x1, y1) = small, large
    per_unit = (y1 - y0) / (x1 - x0)
    return y0 - per_unit * x0, per_unit


def median(values: list[float]) -> float:
    """Median (the benchmark's summary statistic over repeated runs)."""
    return float(statistics.median(values)) if values else float("nan")


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM and the versions that matter to the numbers."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr.splitlines()
    versions: dict[str, str] = {"python": platform.python_version(), "java": java[0] if java else "none"}
    for mod in ("pyspark", "duckdb", "pyarrow", "psutil"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = "not installed"
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "os": f"{platform.system()} {platform.release()}",
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }
