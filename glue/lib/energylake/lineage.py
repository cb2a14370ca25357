"""A row's source file carried as a small number through a job's caches and shuffles, named again where written.

Every telemetry reading carries the URI of the Firehose object it came from (about 110 bytes; several times the
rest of the row). Carried as text, those bytes are copied into the cached rows, shuffled, sorted and copied again
for each of millions of readings. A job that knows its input objects numbers them instead, in URI order (so
ordering by the number is ordering by the URI, the de-duplication tie-breaker), and names the file again just
before the rows leave Spark: in the written table, in quarantine rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

SOURCE_FILE = "source_file"
FILE_NO = "_file_no"


@dataclass(frozen=True)
class SourceFiles:
    """A job's input files in URI order: ``_file_no`` i stands for ``uris[i]``."""

    uris: tuple[str, ...]

    @classmethod
    def of(cls, uris: Iterable[str]) -> SourceFiles:
        """The numbering of these URIs (sorted, each once)."""
        # Python sorts strings by code point, which is the order of their UTF-8 bytes: Spark's string order.
        return cls(tuple(sorted(set(uris))))

    def _uri_array(self) -> Column:
        # One literal parsed into the array (Spark folds it when planning), not one literal per URI: each is a
        # call from Python to the JVM, and a run of hundreds of objects spent about a second building them.
        # An array literal is a reference in Spark's generated code, so the code does not grow with the count.
        return F.from_json(F.lit(json.dumps(self.uris)), "array<string>")

    def number(self, uri: Column) -> Column:
        """The number of a URI of this list; a URI outside the list fails the job rather than losing its lineage."""
        position = F.call_function("array_position", self._uri_array(), uri)  # 1-based, 0 when absent
        missing = F.raise_error(F.concat(F.lit("source file not among the job's inputs: "), uri))
        return F.when(position > 0, (position - 1).cast("int")).otherwise(missing)

    def uri(self, number: Column) -> Column:
        """The URI a number stands for."""
        return F.element_at(self._uri_array(), number + 1)

    def restore(self, frame: DataFrame) -> DataFrame:
        """``frame`` with ``source_file`` named again in place of ``_file_no`` (unchanged when it has no number)."""
        if FILE_NO not in frame.columns:
            return frame
        return frame.select(
            *[self.uri(F.col(FILE_NO)).alias(SOURCE_FILE) if c == FILE_NO else F.col(c) for c in frame.columns]
        )


def lineage_column(frame: DataFrame) -> str:
    """The column naming each row's source file: ``_file_no`` when the job numbered its inputs, else ``source_file``."""
    return FILE_NO if FILE_NO in frame.columns else SOURCE_FILE
