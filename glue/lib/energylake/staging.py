"""Where a job's Spark reads and writes: s3:// directly (on Glue) or a local staging directory (locally).

Locally, inputs and tables are downloaded through boto3 into the staging directory (no hadoop-aws jars needed),
Spark runs on local files and outputs are uploaded back; lineage still names the s3:// URIs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyspark.sql import DataFrameWriter

from energylake.objects import PathMap
from energylake.reading import InputObjects
from energylake.storage import ObjectInfo, Storage, join_uri, parse_s3_uri


@dataclass
class Staging:
    """S3 I/O of one job run; ``directory`` is None when Spark reads and writes s3:// itself."""

    storage: Storage = field(default_factory=Storage)
    directory: Path | None = None

    @classmethod
    def create(cls, storage: Storage, job_name: str, staged: bool) -> Staging:
        """A fresh staging directory under LAKE_STAGING_DIR (or the temp dir) when ``staged``."""
        directory = (
            Path(tempfile.mkdtemp(prefix=f"lake-{job_name}-", dir=os.environ.get("LAKE_STAGING_DIR")))
            if staged
            else None
        )
        return cls(storage, directory)

    @property
    def staged(self) -> bool:
        """True when Spark works on local copies."""
        return self.directory is not None

    def input_paths(
        self, objects: Sequence[ObjectInfo], triage: InputObjects | None = None, scratch_uri: str = ""
    ) -> tuple[list[str], tuple[str, str] | PathMap | None]:
        """Paths Spark reads the objects from, and the (local prefix, s3:// prefix) that names them again.

        With the run's ``triage`` (energylake.reading), objects Hadoop would misread are read from copies under
        safe names (staged locally, or under ``scratch_uri`` on S3) and a PathMap names them again.
        """
        if triage is not None:
            if self.directory is None:
                return triage.direct_paths(objects, self.storage, scratch_uri)
            return triage.staged_paths(objects, self.storage, self.directory)
        if self.directory is None:
            return [o.uri for o in objects], None
        base = self.directory / "in"
        targets = [(obj, base.joinpath(*parse_s3_uri(obj.uri))) for obj in objects]
        return [str(path) for path in self.storage.download_all(targets)], (str(base) + "/", "s3://")

    def table_path(self, uri: str) -> str:
        """Path Spark reads a table directory from (downloaded once per run when staged)."""
        if self.directory is None:
            return uri
        bucket, key = parse_s3_uri(uri)
        target = self.directory / "tables" / bucket / key
        if not target.exists():
            objects = self.storage.list(uri.rstrip("/") + "/")
            self.storage.download_all(
                [(obj, self.directory / "tables" / bucket / parse_s3_uri(obj.uri)[1]) for obj in objects]
            )
            target.mkdir(parents=True, exist_ok=True)
        return str(target)

    def write_parquet(self, writer: DataFrameWriter, root: str, version: str, label: str) -> None:
        """Run a partitioned Parquet ``writer`` into ``root``: only the files of ``v=<version>`` reach S3."""
        if self.directory is None:
            writer.parquet(root)
            return
        local = self.directory / "out" / label
        writer.parquet(str(local))
        relative = [path.relative_to(local).as_posix() for path in sorted(local.rglob("*.parquet"))]
        self.storage.upload_all([(local / rel, join_uri(root, rel)) for rel in relative if f"v={version}/" in rel])

    def remove(self) -> None:
        """Delete the staging directory (end of the run)."""
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
