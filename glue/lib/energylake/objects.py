"""Listed input objects judged before Spark reads them: read as they are, read from a safe name, or not read.

Spark hands a path to Hadoop, which treats ``[ ] { } * ? \\`` as glob syntax, ``:`` as URI syntax, and names
starting with ``_`` or ``.`` as hidden (an explicitly named hidden file reads as zero rows, silently); it
picks a decompressor by the name's extension, never by the content. So every object is triaged here:

- a folder marker (key ending ``/``) or a zero-byte object has no record: it is counted, not read;
- an object whose key Hadoop would misread, or whose content is compressed otherwise than its extension says,
  is read from a copy under a generated safe name (with the extension of its real codec) and its rows keep
  the original URI;
- an object Spark cannot decode (a codec Hadoop lacks: zip, xz, zstd, ...) is quarantined as
  ``unreadable_object:<why>``, one row;
- everything else is read by its own path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

HEAD_BYTES = 8  # enough for every magic number below

# Magic numbers of compressed formats: (codec, prefix, the extension Hadoop decompresses it by or None).
MAGIC: tuple[tuple[str, bytes, str | None], ...] = (
    ("gzip", b"\x1f\x8b", ".gz"),
    ("bzip2", b"BZh", ".bz2"),
    ("zip", b"PK\x03\x04", None),
    ("xz", b"\xfd7zXZ\x00", None),
    ("zstd", b"\x28\xb5\x2f\xfd", None),
    ("lz4", b"\x04\x22\x4d\x18", None),
    ("snappy", b"\xff\x06\x00\x00sNaPpY", None),
)
CODEC_EXTENSIONS = {ext for _, _, ext in MAGIC if ext}
# A key segment Hadoop reads literally: no glob or URI syntax, no space or '%' (file_path URL-encodes them),
# and not hidden. '=' stays allowed for Hive-style partition directories.
SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=+-]*")

READ, RELOCATE, QUARANTINE, SKIP = "read", "relocate", "quarantine", "skip"


@dataclass(frozen=True)
class Decision:
    """What happens to one object: ``action`` and, for relocate/quarantine/skip, why (and the codec's extension)."""

    action: str
    why: str = ""
    extension: str = ""


def codec(head: bytes) -> tuple[str, str | None] | None:
    """(codec, extension Hadoop reads it by or None) when ``head`` starts with a compressed format's magic."""
    for name, magic, extension in MAGIC:
        if head.startswith(magic):
            return name, extension
    return None


def safe_key(key: str) -> bool:
    """True when Hadoop reads the key as exactly this path (every segment plain, none hidden)."""
    return all(SAFE_SEGMENT.fullmatch(segment) for segment in key.split("/"))


def triage(key: str, size: int, head: bytes, suffixes: Sequence[str] = ()) -> Decision:
    """The Decision for one listed object (``head``: its first HEAD_BYTES bytes, empty when size is 0)."""
    if key.endswith("/"):
        return Decision(SKIP, "folder_marker")
    if size == 0:
        return Decision(SKIP, "empty")
    found = codec(head)
    named = next((ext for ext in CODEC_EXTENSIONS if key.endswith(ext)), "")
    base = key[: len(key) - len(named)] if named else key
    if suffixes and not base.endswith(tuple(suffixes)):
        return Decision(QUARANTINE, f"unexpected_name:expected {' or '.join(suffixes)}")
    if found and found[1] is None:
        return Decision(QUARANTINE, f"compressed:{found[0]} (no codec to read it)")
    extension = found[1] if found else ""
    if extension != named:
        return Decision(RELOCATE, "content does not match the extension", extension or ".txt")
    if not safe_key(key):
        return Decision(RELOCATE, "name Hadoop would not read exactly", extension or ".txt")
    return Decision(READ)


def relocated_name(index: int, decision: Decision) -> str:
    """The generated safe file name of the ``index``-th relocated object of a run."""
    return f"object-{index:06d}{decision.extension}"


def unreadable_raw(uri: str, size: int, head: bytes) -> str:
    """A quarantine row's text for an object that cannot be read: its URI, size and first bytes."""
    return f"{uri} ({size} bytes, starting {head.hex()})"


@dataclass
class PathMap:
    """How the paths Spark read name the listed objects again.

    ``prefix``: (local staging prefix, ``s3://``) for objects staged under their own key; ``moved``: the read
    location of each relocated object (as Spark spells it in ``_metadata.file_path``) -> its original URI.
    """

    prefix: tuple[str, str] | None = None
    moved: dict[str, str] = field(default_factory=dict)

    def source(self, file_path: Column, by_prefix: Column) -> Column:
        """The original URI of a row's file: the moved object's when it was relocated, else ``by_prefix``."""
        if not self.moved:
            return by_prefix
        lookup = F.create_map(*[F.lit(x) for pair in sorted(self.moved.items()) for x in pair])
        return F.coalesce(F.element_at(lookup, file_path), by_prefix)


def spark_spelling(local_path: str) -> str:
    """How Spark's ``_metadata.file_path`` spells a local file read by its absolute path (safe names only)."""
    return "file:" + local_path


def apply_moved(frame: DataFrame, path_map: PathMap, mapped: Column) -> DataFrame:
    """``frame`` with source_file named again through ``path_map`` (``mapped``: the prefix-mapped value)."""
    return frame.withColumn("source_file", path_map.source(F.col("source_file"), mapped))
