"""Hypothesis strategies for ``dms_model`` scenarios: every interleaving DMS allows of source commits with the full
load's read and file writes, file sizes, CDC name widths, and job runs cutting the files DMS wrote, in order."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from tests.migration.dms_model import Op, Scenario

KEYS = range(1, 16)


@st.composite
def scenarios(draw: st.DrawFn, before_image: bool = True) -> Scenario:
    """A scenario whose transactions are valid against the table (keys exist, new keys are free)."""
    present = set(range(1, draw(st.integers(0, 10)) + 1))
    initial = sorted(present)
    sizes = [len(present)]  # table size after each transaction (index 0 = before any)
    transactions: list[list[Op]] = []
    kinds = ["insert", "update", "delete", "rekey"] if before_image else ["insert", "update", "delete"]
    for _ in range(draw(st.integers(0, 6))):
        ops = []
        for _ in range(draw(st.integers(1, 3))):
            free = [k for k in KEYS if k not in present]
            possible = [k for k in kinds if (k in ("insert", "rekey") and free and (k == "insert" or present))]
            possible += [k for k in kinds if k in ("update", "delete") and present]
            kind = draw(st.sampled_from(possible))
            if kind == "insert":
                key = draw(st.sampled_from(free))
                present.add(key)
                ops.append(Op("insert", key))
            elif kind == "rekey":
                key, new_key = draw(st.sampled_from(sorted(present))), draw(st.sampled_from(free))
                present.discard(key)
                present.add(new_key)
                ops.append(Op("rekey", key, new_key))
            else:
                key = draw(st.sampled_from(sorted(present)))
                if kind == "delete":
                    present.discard(key)
                ops.append(Op(kind, key))
        transactions.append(ops)
        sizes.append(len(present))
    snapshot_after = draw(st.integers(0, len(transactions)))
    rows_per_load_file = draw(st.integers(1, 3))
    load_files = max(1, math.ceil(sizes[snapshot_after] / rows_per_load_file))
    written = st.integers(snapshot_after, len(transactions))
    written_after = sorted(draw(st.lists(written, min_size=load_files, max_size=load_files)))
    return Scenario(
        initial_keys=initial,
        transactions=transactions,
        snapshot_after=snapshot_after,
        written_after=written_after,
        rows_per_load_file=rows_per_load_file,
        transactions_per_cdc_file=draw(st.integers(1, 3)),
        cdc_fraction_digits=draw(st.sampled_from([3, 4, 9])),
        before_image=before_image,
    )


def job_runs(file_count: int) -> st.SearchStrategy[list[int]]:
    """Where consecutive job runs end in DMS's write order (each run picks up the files written since the last)."""
    return st.lists(st.integers(1, max(1, file_count - 1)), max_size=3)
