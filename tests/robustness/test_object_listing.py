"""Issue 33, class 3: object listing and reading are total.

Every listed object is read (by its exact name, never through Hadoop's glob or URI parsing, hidden names
included), quarantined as ``unreadable_object:<why>``, or counted (folder markers, zero bytes); compression
is recognised by content. Reruns read nothing again; good objects beside bad ones always load.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import zipfile

import pytest

from energylake import objects
from lakectl import runner

from .balance_lib import assert_balanced_by_table, put_objects, run
from .corpus_lib import read_table

PREFIX = "telemetry/windfarm/2024/07/15/12/"
# Names Hadoop would read as hidden, glob or URI syntax, or URL-encode in file_path.
AWKWARD_NAMES = [
    "_hidden.json",
    ".dot.json",
    "_sub/nested.json",
    ".sub/nested.json",
    "a[1].json",
    "b{x,y}.json",
    "c:d.json",
    "e f.json",
    "g*?.json",
    "h%41.json",
    "i\\j.json",
    "unicodé.json",
    "k=v/plain.json",
    "plain.json",
]


def _record(n: int) -> bytes:
    device = f"WF-ROSCOE-T{n + 1:02d}"
    line = {"id": device, "data": 0.95, "type": "powerFactor", "date": f"2024-07-15T12:{n:02d}:00Z"}
    return (json.dumps(line) + "\n").encode()


def _zip(body: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("x.json", body)
    return buf.getvalue()


def test_every_listed_object_is_read_quarantined_or_counted(aws, spark, s3):
    runner.ensure_buckets()
    readable: dict[str, bytes] = {PREFIX + name: _record(i) for i, name in enumerate(AWKWARD_NAMES)}
    n = len(readable)
    readable[PREFIX + "gzip-without-extension.json"] = gzip.compress(_record(n))
    readable[PREFIX + "gzip.json.gz"] = gzip.compress(_record(n + 1))
    readable[PREFIX + "plain-named.json.gz"] = _record(n + 2)
    readable[PREFIX + "bzip2-without-extension.json"] = bz2.compress(_record(n + 3))
    unreadable = {PREFIX + "zipped.json": _zip(_record(n + 4))}
    not_read = {PREFIX + "folder/": b"", PREFIX + "empty.json": b""}
    uris = put_objects(s3, "energylake-local-raw", {**readable, **unreadable, **not_read})

    done = run(s3, "telemetry_to_transform", uris)

    written = read_table(s3, "energy_transform", "telemetry_readings")
    assert sorted(written.source_file) == sorted(uris[key] for key in readable)
    assert {uris[key] for key in unreadable} == set(done.quarantine.source_file)
    assert all(r.startswith("unreadable_object:compressed:zip") for r in done.quarantine.reason)
    assert done.metrics.details["objects_not_read"] == {"folder_marker": 1, "empty": 1}
    assert done.metrics.input_objects == len(uris)
    assert_balanced_by_table(done)

    again = run(s3, "telemetry_to_transform", uris)  # the bookmark holds every object: nothing is read twice
    assert (again.metrics.input_objects, again.metrics.rows_read) == (0, 0)
    assert len(again.quarantine) == len(done.quarantine)


def test_a_run_whose_only_new_object_is_unreadable_quarantines_it(aws, spark, s3):
    runner.ensure_buckets()
    uris = put_objects(s3, "energylake-local-raw", {PREFIX + "only.json": b"\xfd7zXZ\x00 xz payload"})
    done = run(s3, "telemetry_to_transform", uris)
    assert list(done.quarantine.reason) == ["unreadable_object:compressed:xz (no codec to read it)"]
    assert_balanced_by_table(done)


@pytest.mark.parametrize(
    ("key", "size", "head", "action"),
    [
        ("p/x.json", 10, b"{", objects.READ),
        ("p/", 0, b"", objects.SKIP),
        ("p/x.json", 0, b"", objects.SKIP),
        ("p/_x.json", 10, b"{", objects.RELOCATE),
        ("p/.x.json", 10, b"{", objects.RELOCATE),
        ("p/x[1].json", 10, b"{", objects.RELOCATE),
        ("p/x.json", 10, b"\x1f\x8b\x08", objects.RELOCATE),
        ("p/x.json.gz", 10, b"\x1f\x8b\x08", objects.READ),
        ("p/x.json.gz", 10, b"{", objects.RELOCATE),
        ("p/x.json", 10, b"PK\x03\x04", objects.QUARANTINE),
        ("p/x.txt", 10, b"{", objects.QUARANTINE),
    ],
)
def test_triage_decides_by_name_and_content(key, size, head, action):
    assert objects.triage(key, size, head, [".json"]).action == action


def test_on_glue_a_relocated_object_is_copied_to_a_safe_name_and_named_again(aws, s3):
    # Glue reads s3:// directly (no staging): the copy is what Spark reads, the map names the original.
    from energylake.reading import InputObjects
    from energylake.storage import Storage

    runner.ensure_buckets()
    awkward = PREFIX + "_a[1]:b.json"
    uris = put_objects(s3, "energylake-local-raw", {awkward: _record(0), PREFIX + "plain.json": _record(1)})
    storage = Storage()
    inputs = InputObjects()
    listed = storage.list("s3://energylake-local-raw/" + PREFIX)
    admitted = inputs.admit(listed, storage, [".json"], {})
    paths, path_map = inputs.direct_paths(admitted, storage, "s3://energylake-local-artifacts/state/relocated/r1")

    copy = "s3://energylake-local-artifacts/state/relocated/r1/object-000000.txt"
    assert sorted(paths) == sorted([copy, uris[PREFIX + "plain.json"]])
    assert path_map.moved == {copy: uris[awkward]}
    assert s3.get_object(Bucket="energylake-local-artifacts", Key=copy.split("/", 3)[3])["Body"].read() == _record(0)
    inputs.cleanup(storage)
    assert "Contents" not in s3.list_objects_v2(Bucket="energylake-local-artifacts", Prefix="state/relocated/")
