"""The benchmark measures the job's process tree without the S3 emulator, and the emulator apart."""

from __future__ import annotations

import boto3

from bench.measure import CpuTime, PeakRss, _tree, process_cpu, tree_rss
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
