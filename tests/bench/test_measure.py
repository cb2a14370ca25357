"""The benchmark measures the job's process tree without the S3 emulator, and the emulator apart."""

from __future__ import annotations

import threading
import time

import boto3

from bench.lake import StagingClock
from bench.measure import CpuTime, PeakRss, _tree, process_cpu, tree_rss
from energylake.storage import Storage
from lakectl.emulator import ProcessEmulator


def test_process_emulator_is_measured_apart_from_the_tree() -> None:
    emulator = ProcessEmulator().start()
    try:
        pid = emulator.pid
        assert pid is not None and pid in {p.pid for p in _tree()}
        assert pid not in {p.pid for p in _tree(exclude=[pid])}
        assert tree_rss(exclude=[pid]) < tree_rss()
        s3 = boto3.client(
            "s3", endpoint_url=emulator.endpoint_url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        before = process_cpu(pid)
        with PeakRss(exclude=[pid]) as rss, CpuTime(exclude=[pid]) as cpu:
            s3.create_bucket(Bucket="measured")
            for i in range(200):
                s3.put_object(Bucket="measured", Key=f"k{i}", Body=b"x" * 10_000)
        # The server's work shows in its own counter; the tree's figures are this process's own.
        assert process_cpu(pid) > before
        assert cpu.seconds >= 0 and 0 < rss.peak < tree_rss()
        emulator.reset()
        assert s3.list_buckets()["Buckets"] == []
    finally:
        emulator.stop()
    assert emulator.pid is None and process_cpu(pid) == 0.0


def test_staging_clock_counts_overlapping_transfers_once(tmp_path) -> None:
    class SlowS3:
        """A client whose upload takes 0.2 s and which records how many ran at once."""

        running = most = 0
        lock = threading.Lock()

        def upload_file(self, *_: object) -> None:
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            time.sleep(0.2)
            with self.lock:
                self.running -= 1

    client = SlowS3()
    files = [(tmp_path / f"f{i}", f"s3://b/f{i}") for i in range(4)]
    start = time.perf_counter()
    with StagingClock().active() as clock:
        Storage(client).upload_all(files)
        Storage(client).upload_file(*files[0])
    wall = time.perf_counter() - start
    # Transfers overlapped, and the clock counted the time they ran, not the sum of their durations.
    assert client.most > 1
    assert 0.4 <= clock.seconds <= wall
