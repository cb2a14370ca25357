"""Job bookmarks under ``--state_path``: the input objects and source table versions a job has consumed.

A run records what it reads as pending; only a successful run saves it, so a failed run's inputs are read again.
The bookmark also keeps each table's measured bytes per row, which sizes the next run's files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from energylake.storage import ObjectInfo, Storage, join_uri


@dataclass
class Bookmarks:
    """One job's bookmark (``<state_path>/bookmarks/<job>.json``) and what this run has consumed so far."""

    storage: Storage
    state_path: str
    job_name: str
    state: dict[str, Any] = field(default_factory=dict)
    pending_inputs: list[ObjectInfo] = field(default_factory=list)
    pending_sources: dict[str, dict[str, str]] = field(default_factory=dict)
    file_stats: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        """Where the bookmark is stored."""
        return join_uri(self.state_path, "bookmarks", f"{self.job_name}.json")

    def load(self) -> None:
        """Read this job's bookmark (processed input objects and source versions)."""
        self.state = self.storage.get_json(self.uri) or {"processed": {}, "sources": {}}

    def save(self, run_id: str) -> None:
        """Record the inputs and source versions consumed by this (successful) run."""
        processed = self.state.setdefault("processed", {})
        for obj in self.pending_inputs:
            processed[obj.uri] = obj.etag
        self.state.setdefault("sources", {}).update(self.pending_sources)
        self.state.setdefault("file_stats", {}).update(self.file_stats)
        self.state["last_run_id"] = run_id
        self.storage.put_json(self.uri, self.state)

    def fresh(self, objects: Sequence[ObjectInfo]) -> list[ObjectInfo]:
        """The objects not yet processed (new key or changed ETag), recorded as this run's inputs."""
        processed = self.state.get("processed", {})
        fresh = [o for o in objects if processed.get(o.uri) != o.etag]
        self.pending_inputs.extend(fresh)
        return fresh

    def source_changes(self, key: str, current: dict[str, str]) -> list[tuple[str, ...]]:
        """Partitions (``|``-joined values -> location) of source ``key`` whose version changed since the last
        run, recorded as this run's; [] when nothing changed, [()] for a changed unpartitioned table ("")."""
        seen = self.state.get("sources", {}).get(key, {})
        self.pending_sources[key] = current
        changed = [k for k, loc in current.items() if seen.get(k) != loc]
        removed = [k for k in seen if k not in current]
        return [tuple(k.split("|")) if k else () for k in sorted({*changed, *removed})]

    def measured(self, table: str) -> dict[str, int] | None:
        """Bytes and rows of ``table``'s write in the last successful run (None when never measured)."""
        return self.state.get("file_stats", {}).get(table)

    def record_file_stats(self, table: str, written_bytes: int, rows: int) -> None:
        """Measured bytes per row for the next run's file sizing (kept with the bookmark)."""
        self.file_stats[table] = {"bytes": written_bytes, "rows": rows}
