"""Issue 33, class 8: random object names and random line damage never lose a row or stop a prefix.

For any set of objects (names with glob, URI, hidden and encoded characters; empty, folder-marker and
unreadable objects beside them) whose lines are randomly damaged: every good line loads, every damaged line
is one quarantine row with its text, the balance holds against the quarantine table itself, and a rerun
changes nothing.
"""

from __future__ import annotations

import json

import boto3
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lakectl import runner

from .balance_lib import assert_balanced_by_table, forget_bookmark, put_objects, run
from .corpus_lib import table_checksum

PREFIX = "telemetry/windfarm/2024/07/15/13/"
NAME_CHARS = st.sampled_from(list("abcXYZ019_.-[]{}:*?% =+é\\/"))
NAMES = st.text(NAME_CHARS, min_size=1, max_size=10).filter(lambda n: "//" not in n and not n.startswith("/"))
DAMAGE = st.sampled_from(["good", "good", "trailing", "truncated", "latin1", "null_time", "twice", "blank"])


def _good(serial: int, timed: bool = True) -> str:
    minute, second = divmod(serial, 60)
    record = {"id": f"WF-ROSCOE-T{serial % 50 + 1:02d}", "data": 0.95, "type": "powerFactor"}
    return json.dumps({**record, "date": f"2024-07-15T13:{minute:02d}:{second:02d}Z" if timed else None})


def _object(damages: list[str], first_serial: int) -> tuple[bytes, int, int]:
    """(body, good lines, damaged lines) of one object."""
    lines: list[bytes] = []
    good = bad = 0
    for i, damage in enumerate(damages):
        line = _good(first_serial + i)
        if damage == "good":
            lines.append(line.encode())
            good += 1
        elif damage == "trailing":
            lines.append((line + line).encode())
            bad += 1
        elif damage == "truncated":
            lines.append(line[: len(line) // 2].encode())
            bad += 1
        elif damage == "latin1":
            lines.append(line.replace("powerFactor", "powerFactör").encode("latin-1"))
            bad += 1
        elif damage == "null_time":
            lines.append(_good(first_serial + i, timed=False).encode())
            bad += 1
        elif damage == "twice":
            broken = line.replace('"data": 0.95', '"data": "n/a"').encode()
            lines += [broken, broken]  # identical bad records: two quarantine rows
            bad += 2
        else:
            lines.append(b"   ")
    return b"\n".join(lines) + b"\n", good, bad


OBJECTS = st.dictionaries(NAMES, st.lists(DAMAGE, min_size=1, max_size=6), min_size=1, max_size=5)


@given(OBJECTS, st.booleans())
@example(
    {
        "_[a]{b}:c* ?%41é\\/.x": ["good", "trailing", "twice", "latin1", "null_time", "truncated", "blank"],
        ".hidden": ["good", "twice"],
        "k=v/plain": ["good"],
    },
    True,
)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_random_names_and_line_damage_lose_nothing_and_reruns_change_nothing(aws_emulator, spark, objects, extras):
    aws_emulator.reset()  # one fresh lake per example
    runner.ensure_buckets()
    s3 = boto3.client("s3")
    bodies, good, bad, serial = {}, 0, 0, 0
    for name, damages in objects.items():
        body, n_good, n_bad = _object(damages, serial)
        serial += len(damages)
        bodies[PREFIX + name + ".json"] = body
        good, bad = good + n_good, bad + n_bad
    if extras:
        # '~' is outside NAME_CHARS: these never collide with a generated name.
        bodies |= {PREFIX + "~zero.json": b"", PREFIX + "~marker/": b"", PREFIX + "~packed.json": b"PK\x03\x04zip"}
        bad += 1
    uris = put_objects(s3, "energylake-local-raw", bodies)

    first = run(s3, "telemetry_to_transform", uris)

    assert first.metrics.rows_written == good
    assert len(first.quarantine) == bad
    assert first.quarantine.raw_record.notna().all()
    assert_balanced_by_table(first)
    written = table_checksum(s3, "energy_transform", "telemetry_readings")

    again = run(s3, "telemetry_to_transform", uris)  # the bookmark: nothing is read twice
    assert (again.metrics.input_objects, again.metrics.rows_read) == (0, 0)
    forget_bookmark("telemetry_to_transform")
    rerun = run(s3, "telemetry_to_transform", uris)  # everything read again: the same rows, no new quarantine
    assert len(rerun.quarantine) == bad
    assert rerun.metrics.rows_written == good
    assert table_checksum(s3, "energy_transform", "telemetry_readings") == written
