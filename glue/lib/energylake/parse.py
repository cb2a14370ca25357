"""Reading raw text and parsing it with explicit schemas; bad lines become quarantine rows with a reason.

Every parsed row carries its lineage: ``source_file``, ``line_no``, ``raw_record`` (the line as
received) and ``ingested_ts`` (the object's last-modified time, so reprocessing is deterministic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, StringType

from energylake import csvformat
from energylake.casts import does_not_cast
from energylake.frames import materialise
from energylake.jvm import json_object_fields
from energylake.lineage import FILE_NO, SOURCE_FILE, SourceFiles
from energylake.objects import PathMap, apply_moved
from energylake.quarantine import record_index
from energylake.schema import string_struct

# How read paths name their objects again: (local prefix, uri prefix), a PathMap (energylake.objects) or None.
PathMapping = tuple[str, str] | PathMap | None
LINEAGE = ("source_file", "line_no", "raw_record", "ingested_ts")
REASON = "_reason"  # a row's quarantine reason before the split (null = valid)
REJECT_COLUMNS = ("source_file", "line_no", "reason", "raw_record")
CORRUPT = "_corrupt_record"
INVALID_ENCODING = "invalid_encoding:not UTF-8"
# A line is one JSON value: anything after it (a second record, stray text) quarantines the whole line.
TRAILING_CONTENT = "trailing_content:more than one JSON value on the line"


def invalid_utf8(col: Column) -> Column:
    """True when the text was not valid UTF-8 (undecodable bytes, or U+FFFD left by an earlier decode)."""
    # Most text is ASCII, which the round trip through US-ASCII proves on the JVM's vectorised string paths;
    # the search for U+FFFD reads one byte at a time, so only other text gets it.
    ascii_only = F.encode(col, "US-ASCII") == col.cast("binary")
    return ~ascii_only & (col.contains("\ufffd") | (F.encode(col, "UTF-8") != col.cast("binary")))


def strip_bom(col: Column) -> Column:
    """The text without a leading UTF-8 byte-order mark (Excel and some exporters write one)."""
    # A prefix test: regexp_replace copies the whole file into a Java string and back to test one anchor.
    return F.when(col.startswith("\ufeff"), col.substr(F.lit(2), F.length(col))).otherwise(col)


def split_lines(text: Column) -> Column:
    """The lines of a text split at LF (the LF dropped; ``strip_cr`` drops the CR of a CRLF line end)."""
    # One plain character, which Java splits without a regular expression.
    return F.split(text, "\n")


# Stands in for a line break inside a quoted CSV field while the text is split into records; text that
# already holds one is split at every line break, as it was before records could span lines.
# U+FFFF is a noncharacter (Unicode 15, section 23.7), and NUL cannot be used: translate() reads it as "delete".
_QUOTED_BREAK = "\uffff"


def protect_quoted_breaks(text: Column) -> Column:
    """CSV text with the line breaks inside quoted fields replaced, so splitting at LF yields RFC 4180 records.

    RFC 4180 section 2 rule 6: a field enclosed in double quotes may hold line breaks. Splitting the text at
    every quote, the odd-numbered pieces are the insides of quoted fields (a doubled quote "" closes and
    reopens one, which keeps the parity). A quote left open at the end of the text is not a field: the text
    after it keeps its line breaks, so one stray quote cannot swallow the rest of the file.
    """
    # The lambda reads nothing but its piece and index: Spark re-evaluates outer expressions per element.
    inside = F.transform(
        F.split(text, csvformat.QUOTE),
        lambda piece, i: F.when(i % 2 == 1, F.translate(piece, "\n", _QUOTED_BREAK)).otherwise(piece),
    )
    protected = F.array_join(inside, csvformat.QUOTE)
    unclosed = F.substring_index(protected, csvformat.QUOTE, -1)
    head = protected.substr(F.lit(1), F.length(protected) - F.length(unclosed))
    open_at_end = (F.length(text) - F.length(F.replace(text, F.lit(csvformat.QUOTE), F.lit("")))) % 2 == 1
    protected = F.when(open_at_end, F.concat(head, restore_quoted_breaks(unclosed))).otherwise(protected)
    safe = text.contains(csvformat.QUOTE) & ~text.contains(_QUOTED_BREAK)
    return F.when(safe, protected).otherwise(text)


def restore_quoted_breaks(record: Column) -> Column:
    """A record split from ``protect_quoted_breaks`` text with its quoted line breaks back."""
    # translate() rebuilds every record one code point at a time (2 s for a million DMS lines); the byte search
    # leaves the records without a quoted line break, nearly all of them, as they are.
    return F.when(record.contains(_QUOTED_BREAK), F.translate(record, _QUOTED_BREAK, "\n")).otherwise(record)


def strip_cr(line: Column) -> Column:
    """A line without the CR of a CRLF line end (a CR elsewhere in the line stays)."""
    # Per line, after the split: a suffix test, where searching the whole text for CR read it byte by byte.
    return F.when(line.endswith("\r"), line.substr(F.lit(1), F.length(line) - 1)).otherwise(line)


def read_lines(spark: SparkSession, paths: Sequence[str], path_map: PathMapping = None) -> DataFrame:
    """One row per non-empty line of the files: source_file, line_no (0-based), raw_record, ingested_ts."""
    return _lines(spark, paths, path_map, None)


def read_csv_records(spark: SparkSession, paths: Sequence[str], path_map: PathMapping = None) -> DataFrame:
    """``read_lines`` for CSV: one row per RFC 4180 record, so a quoted field may span lines.

    ``line_no`` is then the record's index in the file, which is its line number in a file without quoted
    line breaks.
    """
    return _lines(spark, paths, path_map, None, csv_records=True)


def read_csv_headers(spark: SparkSession, paths: Sequence[str], path_map: PathMapping = None) -> DataFrame:
    """The header record of each CSV file (source_file, raw_record): the record ``read_csv_records`` numbers 0.

    Only the first record of each file is split off, so the headers cost one pass over the bytes, not a split
    of every line; a file whose first line is blank has no header row, as in ``read_csv_records``.
    """
    first = F.substring_index(protect_quoted_breaks(strip_bom(F.col("value"))), "\n", 1)
    record = restore_quoted_breaks(strip_cr(first))
    headers = _whole_files(spark, paths, path_map).select("source_file", record.alias("raw_record"))
    return headers.where(F.trim("raw_record") != "")


def read_numbered_lines(
    spark: SparkSession, paths: Sequence[str], path_map: PathMapping = None
) -> tuple[DataFrame, SourceFiles]:
    """``read_lines`` with ``_file_no`` in place of ``source_file``, and the numbering that names the files again."""
    # The URIs come from Spark's own file listing (no file is read), so they are spelt exactly as in the rows.
    listed = spark.read.format("binaryFile").load(list(paths)).select(F.col("_metadata.file_path").alias(SOURCE_FILE))
    files = SourceFiles.of(row[SOURCE_FILE] for row in map_source(listed, path_map).collect())
    return _lines(spark, paths, path_map, files), files


def _lines(
    spark: SparkSession,
    paths: Sequence[str],
    path_map: PathMapping,
    files: SourceFiles | None,
    csv_records: bool = False,
) -> DataFrame:
    # The staged path is mapped back to its s3:// URI (and numbered) once per file, not once per line.
    text = _whole_files(spark, paths, path_map)
    lineage = [*LINEAGE]
    if files is not None:
        text = text.withColumn(FILE_NO, files.number(F.col(SOURCE_FILE)))
        lineage[0] = FILE_NO
    body = strip_bom(F.col("value"))
    if csv_records:
        body = protect_quoted_breaks(body)
    frame = text.select(
        lineage[0],
        "ingested_ts",
        F.posexplode(split_lines(body)).alias("line_no", "_line"),
    )
    record = strip_cr(F.col("_line"))
    frame = frame.withColumn("raw_record", restore_quoted_breaks(record) if csv_records else record)
    return frame.where(F.trim("raw_record") != "").select(*lineage)


def read_files(spark: SparkSession, paths: Sequence[str], path_map: PathMapping = None) -> DataFrame:
    """One row per whole file: source_file, line_no (0), raw_record (the file text), ingested_ts."""
    return _whole_files(spark, paths, path_map).select(
        "source_file",
        F.lit(0).alias("line_no"),
        # Undecodable bytes become U+FFFD before the BOM is stripped, so invalid_utf8() still sees them.
        F.when(invalid_utf8(F.col("value")), F.decode(F.col("value").cast("binary"), "UTF-8"))
        .otherwise(strip_bom(F.col("value")))
        .alias("raw_record"),
        "ingested_ts",
    )


def _whole_files(spark: SparkSession, paths: Sequence[str], path_map: PathMapping) -> DataFrame:
    """One row per file: source_file (its s3:// URI again), ingested_ts (last modified) and value (the text)."""
    text = spark.read.text(list(paths), wholetext=True).select(
        F.col("_metadata.file_path").alias("source_file"),
        F.col("_metadata.file_modification_time").alias("ingested_ts"),
        "value",
    )
    return map_source(text, path_map)


def map_source(frame: DataFrame, path_map: PathMapping) -> DataFrame:
    """Rewrite read paths back to their s3:// URIs (``path_map`` = (local prefix, uri prefix) or a PathMap,
    which also names relocated objects again, energylake.objects)."""
    moved = path_map if isinstance(path_map, PathMap) else None
    prefix = moved.prefix if moved is not None else path_map
    mapped = F.col("source_file")
    if prefix:
        local, uri = prefix
        local = re.sub(r"^file:/*", "/", local)
        pattern = "^file:/*" + re.escape(local.lstrip("/"))
        mapped = F.regexp_replace("source_file", pattern, uri.replace("\\", "\\\\"))
    if moved is not None:
        return apply_moved(frame, moved, mapped)
    return frame.withColumn("source_file", mapped) if prefix else frame


def rejects(frame: DataFrame, reason: Column | str) -> DataFrame:
    """Quarantine rows (source_file, line_no, reason, raw_record) for every row of ``frame``.

    ``line_no`` (the record's line or index in its file, null when the frame has none) keeps identical bad
    records of one file apart; a row without its text keeps all its columns as JSON instead.
    """
    reason_col = F.col(reason) if isinstance(reason, str) else reason
    cols = set(frame.columns)
    source = F.col("source_file") if "source_file" in cols else F.lit(None).cast("string")
    whole = F.to_json(F.struct(*[F.col(c) for c in frame.columns if c != REASON]))
    raw = F.coalesce(F.col("raw_record"), whole) if "raw_record" in cols else whole
    return frame.select(
        source.alias("source_file"), record_index(frame), reason_col.alias("reason"), raw.alias("raw_record")
    )


def empty_rejects(spark: SparkSession) -> DataFrame:
    """An empty quarantine frame."""
    return spark.createDataFrame([], "source_file string, line_no int, reason string, raw_record string")


def union_rejects(parts: Iterable[DataFrame]) -> DataFrame:
    """Union of quarantine frames (at least one)."""
    parts = list(parts)
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    return out


def split_by_reason(frame: DataFrame, reason: Column) -> tuple[DataFrame, DataFrame]:
    """(rows whose reason is null, quarantine rows for the others); ``reason`` may be the ``_reason`` column."""
    # Materialising cuts the plan: both outputs reuse one evaluation and later stages stay small enough
    # for whole-stage codegen (long chained plans otherwise exceed the JVM's 64 KB method limit).
    tagged = materialise(frame.withColumn(REASON, reason), columnar=False)
    good = tagged.where(F.col(REASON).isNull()).drop(REASON)
    bad = rejects(tagged.where(F.col(REASON).isNotNull()), REASON)
    return good, bad


def parse_json_lines(
    lines: DataFrame, fields: Sequence[str], allowed: Iterable[str] | None = None
) -> tuple[DataFrame, DataFrame]:
    """Parse JSON-lines into string columns ``fields``; malformed lines and unknown keys are quarantined."""
    allowed_keys = sorted(set(allowed if allowed is not None else fields))
    schema = string_struct(fields, CORRUPT)
    parsed = lines.select(
        *LINEAGE,
        F.from_json("raw_record", schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}).alias("_p"),
        F.map_keys(F.from_json("raw_record", "map<string,string>")).alias("_keys"),
        # from_json reads the first value of a line and drops the rest: the JVM reader says whether there is more.
        json_object_fields(lines.sparkSession, F.col("raw_record"), fields, "")["trailing"].alias("_trailing"),
    )
    unknown = F.array_except(F.col("_keys"), F.array(*[F.lit(k) for k in allowed_keys]))
    reason = (
        F.when(invalid_utf8(F.col("raw_record")), INVALID_ENCODING)
        .when(F.col("_p").isNull() | F.col(f"_p.{CORRUPT}").isNotNull() | F.col("_keys").isNull(), "malformed_json")
        .when(F.col("_trailing"), TRAILING_CONTENT)
        .when(F.size(unknown) > 0, F.concat(F.lit("unknown_columns:"), F.array_join(F.array_sort(unknown), ",")))
        .otherwise(F.lit(None))
    )
    good, bad = split_by_reason(parsed, reason)
    return good.select(*LINEAGE, *[F.col(f"_p.{f}").alias(f) for f in fields]), bad


def normalise_header(name: str) -> str:
    """Snake-case a source column header: 'OperDay' -> 'oper_day', 'Settlement Type' -> 'settlement_type'."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip().strip('"'))
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def parse_csv_lines(lines: DataFrame, expected: Sequence[str]) -> tuple[DataFrame, DataFrame]:
    """Parse CSV-with-header lines into string columns ``expected`` (headers snake-cased, order checked).

    A file whose header differs from ``expected`` has all its rows quarantined with the unknown or
    missing columns named; a row with the wrong number of fields is quarantined as malformed.
    """
    return split_by_reason(tag_csv_lines(lines, expected), F.col(REASON))


def tag_csv_lines(lines: DataFrame, expected: Sequence[str], headers: DataFrame | None = None) -> DataFrame:
    """``parse_csv_lines`` before the split: every body row with its columns and ``_reason`` (null = parsed).

    ``headers`` (source_file, raw_record: each file's line 0, e.g. ``read_csv_headers``) saves splitting every
    line of the files a second time only to find their first.
    """
    expected = list(expected)
    header = header_names()
    exp = F.array(*[F.lit(c) for c in expected])
    unknown, missing = F.array_except(header, exp), F.array_except(exp, header)
    # A file's header is judged once, on its header row (one row per file, broadcast to the file's rows).
    header_reason = (
        F.when(F.size(unknown) > 0, F.concat(F.lit("unknown_columns:"), F.array_join(unknown, ",")))
        .when(F.size(missing) > 0, F.concat(F.lit("missing_columns:"), F.array_join(missing, ",")))
        .when(header != exp, F.lit("unexpected_column_order"))
    )
    headers = lines.where(F.col("line_no") == 0) if headers is None else headers
    headers = headers.select("source_file", F.lit(True).alias("_has_header"), header_reason.alias("_header_reason"))
    body = lines.where(F.col("line_no") > 0).join(F.broadcast(headers), "source_file", "left")
    schema = string_struct(expected, CORRUPT)
    parsed = body.select(
        *LINEAGE,
        "_has_header",
        "_header_reason",
        F.from_csv(
            "raw_record",
            schema.simpleString(),
            {**csvformat.SPARK_OPTIONS, "mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT},
        ).alias("_p"),
    )
    reason = (
        F.when(invalid_utf8(F.col("raw_record")), INVALID_ENCODING)
        .when(F.col("_has_header").isNull(), "missing_header")
        .when(F.col("_header_reason").isNotNull(), F.col("_header_reason"))
        .when(F.col(f"_p.{CORRUPT}").isNotNull(), "malformed_csv:wrong_field_count")
        .otherwise(F.lit(None))
    )
    return parsed.select(*LINEAGE, *[F.col(f"_p.{c}").alias(c) for c in expected], reason.alias(REASON))


def header_names() -> Column:
    """The column names of a CSV header line (``raw_record``), snake-cased like ``normalise_header``."""
    return F.transform(F.split(F.col("raw_record"), ","), _normalise_header_col)


def _normalise_header_col(col: Column) -> Column:
    # Column-expression twin of normalise_header (runs inside Spark, no Python UDF).
    c = F.regexp_replace(F.trim(col), '"', "")
    c = F.regexp_replace(c, "([a-z0-9])([A-Z])", "$1_$2")
    c = F.regexp_replace(c, "([A-Z]+)([A-Z][a-z])", "$1_$2")
    c = F.regexp_replace(c, "[^0-9a-zA-Z]+", "_")
    return F.lower(F.regexp_replace(c, "^_+|_+$", ""))


def cast_columns(
    frame: DataFrame, types: dict[str, DataType], required: Iterable[str] = ()
) -> tuple[DataFrame, DataFrame]:
    """Cast string columns to ``types``; values that do not cast and missing required values are quarantined."""
    return split_by_reason(cast_checked(frame, types, required), F.col(REASON))


def cast_checked(
    frame: DataFrame, types: dict[str, DataType], required: Iterable[str] = (), earlier: Column | None = None
) -> DataFrame:
    """``frame`` with the columns named in ``types`` cast (blank text as null) and ``REASON``: ``earlier`` (a
    reason found before) or else why the row does not cast (values that do not cast, missing required ones);
    null when it does. Each value is converted once: the check reads the cast column (checking with a cast of
    its own converted every value twice, since the optimizer moves the null test inside the blank-text CASE,
    where the two casts are no longer one common subexpression)."""
    required = set(required)
    staged = {name: f"_cast_{name}" for name in types}
    step = frame.select("*", *[_given(frame, name).cast(dtype).alias(staged[name]) for name, dtype in types.items()])
    checks = []
    for name, dtype in types.items():
        value, cast = _given(frame, name), F.col(staged[name])
        failed = does_not_cast(value, dtype, cast) if _is_str(frame, name) else value.isNotNull() & cast.isNull()
        checks.append(F.when(failed, F.lit(f"invalid_type:{name}")))
        if name in required:
            checks.append(F.when(value.isNull(), F.lit(f"missing_required:{name}")))
    reason = F.concat_ws("; ", *checks) if checks else F.lit("")
    found = F.when(reason != "", reason)
    columns = [F.col(staged[c]).alias(c) if c in types else F.col(c) for c in frame.columns if c != REASON]
    return step.select(*columns, (found if earlier is None else F.coalesce(earlier, found)).alias(REASON))


def _given(frame: DataFrame, name: str) -> Column:
    """A column's value as given: text trimmed, blank text as null (other types as they are)."""
    if not _is_str(frame, name):
        return F.col(name)
    text = F.trim(F.col(name))
    return F.when(text != "", text)


def _is_str(frame: DataFrame, name: str) -> bool:
    return isinstance(frame.schema[name].dataType, StringType)
