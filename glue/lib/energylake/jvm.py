"""Spark SQL functions of the energylake JVM library (glue/jvm, a jar Glue gets with --extra-jars).

Registered in a session on first use and called by name, so the Python library and its jobs stay the only
code a pipeline author reads; each function's contract (arguments, result type) is declared here.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

JSON_OBJECT_FIELDS = "energylake_json_object_fields"
JSON_OBJECT_FIELDS_CLASS = "energylake.spark.JsonObjectFields"
# One JSON object line: malformed (not one JSON object), its unknown keys (sorted, comma-joined), its first
# repeated key, each known key's value as text and as a number (when it is one), and one nested object's
# members (text only when the member is not a number), and whether anything but whitespace follows the object
# (``trailing``: the line holds more than one JSON value; its fields are then not read).
JSON_OBJECT_FIELDS_TYPE = (
    "struct<malformed:boolean,unknown:string,repeated:string,text:array<string>,number:array<double>,"
    "entries:array<struct<key:string,number:double,text:string>>,trailing:boolean>"
)


class JvmFunctionsMissingError(RuntimeError):
    """The energylake jar is not on Spark's classpath; the message says how to put it there."""


def _register(spark: SparkSession) -> None:
    # Registered on every use (a job uses it once): catalog.functionExists would also look the name up in the
    # metastore, on Glue the Data Catalog, which the job role need not be allowed to read functions from.
    try:
        spark.udf.registerJavaFunction(JSON_OBJECT_FIELDS, JSON_OBJECT_FIELDS_CLASS, JSON_OBJECT_FIELDS_TYPE)
    except Exception as error:  # py4j or an AnalysisException, depending on where the class lookup failed
        if "ClassNotFound" not in str(error) and "Can not load class" not in str(error):
            raise
        raise JvmFunctionsMissingError(
            f"{JSON_OBJECT_FIELDS_CLASS} is not on Spark's classpath: locally `make setup` builds "
            "build/jvm/energylake-functions.jar (the local runner's session adds it); on Glue pass its S3 "
            "location with --extra-jars (terraform/modules/glue_catalog_etl: library_jar_path)"
        ) from error


def json_object_fields(spark: SparkSession, line: Column, keys: Sequence[str], nested: str) -> Column:
    """A JSON object line (text) read in one pass: the JSON_OBJECT_FIELDS_TYPE struct for ``keys`` and ``nested``.

    ``text[i]``/``number[i]`` hold ``keys[i]``'s value (null when absent or JSON null; text as Spark's
    from_json with a map of strings gives it, a number as written); a key outside ``keys`` is unknown;
    ``entries`` lists the members of ``nested`` when its value is an object (its text is then null).
    """
    if "," in "".join(keys):
        raise ValueError(f"JSON keys passed to {JSON_OBJECT_FIELDS} cannot contain ',': {list(keys)}")
    _register(spark)
    return F.call_udf(JSON_OBJECT_FIELDS, line.cast("binary"), F.lit(",".join(keys)), F.lit(nested))


# The switch between the JVM function and Spark's built-in JSON reading (issue 32: code shaped for speed stays only
# with a measured whole-job gain of at least 20%, and `make bench` measures the telemetry job both ways). A runtime
# SQL setting of the job's session: "jvm" (the default) or "builtin".
JSON_READER_CONF = "spark.energylake.jsonReader"
BUILTIN_JSON_READER = "builtin"


def uses_jvm_json_reader(spark: SparkSession) -> bool:
    """True unless the session's JSON_READER_CONF selects Spark's built-in JSON reading."""
    return spark.conf.get(JSON_READER_CONF, "jvm") != BUILTIN_JSON_READER


def json_object_map(line: Column) -> Column:
    """A JSON object line read by Spark's from_json as a map of strings (null when it is not one JSON object)."""
    return F.from_json(line, "map<string,string>")


def json_object_fields_from_map(doc: Column, keys: Sequence[str], nested: str) -> Column:
    """The JSON_OBJECT_FIELDS_TYPE struct of ``json_object_fields`` from a ``json_object_map`` column.

    The built-in equivalent, for the switch above: a value's number is left null (the telemetry parse then casts
    its text, which from_json gives for a number as well), and ``nested``'s members come from a second from_json
    of its text when that text is an object (a JSON string value that itself starts with '{' would pass too).
    Evaluate ``doc`` in a projection of its own: every field below reads it.
    """
    names = F.map_keys(doc)
    known = F.array(*[F.lit(k) for k in keys])
    unknown = F.array_sort(F.array_except(names, known))
    # A known key with an earlier occurrence (from_json keeps a repeated key's every occurrence).
    repeated = F.filter(
        names, lambda k, i: F.array_contains(known, k) & F.exists(F.slice(names, 1, i), lambda earlier: earlier == k)
    )
    nested_text = doc[nested]
    nested_object = F.ltrim(nested_text).startswith("{")
    entries = F.transform(
        F.map_entries(F.from_json(nested_text, "map<string,string>")),
        lambda e: F.struct(e["key"].alias("key"), F.lit(None).cast("double").alias("number"), e["value"].alias("text")),
    )
    parsed = doc.isNotNull()
    return F.struct(
        doc.isNull().alias("malformed"),
        F.when(parsed & (F.size(unknown) > 0), F.array_join(unknown, ",")).alias("unknown"),
        F.when(parsed, F.get(repeated, 0)).alias("repeated"),
        F.when(parsed, F.array(*[F.when(~nested_object, doc[k]) if k == nested else doc[k] for k in keys])).alias(
            "text"
        ),
        F.when(parsed, F.array(*[F.lit(None).cast("double") for _ in keys])).alias("number"),
        F.when(parsed & nested_object, entries).alias("entries"),
    ).cast(JSON_OBJECT_FIELDS_TYPE)
